"""Secured connections: the settings block, its mapping to each client library, and the
secured local broker (SASL_SSL with SCRAM, mutual TLS), with the clear errors of a wrong
password and an unknown CA. Real broker, no mocks."""

from __future__ import annotations

import logging
import os
import re
import socket
import ssl
import subprocess
import sys
from pathlib import Path

import pytest
from pydantic import SecretStr

from finsentry import kafka_local, kafka_security, topics
from finsentry.kafka_security import KafkaSecurityError
from finsentry.settings import KafkaSecurity, Settings
from tests.kafka_helpers import SecuredKafka, free_port_pair, produce, read_topic


def run_cli(*args: str, env: dict[str, str], cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    clean = {k: v for k, v in os.environ.items() if not k.startswith("FINSENTRY_")}
    return subprocess.run(
        [sys.executable, "-m", "finsentry.cli", *args],
        env={**clean, "COLUMNS": "200", **env},
        capture_output=True,
        text=True,
        timeout=180,
        check=False,
        cwd=cwd,
    )


# --------------------------------------------------------------------------- settings, no broker


def test_the_default_is_plaintext_and_adds_no_option() -> None:
    sec = Settings().kafka_security
    assert sec.protocol == "PLAINTEXT"
    assert kafka_security.aiokafka_options(sec) == {}
    assert kafka_security.kafka_python_options(sec) == {}
    assert kafka_security.faust_options(sec) == {}


def test_env_vars_fill_the_block_and_the_password_never_prints(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("FINSENTRY_KAFKA_SECURITY__PROTOCOL", "SASL_PLAINTEXT")
    monkeypatch.setenv("FINSENTRY_KAFKA_SECURITY__SASL_MECHANISM", "SCRAM-SHA-256")
    monkeypatch.setenv("FINSENTRY_KAFKA_SECURITY__USERNAME", "bob")
    monkeypatch.setenv("FINSENTRY_KAFKA_SECURITY__PASSWORD", "hunter2-secret")
    s = Settings()
    assert s.kafka == "127.0.0.1:9092"  # FINSENTRY_KAFKA_SECURITY__* is not FINSENTRY_KAFKA
    sec = s.kafka_security
    assert (sec.protocol, sec.sasl_mechanism, sec.username) == ("SASL_PLAINTEXT", "SCRAM-SHA-256", "bob")
    assert kafka_security.password(sec) == "hunter2-secret"
    options = kafka_security.kafka_python_options(sec)
    assert options["sasl_plain_password"] == "hunter2-secret"
    for text in (repr(s), str(s), repr(sec), repr(options), kafka_security.describe(sec)):
        assert "hunter2-secret" not in text
    assert "hunter2-secret" not in repr(kafka_security.faust_options(sec))
    # A password file wins over the variable: a mounted secret, first line only.
    secret = tmp_path / "pw"
    secret.write_text("from-the-file\nignored\n")
    monkeypatch.setenv("FINSENTRY_KAFKA_SECURITY__PASSWORD_FILE", str(secret))
    assert kafka_security.password(Settings().kafka_security) == "from-the-file"


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"protocol": "SASL_SSL", "password": SecretStr("x")}, "FINSENTRY_KAFKA_SECURITY__USERNAME"),
        ({"protocol": "SASL_SSL", "username": "a"}, "FINSENTRY_KAFKA_SECURITY__PASSWORD"),
        ({"protocol": "SSL", "cert_file": Path("/etc/hostname")}, "KEY_FILE"),
        ({"protocol": "SSL", "ca_file": Path("/no/such/ca.pem")}, "CA_FILE (/no/such/ca.pem) is not a readable file"),
        ({"protocol": "PLAINTEXT", "ca_file": Path("/etc/hostname")}, "uses no TLS"),
    ],
)
def test_incomplete_settings_name_the_setting(fields: dict[str, object], message: str) -> None:
    with pytest.raises(KafkaSecurityError, match=re.escape(message)):
        kafka_security.kafka_python_options(KafkaSecurity.model_validate(fields))


# --------------------------------------------------------------------------- the secured broker


@pytest.mark.kafka
@pytest.mark.parametrize("mechanism", ["SCRAM-SHA-256", "SCRAM-SHA-512", "PLAIN"])
def test_sasl_ssl_round_trip_for_each_mechanism(secured_kafka: SecuredKafka, mechanism: str) -> None:
    sec = secured_kafka.scram(mechanism)  # type: ignore[arg-type]
    bootstrap = secured_kafka.broker.sasl_ssl_bootstrap
    produce(bootstrap, topics.NEWS_DLQ, [{"via": mechanism}], security=sec)
    got = read_topic(
        bootstrap, topics.NEWS_DLQ, until=lambda rs: any(r["value"].get("via") == mechanism for r in rs), security=sec
    )
    assert any(r["value"].get("via") == mechanism for r in got)


