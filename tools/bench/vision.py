"""``kiosk bench vision [--json] [--quick]``: how fast and how small document capture is on this machine.

Measures, on generated scenes (tools/vision/synth.py, so a source checkout is needed):
- per-frame time of the quality checks (detection included) and of detection plus warp, on the full frame, at
  640x480 and 1280x720, and of ``CaptureSession.feed`` (which analyses a copy scaled to 640 wide);
- encoded size, quality and legibility (text SSIM, edge F1) per document kind;
- presence detector time per frame;
- document detection on the held-out scene families (tools/vision/families.py), per family: found, corners
  within 2 % of the diagonal, wrong but sure, unsure, blurred refused; the shipped detector and, with
  ``--mask-model``, the learned one beside it; and the analysis time of a 640x480 frame on one core;
- upload time of the encoded card as raw 32 KB MQTT QoS 1 publishes (each waited for its PUBACK) to a private
  mosquitto through a throttled local TCP proxy: GPRS-like 40 kbit/s and VSAT-like 2 Mbit/s, both with 0.5 s
  round trip. This is *not* the outbox's sealed, application-acknowledged chunk upload (that lives in the
  outbox); it is the link cost of the same bytes.
"""

from __future__ import annotations

import argparse
import json
import math
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import cv2

from layanan.config import Settings
from tools.bench import machine

NO_CONFIG_FLAGS = True
CHUNK = 32 * 1024


def configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--json", action="store_true", help="print one JSON document")
    parser.add_argument(
        "--quick",
        action="store_true",
        help="fewer repetitions; upload only the encoded card over the VSAT link",
    )
    parser.add_argument(
        "--mask-model",
        help="also score the learned detector (tools/vision/learned.py) with this mask model on the held-out families",
    )


def _time(fn: Any, reps: int) -> dict[str, float]:
    """Wall-clock and CPU time per call (process CPU time, all threads: steadier on a busy machine)."""
    fn()  # warm-up
    wall, cpu = [], []
    for _ in range(reps):
        t, c = time.perf_counter(), time.process_time()
        fn()
        wall.append((time.perf_counter() - t) * 1000)
        cpu.append((time.process_time() - c) * 1000)
    return {
        "median_ms": round(statistics.median(wall), 2),
        "max_ms": round(max(wall), 2),
        "median_cpu_ms": round(statistics.median(cpu), 2),
    }


def _frame_timings(reps: int) -> dict[str, Any]:
    from kiosk.vision.capture import CaptureSession
    from kiosk.vision.detect import find_document
    from kiosk.vision.flatten import warp
    from kiosk.vision.quality import assess
    from tools.vision import synth

    out: dict[str, Any] = {}
    for size in ((640, 480), (1280, 720)):
        image = synth.render("ktp", size=size, bg="wood", fill=0.4, angle=5, tilt=0.05, seed=1).image
        key = f"{size[0]}x{size[1]}"
        session = CaptureSession("ktp", stable_frames=10**6)  # never captures: per-frame cost only
        out[key] = {
            "capture_session_feed": _time(lambda image=image, s=session: s.feed(image), reps),
            "quality_checks": _time(lambda image=image: assess(image, "ktp"), reps),
            "detect_and_warp": _time(
                lambda image=image: warp(image, find_document(image, "ktp"), "ktp"), reps
            ),
        }
    return out


def _encodings() -> dict[str, Any]:
    from kiosk.vision.pipeline import capture_document
    from tools.vision import synth

    out: dict[str, Any] = {}
    for doc, fill, size in (
        ("ktp", 0.45, (1280, 720)),
        ("kk", 0.3, (1280, 720)),
        ("letter", 0.3, (1280, 720)),
    ):
        image = synth.render(doc, size=size, bg="wood", fill=fill, angle=5, tilt=0.05, seed=2).image
        t = time.perf_counter()
        cap = capture_document(image, doc)
        e = cap.encoded
        out[doc] = {
            **e.to_dict(),
            "capture_ms": round((time.perf_counter() - t) * 1000, 1),
            "target_bytes": 60_000 if doc == "ktp" else 150_000,
        }
        out[doc].pop("sha256")
    return out


def _presence(reps: int) -> dict[str, Any]:
    from kiosk.vision.presence import BlazeFaceDetector
    from tools.vision import synth

    det = BlazeFaceDetector()
    frame = synth.render("ktp", size=(640, 480)).image
    return {"blazeface_640x480": _time(lambda: det.max_score(frame), reps)}


