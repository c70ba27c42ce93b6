"""The wire messages of the kiosk protocol (DESIGN.md, Protocol): envelope, ack, status update, telemetry, chunk.

Pure: JSON in and out, no MQTT, no database. Signing and verification are passed in as functions so this module
does not depend on a crypto library either.

The envelope is compact JSON with short keys::

    {"v":1,"id":MSG_ID,"dev":DEVICE,"seq":N,"ts":CREATED_MS,
     "b":{"svc":SERVICE,"tk":TICKET,"lang":LANG,"pd":SEALED_B64,"att":[[ATT_ID,CHUNKS,SIZE,SHA256_HEX],...]},
     "sig":SIG_B64}

``sig`` is an Ed25519 signature over :func:`canonical_bytes`: the same object without ``sig``, keys sorted, no
spaces, ASCII only. Resending a stored request produces the same bytes (the sealed blob and the timestamps are
stored), so central can tell a harmless resend from a replay with a different body by comparing digests.
"""

from __future__ import annotations

import base64
import binascii
import dataclasses
import hashlib
import json
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, Self

SCHEMA_VERSION = 1
MAX_ENVELOPE_BYTES = 16 * 1024
"""Anything bigger is refused before it is parsed (attachments travel as chunks, not inside the envelope)."""
MAX_CHUNK_BYTES = 32 * 1024
"""Largest attachment chunk payload on ``att/{msg_id}/{n}``."""

INT64_MAX = 2**63 - 1
"""Largest ``seq``, ``ts`` and attachment size: a signed 64-bit database integer (SQLite INTEGER, PostgreSQL
BIGINT) holds it; anything larger would fail the commit at central instead of the schema check."""
MAX_ATTACHMENT_BYTES = 16 * 1024 * 1024
"""Largest attachment a request may declare (its sealed size); a document photo is a few hundred KB."""
MAX_ATTACHMENT_CHUNKS = 4096
"""Most chunks an attachment may be cut into (and the bound of a chunk's index on ``att/{att_id}/{n}``)."""

_MSG_ID = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")
_DEVICE = re.compile(r"^[a-z0-9][a-z0-9-]{2,39}$")
_SHA256 = re.compile(r"^[0-9a-f]{64}$")
_CONTROL = re.compile("[\x00-\x1f\x7f-\x9f\ud800-\udfff]")
"""C0 and C1 control characters and lone surrogates: no citizen-facing text needs them, PostgreSQL cannot store
NUL, and neither database can encode a lone surrogate."""

Signer = Callable[[bytes], bytes]
Verifier = Callable[[bytes, bytes], bool]


class EnvelopeError(ValueError):
    """A message was refused; ``field`` names the part that is wrong (``json``, ``v``, ``b.svc``, ``sig`` ...)."""

    def __init__(self, field: str, problem: str) -> None:
        super().__init__(f"{field}: {problem}")
        self.field = field
        self.problem = problem


def _b64e(raw: bytes) -> str:
    return base64.b64encode(raw).decode("ascii")


def _b64d(text: Any, field: str) -> bytes:
    if not isinstance(text, str):
        raise EnvelopeError(field, f"expected base64 text, got {type(text).__name__}")
    try:
        return base64.b64decode(text.encode("ascii"), validate=True)
    except (binascii.Error, UnicodeEncodeError):
        raise EnvelopeError(field, "is not valid base64") from None


def _get(obj: Mapping[str, Any], key: str, typ: type | tuple[type, ...], field: str) -> Any:
    if key not in obj:
        raise EnvelopeError(field, "is missing")
    value = obj[key]
    # bool is an int in Python; a true/false where a number belongs is a wrong type on the wire.
    if isinstance(value, bool) and bool not in (typ if isinstance(typ, tuple) else (typ,)):
        raise EnvelopeError(field, f"expected {_tname(typ)}, got bool")
    if not isinstance(value, typ):
        raise EnvelopeError(field, f"expected {_tname(typ)}, got {type(value).__name__}")
    return value


def _tname(typ: type | tuple[type, ...]) -> str:
    return " or ".join(t.__name__ for t in typ) if isinstance(typ, tuple) else typ.__name__


