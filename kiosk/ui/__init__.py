"""Kivy user interface of the kiosk and its assets (pictograms under ``kiosk.ui.icons``)."""