def _analysis_one_core(frames: int) -> dict[str, Any]:
    """``CaptureSession.feed`` on 640x480 held-out scenes with OpenCV on one thread:
    median and 95th percentile over different frames, wall and process CPU time."""
    from kiosk.vision.capture import CaptureSession
    from tools.vision import families

    scenes = [
        families.family_scene(f, i, size=(640, 480)).image
        for f in families.split("held_out")
        for i in range(max(1, frames // 4))
    ]
    threads = cv2.getNumThreads()
    cv2.setNumThreads(1)
    try:
        session = CaptureSession("ktp", stable_frames=10**6)
        session.feed(scenes[0])  # warm-up
        wall, cpu = [], []
        for image in scenes:
            t, c = time.perf_counter(), time.process_time()
            session.feed(image)
            wall.append((time.perf_counter() - t) * 1000)
            cpu.append((time.process_time() - c) * 1000)
    finally:
        cv2.setNumThreads(threads)
    return {
        "frames": len(scenes),
        "median_ms": round(statistics.median(wall), 2),
        "p95_ms": round(sorted(wall)[int(0.95 * (len(wall) - 1))], 2),
        "median_cpu_ms": round(statistics.median(cpu), 2),
        "p95_cpu_ms": round(sorted(cpu)[int(0.95 * (len(cpu) - 1))], 2),
        "target_ms": 20,
    }


def _held_out(scenes: int, mask_model: str | None) -> dict[str, Any]:
    from kiosk.vision.detect import CONFIDENCE_MIN, find_document
    from tools.vision import evaluate, families

    fams = families.split("held_out")
    out: dict[str, Any] = {
        "what": "generated scenes of families never tuned or trained on; a scene is found when the detector "
        "returns an outline it is sure of, within 2 % when every corner is within 2 % of the frame diagonal",
        "targets": {"found": 0.99, "within_2pct": 0.98, "blurred_refused": 1.0, "analysis_ms_640": 20},
        "detector": "classical (kiosk.vision.detect.find_document)",
        "confidence_min": CONFIDENCE_MIN,
        "scenes_per_family": scenes,
    }
    detectors: dict[str, evaluate.Detector] = {"shipped": find_document}
    if mask_model:
        detectors["learned"] = evaluate.learned_detector(mask_model)
    for name, detect in detectors.items():
        rows = evaluate.evaluate(fams, scenes, detect)
        for row in rows:
            row["failures"] = row["failures"][:10]
            row["met"] = row["found"] >= 0.99 and row["within_2pct"] >= 0.98 and row["blurred_refused"] == 1.0
        out[name] = {row["family"]: row for row in rows}
    return out


def _send(port: int, link_name: str, chunks: list[bytes], pipelined: bool) -> tuple[float, float]:
    """(connect s, send s): one chunk at a time, each PUBACK awaited, or all at once and then wait."""
    import paho.mqtt.client as mqtt

    client = mqtt.Client(
        mqtt.CallbackAPIVersion.VERSION2, client_id=f"bench-{link_name}", protocol=mqtt.MQTTv5
    )
    t0 = time.perf_counter()
    client.connect("127.0.0.1", port, keepalive=120)
    client.loop_start()
    try:
        deadline = time.monotonic() + 30
        while not client.is_connected():
            if time.monotonic() > deadline:
                raise TimeoutError(f"no CONNACK within 30 s on {link_name}")
            time.sleep(0.01)
        t_conn = time.perf_counter()
        infos = []
        for i, chunk in enumerate(chunks):
            infos.append(client.publish(f"kiosk/v1/bench/att/x/{i}", chunk, qos=1))
            if not pipelined:
                infos[-1].wait_for_publish(timeout=120)
        for i, info in enumerate(infos):
            info.wait_for_publish(timeout=120)
            if not info.is_published():
                raise TimeoutError(f"chunk {i} not acknowledged within 120 s on {link_name}")
        return t_conn - t0, time.perf_counter() - t_conn
    finally:
        client.disconnect()
        client.loop_stop()


def _upload(sizes: dict[str, int], quick: bool) -> dict[str, Any]:
    from tools.net import GPRS, VSAT, BrokerError, Proxy, start_mosquitto

    out: dict[str, Any] = {
        "what": "raw QoS 1 publishes of 32 KB chunks via a token-bucket proxy to a private mosquitto, "
        "until every PUBACK is back; send_s waits for each chunk's PUBACK before the next (stop and wait), "
        "pipelined_s publishes all and then waits. Not the outbox's sealed, application-acknowledged chunks."
    }
    with tempfile.TemporaryDirectory() as tmp:
        try:
            broker = start_mosquitto(Path(tmp) / "broker")
        except BrokerError as exc:
            return {"skipped": f"needs mosquitto: {exc}"}
        try:
            for link in (VSAT,) if quick else (GPRS, VSAT):
                results = {}
                for label, nbytes in sizes.items():
                    n = max(1, math.ceil(nbytes / CHUNK))
                    chunks = [bytes([i % 256]) * min(CHUNK, nbytes - i * CHUNK) for i in range(n)]
                    row: dict[str, Any] = {"bytes": nbytes, "chunks": n}
                    for pipelined in (False, True) if n > 1 else (False,):
                        with Proxy(broker.port, link) as proxy:
                            connect_s, send_s = _send(proxy.port, link.name, chunks, pipelined)
                        row["connect_s"] = round(connect_s, 2)
                        row["pipelined_s" if pipelined else "send_s"] = round(send_s, 2)
                    results[label] = row
                out[link.name] = {"bits_per_s": link.bits_per_s, "rtt_s": link.rtt_s, "results": results}
        finally:
            broker.stop()
    return out


def run(args: argparse.Namespace, settings: Settings) -> int:
    reps = 5 if args.quick else 20
    report: dict[str, Any] = {
        "machine": {
            **machine(),
            "opencv": cv2.__version__,
            "opencv_threads": cv2.getNumThreads(),
        },
        "frame": _frame_timings(reps),
    }
    print("vision bench: frame timings done", file=sys.stderr)
    report["encoding"] = _encodings()
    report["presence"] = _presence(reps)
    report["held_out"] = _held_out(10 if args.quick else 100, args.mask_model)
    report["held_out"]["analysis_640x480_one_core"] = _analysis_one_core(8 if args.quick else 40)
    print("vision bench: held-out families done", file=sys.stderr)
    card = report["encoding"]["ktp"]["bytes"]
    sizes = {"encoded_card": card}
    if not args.quick:
        sizes |= {"card_at_target_60KB": 60_000, "page_at_target_150KB": 150_000}
    print("vision bench: uploading over throttled links (GPRS takes a while)", file=sys.stderr)
    report["upload"] = _upload(sizes, args.quick)
    if args.json:
        print(json.dumps(report, indent=2))
    else:
        print(json.dumps(report, indent=1))
    return 0