@pytest.mark.kafka
def test_mutual_tls_admin_calls(secured_kafka: SecuredKafka) -> None:
    sec = secured_kafka.mtls()
    bootstrap = secured_kafka.broker.ssl_bootstrap
    kafka_local.wait_until_ready(bootstrap, timeout_s=30, security=sec)
    assert kafka_local.ensure_topics(bootstrap, security=sec) == []  # the broker made them at start
    assert kafka_local.describe_topics(bootstrap, security=sec) == topics.PARTITIONS


@pytest.mark.kafka
def test_the_mutual_tls_listener_refuses_a_client_without_certificate(secured_kafka: SecuredKafka) -> None:
    sec = KafkaSecurity(protocol="SSL", ca_file=secured_kafka.tls.ca)
    with pytest.raises(KafkaSecurityError, match=r"refused the TLS handshake.*FINSENTRY_KAFKA_SECURITY__CERT_FILE"):
        kafka_local.describe_topics(secured_kafka.broker.ssl_bootstrap, security=sec)


@pytest.mark.kafka
def test_hostname_verification_is_on_by_default(secured_kafka: SecuredKafka) -> None:
    # The broker's certificate names 127.0.0.1 and localhost: dialled as another name (a real
    # handshake with the mutual-TLS listener), the shared context refuses it unless told not to check.
    port = secured_kafka.broker.secure.ssl_port  # type: ignore[union-attr]
    sec = secured_kafka.mtls()
    assert sec.check_hostname
    context = kafka_security.ssl_context(sec)
    assert context is not None and context.check_hostname
    with socket.create_connection(("127.0.0.1", port)) as raw, pytest.raises(ssl.SSLCertVerificationError) as err:
        context.wrap_socket(raw, server_hostname="kafka.example.com")
    refused = kafka_security.explain(err.value, sec, f"kafka.example.com:{port}")
    assert refused is not None and "certificate for another host" in str(refused)
    assert "FINSENTRY_KAFKA_SECURITY__CHECK_HOSTNAME=false" in str(refused)
    lenient = kafka_security.ssl_context(sec.model_copy(update={"check_hostname": False}))
    assert lenient is not None
    with (
        socket.create_connection(("127.0.0.1", port)) as raw,
        lenient.wrap_socket(raw, server_hostname="kafka.example.com"),
    ):
        pass  # the chain is still checked against the CA; only the name is not


@pytest.mark.kafka
def test_wrong_password_is_one_clear_error_without_the_secret(
    secured_kafka: SecuredKafka, caplog: pytest.LogCaptureFixture
) -> None:
    wrong = "Wr0ng-" + secured_kafka.password[::-1]
    sec = secured_kafka.scram("SCRAM-SHA-512", password=wrong)
    bootstrap = secured_kafka.broker.sasl_ssl_bootstrap
    # The CLI quiets the client libraries' loggers (finsentry/cli); a CLI test run earlier in
    # this process leaves "kafka" at WARNING, so open it up here explicitly.
    caplog.set_level(logging.DEBUG, logger="kafka")
    with caplog.at_level(logging.DEBUG), pytest.raises(KafkaSecurityError) as caught:
        kafka_local.describe_topics(bootstrap, security=sec)
    message = str(caught.value)
    assert message == (
        f"Kafka at {bootstrap} refused the login (SCRAM-SHA-512 authentication failed for user 'alice'):"
        " check FINSENTRY_KAFKA_SECURITY__USERNAME, FINSENTRY_KAFKA_SECURITY__PASSWORD and"
        " FINSENTRY_KAFKA_SECURITY__SASL_MECHANISM"
    )
    assert "\n" not in message
    # kafka-python logs its whole configuration at DEBUG: the password must be masked there too.
    assert "Starting KafkaAdminClient with configuration" in caplog.text
    for secret in (wrong, secured_kafka.password):
        assert secret not in caplog.text


@pytest.mark.kafka
def test_unknown_ca_is_one_clear_error(secured_kafka: SecuredKafka) -> None:
    sec = secured_kafka.scram().model_copy(update={"ca_file": secured_kafka.unknown_ca})
    bootstrap = secured_kafka.broker.sasl_ssl_bootstrap
    refused = kafka_security.diagnose(bootstrap, sec)
    assert str(refused) == (
        f"Kafka's certificate at {bootstrap} is not trusted by FINSENTRY_KAFKA_SECURITY__CA_FILE"
        f" ({secured_kafka.unknown_ca}): self-signed certificate in certificate chain"
    )


