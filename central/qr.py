"""Reading a kiosk's registration record from the QR picture ``kiosk-provision register`` writes, or a photo of it.

zxing-cpp decodes; Pillow reads the picture (PNG, or a phone's JPEG). Both are small wheels of the office extra;
the office never needs OpenCV for this.
"""

from __future__ import annotations

from pathlib import Path

PICTURE_MAGIC = (b"\x89PNG", b"\xff\xd8\xff")
"""PNG and JPEG: a record file that starts with one of these is a picture, not JSON."""


class QrError(ValueError):
    """The picture has no readable QR code; the message says what to try."""


def is_picture(path: Path) -> bool:
    with path.open("rb") as fh:
        head = fh.read(4)
    return any(head.startswith(magic) for magic in PICTURE_MAGIC)


def read_qr_text(path: Path) -> str:
    """The text of the one QR code in the picture at ``path``."""
    import zxingcpp
    from PIL import Image, UnidentifiedImageError

    try:
        with Image.open(path) as image:
            grey = image.convert("L")
    except (OSError, UnidentifiedImageError) as exc:
        raise QrError(f"cannot read the picture ({exc})") from None
    found = zxingcpp.read_barcodes(grey, formats=zxingcpp.BarcodeFormat.QRCode)
    if not found:
        raise QrError(
            "no QR code found in the picture; photograph it straight and whole, or import the .register.json "
            "written beside it"
        )
    if len(found) > 1:
        raise QrError(f"{len(found)} QR codes in the picture; crop it to one kiosk's code")
    return str(found[0].text)
