"""Colours and sizes: high contrast, colour always paired with an icon (never the only signal)."""

BACKGROUND = (0.96, 0.96, 0.94, 1)
INK = (0.106, 0.165, 0.255, 1)  # navy #1B2A41
CARD = (1, 1, 1, 1)
HIGHLIGHT = (1.0, 0.85, 0.30, 1)  # the choice that was tapped once and is waiting for confirmation
GO = (0.118, 0.557, 0.243, 1)  # green #1E8E3E: yes, continue
STOP = (0.776, 0.157, 0.157, 1)  # red #C62828: cancel, no, errors
HELP = (0.10, 0.45, 0.80, 1)  # blue: call staff
MUTED = (0.85, 0.86, 0.88, 1)
WARNING = (1.0, 0.93, 0.70, 1)

ACTION_COLOURS = {"batal": STOP, "tidak": STOP, "ya": GO, "bantuan": HELP}
THICK = 6
"""Border width (px) of a highlighted or marked button: the shape says it, not colour alone."""
FAULT_BG = (1.0, 0.92, 0.92, 1)
"""Behind a wrong group of digits (framed in red, with a cross under it)."""
