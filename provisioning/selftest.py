"""``kiosk-provision selftest``: is this kiosk ready for citizens? One small check per part, in a table.

Each check returns PASS, WARN, FAIL or SKIP with what it saw and, when it is not PASS, what to do. Missing
hardware (no microphone, no camera on a technician's laptop) is a clear FAIL line, never a crash. The exit
status is 1 when any check fails. ``--only``/``--skip`` pick checks by name; ``--json`` prints the report as
JSON."""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import json
import math
import shutil
import subprocess
import threading
import time
import wave
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

from layanan.config import Settings
from layanan.security.crypto import KeyFileError, load_device_keys, load_office_verify_key
from provisioning.common import (
    BROKER_PASSWORD_FILE,
    ProvisionError,
    add_config_flag,
    config_path,
    keys_dir,
    models_dir,
    read_device_settings,
)
from provisioning.keys import read_password
from provisioning.models import installed

NO_CONFIG_FLAGS = True

PASS, WARN, FAIL, SKIP = "PASS", "WARN", "FAIL", "SKIP"
MIN_YEAR = 2025
"""The Pi has no real-time clock: a date before this means the clock was never set since boot."""


@dataclass(frozen=True)
class Result:
    name: str
    status: str
    detail: str
    fix: str = ""


@dataclass(frozen=True)
class Context:
    settings: Settings
    config: Path
    timeout_s: float = 10.0
    record_s: float = 1.0


Check = Callable[[Context], tuple[str, str, str]]


def check_identity(ctx: Context) -> tuple[str, str, str]:
    """The device id, village and kiosk code: without its own code a kiosk's tickets begin with 001 and collide
    with the office's kiosk 001 (tickets are unique within an office only through the code)."""
    k = ctx.settings.kiosk
    if not k.kiosk_code:
        return (
            FAIL,
            f"kiosk {k.device_id} has no kiosk code: its tickets would begin with 001, like another kiosk's",
            "ask the office for a free code ('kiosk-central devices' lists those in use), then"
            " 'kiosk-provision init --kiosk-code NNN'",
        )
    return PASS, f"kiosk {k.device_id}, code {k.kiosk_code}, village {k.village_code}", ""


def check_keys(ctx: Context) -> tuple[str, str, str]:
    kdir = keys_dir(ctx.settings)
    try:
        keys = load_device_keys(kdir)
        read_password(kdir / BROKER_PASSWORD_FILE)
        load_office_verify_key(kdir)
    except (KeyFileError, ProvisionError) as exc:
        return FAIL, str(exc).split(";")[0], "run 'kiosk-provision keys' with the office's files"
    return (
        PASS,
        f"signing key {keys.public_hex[:16]}..., office keys pinned (sealing, signing), broker password present",
        "",
    )


def check_clock(ctx: Context) -> tuple[str, str, str]:
    now = dt.datetime.now(dt.UTC)
    if now.year < MIN_YEAR:
        return (
            FAIL,
            f"the clock says {now:%Y-%m-%d %H:%M} UTC: never set since boot (the Pi has no battery clock)",
            "connect to the network so NTP sets it, or set it: sudo date -s 'YYYY-MM-DD HH:MM'",
        )
    synced = _run(["timedatectl", "show", "-p", "NTPSynchronized", "--value"])
    if synced == "no":
        return (
            WARN,
            f"{now:%Y-%m-%d %H:%M} UTC, not confirmed by NTP yet",
            "check the network; timedatectl status",
        )
    return PASS, f"{now:%Y-%m-%d %H:%M} UTC" + (" (NTP synchronized)" if synced == "yes" else ""), ""


def check_disk(ctx: Context) -> tuple[str, str, str]:
    path = ctx.settings.kiosk.data_dir
    probe = path if path.exists() else Path(path.anchor)
    usage = shutil.disk_usage(probe)
    free_mb = usage.free // 2**20
    detail = f"{free_mb} MB free of {usage.total // 2**20} MB at {probe}"
    if free_mb < 200:
        return (
            FAIL,
            detail,
            "free space: sudo journalctl --vacuum-size=32M; remove old files; or use a bigger SD card",
        )
    if free_mb < 1024:
        return WARN, detail, "less than 1 GB left: the queue and photos need room while offline"
    return PASS, detail, ""


