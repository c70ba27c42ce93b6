"""One contract for every Speaker the session speaks through: the headless one (``kiosk simulate``, the tests)
and the real prompt player, on an audio pack espeak-ng renders here and a stand-in ``sounddevice`` that plays at
a sound card's pace (no sound card here; tests/speech/test_prompts.py plays through real PortAudio and ALSA)."""

from __future__ import annotations

import contextlib
import dataclasses
import sys
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from kiosk.session import SilentSpeaker, Speaker
from kiosk.speech.prompts import AudioPack, PromptSpeaker
from layanan.domain.catalog import Catalog
from layanan.domain.prompts import PromptBook, load_pack
from tests.support.fake_sounddevice import SoundCard
from tests.support.waiting import wait_until

KEYS = ("digit:1", "digit:2")
LONG = tuple(f"digit:{d}" for d in "0123456789") * 2
"""A prompt of several seconds, to cut."""


@pytest.fixture(scope="module")
def pack_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The Indonesian pack's digit prompts (and the letters every pack has), rendered by espeak-ng as ``kiosk
    prompts`` does; the whole pack takes ten times as long."""
    root = tmp_path_factory.mktemp("prompts")
    pack = load_pack("id")
    digits = dataclasses.replace(
        pack, prompts={k: v for k, v in pack.prompts.items() if k.startswith("digit:")}
    )
    AudioPack(root).render(PromptBook(Catalog((), {}, {}, {}, ("id",)), digits), pack.tts_voice)
    return root


@dataclass
class Voiced:
    """A speaker and what can be seen of it from outside: how many prompts reached the room, and whether one is
    playing now."""

    speaker: Speaker
    voiced: Callable[[], int]
    playing: Callable[[], bool]


class Mute:
    """The microphone's mute as the prompt player holds it while a prompt plays."""

    def __init__(self) -> None:
        self.held = threading.Event()

    @contextlib.contextmanager
    def muted(self) -> Iterator[None]:
        self.held.set()
        try:
            yield
        finally:
            self.held.clear()


class TestSpeakerContract:
    @pytest.fixture(params=["silent", "prompts"])
    def voice(self, request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> Voiced:
        if request.param == "silent":
            silent = SilentSpeaker()
            return Voiced(silent, lambda: len(silent.said), lambda: False)
        card = SoundCard(paced=True)
        monkeypatch.setitem(sys.modules, "sounddevice", card)
        mute = Mute()
        speaker = PromptSpeaker(AudioPack(request.getfixturevalue("pack_dir")), mute.muted, echo_guard_s=0.0)
        return Voiced(speaker, lambda: len(card.opened), mute.held.is_set)

    def test_say_returns_at_once_and_the_prompt_reaches_the_room(self, voice: Voiced) -> None:
        start = time.monotonic()
        voice.speaker.say(KEYS, "id")
        assert time.monotonic() - start < 0.2  # the screen never waits for a prompt
        wait_until(lambda: voice.voiced() == 1, 5, "the prompt played")
        wait_until(lambda: not voice.playing(), 10, "the prompt ended")

    def test_hush_with_nothing_playing_is_harmless_and_speaking_goes_on(self, voice: Voiced) -> None:
        voice.speaker.hush()
        voice.speaker.hush()
        voice.speaker.say(KEYS, "id")
        wait_until(lambda: voice.voiced() == 1, 5, "the prompt after the hush played")

    def test_hush_ends_the_prompt_playing_at_once(self, voice: Voiced) -> None:
        voice.speaker.say(LONG, "id")
        wait_until(lambda: voice.voiced() == 1, 5, "the prompt started")
        start = time.monotonic()
        voice.speaker.hush()
        assert time.monotonic() - start < 0.2  # the talk button never waits for the sound card
        wait_until(lambda: not voice.playing(), 1, "the prompt stopped after the hush")

    def test_a_missing_clip_or_language_is_not_an_error_and_the_next_prompt_plays(
        self, voice: Voiced
    ) -> None:
        voice.speaker.say(("no.such.prompt",), "id")
        voice.speaker.say(KEYS, "xx")
        time.sleep(0.3)
        before = voice.voiced()
        voice.speaker.say(KEYS, "id")
        wait_until(lambda: voice.voiced() == before + 1, 5, "the next prompt played")
