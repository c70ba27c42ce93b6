"""A raw QoS 1 subscriber for the outbox benchmark's baseline: count N messages on a topic, then print the time.

``python -m tools.bench.outbox_sink PORT TOPIC N`` prints ``ready`` once subscribed and ``done SECONDS`` (from the
first message to the N-th) when all have arrived.
"""

from __future__ import annotations

import sys
import threading
import time

import paho.mqtt.client as mqtt
from paho.mqtt.enums import CallbackAPIVersion

from layanan.link import set_nodelay


def main(argv: list[str]) -> int:
    port, topic, n = int(argv[0]), argv[1], int(argv[2])
    got = 0
    first = 0.0
    done = threading.Event()
    subscribed = threading.Event()

    def on_message(client: mqtt.Client, userdata: object, msg: mqtt.MQTTMessage) -> None:
        nonlocal got, first
        if got == 0:
            first = time.perf_counter()
        got += 1
        if got >= n:
            done.set()

    def on_connect(
        client: mqtt.Client, userdata: object, flags: object, reason: object, props: object
    ) -> None:
        set_nodelay(client)
        client.subscribe(topic, qos=1)

    client = mqtt.Client(CallbackAPIVersion.VERSION2, client_id="bench-sink", protocol=mqtt.MQTTv5)
    client.on_message = on_message
    client.on_connect = on_connect
    client.on_subscribe = lambda *a: subscribed.set()
    client.connect("127.0.0.1", port)
    client.loop_start()
    if not subscribed.wait(10):
        print("error not subscribed", flush=True)
        return 1
    print("ready", flush=True)
    ok = done.wait(120)
    print(f"done {time.perf_counter() - first:.6f}" if ok else f"error only {got} of {n}", flush=True)
    client.disconnect()
    client.loop_stop()
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
