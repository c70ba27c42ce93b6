"""The tooling's network plumbing: the proxy carries MQTT bytes intact to a real private mosquitto through a slow
link, and a cut drops every connection while new ones still get through."""

from __future__ import annotations

import socket
import threading
from pathlib import Path

import paho.mqtt.client as mqtt
import pytest

from tools.net import BrokerError, Link, Mosquitto, Proxy, free_port


def test_chunks_published_through_the_throttled_proxy_arrive_byte_for_byte(mosquitto: Mosquitto) -> None:
    received: dict[str, bytes] = {}
    done = threading.Event()
    chunks = {
        f"kiosk/v1/dev/att/m1/{i}": bytes((i * 7 + j) % 256 for j in range(32 * 1024)) for i in range(3)
    }

    def on_message(client, userdata, msg):  # type: ignore[no-untyped-def]
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
    with Proxy(mosquitto.port, link) as proxy:
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


def test_a_cut_closes_every_connection_and_the_next_one_gets_through() -> None:
    with socket.create_server(("127.0.0.1", 0)) as server, Proxy(server.getsockname()[1]) as proxy:
        server.settimeout(5)
        first = socket.create_connection(("127.0.0.1", proxy.port), timeout=5)
        upstream, _ = server.accept()
        upstream.settimeout(5)  # an accepted socket has no timeout of its own
        first.sendall(b"hello")
        assert upstream.recv(5) == b"hello"
        proxy.cut()
        assert first.recv(5) == b""  # the client sees its link drop
        assert proxy.cuts == 1
        second = socket.create_connection(("127.0.0.1", proxy.port), timeout=5)
        again, _ = server.accept()
        again.settimeout(5)
        again.sendall(b"back")
        assert second.recv(4) == b"back"
        for s in (first, upstream, second, again):
            s.close()


def test_a_broker_that_cannot_start_is_a_clear_error_with_its_log(tmp_path: Path) -> None:
    broker = Mosquitto(tmp_path / "broker", ["no_such_option true"])
    with pytest.raises(BrokerError, match="did not start") as info:
        broker.start(timeout=10)
    assert "no_such_option" in str(info.value)  # mosquitto's own complaint, from its log
    assert broker.proc is None


def test_a_free_port_is_one_nothing_listens_on() -> None:
    port = free_port()
    with pytest.raises(ConnectionRefusedError):
        socket.create_connection(("127.0.0.1", port), timeout=2)
