"""The committed pictograms exist, are well-formed 256x256 RGBA PNGs, and match what the generator draws."""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np
import pytest

from kiosk.ui.icons import ICON_DIR, ICON_IDS, UnknownIconError, icon_path
from tools.icons.make_icons import ICONS, main, render_icon

NAVY_BGR = np.array([0x41, 0x2A, 0x1B])


def load(path: Path) -> np.ndarray:
    image = cv2.imread(str(path), cv2.IMREAD_UNCHANGED)
    assert image is not None, (
        f"{path} is missing or not a readable image; run python -m tools.icons.make_icons"
    )
    return image


def test_icon_ids_are_unique_and_all_have_a_drawing() -> None:
    assert len(set(ICON_IDS)) == len(ICON_IDS)
    assert set(ICONS) == set(ICON_IDS)


@pytest.mark.parametrize("icon_id", ICON_IDS)
def test_icon_is_a_256_rgba_png_with_transparent_corners_and_navy_content(icon_id: str) -> None:
    path = icon_path(icon_id)
    assert path.parent == ICON_DIR and path.suffix == ".png"
    assert path.stat().st_size < 20_000, (
        f"{icon_id}.png is {path.stat().st_size} bytes; icons must stay small"
    )
    image = load(path)
    assert image.shape == (256, 256, 4), f"{icon_id}.png has shape {image.shape}"
    alpha = image[:, :, 3]
    for corner in (alpha[:4, :4], alpha[:4, -4:], alpha[-4:, :4], alpha[-4:, -4:]):
        assert corner.max() == 0, f"{icon_id}.png has an opaque corner; the background must be transparent"
    opaque = alpha == 255
    assert 0.08 < opaque.mean() < 0.85, f"{icon_id}.png covers {opaque.mean():.0%} of its area"
    navy = np.all(np.abs(image[:, :, :3].astype(int) - NAVY_BGR) <= 6, axis=2) & opaque
    if icon_id not in ("ya", "tidak"):  # these two are a solid green / red disc with a white mark
        assert navy.sum() > 400, (
            f"{icon_id}.png has almost no navy; every icon is drawn in navy plus one accent"
        )
    colours = {tuple(c) for c in image[opaque][:, :3]}
    assert len(colours) >= 2, f"{icon_id}.png is a single flat colour, not a pictogram"


def test_unknown_icon_id_is_refused_with_the_known_ids_named() -> None:
    with pytest.raises(UnknownIconError, match="unknown icon id 'ktpp'.*ktp_new"):
        icon_path("ktpp")


def test_regenerating_an_icon_gives_the_committed_pixels(tmp_path: Path) -> None:
    assert main(["--out", str(tmp_path), "--only", "kk_new"]) == 0
    fresh = load(tmp_path / "kk_new.png")
    committed = load(icon_path("kk_new"))
    differing = int(np.count_nonzero(np.any(fresh != committed, axis=2)))
    assert differing == 0, (
        f"{differing} pixels of kk_new.png differ from a fresh drawing: the drawing code changed "
        "(or OpenCV did) without regenerating; run python -m tools.icons.make_icons and commit the PNGs"
    )
    assert np.array_equal(render_icon("kk_new"), fresh)


def test_generator_refuses_an_unknown_id(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--out", str(tmp_path), "--only", "no_such_icon"]) == 2
    assert "no_such_icon" in capsys.readouterr().err
    assert not list(tmp_path.iterdir())


def test_every_pictogram_the_shipped_catalog_names_is_drawn_and_documents_use_document_ones() -> None:
    from kiosk.ui.icons import DOCUMENT_ICONS
    from layanan.domain.catalog import load_catalog

    catalog = load_catalog()
    named = {c.icon for c in catalog.categories} | {s.icon for s in catalog.services.values()}
    named |= {o.icon for f in catalog.fields.values() for o in f.options} | {
        f.icon for f in catalog.fields.values()
    }
    documents = {d.id: d.icon for d in catalog.documents.values()}
    assert named | set(documents.values()) <= set(ICON_IDS)
    assert all(icon in DOCUMENT_ICONS for icon in documents.values()), documents
    assert len(set(documents.values())) == len(documents), "each document has a picture of its own"


def test_every_document_pictogram_matches_a_fresh_drawing() -> None:
    from kiosk.ui.icons import DOCUMENT_ICONS

    stale = [i for i in DOCUMENT_ICONS if not np.array_equal(render_icon(i), load(icon_path(i)))]
    assert not stale, f"{stale} differ from tools/icons/documents.py; run python -m tools.icons.make_icons"
