"""The tests' one fake :class:`~kiosk.vision.camera.FrameSource`, and a recorded clip for the real OpenCV camera.
tests/vision/test_frame_source_contract.py holds both to the same contract."""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np

from kiosk.vision.camera import CameraLostError


class FakeCamera:
    """Frames in memory, in order; the last one again once they run out (a camera held still). With
    ``unplug_after``, that many reads succeed and the next ones raise CameraLostError, as the real camera does
    when it is pulled out. Every read is a frame of its own, as a camera's are."""

    def __init__(self, frames: list[np.ndarray], unplug_after: int | None = None) -> None:
        self.frames, self.unplug_after, self.reads = frames, unplug_after, 0

    def read(self) -> np.ndarray:
        if self.unplug_after is not None and self.reads >= self.unplug_after:
            raise CameraLostError("The camera 0 stopped sending pictures after 5 tries (unplugged?).")
        frame = self.frames[min(self.reads, len(self.frames) - 1)]
        self.reads += 1
        return frame.copy()

    def close(self) -> None:
        pass


def record_clip(path: Path, frames: list[np.ndarray]) -> Path:
    """A Motion-JPEG clip: the real OpenCVCamera reads it through VideoCapture like a camera that stops after
    it."""
    h, w = frames[0].shape[:2]
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*"MJPG"), 10, (w, h))
    assert writer.isOpened(), "this OpenCV build cannot write MJPG"
    for frame in frames:
        writer.write(frame)
    writer.release()
    return path
