"""Is the room busy? How much of the last 20 s between citizens the end-pointer took for speech.

In a busy village office the energy end-pointer cannot tell the citizen from the people talking behind them:
hands-free, their talk runs on into the citizen's utterances and their digits are written down, and on the
attract screen their words start sessions nobody asked for. Holding the talk button fixes where an utterance
starts and ends (docs/speech.md, "Hold to talk"). :class:`RoomMeter` tells when the kiosk should ask for it.

The meter listens only between citizens (on the attract screen; muted time, while a prompt plays, is left out).
A citizen dictating a NIK talks in most of the time the kiosk is not reading back, so during a session it would
hear the citizen, not the room. The times between citizens add up: in a queue, with a few seconds between one
citizen and the next, the window still fills.

Measured on real recordings (``kiosk bench speech``, ``end_pointing.busy_room``; docs/speech.md, "A busy
room"): four-talker babble 5-20 dB under a typical talker keeps the end-pointer's speech flag on in 46-83 % of
every 20 s window, and 30 dB under in 26-29 %; fan-like noise stays under 8 % at any level, a quiet room at
0. So the room is busy from :data:`BUSY_SHARE` (40 %) and quiet again below
:data:`QUIET_SHARE` (25 %): the gap keeps the kiosk from flipping back and forth at the edge.
"""

from __future__ import annotations

import numpy as np

WINDOW_S = 20.0
"""The share is taken over this much of the latest audio (muted time, while a prompt plays, is not in it)."""
BUSY_SHARE = 0.4
"""From this share of speech frames the room is busy."""
QUIET_SHARE = 0.25
"""Below this share a busy room is quiet again."""


class RoomMeter:
    """Fed one end-pointer speech flag per frame (:class:`~kiosk.speech.vad.Level` ``.speech``); says when the
    room becomes busy or quiet. No decision before a whole window has been heard."""

    def __init__(
        self,
        frame_ms: int = 20,
        window_s: float = WINDOW_S,
        busy_share: float = BUSY_SHARE,
        quiet_share: float = QUIET_SHARE,
    ) -> None:
        if not 0 < quiet_share < busy_share <= 1:
            raise ValueError(f"need 0 < quiet_share < busy_share <= 1, not {quiet_share} and {busy_share}")
        self._flags = np.zeros(max(1, round(window_s * 1000 / frame_ms)), dtype=bool)
        self._next = 0
        self._seen = 0
        self._speech = 0
        self.busy_share, self.quiet_share = busy_share, quiet_share
        self.busy = False

    @property
    def share(self) -> float:
        """Share of speech frames in the window so far (0 before the first frame)."""
        return self._speech / self._seen if self._seen else 0.0

    def feed(self, speech: bool) -> bool | None:
        """One frame. Returns True when the room has just become busy, False when it has just become quiet,
        None otherwise."""
        if self._seen == len(self._flags):
            self._speech -= int(self._flags[self._next])
        else:
            self._seen += 1
        self._flags[self._next] = speech
        self._speech += int(speech)
        self._next = (self._next + 1) % len(self._flags)
        if self._seen < len(self._flags):
            return None
        share = self._speech / self._seen
        if not self.busy and share >= self.busy_share:
            self.busy = True
            return True
        if self.busy and share < self.quiet_share:
            self.busy = False
            return False
        return None
