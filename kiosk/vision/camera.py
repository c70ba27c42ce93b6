"""The camera edge: a ``FrameSource`` protocol, the OpenCV/V4L2 camera, and a still image file standing in for
one.

Every failure is a :class:`CameraError` whose message says what is wrong, that the citizen can go on without
the photo, and that staff are told; the documents step catches it, skips the photo and raises a staff notice.
Nothing here crashes the kiosk.

The Raspberry Pi camera is reached through V4L2 like a USB one: on Raspberry Pi OS Bookworm and later the
libcamera stack exposes it through the ``bcm2835-unicam``/``rp1-cfe`` nodes only to libcamera, so start the
kiosk under ``libcamerify`` (package libcamera-v4l2), which makes it appear as a plain ``/dev/videoN``; the
legacy stack (``bcm2835-v4l2``) gives ``/dev/video0`` directly. Configure ``vision.camera`` as that index or
path.
"""

from __future__ import annotations

import logging
import os
import sys
from pathlib import Path
from typing import Protocol

import cv2
import numpy as np

log = logging.getLogger(__name__)

CONTINUE = "The citizen can continue without the photo; staff have been told."
"""Appended to every camera error message."""


class CameraError(RuntimeError):
    """The camera or image gave no frame. ``reason`` is a stable id for the UI and the staff notice."""

    reason = "camera_error"

    def __init__(self, what: str) -> None:
        super().__init__(f"{what} {CONTINUE}")
        self.what = what


class NoCameraError(CameraError):
    """No camera at the configured index or path, or it would not open."""

    reason = "no_camera"


class CameraLostError(CameraError):
    """The camera stopped delivering frames (unplugged, driver reset)."""

    reason = "camera_lost"


class ImageFileError(CameraError):
    """A still image file is missing, unreadable or not an image."""

    reason = "bad_image"


class FrameSource(Protocol):
    """Anything that hands out BGR uint8 frames."""

    def read(self) -> np.ndarray:
        """The next frame (H, W, 3) BGR uint8; raises CameraError when there is none."""
        ...

    def close(self) -> None: ...


def _device(spec: str | int) -> str | int:
    if isinstance(spec, int):
        return spec
    text = str(spec).strip()
    return int(text) if text.isdigit() else text


VIDEO_SUFFIXES = (".avi", ".mp4", ".mkv", ".mov", ".mjpg", ".mjpeg")
"""Files that ``open_source`` treats as a recorded camera rather than a still image."""


def _backend(device: str | int) -> int:
    """V4L2 for a camera index or /dev/video* on Linux; otherwise let OpenCV choose (a recorded clip, an
    rtsp:// or http:// stream of an IP camera)."""
    is_v4l2_node = isinstance(device, int) or device.startswith("/dev/")
    return cv2.CAP_V4L2 if is_v4l2_node and sys.platform.startswith("linux") else cv2.CAP_ANY


class OpenCVCamera:
    """A camera through ``cv2.VideoCapture``: an index (``0``) or a device path (``/dev/video0``) through
    V4L2; also a recorded clip or a stream URL (then OpenCV picks the backend), which is how the adapter
    itself is tested here, where no camera is attached."""

    def __init__(
        self, device: str | int = 0, width: int = 1280, height: int = 720, max_failures: int = 5
    ) -> None:
        self.device = _device(device)
        self.max_failures = max_failures
        self._failures = 0
        if (
            isinstance(self.device, str)
            and self.device.startswith("/dev/")
            and not os.path.exists(self.device)
        ):
            raise NoCameraError(f"No camera at {self.device}: the device does not exist (is it plugged in?).")
        self._cap = cv2.VideoCapture(self.device, _backend(self.device))
        if not self._cap.isOpened():
            self._cap.release()
            raise NoCameraError(
                f"The camera {self.device!r} could not be opened (missing, busy or no permission)."
            )
        self._cap.set(cv2.CAP_PROP_FRAME_WIDTH, width)
        self._cap.set(cv2.CAP_PROP_FRAME_HEIGHT, height)
        self._cap.set(cv2.CAP_PROP_BUFFERSIZE, 1)  # the newest frame, not a queue of old ones
        log.info(
            "camera %r open at %sx%s",
            self.device,
            self._cap.get(cv2.CAP_PROP_FRAME_WIDTH),
            self._cap.get(cv2.CAP_PROP_FRAME_HEIGHT),
        )

    def read(self) -> np.ndarray:
        while True:
            ok, frame = self._cap.read()
            if ok and frame is not None and frame.size:
                self._failures = 0
                return frame if frame.ndim == 3 else cv2.cvtColor(frame, cv2.COLOR_GRAY2BGR)
            self._failures += 1
            if self._failures >= self.max_failures:
                raise CameraLostError(
                    f"The camera {self.device!r} stopped sending pictures after {self._failures} tries "
                    "(unplugged?)."
                )

    def close(self) -> None:
        self._cap.release()