def _text(obj: Mapping[str, Any], key: str, field: str, max_len: int = 64) -> str:
    value: str = _get(obj, key, str, field)
    if not value or len(value) > max_len:
        raise EnvelopeError(field, f"must be 1 to {max_len} characters")
    bad = _CONTROL.search(value)
    if bad:
        raise EnvelopeError(field, f"holds a control character (U+{ord(bad.group()):04X}); send plain text")
    return value


def _whole(obj: Mapping[str, Any], key: str, field: str, low: int, high: int = INT64_MAX) -> int:
    value: int = _get(obj, key, int, field)
    if not low <= value <= high:
        raise EnvelopeError(field, f"must be a whole number from {low} to {high}")
    return value


def printable(name: str, limit: int = 40) -> str:
    """A name from the wire as storable, printable text: control characters escaped, at most ``limit`` long."""
    shown = name.encode("unicode_escape", "backslashreplace").decode("ascii")
    return shown if len(shown) <= limit else shown[: limit - 3] + "..."


def _load_json(data: bytes, limit: int) -> dict[str, Any]:
    if len(data) > limit:
        raise EnvelopeError("size", f"{len(data)} bytes is more than the limit of {limit}")
    try:
        obj = json.loads(data)
    except RecursionError:
        raise EnvelopeError("json", "is nested too deeply") from None
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise EnvelopeError("json", f"is not valid JSON ({exc})") from None
    except ValueError:  # an integer longer than Python converts (sys.get_int_max_str_digits)
        raise EnvelopeError("json", "holds a number with too many digits") from None
    if not isinstance(obj, dict):
        raise EnvelopeError("json", f"expected an object, got {type(obj).__name__}")
    return obj


def _check_version(obj: Mapping[str, Any]) -> None:
    v = _get(obj, "v", int, "v")
    if v != SCHEMA_VERSION:
        raise EnvelopeError("v", f"unknown schema version {v}; this receiver speaks {SCHEMA_VERSION}")


def _dumps(obj: Any) -> bytes:
    return json.dumps(obj, separators=(",", ":"), sort_keys=True, ensure_ascii=True).encode("ascii")


