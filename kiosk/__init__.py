"""Layanan Desa kiosk: offline voice-and-touch service requests for village offices, queued and sent over MQTT."""

__version__ = "0.1.0"
