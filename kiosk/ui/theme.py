"""Colours and sizes: high contrast, colour always paired with an icon (never the only signal)."""

BACKGROUND = (0.96, 0.96, 0.94, 1)
INK = (0.106, 0.165, 0.255, 1)  # navy #1B2A41
CARD = (1, 1, 1, 1)
HIGHLIGHT = (1.0, 0.85, 0.30, 1)  # the choice that was tapped once and is waiting for confirmation
# dark enough for white text on them, and for them as text on white, at 7:1 (body text; issue 36, finding 10)
GO = (0.09, 0.38, 0.16, 1)  # green #176129: yes, continue
STOP = (0.64, 0.08, 0.08, 1)  # red #A31414: cancel, no, errors
HELP = (0.05, 0.32, 0.62, 1)  # blue #0D529E: call staff
MUTED = (0.85, 0.86, 0.88, 1)
WARNING = (1.0, 0.93, 0.70, 1)

ACTION_COLOURS = {"batal": STOP, "tidak": STOP, "ya": GO, "bantuan": HELP}
THICK = 6
"""Border width (px) of a highlighted or marked button: the shape says it, not colour alone."""
FAULT_BG = (1.0, 0.92, 0.92, 1)
"""Behind a wrong group of digits (framed in red, with a cross under it)."""
