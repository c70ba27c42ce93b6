"""Helpers for tests that run real parts: a private Mosquitto, free ports, waiting with timeouts."""
