"""The throttled link proxy used by the vision bench carries MQTT bytes intact to a real private mosquitto."""

from __future__ import annotations

import threading

import paho.mqtt.client as mqtt

from tools.bench.throttle import Link, ThrottledProxy


def test_chunks_published_through_the_throttled_proxy_arrive_byte_for_byte(mosquitto):
    received: dict[str, bytes] = {}
    done = threading.Event()
    chunks = {
        f"kiosk/v1/dev/att/m1/{i}": bytes((i * 7 + j) % 256 for j in range(32 * 1024)) for i in range(3)
    }

    def on_message(client, userdata, msg):
        received[msg.topic] = msg.payload
        if len(received) == len(chunks):
            done.set()

    sub = mqtt.Client(mqtt.CallbackAPIVersion.VERSION2, client_id="central-test", protocol=mqtt.MQTTv5)
    subscribed = threading.Event()
    sub.on_message = on_message
    sub.on_subscribe = lambda *a: subscribed.set()
    sub.connect("127.0.0.1", mosquitto.port)
    sub.subscribe("kiosk/v1/dev/att/#", qos=1)
    sub.loop_start()
    assert subscribed.wait(10)
    link = Link("test-1mbit", 1_000_000, 0.1)
    with ThrottledProxy(("127.0.0.1", mosquitto.port), link) as proxy:
        pub = mqtt.Client(mqtt.CallbackAPIVersion.VERSION2, client_id="kiosk-test", protocol=mqtt.MQTTv5)
        pub.connect("127.0.0.1", proxy.port)
        pub.loop_start()
        try:
            for topic, payload in chunks.items():
                info = pub.publish(topic, payload, qos=1)
                info.wait_for_publish(timeout=30)
                assert info.is_published()
        finally:
            pub.disconnect()
            pub.loop_stop()
    assert done.wait(30)
    sub.disconnect()
    sub.loop_stop()
    assert received == chunks
