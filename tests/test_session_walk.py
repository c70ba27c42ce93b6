"""Random taps, words and shell events through the real flow, session and SQLite queue: whatever a citizen (or
the room) does, the kiosk never crashes, says only what its language packs can say, and keeps its invariants.
A free walk stays near the first screens, so bursts of random events also start from every step of every
shipped scenario (review, camera, ticket). Found the ticket-status look-up crashing under ``kiosk simulate``."""

from __future__ import annotations

import random
from pathlib import Path

import pytest

from kiosk.outbox.store import LocalQueue
from kiosk.session import KioskSession, SilentSpeaker
from kiosk.simulate import RecordingQueue, attach_still_camera, load_scenario, play
from layanan.domain.catalog import load_catalog
from layanan.domain.events import (
    CameraFailed,
    CameraHint,
    Captured,
    Event,
    Idle,
    Presence,
    RoomBusy,
    Spoken,
    Tap,
    VoiceUnavailable,
)
from layanan.domain.flow import NUMERIC_KINDS, Flow
from layanan.domain.prompts import PromptBook, load_pack
from layanan.domain.words import COMMANDS, DIGITS

SCENARIOS = sorted((Path(__file__).parent / "scenarios").glob("*.json"))

NOISE_WORDS = ("<other>", "halo", "ktp", "surat", "", "ulang ulang", "tidak ya")


def random_event(rng: random.Random, flow: Flow, session: KioskSession) -> Event:
    state = session.state
    roll = rng.random()
    if roll < 0.6:
        return Tap(rng.choice(flow.targets(state)))
    if roll < 0.85:
        words = list(flow.vocabulary(state)) + list(DIGITS) + list(COMMANDS) + list(NOISE_WORDS)
        return Spoken(
            " ".join(rng.choice(words) for _ in range(rng.randint(0, 5))).strip(), rng.random() < 0.5
        )
    return rng.choice(
        [
            Idle(rng.choice([1.0, 30.0, 90.0, 400.0])),
            Presence(),
            RoomBusy(),
            VoiceUnavailable(rng.choice(["microphone", "model"]), asked=rng.random() < 0.5),
            CameraFailed("unplugged"),
            # the camera thread's news can arrive late, after the citizen left the camera screen
            CameraHint(rng.choice(["too_small", "motion"])),
            Captured(rng.choice(sorted(flow.catalog.documents)), f"att-{rng.randrange(1000)}"),
        ]
    )


class Walk:
    """One flow and queue; sessions on them take random events and are checked after each."""

    def __init__(self, tmp_path: Path) -> None:
        catalog = load_catalog()
        self.flow = Flow(catalog)
        self.books = {lang: PromptBook(catalog, load_pack(lang)) for lang in self.flow.languages}
        self.queue = LocalQueue(tmp_path / "q.db", seal=lambda b: b"sealed:" + b)
        self.screens: set[str] = set()

    def session(self) -> KioskSession:
        session = KioskSession(self.flow, RecordingQueue(self.queue), SilentSpeaker())
        session.start()
        return session

    def random_steps(self, session: KioskSession, rng: random.Random, count: int) -> None:
        for n in range(count):
            event = random_event(rng, self.flow, session)
            step = session.dispatch(event)
            state = session.state
            self.screens.add(state.screen)
            book = self.books[state.lang]
            book.sentence(step.say)  # every key said has text in the pack (KeyError otherwise)
            book.sentence(self.flow.prompt(state))
            if state.service:  # only this service's documents are marked or photographed
                wanted = set(self.flow.catalog.services[state.service].documents)
                assert set(state.documents) <= wanted and set(state.photos) <= wanted, (n, event)
            if state.screen == "field" and state.service:
                spec = self.flow.current_field(state)
                if spec.kind in NUMERIC_KINDS:
                    assert state.entry.isdigit() or state.entry == "", (n, event, state.entry)
                    assert len(state.entry) <= spec.max_len, (n, event, state.entry)
                    assert sum(state.groups) <= len(state.entry), (n, event, state.groups, state.entry)


def no_speech(path: Path, state: object, holds: object) -> str:
    raise AssertionError(f"shipped touch scenarios speak no WAV, yet {path} was spoken")


@pytest.mark.parametrize("seed", range(3))
def test_a_free_random_walk_never_crashes_and_says_only_known_prompts(tmp_path: Path, seed: int):
    walk = Walk(tmp_path)
    walk.random_steps(walk.session(), random.Random(seed), 1500)
    assert {"attract", "language", "category", "service", "field", "status"} <= walk.screens, walk.screens


@pytest.mark.parametrize("path", SCENARIOS, ids=lambda p: p.stem)
def test_random_events_from_every_step_of_a_scenario_never_crash(tmp_path: Path, path: Path):
    walk = Walk(tmp_path)
    events = load_scenario(path)["events"]
    for cut in range(len(events) + 1):
        session = walk.session()
        play(session, events[:cut], path.parent, no_speech, attach_still_camera(session))
        walk.screens.add(session.state.screen)
        walk.random_steps(session, random.Random(f"{path.stem}:{cut}"), 25)
    assert {"review", "ticket"} <= walk.screens, walk.screens
