"""The pure core: service catalog, request, flow state machine, NIK/KK/phone checks, tickets, envelope schema.

Nothing here imports Kivy, paho, OpenCV, Vosk or sqlite3.
"""
