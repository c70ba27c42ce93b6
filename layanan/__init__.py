"""The shared core of the three deployables (kiosk, office, technician's tool).

``domain`` (pure: catalog, request, flow, validation, envelope), ``security`` (keys, signatures, sealed boxes),
``config`` (settings for every command), ``link`` (the MQTT client every side uses), ``cli`` (how every command
is dispatched) and ``data`` (the service catalog and the language packs). Nothing here imports Kivy, OpenCV,
Vosk, audio libraries or a database driver.
"""
