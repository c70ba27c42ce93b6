"""Ask the office about a ticket this kiosk does not have (issue 36: ticket look-up anywhere).

The ticket-status screen calls :meth:`OfficeAsker.ask` when a citizen types a ticket made at another kiosk (or
before this kiosk's SD card was replaced). A short-lived MQTT connection of its own (the uploader may run in
another process) subscribes to ``kiosk/v1/{device}/ans``, publishes a signed :class:`TicketAsk` on ``ask`` and
waits for the answer signed by the office key pinned on this kiosk. Offline, or with no answer within
``timeout_s``, the reply is None and the kiosk says "belum ada kabar"; nothing is stored either way.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from typing import Any

import paho.mqtt.client as mqtt

from layanan.config import Settings
from layanan.domain.envelope import EnvelopeError, topic
from layanan.domain.lookup import TicketAnswer, TicketAsk
from layanan.domain.request import new_msg_id
from layanan.link import connect_async, make_client
from layanan.security.crypto import verify

log = logging.getLogger(__name__)

ASK_TIMEOUT_S = 8.0
"""How long a citizen waits for the office: connecting (TLS over GPRS takes a few seconds) and the answer."""

Reply = Callable[[TicketAnswer | None], None]


class OfficeAsker:
    """Asks on a thread of its own; ``reply`` is called once, from that thread."""

    def __init__(
        self,
        settings: Settings,
        signer: Callable[[bytes], bytes],
        office_key: bytes,
        timeout_s: float = ASK_TIMEOUT_S,
    ) -> None:
        """``office_key``: the office's Ed25519 public key (raw) that signs answers; without it (b"") every
        question is answered None, as an answer could not be told from a forged one."""
        self.settings = settings
        self.device_id = settings.kiosk.device_id
        self._sign = signer
        self._office_key = office_key
        self.timeout_s = timeout_s

    def ask(self, ticket: str, lang: str, reply: Reply) -> None:
        threading.Thread(target=self._ask, args=(ticket, lang, reply), name="ask-office", daemon=True).start()

    def ask_now(self, ticket: str, lang: str) -> TicketAnswer | None:
        """Ask and wait (at most ``timeout_s``): the answer, or None."""
        if not self._office_key:
            log.warning(
                "ticket question not sent: no office key is pinned on this kiosk (kiosk-provision keys)"
            )
            return None
        question = TicketAsk(new_msg_id(), self.device_id, ticket, lang).signed(self._sign)
        answered = threading.Event()
        subscribed = threading.Event()
        answers: list[TicketAnswer] = []

        def on_connect(client: mqtt.Client, userdata: Any, flags: Any, reason: Any, props: Any) -> None:
            if reason.is_failure:
                log.warning("ticket question: the broker refused the connection (%s)", reason)
                return
            client.subscribe(topic(self.device_id, "ans"), qos=1)

        def on_message(client: mqtt.Client, userdata: Any, msg: mqtt.MQTTMessage) -> None:
            try:
                answer = TicketAnswer.from_bytes(bytes(msg.payload))
            except EnvelopeError as exc:
                log.warning("ignored a bad answer from the office: %s", exc)
                return
            if answer.msg_id != question.msg_id:
                return  # the answer to an earlier question, come late
            if not answer.verify(self.device_id, lambda m, s: verify(m, s, self._office_key)):
                log.warning("ignored an answer not signed by the office key pinned on this kiosk")
                return
            answers.append(answer)
            answered.set()

        client, address = make_client(
            f"kiosk-{self.device_id}-ask",
            self.settings.kiosk.broker_url,
            self.settings.mqtt,
            persistent=False,
        )
        client.on_connect = on_connect
        client.on_subscribe = lambda *args: subscribed.set()
        client.on_message = on_message
        deadline = time.monotonic() + self.timeout_s
        try:
            connect_async(client, address, self.settings.mqtt, persistent=False)
            client.loop_start()
            if not subscribed.wait(max(0.0, deadline - time.monotonic())):
                log.info("ticket question: the office's broker is not reachable now")
                return None
            client.publish(topic(self.device_id, "ask"), question.to_bytes(), qos=1)
            if not answered.wait(max(0.0, deadline - time.monotonic())):
                log.info("ticket question: no answer from the office within %.0f s", self.timeout_s)
                return None
            return answers[0]
        except (OSError, ValueError) as exc:
            log.warning("ticket question not sent (%s)", type(exc).__name__)
            return None
        finally:
            client.disconnect()
            client.loop_stop()

    def _ask(self, ticket: str, lang: str, reply: Reply) -> None:
        try:
            answer = self.ask_now(ticket, lang)
        except Exception:  # noqa: BLE001 - a failure here must still answer the citizen
            log.exception("ticket question failed")
            answer = None
        reply(answer)
