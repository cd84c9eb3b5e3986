"""Certificates for the secured local broker: a CA, a server certificate and a client one.

Made with `cryptography` on first use and kept in a folder (`<home>/tls` for `finsentry
kafka start`, a temporary folder in the tests), so a client can trust the broker with
FINSENTRY_KAFKA_SECURITY__CA_FILE and prove itself (mutual TLS) with the client pair. These are
for a broker on this machine only: the server certificate names 127.0.0.1 and localhost.
"""

from __future__ import annotations

import datetime
import ipaddress
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from cryptography.hazmat.primitives.asymmetric.ec import EllipticCurvePrivateKey
    from cryptography.x509 import Certificate, CertificateBuilder, Name

DAYS = 825  # the longest validity clients accept for a server certificate


@dataclass(frozen=True)
class TlsFiles:
    """PEM files of one local PKI. `server_pem` holds the server key and its chain (Kafka's PEM keystore)."""

    folder: Path

    @property
    def ca(self) -> Path:
        return self.folder / "ca.pem"

    @property
    def server_pem(self) -> Path:
        return self.folder / "server.pem"

    @property
    def client_cert(self) -> Path:
        return self.folder / "client.pem"

    @property
    def client_key(self) -> Path:
        return self.folder / "client.key"

    def exists(self) -> bool:
        return all(p.exists() for p in (self.ca, self.server_pem, self.client_cert, self.client_key))


def make_tls(folder: Path, *, hosts: Sequence[str] = ("127.0.0.1", "localhost"), name: str = "finsentry") -> TlsFiles:
    """The PKI in `folder`, made if missing (kept otherwise, so clients keep trusting the same CA)."""
    files = TlsFiles(folder)
    if files.exists():
        return files
    folder.mkdir(parents=True, exist_ok=True)
    ca_key, ca_cert = make_ca(f"{name} local CA")
    server_key, server_cert = _leaf(ca_key, ca_cert, f"{name} broker", hosts=hosts, server=True)
    client_key, client_cert = _leaf(ca_key, ca_cert, f"{name} client", hosts=(), server=False)
    _write(files.ca, _cert_pem(ca_cert))
    _write(files.server_pem, _key_pem(server_key) + _cert_pem(server_cert) + _cert_pem(ca_cert), secret=True)
    _write(files.client_cert, _cert_pem(client_cert))
    _write(files.client_key, _key_pem(client_key), secret=True)
    return files


def make_ca_file(path: Path, name: str) -> Path:
    """A PEM file of a fresh CA that signed nothing: what an untrusted broker looks like to a client."""
    _, cert = make_ca(name)
    _write(path, _cert_pem(cert))
    return path


def make_ca(name: str) -> tuple[EllipticCurvePrivateKey, Certificate]:
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name)])
    cert = (
        _builder(subject, subject, key)
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=True,
                key_cert_sign=True,
                crl_sign=True,
                content_commitment=False,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
        .sign(key, hashes.SHA256())
    )
    return key, cert


def _builder(subject: Name, issuer: Name, key: EllipticCurvePrivateKey) -> CertificateBuilder:
    """What every certificate here shares: names, key, a random serial, DAYS of validity
    (from five minutes ago, for clocks a little behind)."""
    from cryptography import x509

    now = datetime.datetime.now(datetime.UTC)
    return (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(issuer)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(days=DAYS))
    )


def _leaf(
    ca_key: EllipticCurvePrivateKey, ca_cert: Certificate, name: str, *, hosts: Sequence[str], server: bool
) -> tuple[EllipticCurvePrivateKey, Certificate]:
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    builder = (
        _builder(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name)]), ca_cert.subject, key)
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(
            x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH if server else ExtendedKeyUsageOID.CLIENT_AUTH]),
            critical=False,
        )
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_cert.public_key()),  # type: ignore[arg-type]
            critical=False,
        )
    )
    if hosts:
        names: list[x509.GeneralName] = []
        for host in hosts:
            try:
                names.append(x509.IPAddress(ipaddress.ip_address(host)))
            except ValueError:
                names.append(x509.DNSName(host))
        builder = builder.add_extension(x509.SubjectAlternativeName(names), critical=False)
    return key, builder.sign(ca_key, hashes.SHA256())


def _cert_pem(cert: Certificate) -> bytes:
    from cryptography.hazmat.primitives.serialization import Encoding

    return cert.public_bytes(Encoding.PEM)


def _key_pem(key: EllipticCurvePrivateKey) -> bytes:
    # PKCS#8: the one unencrypted key format both Kafka's PEM keystore and Python's ssl read.
    from cryptography.hazmat.primitives.serialization import Encoding, NoEncryption, PrivateFormat

    return key.private_bytes(Encoding.PEM, PrivateFormat.PKCS8, NoEncryption())


def _write(path: Path, data: bytes, *, secret: bool = False) -> None:
    path.write_bytes(data)
    if secret:
        path.chmod(0o600)
