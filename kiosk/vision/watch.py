"""Presence wake on the attract screen: look a few times a second for a face, and greet whoever arrives.

The camera is opened only while the attract screen shows (the documents step needs it otherwise) and closed on
``stop``. Frames go straight into the detector and are never kept.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable

from kiosk.vision.camera import CameraError, FrameSource
from kiosk.vision.presence import PresenceDetector
from layanan.domain.events import Event, Presence

log = logging.getLogger(__name__)


class PresenceWatch:
    def __init__(
        self,
        open_source: Callable[[], FrameSource],
        detector: Callable[[], PresenceDetector],
        post: Callable[[Event], None],
        interval_s: float = 0.4,
    ) -> None:
        self.open_source, self.make_detector, self.post = open_source, detector, post
        self.interval_s = interval_s
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._detector: PresenceDetector | None = None

    @property
    def running(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    def start(self) -> None:
        if self.running:
            return
        self._stop.clear()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        thread, self._thread = self._thread, None
        if thread is not None and thread is not threading.current_thread():
            thread.join(timeout=5)

    def _run(self) -> None:
        try:
            if self._detector is None:
                self._detector = self.make_detector()
            source = self.open_source()
        except (CameraError, RuntimeError) as exc:
            log.warning("presence wake is off: %s", exc)
            return
        detector = self._detector
        detector.present = False
        try:
            while not self._stop.is_set():
                was = detector.present
                if detector.seen(source.read()) and not was:
                    self.post(Presence())
                self._stop.wait(self.interval_s)
        except CameraError as exc:
            log.warning("presence wake stopped: %s", exc.reason)
        finally:
            source.close()
