"""The capture session behind the documents step: feed it preview frames, get a verdict per frame, and a
capture once a sharp, still, well-framed document has been seen for ``stable_frames`` frames in a row (or when
the citizen presses the big button: ``capture_now``).

It holds no camera and no clock: the UI reads frames from a ``FrameSource`` and passes them in, so the session
is testable with generated frames. Analysis runs on a copy scaled to ``analysis_width`` (cheap on a Pi); the
capture itself re-detects and warps the full-resolution frame.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

import cv2
import numpy as np

from kiosk.vision.camera import CameraError, FrameSource
from kiosk.vision.pipeline import Capture, capture_document
from kiosk.vision.quality import Verdict, assess, family, small_gray

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class FrameResult:
    """What the UI shows and says after one frame."""

    verdict: Verdict
    good_streak: int
    """Consecutive good frames so far."""
    progress: float
    """good_streak / stable_frames, for a filling ring around the capture button."""
    capture: Capture | None
    """Set on the frame that triggered the automatic capture."""
    corners: tuple[tuple[float, float], ...] | None = None
    """The outline found, in the fed frame's pixels (clockwise from top-left), for the preview overlay."""


class CaptureSession:
    """Per-frame guidance and automatic capture for one document."""

    def __init__(self, document_kind: str, stable_frames: int = 5, analysis_width: int = 640) -> None:
        family(document_kind)  # refuses unknown kinds early
        if stable_frames < 1:
            raise ValueError("stable_frames must be at least 1")
        self.document_kind = document_kind
        self.stable_frames = stable_frames
        self.analysis_width = analysis_width
        self._previous_small: np.ndarray | None = None
        self._last_frame: np.ndarray | None = None
        self._streak = 0
        self.captured: Capture | None = None

    def _analysis_copy(self, frame: np.ndarray) -> np.ndarray:
        h, w = frame.shape[:2]
        if w <= self.analysis_width:
            return frame
        scale = self.analysis_width / w
        return cv2.resize(frame, (self.analysis_width, int(round(h * scale))), interpolation=cv2.INTER_AREA)

    def feed(self, frame: np.ndarray) -> FrameResult:
        """Judge one preview frame; capture automatically once enough good frames came in a row."""
        small = small_gray(frame)
        analysed = self._analysis_copy(frame)
        verdict = assess(analysed, self.document_kind, previous_small=self._previous_small)
        self._previous_small = small
        self._last_frame = frame
        corners = None
        if verdict.detection is not None and verdict.detection.corners is not None:
            k = frame.shape[1] / analysed.shape[1]
            corners = tuple(((x + 0.5) * k - 0.5, (y + 0.5) * k - 0.5) for x, y in verdict.detection.corners)
        if self.captured is not None:
            return FrameResult(verdict, self._streak, 1.0, None, corners)
        self._streak = self._streak + 1 if verdict.ok else 0
        capture = None
        if self._streak >= self.stable_frames:
            capture = self.captured = capture_document(frame, self.document_kind)
            log.info(
                "auto capture of a %s after %d good frames: %d bytes",
                self.document_kind,
                self._streak,
                capture.encoded.size,
            )
        progress = min(1.0, self._streak / self.stable_frames)
        return FrameResult(verdict, self._streak, progress, capture, corners)

    def capture_now(self, frame: np.ndarray | None = None) -> Capture:
        """The big button: capture this frame (or the last one fed) whatever its quality; the verdict is kept
        in the result so staff can see it was taken by hand."""
        frame = frame if frame is not None else self._last_frame
        if frame is None:
            raise ValueError("no frame to capture yet: feed a frame first or pass one")
        self.captured = capture_document(frame, self.document_kind)
        return self.captured

    def reset(self) -> None:
        """Start over (retake)."""
        self._previous_small = None
        self._last_frame = None
        self._streak = 0
        self.captured = None


@dataclass(frozen=True)
class CaptureOutcome:
    """How a capture attempt ended: a capture, or a camera error the flow turns into 'go on without the
    photo'."""

    capture: Capture | None
    error: CameraError | None
    frames: int
    last: FrameResult | None

    @property
    def staff_notice(self) -> str | None:
        """What staff are told when the photo could not be taken (no personal data)."""
        return None if self.error is None else f"camera problem ({self.error.reason}): {self.error.what}"


def run_capture(source: FrameSource, session: CaptureSession, max_frames: int = 300) -> CaptureOutcome:
    """Read frames from ``source`` into ``session`` until it captures, the source fails, or ``max_frames``
    pass (then nothing is captured: the citizen is offered the big button). Camera errors are returned, never
    raised."""
    last: FrameResult | None = None
    frames = 0
    try:
        while frames < max_frames:
            frame = source.read()
            frames += 1
            last = session.feed(frame)
            if last.capture is not None:
                return CaptureOutcome(last.capture, None, frames, last)
    except CameraError as exc:
        log.warning("capture stopped: %s", exc.reason)
        return CaptureOutcome(None, exc, frames, last)
    return CaptureOutcome(None, None, frames, last)