def check_sd_card(ctx: Context) -> tuple[str, str, str]:
    hints: list[str] = []
    root_ro = any(
        line.split()[1] == "/" and "ro" in line.split()[3].split(",")
        for line in _read("/proc/mounts").splitlines()
    )
    if root_ro:
        return (
            FAIL,
            "the root file system is read-only (SD card errors?)",
            "back up the data dir and replace the SD card",
        )
    throttled = _run(["vcgencmd", "get_throttled"])
    if throttled and "=" in throttled:
        bits = int(throttled.split("=")[1], 16)
        if bits & 0x1:
            hints.append("under-voltage now")
        elif bits & 0x10000:
            hints.append("under-voltage since boot")
    life = _read("/sys/block/mmcblk0/device/life_time").split()
    if life and any(int(x, 16) >= 0x09 for x in life if x.startswith("0x")):
        hints.append(f"card reports wear {' '.join(life)}")
    if hints:
        return (
            WARN,
            "; ".join(hints),
            "use the official 5 V 3 A supply and an industrial / high-endurance SD card",
        )
    if not Path("/sys/block/mmcblk0").exists():
        return SKIP, "no SD card here (not a Raspberry Pi?)", ""
    return PASS, "root is writable, no under-voltage reported", ""


def check_microphone(ctx: Context) -> tuple[str, str, str]:
    """Records ``record_s`` the way the kiosk listens (``MicrophoneSource``: the configured device, 16 kHz
    int16, converted when the device refuses 16 kHz) and reports the level."""
    fix = "plug in the USB microphone; 'arecord -l' must list it (card kioskmic)"
    try:
        import numpy as np

        from kiosk.speech.mic import MicrophoneSource

        name = ctx.settings.speech.input_device
        mic = MicrophoneSource(name)
    except Exception as exc:  # MicrophoneUnavailable, or no PortAudio library at all
        return FAIL, f"no microphone found ({_short(exc)})", fix
    blocks: list[np.ndarray] = []
    deadline = time.monotonic() + ctx.record_s + 5.0
    try:
        for block in mic.blocks():
            blocks.append(block)
            if sum(len(b) for b in blocks) >= ctx.record_s * 16000 or time.monotonic() > deadline:
                break
    except Exception as exc:  # the microphone stopped delivering audio
        return FAIL, f"the microphone stopped ({_short(exc)})", fix
    finally:
        mic.close()
    audio = np.concatenate(blocks).astype(np.float64) / 32768.0 if blocks else np.zeros(0)
    rms = float(np.sqrt(np.mean(np.square(audio)))) if audio.size else 0.0
    level = 20 * math.log10(rms) if rms > 0 else -120.0
    detail = f"{name or 'the default input'}: {level:.0f} dBFS over {len(audio) / 16000:.1f} s"
    if level < -70:
        return WARN, detail + " (silent)", "unmute and raise the capture level: alsamixer -c kioskmic (F4)"
    if level > -3:
        return WARN, detail + " (clipping)", "lower the capture level: alsamixer -c kioskmic (F4)"
    return PASS, detail, ""


