"""A small certificate authority for trials: a CA and a broker server certificate, made with ``cryptography``.

An office with its own CA passes its CA certificate and key instead; then only the server certificate is made
here. Keys are ECDSA P-256 (fast on a Raspberry Pi, accepted by mosquitto's OpenSSL)."""

from __future__ import annotations

import datetime as dt
import ipaddress
from dataclasses import dataclass
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from provisioning.common import ProvisionError, atomic_write_bytes

CA_DAYS = 3650
SERVER_DAYS = 825
RENEW_DAYS = 30
"""A server certificate that expires within this many days is made again by the next ``broker-config`` run."""


@dataclass(frozen=True)
class CertKey:
    cert: x509.Certificate
    key: ec.EllipticCurvePrivateKey

    def cert_pem(self) -> bytes:
        return self.cert.public_bytes(serialization.Encoding.PEM)

    def key_pem(self) -> bytes:
        return self.key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )

    def save(self, cert_path: Path, key_path: Path, key_group: str | None = None) -> None:
        atomic_write_bytes(key_path, self.key_pem(), mode=0o640 if key_group else 0o600, group=key_group)
        atomic_write_bytes(cert_path, self.cert_pem(), mode=0o644)


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def make_ca(common_name: str = "Layanan Desa trial CA") -> CertKey:
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name)])
    now = _now()
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(days=1))
        .not_valid_after(now + dt.timedelta(days=CA_DAYS))
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(
            x509.KeyUsage(False, False, False, False, False, True, True, False, False), critical=True
        )
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
        .sign(key, hashes.SHA256())
    )
    return CertKey(cert, key)


def _san(names: list[str]) -> x509.SubjectAlternativeName:
    entries: list[x509.GeneralName] = []
    for name in names:
        try:
            entries.append(x509.IPAddress(ipaddress.ip_address(name)))
        except ValueError:
            entries.append(x509.DNSName(name))
    return x509.SubjectAlternativeName(entries)


def make_server(ca: CertKey, names: list[str]) -> CertKey:
    """A TLS server certificate for the broker, valid for ``names`` (IP addresses and host names)."""
    key = ec.generate_private_key(ec.SECP256R1())
    now = _now()
    cert = (
        x509.CertificateBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, names[0])]))
        .issuer_name(ca.cert.subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(days=1))
        .not_valid_after(now + dt.timedelta(days=SERVER_DAYS))
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(_san(names), critical=False)
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(ca.key.public_key()), critical=False
        )
        .sign(ca.key, hashes.SHA256())
    )
    return CertKey(cert, key)


def load_cert(cert_path: Path, what: str) -> x509.Certificate:
    try:
        return x509.load_pem_x509_certificate(cert_path.read_bytes())
    except FileNotFoundError:
        raise ProvisionError(
            f"{what} file {cert_path} is missing; pass the office's CA certificate"
        ) from None
    except ValueError:
        raise ProvisionError(
            f"{what} file {cert_path} is not a PEM certificate; pass the office's ca.crt"
        ) from None


def load(cert_path: Path, key_path: Path, what: str) -> CertKey:
    try:
        cert = x509.load_pem_x509_certificate(cert_path.read_bytes())
        key = serialization.load_pem_private_key(key_path.read_bytes(), password=None)
    except FileNotFoundError as exc:
        raise ProvisionError(
            f"{what} file {exc.filename} is missing; pass the office's files or leave the option out"
        ) from None
    except (ValueError, TypeError) as exc:
        raise ProvisionError(
            f"{what} in {cert_path} / {key_path} cannot be read ({exc}); pass an unencrypted PEM pair"
        ) from None
    if cert.public_key().public_numbers() != key.public_key().public_numbers():  # type: ignore[union-attr]
        raise ProvisionError(f"{what} key {key_path} does not belong to {cert_path}; pass the matching pair")
    return CertKey(cert, key)  # type: ignore[arg-type]


def server_names(cert: x509.Certificate) -> list[str]:
    try:
        san = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    except x509.ExtensionNotFound:
        return []
    return [str(v) for v in san.get_values_for_type(x509.IPAddress)] + san.get_values_for_type(x509.DNSName)


def expires_within(cert: x509.Certificate, days: int) -> bool:
    return cert.not_valid_after_utc < _now() + dt.timedelta(days=days)


def issued_by(cert: x509.Certificate, ca: x509.Certificate) -> bool:
    try:
        cert.verify_directly_issued_by(ca)
    except Exception:  # InvalidSignature, or a key type that cannot have signed it
        return False
    return True
