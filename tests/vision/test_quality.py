"""Each photographic fault yields its own hint; a good photo yields none; every hint is said in every language."""

from __future__ import annotations

from importlib import resources

import pytest

from kiosk.vision.quality import HINTS, assess, small_gray
from layanan.domain.prompts import load_pack
from tools.vision import synth

SIZES = [(1280, 720), (640, 480)]
LANG_DIR = resources.files("layanan").joinpath("data/lang")
PACKS = sorted(f.name.removesuffix(".toml") for f in LANG_DIR.iterdir() if f.name.endswith(".toml"))
"""Every language pack the kiosk ships."""
SAID = load_pack("id").prompts
"""What the Indonesian pack says for each prompt key: what citizens hear."""


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
    assert SAID[verdict.hint.key].startswith("Dekatkan")


def test_a_card_half_out_of_the_picture_is_asked_to_move_to_the_centre():
    img = synth.render("ktp", size=(640, 480), fill=0.4, shift=(0.0, 0.32), seed=5).image
    verdict = assess(img, "ktp")
    assert verdict.hints[0] == "cut_off"
    assert "tengah" in SAID[verdict.hint.key]


def test_an_empty_table_asks_for_the_document():
    verdict = assess(synth.background("table", (640, 480)), "ktp")
    assert verdict.hints[0] == "no_document"


def test_a_shaken_camera_between_two_frames_says_dont_shake():
    img = good("ktp", (640, 480))
    previous = small_gray(img)
    verdict = assess(synth.shifted(img, 25, 10), "ktp", previous_small=previous)
    assert "motion" in verdict.hints
    assert SAID[HINTS["motion"].key].startswith("Jangan goyang.")
    still = assess(img, "ktp", previous_small=previous)
    assert still.ok


def test_the_shipped_language_packs_are_found():
    assert {"id", "en"} <= set(PACKS)


@pytest.mark.parametrize("code", PACKS)
def test_every_hint_key_has_a_sentence_in_every_language_pack(code):
    prompts = load_pack(code).prompts
    missing = [hint.key for hint in HINTS.values() if not prompts.get(hint.key, "").strip()]
    assert not missing, f"layanan/data/lang/{code}.toml has no sentence for {missing}"


@pytest.mark.parametrize("code", PACKS)
def test_no_language_pack_keeps_a_sentence_for_a_hint_that_does_not_exist(code):
    flow_own = {"camera.capturing", "camera.taken"}
    hint_keys = {hint.key for hint in HINTS.values()}
    stale = [k for k in load_pack(code).prompts if k.startswith("camera.") and k not in hint_keys | flow_own]
    assert not stale, f"layanan/data/lang/{code}.toml: {stale}"


def test_a_hint_carries_its_key_and_icon_and_no_sentence_of_its_own():
    for hint in HINTS.values():
        assert hint.icon and hint.key == f"camera.{hint.id}"
        assert hint.to_dict() == {"id": hint.id, "key": hint.key, "icon": hint.icon}
        assert hint.to_dict({hint.key: "kalimat"})["text"] == "kalimat"
