"""The uploader over TLS (mqtts://, CA from settings) with a user name and password file, against a real Mosquitto."""

from __future__ import annotations

import datetime
import ipaddress
import random
import subprocess
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from kiosk.outbox.synthetic import synthetic_request
from kiosk.outbox.uploader import Uploader
from kiosk.outbox.wiring import device_keys, open_queue, queue_path, signer
from tests.support.delivery import acked_count, assert_exactly_once, register
from tests.support.kiosk_env import make_site
from tests.support.waiting import wait_until
from tools.net import Mosquitto, free_port


def _cert(subject: str, key: ec.EllipticCurvePrivateKey, issuer: x509.Name | None, issuer_key, ca: bool):  # type: ignore[no-untyped-def]
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, subject)])
    now = datetime.datetime.now(datetime.UTC)
    builder = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(issuer or name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(x509.BasicConstraints(ca=ca, path_length=None), critical=True)
    )
    if not ca:
        builder = builder.add_extension(
            x509.SubjectAlternativeName(
                [x509.DNSName("localhost"), x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]
            ),
            critical=False,
        )
    return builder.sign(issuer_key, hashes.SHA256())


def make_pki(directory: Path) -> tuple[Path, Path, Path]:
    directory.mkdir(parents=True, exist_ok=True)
    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca = _cert("kiosk test CA", ca_key, None, ca_key, ca=True)
    key = ec.generate_private_key(ec.SECP256R1())
    cert = _cert("localhost", key, ca.subject, ca_key, ca=False)
    paths = directory / "ca.pem", directory / "server.pem", directory / "server.key"
    paths[0].write_bytes(ca.public_bytes(serialization.Encoding.PEM))
    paths[1].write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    paths[2].write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )
    )
    return paths


def test_uploader_delivers_over_tls_with_its_own_credentials(tmp_path: Path, sqlite_db_url: str) -> None:
    ca, cert, key = make_pki(tmp_path / "pki")
    passwd = tmp_path / "passwd"
    subprocess.run(["mosquitto_passwd", "-c", "-b", str(passwd), "kiosk-test-01", "s3cret"], check=True)
    subprocess.run(["mosquitto_passwd", "-b", str(passwd), "central", "c3ntral"], check=True)
    tls_port = free_port()
    broker = Mosquitto(
        tmp_path / "broker",
        [
            f"cafile {ca}",
            f"certfile {cert}",
            f"keyfile {key}",
            f"password_file {passwd}",
            "allow_anonymous false",
            "set_tcp_nodelay true",
            "user root",  # the broker runs as the test's user: it must read the password file in the test's dir
        ],
        port=tls_port,
        listener=f"listener {tls_port} 127.0.0.1",
    ).start()
    try:
        site = make_site(tmp_path, f"mqtts://localhost:{tls_port}")
        register(site, sqlite_db_url)
        (tmp_path / "device.pw").write_text("s3cret\n")
        (tmp_path / "central.pw").write_text("c3ntral\n")
        settings = site.settings(
            mqtt={
                "username": "kiosk-test-01",
                "password_file": str(tmp_path / "device.pw"),
                "ca_file": str(ca),
            }
        )
        central_settings = site.settings(
            mqtt={"username": "central", "password_file": str(tmp_path / "central.pw"), "ca_file": str(ca)}
        )
        keys = device_keys(settings)
        q = open_queue(settings, keys)
        rng = random.Random(2)
        for _ in range(20):
            q.enqueue(synthetic_request(rng))
        q.close()
        from tests.support.delivery import receiver

        rec = receiver(f"mqtts://localhost:{tls_port}", sqlite_db_url, central_settings).start()
        wrong = site.settings(
            mqtt={
                "username": "kiosk-test-01",
                "password_file": str(tmp_path / "central.pw"),
                "ca_file": str(ca),
            }
        )
        refused = Uploader(wrong, queue_path(settings), signer(keys), keys.public_hex).start()
        try:
            assert rec.ready.wait(15), "the receiver did not connect over TLS"
            reason = wait_until(lambda: refused.last_refusal, 15, "a wrong password is refused")
            assert "not author" in reason.lower() or "bad user name or password" in reason.lower(), reason
            assert not refused.state().connected and acked_count(site) == 0
        finally:
            refused.stop()
        up = Uploader(settings, queue_path(settings), signer(keys), keys.public_hex).start()
        try:
            wait_until(lambda: acked_count(site) == 20, 30, "20 requests acknowledged over TLS")
        finally:
            up.stop()
            rec.stop()
        assert assert_exactly_once(site, sqlite_db_url) == 20
    finally:
        broker.stop()