@pytest.mark.kafka
@pytest.mark.slow
def test_kafka_status_cli_over_sasl_ssl_and_its_errors(secured_kafka: SecuredKafka, tmp_path: Path) -> None:
    broker = secured_kafka.broker
    base = {"FINSENTRY_LOCAL_KAFKA__HOME": str(broker.home)}
    ok = run_cli("kafka", "status", env={**base, **secured_kafka.env(secured_kafka.scram(), broker.sasl_ssl_bootstrap)})
    assert ok.returncode == 0, ok.stderr
    assert f"connected to {broker.sasl_ssl_bootstrap} with SASL_SSL, SCRAM-SHA-256 as 'alice'" in ok.stdout
    assert "news.enriched" in ok.stdout

    wrong = "not-" + secured_kafka.password
    pw_file = tmp_path / "password"
    pw_file.write_text(wrong + "\n")
    sec = secured_kafka.scram().model_copy(update={"password": None, "password_file": pw_file})
    bad = run_cli("kafka", "status", env={**base, **secured_kafka.env(sec, broker.sasl_ssl_bootstrap)})
    assert bad.returncode == 1
    assert bad.stderr.strip().splitlines() == [
        f"error: Kafka at {broker.sasl_ssl_bootstrap} refused the login (SCRAM-SHA-256 authentication failed for"
        f" user 'alice'): check FINSENTRY_KAFKA_SECURITY__USERNAME, FINSENTRY_KAFKA_SECURITY__PASSWORD_FILE"
        f" ({pw_file}) and FINSENTRY_KAFKA_SECURITY__SASL_MECHANISM"
    ]
    assert wrong not in bad.stdout + bad.stderr

    untrusted = secured_kafka.scram().model_copy(update={"ca_file": secured_kafka.unknown_ca})
    bad_ca = run_cli("kafka", "status", env={**base, **secured_kafka.env(untrusted, broker.sasl_ssl_bootstrap)})
    assert bad_ca.returncode == 1
    assert len(bad_ca.stderr.strip().splitlines()) == 1
    assert "is not trusted by FINSENTRY_KAFKA_SECURITY__CA_FILE" in bad_ca.stderr
    assert secured_kafka.password not in bad_ca.stdout + bad_ca.stderr


def _four_free_ports() -> int:
    """A port p with p .. p + 3 free: the plaintext, controller, SASL_SSL and SSL listeners."""
    for _ in range(50):
        p = free_port_pair()
        if p + 3 < 65536 and all(_free(p + i) for i in (2, 3)):
            return p
    raise AssertionError("no four free ports in a row")


def _free(port: int) -> bool:
    import socket

    with socket.socket() as s:
        try:
            s.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


@pytest.mark.kafka
@pytest.mark.slow
def test_kafka_start_cli_brings_up_a_secured_broker(tmp_path: Path) -> None:
    port = _four_free_ports()
    home = tmp_path / "kafka"
    secret = tmp_path / "bob.password"
    secret.write_text("bob-" + os.urandom(6).hex() + "\n")
    env = {
        "FINSENTRY_LOCAL_KAFKA__HOME": str(home),
        "FINSENTRY_LOCAL_KAFKA__SECURED": "true",
        "FINSENTRY_KAFKA": f"127.0.0.1:{port + 2}",  # the SASL_SSL listener, as a client names it
        "FINSENTRY_KAFKA_SECURITY__PROTOCOL": "SASL_SSL",
        "FINSENTRY_KAFKA_SECURITY__SASL_MECHANISM": "SCRAM-SHA-512",
        "FINSENTRY_KAFKA_SECURITY__USERNAME": "bob",
        "FINSENTRY_KAFKA_SECURITY__PASSWORD_FILE": str(secret),
        "FINSENTRY_KAFKA_SECURITY__CA_FILE": str(home / "tls" / "ca.pem"),
    }
    try:
        started = run_cli("kafka", "start", env=env)
        assert started.returncode == 0, started.stderr
        assert f"ready on 127.0.0.1:{port} " in started.stdout
        assert f"SASL_SSL on 127.0.0.1:{port + 2}" in started.stdout and "users: bob" in started.stdout
        assert f"mutual TLS on 127.0.0.1:{port + 3}" in started.stdout
        status = run_cli("kafka", "status", env=env)
        assert status.returncode == 0, status.stderr
        assert "SCRAM-SHA-512 as 'bob'" in status.stdout
        assert secret.read_text().strip() not in started.stdout + started.stderr + status.stdout + status.stderr
        assert (home / "server.properties").stat().st_mode & 0o077 == 0  # it holds the PLAIN passwords
    finally:
        run_cli("kafka", "stop", env=env)
