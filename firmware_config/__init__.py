"""Raspberry Pi OS templates for ``kiosk-provision render-firmware`` (a package so wheels carry them)."""
