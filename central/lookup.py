"""The office answers kiosks that ask about a ticket made at another kiosk (issue 36; ``kiosk/v1/{device}/ask``).

A kiosk asks when a citizen types a ticket its own queue does not have. The receiver hands each question here; a
thread of its own answers it, so a question never waits behind a large batch of requests. The answer goes to
``kiosk/v1/{device}/ans``, signed by the office key for that device, and holds no personal data: whether the office
has the ticket, its service, the status the kiosk was last told and the day it was received.

Only registered, enabled kiosks whose question carries their own signature get an answer, and only about tickets
this office holds. An old code (``K-0427``, unique per kiosk only) is answered only for the kiosk that issued it.
Nothing here writes to the database.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import logging
import queue
import threading
from collections.abc import Callable
from zoneinfo import ZoneInfo

from central.store import CentralStore, StoredRequest
from layanan.domain.envelope import EnvelopeError, parse_topic, topic
from layanan.domain.lookup import TicketAnswer, TicketAsk
from layanan.domain.request import is_old_ticket
from layanan.security.crypto import verify

log = logging.getLogger(__name__)

Publish = Callable[[str, bytes], object]
"""Publish ``payload`` on a topic at QoS 1 (the receiver's MQTT client)."""


class TicketResponder:
    """Answers ``ask`` messages on its own thread and store connection; ``offer`` never blocks the caller."""

    def __init__(
        self,
        store_factory: Callable[[], CentralStore],
        signer: Callable[[bytes], bytes],
        time_zone: str = "Asia/Jakarta",
        backlog: int = 200,
    ) -> None:
        self._store_factory = store_factory
        self._sign = signer
        self._zone = ZoneInfo(time_zone)
        self._inbox: queue.Queue[tuple[str, bytes] | None] = queue.Queue(maxsize=backlog)
        self._thread: threading.Thread | None = None
        self.answered = 0
        self.ignored = 0
        """Questions not answered: malformed, unsigned, from an unknown or disabled kiosk, or over the backlog."""

    def offer(self, topic_name: str, payload: bytes) -> None:
        """A question off the wire (paho's thread): queued, or dropped when too many wait (the kiosk then says
        "belum ada kabar", and the citizen can ask again)."""
        try:
            self._inbox.put_nowait((topic_name, payload))
        except queue.Full:
            self.ignored += 1
            log.warning("ticket questions: %d waiting, one dropped", self._inbox.maxsize)

    def start(self, publish: Publish) -> TicketResponder:
        self._thread = threading.Thread(target=self._run, args=(publish,), name="ticket-answers", daemon=True)
        self._thread.start()
        return self

    def stop(self, timeout: float = 5.0) -> None:
        if self._thread is None:
            return
        with contextlib.suppress(queue.Full):
            self._inbox.put(None, timeout=timeout)
        self._thread.join(timeout)
        self._thread = None

    def _run(self, publish: Publish) -> None:
        store: CentralStore | None = None
        try:
            while True:
                item = self._inbox.get()
                if item is None:
                    return
                try:
                    store = store or self._store_factory()
                    answer = self.answer(item[0], item[1], store)
                except Exception as exc:  # noqa: BLE001 - the database is down: no answer, the kiosk says so
                    log.warning("could not answer a ticket question (%s)", type(exc).__name__)
                    if store is not None:
                        with contextlib.suppress(Exception):
                            store.close()
                    store = None
                    continue
                if answer is not None:
                    device_id, message = answer
                    publish(topic(device_id, "ans"), message.to_bytes())
                    self.answered += 1
        finally:
            if store is not None:
                store.close()

    def answer(self, topic_name: str, payload: bytes, store: CentralStore) -> tuple[str, TicketAnswer] | None:
        """(device, signed answer) for a question, or None when it gets none (the reason is logged, by ids only)."""
        try:
            device_id, kind, rest = parse_topic(topic_name)
            if kind != "ask" or rest:
                raise EnvelopeError("topic", f"{topic_name!r} is not kiosk/v1/DEVICE/ask")
            ask = TicketAsk.from_bytes(payload)
        except EnvelopeError as exc:
            return self._ignore(f"a malformed ticket question ({exc.field}: {exc.problem})")
        if ask.device_id != device_id:
            return self._ignore(f"a ticket question on {device_id}'s topic signed as {ask.device_id}")
        device = store.device(device_id)
        if device is None or device.disabled:
            return self._ignore(f"a ticket question from {device_id}, which is not an enabled kiosk here")
        key = bytes.fromhex(device.public_key)
        if not ask.verify(lambda message, signature: verify(message, signature, key)):
            return self._ignore(f"a ticket question from {device_id} with a bad signature")
        found = self._find(store, ask.ticket, device_id)
        if found is None:
            reply = TicketAnswer(ask.msg_id, ask.ticket, False)
        else:
            day = dt.datetime.fromtimestamp(found.received_at, self._zone).date().isoformat()
            reply = TicketAnswer(
                ask.msg_id, ask.ticket, True, found.service_id, store.ticket_status(found.msg_id)[:64], day
            )
        log.info("ticket question from %s: %s %s", device_id, ask.ticket, "found" if found else "not found")
        return device_id, reply.signed(device_id, self._sign)

    @staticmethod
    def _find(store: CentralStore, ticket: str, device_id: str) -> StoredRequest | None:
        if is_old_ticket(ticket):  # unique per kiosk only: answered for the kiosk that issued it
            return store.find_ticket(device_id, ticket)
        found = store.find_tickets(ticket, limit=1)
        return found[0] if found else None

    def _ignore(self, why: str) -> None:
        self.ignored += 1
        log.warning("no answer to %s", why)
        return None