def load_image(path: str | Path) -> np.ndarray:
    """A BGR image from a file, or an ImageFileError naming what is wrong."""
    p = Path(path)
    if not p.exists():
        raise ImageFileError(f"The image file {p} does not exist.")
    if not p.is_file():
        raise ImageFileError(f"{p} is not a file.")
    try:
        raw = p.read_bytes()
    except OSError as exc:
        raise ImageFileError(f"The image file {p} cannot be read ({exc.strerror}).") from None
    if not raw:
        raise ImageFileError(f"The image file {p} is empty.")
    image = cv2.imdecode(np.frombuffer(raw, np.uint8), cv2.IMREAD_COLOR)
    if image is None or image.size == 0:
        raise ImageFileError(f"The file {p} is not an image OpenCV can read (corrupt or an unknown format).")
    return image


class StillImageSource:
    """A still image file that serves as a camera showing the same picture (tests, ``kiosk simulate``)."""

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        self._image = load_image(self.path)

    def read(self) -> np.ndarray:
        return self._image.copy()

    def close(self) -> None:
        pass


def open_source(spec: str | int, width: int = 1280, height: int = 720) -> FrameSource:
    """``vision.camera`` -> a source: an index, /dev/videoN, a stream URL or a video clip is a camera; any
    other path a still image."""
    device = _device(spec)
    if (
        isinstance(device, int)
        or device.startswith(("/dev/video", "rtsp://", "http://", "https://"))
        or device.lower().endswith(VIDEO_SUFFIXES)
    ):
        return OpenCVCamera(device, width, height)
    return StillImageSource(device)


def frame_to_rgb_bytes(frame: np.ndarray, flip_for_texture: bool = True) -> tuple[int, int, bytes]:
    """(width, height, RGB bytes) to blit into a Kivy texture: ``texture.blit_buffer(data, colorfmt="rgb",
    bufferfmt="ubyte")``. Kivy textures start at the bottom row, so rows are flipped unless told otherwise."""
    if frame.ndim == 2:
        rgb = cv2.cvtColor(frame, cv2.COLOR_GRAY2RGB)
    else:
        rgb = cv2.cvtColor(frame, cv2.COLOR_BGR2RGB)
    if flip_for_texture:
        rgb = cv2.flip(rgb, 0)
    h, w = rgb.shape[:2]
    return w, h, np.ascontiguousarray(rgb).tobytes()


OUTLINE_OK = (80, 200, 60)
"""BGR of the outline drawn when the frame is good (green: go)."""
OUTLINE_FIX = (0, 170, 255)
"""BGR of the outline drawn while something is still wrong (amber); the spoken hint and its icon say what."""


def draw_outline(frame: np.ndarray, corners: tuple[tuple[float, float], ...] | None, ok: bool) -> np.ndarray:
    """A copy of the preview frame with the document's outline drawn on it (thick, with corner dots), green
    when the frame is good and amber otherwise. Colour is never the only signal: the hint is spoken and shown
    too."""
    out = frame.copy()
    if corners is None:
        return out
    colour = OUTLINE_OK if ok else OUTLINE_FIX
    thickness = max(2, round(min(frame.shape[:2]) / 120))
    pts = np.round(np.array(corners, np.float32)).astype(np.int32).reshape(-1, 1, 2)
    cv2.polylines(out, [pts], True, colour, thickness, cv2.LINE_AA)
    for x, y in pts.reshape(-1, 2):
        cv2.circle(out, (int(x), int(y)), thickness * 2, colour, -1, cv2.LINE_AA)
    return out