def check_speaker(ctx: Context) -> tuple[str, str, str]:
    """A tone played the way the kiosk plays its prompts: the configured device, the prompt pack's rate."""
    fix = "plug the speaker into the 3.5 mm jack and set speech.output_device; 'aplay -l' must list it"
    try:
        import numpy as np
        import sounddevice as sd

        from kiosk.speech.prompts import PACK_RATE, PromptSpeaker
    except Exception as exc:  # no PortAudio library
        return FAIL, f"no speaker output ({_short(exc)})", fix
    name = ctx.settings.speech.output_device
    speaker = PromptSpeaker(None, device=name, echo_guard_s=0.0)  # a tone, not the pack's prompts
    t = np.arange(PACK_RATE // 2) / PACK_RATE
    if not speaker.play((0.3 * 32767 * np.sin(2 * np.pi * 660 * t)).astype(np.int16), PACK_RATE):
        return FAIL, f"no speaker output ({speaker.last_error})", fix
    try:
        device = sd.query_devices(speaker.device, kind="output")["name"]
    except Exception:  # played, so the name is only for the report
        device = name or "the default output"
    how = f"{PACK_RATE} Hz mono"
    if speaker.output_format is not None:  # the device refused that: prompts are converted for it
        how = "{} Hz, {} channel(s), converted from {}".format(*speaker.output_format, how)
    return PASS, f"played a 0.5 s tone on {device} as prompts play ({how}): you should have heard it", ""


def check_camera(ctx: Context) -> tuple[str, str, str]:
    source = ctx.settings.vision.camera
    fix = "plug in the camera; 'ls /dev/video*' must list it (set vision.camera if it is not 0)"
    try:
        import cv2

        with contextlib.suppress(Exception):  # OpenCV's own warnings would drown the report
            cv2.utils.logging.setLogLevel(cv2.utils.logging.LOG_LEVEL_SILENT)
        cap = cv2.VideoCapture(int(source) if source.isdigit() else source)
        try:
            ok, frame = cap.read() if cap.isOpened() else (False, None)
        finally:
            cap.release()
    except Exception as exc:
        return FAIL, f"camera {source} failed ({_short(exc)})", fix
    if not ok or frame is None:
        return FAIL, f"no camera frame from {source}", fix
    height, width = frame.shape[:2]
    mean = float(frame.mean())
    if mean < 5:
        return WARN, f"{width}x{height} frame is black", "remove the lens cap, check the light"
    return PASS, f"{width}x{height} frame, mean brightness {mean:.0f}", ""


def check_touchscreen(ctx: Context) -> tuple[str, str, str]:
    fix = "check the DSI ribbon or the USB touch cable; 'libinput list-devices' must show a touchscreen"
    if not Path("/dev/input").is_dir():
        return FAIL, "no /dev/input at all: no input devices on this machine", fix
    names = [
        p.name for p in Path("/run/udev/data").glob("c13:*") if "ID_INPUT_TOUCHSCREEN=1" in _read(str(p))
    ]
    if names:
        return PASS, f"touchscreen present (udev {', '.join(sorted(names))})", ""
    blocks = _read("/proc/bus/input/devices").split("\n\n")
    touch = [b for b in blocks if "touch" in b.lower() or "ft5406" in b.lower()]
    if touch:
        name = next(
            (line.split("=", 1)[1].strip('"') for line in touch[0].splitlines() if line.startswith("N:")), "?"
        )
        return (
            WARN,
            f"{name} found but udev does not mark it as a touchscreen",
            "sudo udevadm trigger; then reboot",
        )
    return FAIL, "no touchscreen among the input devices", fix


def check_broker(ctx: Context) -> tuple[str, str, str]:
    import paho.mqtt.client as mqtt
    from paho.mqtt.enums import CallbackAPIVersion

    s = ctx.settings
    url = urlparse(s.kiosk.broker_url)
    tls = url.scheme == "mqtts"
    port = url.port or (8883 if tls else 1883)
    try:
        password = read_password(Path(s.mqtt.password_file)) if s.mqtt.password_file else None
    except ProvisionError as exc:
        return FAIL, str(exc).split(";")[0], "run 'kiosk-provision keys'"
    if not s.mqtt.username or password is None:
        return FAIL, "no broker user or password in the config", "run 'kiosk-provision keys'"
    protocol = mqtt.MQTTv5 if s.mqtt.protocol == "5" else mqtt.MQTTv311
    client = mqtt.Client(
        CallbackAPIVersion.VERSION2, client_id=f"{s.kiosk.device_id}-selftest", protocol=protocol
    )
    client.username_pw_set(s.mqtt.username, password)
    answered, outcome = threading.Event(), dict[str, object]()

    def on_answer(c: object, u: object, flags: object, reason: object, props: object = None) -> None:
        outcome.setdefault("reason", reason)  # a refused CONNACK, or the disconnect right after it
        answered.set()

    client.on_connect = on_answer
    client.on_disconnect = on_answer
    where = f"{url.hostname}:{port}"
    try:
        if tls:
            if not s.mqtt.ca_file:
                return FAIL, "mqtts:// without a pinned CA", "run 'kiosk-provision keys --ca-cert FILE'"
            client.tls_set(ca_certs=s.mqtt.ca_file)
        client.connect(url.hostname or "", port, keepalive=30)
    except Exception as exc:
        text = _short(exc)
        if "CERTIFICATE_VERIFY_FAILED" in text or "certificate" in text.lower():
            return (
                FAIL,
                f"TLS to {where} refused: {text}",
                "the pinned CA does not match the broker's; ask the office for its ca.crt",
            )
        return (
            FAIL,
            f"cannot reach {where}: {text}",
            "check the network / VPN and the broker URL (kiosk-provision init)",
        )
    client.loop_start()
    try:
        if not answered.wait(ctx.timeout_s):
            return (
                FAIL,
                f"{where} did not answer in {ctx.timeout_s:.0f} s",
                "check the network; the link may be very slow",
            )
        reason = outcome.get("reason")
        if getattr(reason, "is_failure", True):
            return (
                FAIL,
                f"{where} refused {s.mqtt.username}: {reason}",
                (
                    "the office must add this kiosk: bring its .passwd file and run 'kiosk-provision "
                    "broker-config --devices'"
                ),
            )
        connected = f"connected to {where} as {s.mqtt.username}" + (" over TLS" if tls else " WITHOUT TLS")
        return _office_verdict(ctx, connected)
    finally:
        client.disconnect()
        client.loop_stop()


def _office_verdict(ctx: Context, connected: str) -> tuple[str, str, str]:
    """The broker let the kiosk in; has the office itself refused it? The uploader stores the office's last
    refusal in the queue (kiosk/outbox/refusal.py): a kiosk the office has not imported fails here."""
    from kiosk.outbox.refusal import OFFICE, read_refusal

    refusal = read_refusal(ctx.settings.data_dir / "queue.db")
    if refusal is None or refusal.source != OFFICE:  # a broker refusal is over: the broker just let it in
        return PASS, connected, ""
    return (
        FAIL,
        f"{connected}, but the {refusal.describe(ctx.settings.site.time_zone)}".split(" - ")[0],
        refusal.fix,
    )


def check_models(ctx: Context) -> tuple[str, str, str]:
    """Speech in every configured language, loaded by the kiosk's own loader and run once on a synthesized
    utterance (so this cannot pass while speech fails), then the other installed models."""
    root = models_dir(ctx.settings)
    found = installed(root)
    loaded: list[str] = []
    for lang in ctx.settings.kiosk.languages if ctx.settings.speech.enabled else ():
        status, text, fix = _check_speech(ctx.settings, lang, root)
        if status == FAIL:
            return FAIL, text, fix
        loaded.append(text)
    used = _speech_dirs(ctx.settings)
    unused = [n for n, m in found.items() if m.is_speech and (root / n) not in used]
    failed = []
    for name, manifest in found.items():
        if manifest.is_speech:
            continue  # loaded above as speech loads it, or reported as not used
        try:
            LOADERS[manifest.kind](root / name)
            loaded.append(f"{name} ({manifest.kind} {manifest.version})")
        except Exception as exc:
            failed.append(f"{name}: {_short(exc)}")
    if failed:
        return (
            FAIL,
            "; ".join(failed),
            "install the model again (or kiosk-provision install-model --rollback NAME)",
        )
    detail = "loaded " + ", ".join(loaded) if loaded else "no speech language and no model installed"
    if unused:
        return (
            WARN,
            f"{detail}; {', '.join(unused)} installed but speech does not use it",
            f"point speech at it: kiosk-provision install-model {root / unused[0] / 'manifest.json'}",
        )
    return PASS, detail, ""


SPEECH_FIX = "install the model again: kiosk-provision install-model /media/usb/models/manifest.json"


def _check_speech(settings: Settings, lang: str, root: Path) -> tuple[str, str, str]:
    """Load ``lang``'s speech engine exactly as the kiosk does (kiosk/speech/engines.py) and hear one clip."""
    try:
        from kiosk.speech.engines import EngineUnavailable, load_recognizer, pack_for
    except ImportError as exc:
        return (
            FAIL,
            f"the kiosk's speech software cannot be imported ({_short(exc)})",
            "install the kiosk's wheel",
        )
    pack = pack_for(lang, settings)
    if pack.engine == "none":
        return PASS, f"{lang}: touch only (no speech model for it)", ""
    where = pack.manifest if pack.manifest is not None else pack.model
    fix = SPEECH_FIX
    if pack.model is not None and pack.model.is_relative_to(root):  # installed by install-model
        fix += f" (or --rollback {pack.model.relative_to(root).parts[0]})"
    try:
        recognizer = load_recognizer(pack)
        recognizer.recognize(_spoken_clip())
    except EngineUnavailable as exc:
        return FAIL, f"speech {lang} ({pack.engine}) fails with {where}: {exc}", fix
    except Exception as exc:  # loaded, but one utterance takes it down: the kiosk would fail the same way
        return (
            FAIL,
            f"speech {lang} ({pack.engine}) fails on a test utterance with {where}: {_short(exc)}",
            fix,
        )
    manifest = getattr(recognizer, "manifest", None)
    what = f"{manifest.name} {manifest.version}" if manifest is not None else str(pack.model)
    return PASS, f"speech {lang} ({pack.engine} {what})", ""


def _speech_dirs(settings: Settings) -> set[Path]:
    dirs = {Path(settings.speech.models_dir).expanduser()} if settings.speech.models_dir else set()
    return dirs | {Path(v.split("=", 1)[1].strip()).expanduser() for v in settings.speech.vosk_models}


def _spoken_clip() -> Any:
    """0.3 s of quiet, 0.6 s of a voiced vowel (150 Hz and its harmonics), 0.3 s of quiet: loud enough that
    the recognizer runs its model instead of skipping silence."""
    import numpy as np

    t = np.arange(int(0.6 * 16000)) / 16000
    voice = sum(np.sin(2 * np.pi * 150 * k * t) / k for k in range(1, 12)) * np.hanning(len(t))
    quiet = np.zeros(int(0.3 * 16000))
    return (np.concatenate([quiet, voice * 6000, quiet])).astype(np.int16)


def check_prompts(ctx: Context) -> tuple[str, str, str]:
    """Every spoken prompt of every configured language has its audio (``kiosk prompts`` renders them with
    espeak-ng; a staff recording counts too). A fresh kiosk has none: without them every screen is silent."""
    from kiosk import compose
    from kiosk.speech.prompts import AudioPack
    from layanan.domain.prompts import all_keys

    settings = ctx.settings
    pack = AudioPack(settings.data_dir / "prompts")
    missing: dict[str, int] = {}
    total = 0
    for code, book in compose.prompt_books(settings, compose.catalog(settings)).items():
        keys = set(all_keys(book.catalog, book.pack))
        total += len(keys)
        gaps = sum(pack.source(code, key) == "missing" for key in keys)
        if gaps:
            missing[code] = gaps
    if missing:
        counts = ", ".join(f"{n} of {code}" for code, n in missing.items())
        n = sum(missing.values())
        return (
            FAIL,
            f"{n} prompt{'s' if n != 1 else ''} missing ({counts}) in {pack.root}: those screens would be silent",
            f"render them (espeak-ng, about a minute): {prompts_command(ctx)}",
        )
    return PASS, f"all {total} prompts of {', '.join(settings.kiosk.languages)} present in {pack.root}", ""


def prompts_command(ctx: Context) -> str:
    """``kiosk prompts`` as the kiosk's user (the files must stay theirs), with this config."""
    import sys

    kiosk = Path(sys.executable).with_name("kiosk")
    command = f"{kiosk if kiosk.exists() else 'kiosk'} prompts --config {ctx.config}"
    data = ctx.settings.data_dir
    owner = data.owner() if data.exists() else "root"
    return f"sudo -u {owner} {command}" if owner != "root" else f"sudo {command}"


def _load_tflite(directory: Path) -> None:
    from ai_edge_litert.interpreter import Interpreter

    for model in directory.glob("*.tflite"):
        Interpreter(model_path=str(model)).allocate_tensors()


def _load_vosk(directory: Path) -> None:
    import vosk

    vosk.SetLogLevel(-1)
    vosk.Model(str(directory))


def _load_prompts(directory: Path) -> None:
    for path in directory.rglob("*.wav"):
        with wave.open(str(path)) as w:
            w.readframes(1)


LOADERS: dict[str, Callable[[Path], None]] = {
    "tflite": _load_tflite,
    "vosk": _load_vosk,
    "prompts": _load_prompts,
}

CHECKS: dict[str, Check] = {
    "identity": check_identity,
    "keys": check_keys,
    "clock": check_clock,
    "disk": check_disk,
    "sd-card": check_sd_card,
    "microphone": check_microphone,
    "speaker": check_speaker,
    "camera": check_camera,
    "touchscreen": check_touchscreen,
    "broker": check_broker,
    "models": check_models,
    "prompts": check_prompts,
}
"""Check name -> function; the report lists them in this order."""


def run_checks(ctx: Context, names: list[str]) -> list[Result]:
    results = []
    for name in names:
        try:
            status, detail, fix = CHECKS[name](ctx)
        except Exception as exc:  # a check must never take the report down with it
            status, detail, fix = FAIL, f"the check itself failed: {_short(exc)}", "report this with the log"
        results.append(Result(name, status, detail, fix))
    return results


def format_report(device_id: str, results: list[Result]) -> str:
    lines = [f"Self-test of kiosk {device_id}"]
    for r in results:
        lines.append(f"  {r.status:<4}  {r.name:<12} {r.detail}")
        if r.fix and r.status in (WARN, FAIL):
            lines.append(f"  {'':<4}  {'':<12} -> {r.fix}")
    failed = sum(r.status == FAIL for r in results)
    lines.append(f"{failed} failed, {sum(r.status == WARN for r in results)} warnings, {len(results)} checks")
    return "\n".join(lines)


def _read(path: str) -> str:
    try:
        return Path(path).read_text(errors="replace")
    except OSError:
        return ""


def _run(argv: list[str]) -> str:
    if shutil.which(argv[0]) is None:
        return ""
    try:
        return subprocess.run(argv, capture_output=True, text=True, timeout=10).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return ""


def _short(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
    return text[:160]


def _names(arg: str | None) -> list[str]:
    names = [n.strip() for n in (arg or "").split(",") if n.strip()]
    unknown = [n for n in names if n not in CHECKS]
    if unknown:
        raise ProvisionError(f"unknown check {unknown[0]!r}; the checks are: {', '.join(CHECKS)}")
    return names


def configure(parser: argparse.ArgumentParser) -> None:
    add_config_flag(parser)
    parser.add_argument("--only", help=f"comma-separated checks to run ({', '.join(CHECKS)})")
    parser.add_argument("--skip", help="comma-separated checks to leave out")
    parser.add_argument("--json", action="store_true", help="print the report as JSON")
    parser.add_argument("--timeout", type=float, default=10.0, help="seconds to wait for the broker (10)")


def run(args: argparse.Namespace, settings: Settings) -> int:
    import sys

    try:
        path = config_path(args)
        device = read_device_settings(path)
        only, skip = _names(args.only), _names(args.skip)
    except ProvisionError as exc:
        print(f"kiosk-provision selftest: {exc}", file=sys.stderr)
        return 2
    names = [n for n in (only or list(CHECKS)) if n not in skip]
    results = run_checks(Context(device, path, timeout_s=args.timeout), names)
    if args.json:
        print(
            json.dumps(
                {"device_id": device.kiosk.device_id, "checks": [asdict(r) for r in results]}, indent=2
            )
        )
    else:
        print(format_report(device.kiosk.device_id, results))
    return 1 if any(r.status == FAIL for r in results) else 0