@dataclass(frozen=True)
class AttachmentRef:
    """An attachment announced in a request: its id, how many chunks, its sealed size and sha256 (of sealed bytes)."""

    att_id: str
    chunks: int
    size: int
    sha256: str

    def to_wire(self) -> list[Any]:
        return [self.att_id, self.chunks, self.size, self.sha256]

    @classmethod
    def from_wire(cls, item: Any, field: str) -> AttachmentRef:
        """Central binds each chunk to this declaration: the count bounds a chunk's index, size and sha256 check the
        reassembled bytes. Every kiosk has always declared the count (``[att_id, chunks, size, sha256]``)."""
        if not isinstance(item, list) or len(item) != 4:
            raise EnvelopeError(field, "expected [att_id, chunks, size, sha256]")
        att_id, chunks, size, sha = item
        if not isinstance(att_id, str) or not _MSG_ID.match(att_id):
            raise EnvelopeError(field + "[0]", "expected an attachment id (UUID)")
        for i, n in ((1, chunks), (2, size)):
            if isinstance(n, bool) or not isinstance(n, int):
                raise EnvelopeError(f"{field}[{i}]", "expected a whole number")
        if not 0 <= size <= MAX_ATTACHMENT_BYTES:
            raise EnvelopeError(f"{field}[2]", f"must be 0 to {MAX_ATTACHMENT_BYTES} bytes")
        fewest = max(1, -(-size // MAX_CHUNK_BYTES))  # chunks of at most MAX_CHUNK_BYTES, at least one
        most = min(MAX_ATTACHMENT_CHUNKS, max(1, size))  # no chunk is empty, except the one of an empty file
        if not fewest <= chunks <= most:
            raise EnvelopeError(
                f"{field}[1]", f"{size} bytes travel in {fewest} to {most} chunks; {chunks} were declared"
            )
        if not isinstance(sha, str) or not _SHA256.match(sha):
            raise EnvelopeError(field + "[3]", "expected a sha256 in lower-case hex")
        return cls(att_id, chunks, size, sha)


@dataclass(frozen=True)
class Body:
    """What central needs: the service, the ticket, the language and the sealed personal data."""

    service_id: str
    ticket: str
    lang: str
    sealed: bytes
    attachments: tuple[AttachmentRef, ...] = ()

    def to_wire(self) -> dict[str, Any]:
        wire: dict[str, Any] = {
            "svc": self.service_id,
            "tk": self.ticket,
            "lang": self.lang,
            "pd": _b64e(self.sealed),
        }
        if self.attachments:
            wire["att"] = [a.to_wire() for a in self.attachments]
        return wire

    @classmethod
    def from_wire(cls, obj: Any) -> Body:
        if not isinstance(obj, dict):
            raise EnvelopeError("b", f"expected an object, got {type(obj).__name__}")
        att = obj.get("att", [])
        if not isinstance(att, list):
            raise EnvelopeError("b.att", f"expected a list, got {type(att).__name__}")
        refs = tuple(AttachmentRef.from_wire(a, f"b.att[{i}]") for i, a in enumerate(att))
        seen: set[str] = set()
        for i, ref in enumerate(refs):
            if ref.att_id in seen:
                raise EnvelopeError(f"b.att[{i}][0]", "the same attachment id is declared twice")
            seen.add(ref.att_id)
        return cls(
            service_id=_text(obj, "svc", "b.svc"),
            ticket=_text(obj, "tk", "b.tk", 16),
            lang=_text(obj, "lang", "b.lang", 8),
            sealed=_b64d(_get(obj, "pd", str, "b.pd"), "b.pd"),
            attachments=refs,
        )


@dataclass(frozen=True)
class Envelope:
    """One citizen request on ``kiosk/v1/{device}/req``."""

    msg_id: str
    device_id: str
    seq: int
    created_ms: int
    """Device clock, informative only: the device may boot with a wrong clock; central's receive time rules."""
    body: Body
    signature: bytes = b""

    def unsigned(self) -> dict[str, Any]:
        return {
            "v": SCHEMA_VERSION,
            "id": self.msg_id,
            "dev": self.device_id,
            "seq": self.seq,
            "ts": self.created_ms,
            "b": self.body.to_wire(),
        }

    def canonical_bytes(self) -> bytes:
        """The bytes the signature covers."""
        return _dumps(self.unsigned())

    def signed(self, signer: Signer) -> Envelope:
        return Envelope(
            self.msg_id, self.device_id, self.seq, self.created_ms, self.body, signer(self.canonical_bytes())
        )

    def verify(self, verifier: Verifier) -> bool:
        return bool(self.signature) and verifier(self.canonical_bytes(), self.signature)

    def digest(self) -> str:
        """sha256 of the canonical bytes: equal digests mean the same request was sent again."""
        return hashlib.sha256(self.canonical_bytes()).hexdigest()

    def to_bytes(self) -> bytes:
        if not self.signature:
            raise EnvelopeError("sig", "the envelope is not signed; call signed() first")
        return _dumps({**self.unsigned(), "sig": _b64e(self.signature)})

    @classmethod
    def from_bytes(cls, data: bytes, limit: int = MAX_ENVELOPE_BYTES) -> Envelope:
        """Parse and validate the structure (not the signature: that needs the device registry)."""
        obj = _load_json(data, limit)
        _check_version(obj)
        msg_id = _text(obj, "id", "id", 36)
        if not _MSG_ID.match(msg_id):
            raise EnvelopeError("id", "expected a lower-case UUID")
        device_id = _text(obj, "dev", "dev", 40)
        if not _DEVICE.match(device_id):
            raise EnvelopeError("dev", "expected 3-40 lower-case letters, digits or '-'")
        seq = _whole(obj, "seq", "seq", 1)
        created_ms = _whole(obj, "ts", "ts", 0)
        body = Body.from_wire(_get(obj, "b", dict, "b"))
        signature = _b64d(_get(obj, "sig", str, "sig"), "sig")
        if len(signature) != 64:
            raise EnvelopeError("sig", f"expected a 64-byte Ed25519 signature, got {len(signature)} bytes")
        extra = set(obj) - {"v", "id", "dev", "seq", "ts", "b", "sig"}
        if extra:  # the name goes into the dead letter's detail: it must be storable text
            raise EnvelopeError(printable(sorted(extra)[0]), "is not a field of schema version 1")
        return cls(msg_id, device_id, seq, created_ms, body, signature)


class OfficeSigned:
    """What every message the office signs for one device shares (:class:`Ack`, :class:`StatusUpdate`,
    ``lookup.TicketAnswer``): a frozen dataclass with ``device_id`` and ``signature`` fields and a ``_wire()``
    dict; the signature covers the canonical JSON of that dict with ``dev`` in it, so a message signed for one
    kiosk never verifies at another."""

    device_id: str
    signature: bytes

    def _wire(self) -> dict[str, Any]:
        raise NotImplementedError

    def canonical_bytes(self) -> bytes:
        return _dumps(self._wire())

    def signed(self, device_id: str, signer: Signer) -> Self:
        unsigned = dataclasses.replace(self, device_id=device_id, signature=b"")  # type: ignore[type-var]
        return dataclasses.replace(unsigned, signature=signer(unsigned.canonical_bytes()))  # type: ignore[type-var]

    def verify(self, device_id: str, verifier: Verifier) -> bool:
        """Signed by the office, for this device."""
        return (
            bool(self.signature)
            and self.device_id == device_id
            and verifier(self.canonical_bytes(), self.signature)
        )

    def to_bytes(self) -> bytes:
        wire = self._wire()
        if self.signature:
            wire["sig"] = _b64e(self.signature)
        return _dumps(wire)


@dataclass(frozen=True)
class Rejection:
    """Central refused a message it could attribute to this device; the device counts it as a failed try."""

    msg_id: str
    reason: str


@dataclass(frozen=True)
class Ack(OfficeSigned):
    """On ``kiosk/v1/{device}/ack``: msg ids committed at central, chunks committed, and rejections.

    Central signs it with the office key (``sig``, over the canonical bytes without ``sig``, which name the device
    in ``dev``); the kiosk acts on it only when it verifies against the office key pinned at provisioning, so a
    forged or replayed ack never wipes a sealed copy, even on a broker that lets anyone write to the topic."""

    ids: tuple[str, ...] = ()
    chunks: tuple[tuple[str, int], ...] = ()
    """(attachment id, chunk number) pairs committed."""
    rejected: tuple[Rejection, ...] = ()
    device_id: str = ""
    """The device it is for (signed)."""
    signature: bytes = b""

    def _wire(self) -> dict[str, Any]:
        wire: dict[str, Any] = {"v": SCHEMA_VERSION, "ids": list(self.ids)}
        if self.chunks:
            wire["ch"] = [[a, n] for a, n in self.chunks]
        if self.rejected:
            wire["rej"] = [[r.msg_id, r.reason] for r in self.rejected]
        if self.device_id:
            wire["dev"] = self.device_id
        return wire

    @classmethod
    def from_bytes(cls, data: bytes) -> Ack:
        obj = _load_json(data, 1024 * 1024)
        _check_version(obj)
        ids = _get(obj, "ids", list, "ids")
        if not all(isinstance(i, str) for i in ids):
            raise EnvelopeError("ids", "expected a list of msg ids")
        chunks = obj.get("ch", [])
        if not isinstance(chunks, list) or not all(
            isinstance(c, list) and len(c) == 2 and isinstance(c[0], str) and type(c[1]) is int
            for c in chunks
        ):
            raise EnvelopeError("ch", "expected a list of [attachment id, chunk number]")
        rej = obj.get("rej", [])
        if not isinstance(rej, list) or not all(
            isinstance(r, list) and len(r) == 2 and all(isinstance(x, str) for x in r) for r in rej
        ):
            raise EnvelopeError("rej", "expected a list of [msg id, reason]")
        device_id, signature = _office_signature(obj)
        return cls(
            tuple(ids),
            tuple((c[0], c[1]) for c in chunks),
            tuple(Rejection(r[0], r[1]) for r in rej),
            device_id,
            signature,
        )


def _office_signature(obj: Mapping[str, Any]) -> tuple[str, bytes]:
    """``dev`` and ``sig`` of an ack or status update (both optional on the wire; verification needs them)."""
    device_id = _text(obj, "dev", "dev", 40) if "dev" in obj else ""
    signature = _b64d(obj["sig"], "sig") if "sig" in obj else b""
    if signature and len(signature) != 64:
        raise EnvelopeError("sig", f"expected a 64-byte Ed25519 signature, got {len(signature)} bytes")
    return device_id, signature


@dataclass(frozen=True)
class StatusUpdate(OfficeSigned):
    """On ``kiosk/v1/{device}/upd``: the status of a ticket, shown to the citizen and to staff; signed by the office
    like an :class:`Ack`."""

    msg_id: str
    ticket: str
    status: str
    device_id: str = ""
    signature: bytes = b""

    def _wire(self) -> dict[str, Any]:
        wire: dict[str, Any] = {"v": SCHEMA_VERSION, "id": self.msg_id, "tk": self.ticket, "st": self.status}
        if self.device_id:
            wire["dev"] = self.device_id
        return wire

    @classmethod
    def from_bytes(cls, data: bytes) -> StatusUpdate:
        obj = _load_json(data, 4096)
        _check_version(obj)
        return cls(
            _text(obj, "id", "id", 36),
            _text(obj, "tk", "tk", 16),
            _text(obj, "st", "st", 64),
            *_office_signature(obj),
        )


@dataclass(frozen=True)
class UpdateAck:
    """On ``kiosk/v1/{device}/updack`` (device to central, QoS 1): the kiosk has stored status ``status`` of
    request ``msg_id`` from a ``upd``; central stops resending that update."""

    msg_id: str
    status: str

    def to_bytes(self) -> bytes:
        return _dumps({"v": SCHEMA_VERSION, "id": self.msg_id, "st": self.status})

    @classmethod
    def from_bytes(cls, data: bytes) -> UpdateAck:
        obj = _load_json(data, 4096)
        _check_version(obj)
        return cls(_text(obj, "id", "id", 36), _text(obj, "st", "st", 64))


@dataclass(frozen=True)
class Telemetry:
    """On ``kiosk/v1/{device}/tel`` (QoS 0): the device's health."""

    queue_depth: int
    oldest_pending_s: float | None
    last_sync_ms: int | None
    disk_free_mb: int
    versions: Mapping[str, str]
    quarantined: int = 0
    public_key: str = ""
    """The device's Ed25519 public key (hex), so a central running ``--auto-register`` can trust it on first use."""

    def to_bytes(self) -> bytes:
        extra = {"pk": self.public_key} if self.public_key else {}
        return _dumps(
            {
                **extra,
                "v": SCHEMA_VERSION,
                "q": self.queue_depth,
                "old": self.oldest_pending_s,
                "sync": self.last_sync_ms,
                "disk": self.disk_free_mb,
                "ver": dict(self.versions),
                "quar": self.quarantined,
            }
        )

    @classmethod
    def from_bytes(cls, data: bytes) -> Telemetry:
        obj = _load_json(data, 8192)
        _check_version(obj)
        versions = _get(obj, "ver", dict, "ver")
        old = obj.get("old")
        sync = obj.get("sync")
        if old is not None and (isinstance(old, bool) or not isinstance(old, int | float)):
            raise EnvelopeError("old", "expected a number or null")
        if sync is not None and (isinstance(sync, bool) or not isinstance(sync, int)):
            raise EnvelopeError("sync", "expected a whole number or null")
        return cls(
            queue_depth=_get(obj, "q", int, "q"),
            oldest_pending_s=None if old is None else float(old),
            last_sync_ms=sync,
            disk_free_mb=_get(obj, "disk", int, "disk"),
            versions={str(k): str(v) for k, v in versions.items()},
            quarantined=int(obj.get("quar", 0)) if type(obj.get("quar", 0)) is int else 0,
            public_key=str(obj.get("pk", ""))[:64],
        )

    def to_dict(self) -> dict[str, Any]:
        return json.loads(self.to_bytes())  # type: ignore[no-any-return]


def topic(device_id: str, kind: str, *rest: str | int) -> str:
    """``kiosk/v1/{device}/{kind}[/...]``: the protocol's topic table in one place."""
    return "/".join(["kiosk", "v1", device_id, kind, *(str(r) for r in rest)])


def parse_topic(name: str) -> tuple[str, str, tuple[str, ...]]:
    """Split a protocol topic into (device id, kind, rest); EnvelopeError('topic') for anything else."""
    parts = name.split("/")
    if len(parts) < 4 or parts[0] != "kiosk" or parts[1] != "v1" or not _DEVICE.match(parts[2]):
        raise EnvelopeError("topic", f"{name!r} is not kiosk/v1/DEVICE/KIND")
    return parts[2], parts[3], tuple(parts[4:])
