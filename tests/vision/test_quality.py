"""Each photographic fault yields its own hint; a good photo yields none."""

from __future__ import annotations

import pytest

from kiosk.vision.quality import HINTS, assess, small_gray
from tools.vision import synth

SIZES = [(1280, 720), (640, 480)]


def good(doc: str, size: tuple[int, int], bg: str = "wood"):
    fill = 0.4 if doc == "ktp" else 0.3
    return synth.render(doc, size=size, bg=bg, fill=fill, angle=6, tilt=0.06, seed=5).image


@pytest.mark.parametrize("size", SIZES)
@pytest.mark.parametrize(
    ("doc", "bg"), [("ktp", "wood"), ("ktp", "table"), ("letter", "cloth"), ("kk", "wood")]
)
def test_a_sharp_well_lit_centred_document_needs_no_hint(doc, bg, size):
    verdict = assess(good(doc, size, bg), doc)
    assert verdict.ok, verdict.hints
    assert verdict.hints == ("ok",)


FAULTS = {
    "blurry": lambda img, size: synth.blur(img, 2.5 if size[0] > 640 else 1.6),
    "too_dark": lambda img, size: synth.exposure(img, 0.3),
    "too_bright": lambda img, size: synth.exposure(img, 1.8, 40),
    "glare": lambda img, size: synth.glare(img, (size[0] // 2 + 20, size[1] // 2), size[0] // 30),
}


@pytest.mark.parametrize("size", SIZES)
@pytest.mark.parametrize("doc", ["ktp", "letter"])
@pytest.mark.parametrize("fault", sorted(FAULTS))
def test_each_fault_gets_its_own_hint_first(fault, doc, size):
    verdict = assess(FAULTS[fault](good(doc, size), size), doc)
    assert not verdict.ok
    assert verdict.hints[0] == fault, verdict.measures


@pytest.mark.parametrize("doc", ["ktp", "kk"])
def test_a_document_far_away_is_asked_to_come_closer(doc):
    img = synth.render(doc, size=(1280, 720), fill=0.08, seed=5).image
    verdict = assess(img, doc)
    assert verdict.hints[0] == "too_small"
    assert verdict.hint.spoken_id.startswith("Dekatkan")


def test_a_card_half_out_of_the_picture_is_asked_to_move_to_the_centre():
    img = synth.render("ktp", size=(640, 480), fill=0.4, shift=(0.0, 0.32), seed=5).image
    verdict = assess(img, "ktp")
    assert verdict.hints[0] == "cut_off"
    assert "tengah" in verdict.hint.spoken_id


def test_an_empty_table_asks_for_the_document():
    verdict = assess(synth.background("table", (640, 480)), "ktp")
    assert verdict.hints[0] == "no_document"


def test_a_shaken_camera_between_two_frames_says_dont_shake():
    img = good("ktp", (640, 480))
    previous = small_gray(img)
    verdict = assess(synth.shifted(img, 25, 10), "ktp", previous_small=previous)
    assert "motion" in verdict.hints
    assert HINTS["motion"].spoken_id == "Jangan goyang."
    still = assess(img, "ktp", previous_small=previous)
    assert still.ok


def test_every_hint_has_indonesian_and_english_text_and_an_icon():
    for hint in HINTS.values():
        assert hint.spoken_id and hint.spoken_en and hint.icon
        assert set(hint.to_dict()) == {"id", "id_text", "en_text", "icon"}
