"""The documents step's camera: reads frames on a worker thread, guides the citizen, and hands back a photo.

It turns what the capture session sees into the flow's events (``CameraHint``, ``Captured``, ``CameraFailed``),
posted through ``post`` (the Kivy app posts onto its main loop; ``kiosk simulate`` dispatches at once). The encoded
photo stays in memory (``photos``) until the request is queued, where it is sealed before it touches the disk.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, MutableMapping

import numpy as np

from kiosk.vision.camera import CameraError, FrameSource
from kiosk.vision.capture import CaptureSession
from layanan.domain.events import CameraFailed, CameraHint, Captured, Event
from layanan.domain.request import new_msg_id

log = logging.getLogger(__name__)


class CameraStep:
    """One capture at a time; ``start`` opens the source, ``capture_now`` is the big button, ``stop`` closes it."""

    def __init__(
        self,
        open_source: Callable[[], FrameSource],
        post: Callable[[Event], None],
        photos: MutableMapping[str, bytes],
        synchronous: bool = False,
        max_frames: int = 40,
        fps: float = 12.0,
    ) -> None:
        self.open_source, self.post, self.photos = open_source, post, photos
        self.synchronous = synchronous
        self.max_frames = max_frames
        """With ``synchronous`` (simulate): frames to try before waiting for the big button."""
        self.frame_interval = 1.0 / fps
        """Analysis pace: a camera delivers frames at its own rate, a still image would spin the CPU."""
        self.latest: np.ndarray | None = None
        """The last preview frame (for the screen only; never stored)."""
        self.progress = 0.0
        self.reviews: dict[str, str] = {}
        """Attachment id -> why the clerk should check that photo (the detector was not sure of the outline,
        or found none: the whole frame was kept). The flag is also inside the photo's file (layanan/photo_review.py)."""
        self._stop = threading.Event()
        self._now = threading.Event()
        self._thread: threading.Thread | None = None
        self._session: CaptureSession | None = None
        self._document = ""

    def start(self, document: str, document_kind: str) -> None:
        self.stop()
        self._stop.clear()
        self._now.clear()
        self._document = document
        self._session = CaptureSession(document_kind)
        source = self.open_source()  # raises CameraError: the session turns it into CameraFailed
        if self.synchronous:
            self._run(source, self.max_frames)
        else:
            self._thread = threading.Thread(target=self._run, args=(source, None), daemon=True)
            self._thread.start()

    def capture_now(self) -> None:
        self._now.set()
        if self.synchronous and self._session is not None and not self._stop.is_set():
            self._take(self._session.capture_now())

    def stop(self) -> None:
        self._stop.set()
        thread, self._thread = self._thread, None
        if thread is not None and thread is not threading.current_thread():
            thread.join(timeout=5)
        self.latest = None

    def _run(self, source: FrameSource, limit: int | None) -> None:
        session = self._session
        assert session is not None
        last_hint = ""
        frames = 0
        try:
            while not self._stop.is_set() and (limit is None or frames < limit):
                began = time.monotonic()
                frame = source.read()
                frames += 1
                self.latest = frame
                if self._now.is_set():
                    self._take(session.capture_now(frame))
                    return
                result = session.feed(frame)
                self.progress = result.progress
                hint = result.verdict.hints[0]
                if hint != last_hint:
                    last_hint = hint
                    self.post(CameraHint(hint))
                if result.capture is not None:
                    self._take(result.capture)
                    return
                if not self.synchronous:
                    self._stop.wait(max(0.0, self.frame_interval - (time.monotonic() - began)))
        except CameraError as exc:
            log.warning("camera failed during capture: %s", exc.reason)
            self.post(CameraFailed(exc.reason))
        finally:
            source.close()

    def _take(self, capture) -> None:  # type: ignore[no-untyped-def]
        attachment = capture.attachment()
        att_id = new_msg_id()
        self.photos[att_id] = attachment.data
        if attachment.review is not None:
            self.reviews[att_id] = attachment.review
        log.info(
            "photo of a %s taken: %d bytes%s",
            attachment.document_kind,
            len(attachment.data),
            f", flagged for the clerk ({attachment.review})" if attachment.review else "",
        )
        self._stop.set()
        self.post(Captured(self._document, att_id))
