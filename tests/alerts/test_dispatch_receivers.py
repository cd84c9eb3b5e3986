"""Each receiver against a real server on loopback: aiosmtpd for e-mail, aiohttp for HTTP."""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import logging
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from alerts.dispatch.receivers import PagerDutyReceiver, PermanentError, RetryableError, SmtpReceiver, WebhookReceiver
from alerts.dispatch.receivers.webhook import verify_signature
from alerts.dispatch.routing import (
    PagerDutyReceiverConfig,
    RoutingConfig,
    SmtpReceiverConfig,
    WebhookReceiverConfig,
    parse_routing,
)
from tests.alerts.dispatch_fixtures import make_alert
from tests.alerts.dispatch_servers import FailurePlan, HttpSink, SmtpSink, free_port, self_signed_cert

SECRET = "whsec-test-0123456789"
PD_KEY = "R0UT1NGKEY-abcdef"
SMTP_PASSWORD = "hunter2-smtp"


def _config(tmp_path: Path, receivers: str) -> RoutingConfig:
    text = receivers + '\n[default_route]\nreceivers = ["r"]\n'
    env = {"HOOK_SECRET": SECRET, "PD_KEY": PD_KEY, "SMTP_PW": SMTP_PASSWORD}
    return parse_routing(text, tmp_path / "routing.toml", env=env)


@pytest.fixture(scope="module")
def cert(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    return self_signed_cert(tmp_path_factory.mktemp("tls"))


@pytest.fixture
def http_sink() -> Iterator[HttpSink]:
    sink = HttpSink().start()
    yield sink
    sink.stop()


def _smtp(tmp_path: Path, port: int, extra: str) -> SmtpReceiver:
    config = _config(
        tmp_path,
        f"""[receivers.r]
type = "smtp"
host = "127.0.0.1"
port = {port}
from = "finsentry <alerts@finsentry.test>"
to = ["desk@bank.test", "oncall@bank.test"]
timeout_s = 5
{extra}
""",
    )
    rc = config.receivers["r"]
    assert isinstance(rc, SmtpReceiverConfig)
    return SmtpReceiver("r", rc)


def test_smtp_plain_headers_and_both_bodies(tmp_path: Path) -> None:
    sink = SmtpSink().start()
    try:
        alert = make_alert(severity="high", score=78.4, event_types=["litigation", "recall"])
        asyncio.run(_smtp(tmp_path, sink.port, 'tls = "none"').send(alert))
    finally:
        sink.stop()
    [mail] = sink.mails
    msg = mail.message
    assert mail.rcpt == ["desk@bank.test", "oncall@bank.test"]
    assert mail.tls is False
    assert msg["Subject"] == "[finsentry] ACME litigation · FIRING high · risk 78"
    assert msg["Message-ID"] == f"<{alert.alert_id}@finsentry.local>"
    assert msg["X-Finsentry-Dedup-Key"] == "ACME:litigation"
    assert msg["X-Finsentry-Redelivery"] == "false"
    assert msg["References"] and msg["References"] == msg["In-Reply-To"]
    text = msg.get_body(("plain",))
    html = msg.get_body(("html",))
    assert text is not None and html is not None
    plain, markup = text.get_content(), html.get_content()
    for needle in ("ACME", "Acme Corp", "HIGH", "78.4", "negativity", "ACME sued by regulator", "news.example/b"):
        assert needle in plain, needle
    assert "<a href='https://news.example/a?x=1&amp;y=2'>ACME sued by regulator over accounts</a>" in markup
    assert "&lt;5%&gt; &amp; more" in markup  # headline text is escaped, not injected
    assert "+31.9" in markup and "Industrials" in markup
    assert "Incident:  litigation, recall" in plain and "(incident: litigation, recall)" in markup


def test_smtp_threads_an_episode_and_sorts_by_entity(tmp_path: Path) -> None:
    sink = SmtpSink().start()
    try:
        receiver = _smtp(tmp_path, sink.port, 'tls = "none"')
        first = make_alert(severity="medium", score=55)
        escalated = make_alert(severity="critical", score=90, first_seen=first.first_seen)
        resolved = make_alert(status="resolved", severity="critical", score=10, first_seen=first.first_seen)
        other = make_alert("ZETA", first_seen=first.first_seen)

        async def send_all() -> None:
            for a in (first, escalated, resolved, other):
                await receiver.send(a)

        asyncio.run(send_all())
    finally:
        sink.stop()
    msgs = [m.message for m in sink.mails]
    assert len({m["Message-ID"] for m in msgs}) == 4
    assert len({m["References"] for m in msgs[:3]}) == 1  # one episode, one thread
    assert msgs[3]["References"] != msgs[0]["References"]
    assert [m["Subject"].split(" · ")[1] for m in msgs[:3]] == ["FIRING medium", "FIRING critical", "RESOLVED critical"]
    assert sorted(m["Subject"] for m in msgs)[-1].startswith("[finsentry] ZETA")


def test_smtp_starttls_with_auth_and_verified_certificate(tmp_path: Path, cert: tuple[Path, Path]) -> None:
    sink = SmtpSink(tls="starttls", cert=cert, login=("finsentry", SMTP_PASSWORD)).start()
    try:
        extra = f'tls = "starttls"\nca_file = "{cert[0]}"\nusername = "finsentry"\npassword_env = "SMTP_PW"'
        asyncio.run(_smtp(tmp_path, sink.port, extra).send(make_alert()))
    finally:
        sink.stop()
    [mail] = sink.mails
    assert mail.tls is True
    assert mail.login == "finsentry"


def test_smtp_wrong_password_is_permanent(tmp_path: Path, cert: tuple[Path, Path]) -> None:
    sink = SmtpSink(tls="starttls", cert=cert, login=("finsentry", "other-password")).start()
    try:
        extra = f'tls = "starttls"\nca_file = "{cert[0]}"\nusername = "finsentry"\npassword_env = "SMTP_PW"'
        with pytest.raises(PermanentError) as err:
            asyncio.run(_smtp(tmp_path, sink.port, extra).send(make_alert()))
    finally:
        sink.stop()
    assert "535" in str(err.value)
    assert SMTP_PASSWORD not in str(err.value)
    assert not sink.mails


def test_smtp_implicit_tls(tmp_path: Path, cert: tuple[Path, Path]) -> None:
    sink = SmtpSink(tls="implicit", cert=cert).start()
    try:
        asyncio.run(_smtp(tmp_path, sink.port, f'tls = "implicit"\nca_file = "{cert[0]}"').send(make_alert()))
    finally:
        sink.stop()
    [mail] = sink.mails
    assert mail.tls is True


def test_smtp_untrusted_certificate_is_refused(tmp_path: Path, cert: tuple[Path, Path]) -> None:
    sink = SmtpSink(tls="starttls", cert=cert).start()
    try:
        with pytest.raises(RetryableError):  # verification failure: no mail leaves
            asyncio.run(_smtp(tmp_path, sink.port, 'tls = "starttls"').send(make_alert()))
    finally:
        sink.stop()
    assert not sink.mails


def test_smtp_digest_lists_every_alert(tmp_path: Path) -> None:
    sink = SmtpSink().start()
    alerts = [make_alert(t, severity="low", score=s) for t, s in (("AAA", 36.0), ("BBB", 41.5), ("CCC", 38.2))]
    try:
        asyncio.run(_smtp(tmp_path, sink.port, 'tls = "none"').send_digest(alerts))
    finally:
        sink.stop()
    [mail] = sink.mails
    assert mail.message["Subject"].startswith("[finsentry] digest · 3 alerts")
    text = mail.message.get_body(("plain",))
    assert text is not None
    body = text.get_content()
    assert body.index("BBB") < body.index("CCC") < body.index("AAA")  # riskiest first


def _pagerduty(tmp_path: Path, url: str) -> PagerDutyReceiver:
    rc = _config(tmp_path, f'[receivers.r]\ntype = "pagerduty"\nurl = "{url}"\nrouting_key_env = "PD_KEY"\n').receivers[
        "r"
    ]
    assert isinstance(rc, PagerDutyReceiverConfig)
    return PagerDutyReceiver("r", rc)


def test_pagerduty_trigger_and_resolve(tmp_path: Path, http_sink: HttpSink) -> None:
    receiver = _pagerduty(tmp_path, http_sink.url("/v2/enqueue"))
    long_headline = "ACME " + "very bad news " * 200
    # The summary leads with the incident's latest headline (the last), cut to PagerDuty's limit.
    firing = make_alert(severity="critical", score=93, headlines=["first", long_headline], fired_by="n2")
    resolved = make_alert(status="resolved", severity="critical", score=12, first_seen=firing.first_seen)

    async def go() -> None:
        for a in (firing, resolved):
            await receiver.send(a)
        await receiver.aclose()

    asyncio.run(go())
    trigger, resolve = (s.json() for s in http_sink.accepted("/v2/enqueue"))
    assert trigger["routing_key"] == PD_KEY
    assert trigger["event_action"] == "trigger"
    assert trigger["dedup_key"] == "ACME:litigation"
    payload = trigger["payload"]
    assert payload["severity"] == "critical"
    assert len(payload["summary"]) <= 1024 and payload["summary"].startswith("[CRITICAL] ACME (Acme Corp): litigation")
    assert payload["custom_details"]["factors"]["burst"] == {
        "value": 3.0,
        "points": 12.0,
        "detail": firing.factors[2].detail,
    }
    assert payload["summary"].endswith("…") and "very bad news" in payload["summary"]
    assert payload["custom_details"]["alert_id"] == firing.alert_id
    assert payload["custom_details"]["event_types"] == ["litigation"]
    assert payload["custom_details"]["fired_by"] == "n2"
    assert trigger["links"][0] == {"href": "https://news.example/a?x=1&y=2", "text": "first"}
    assert resolve == {"routing_key": PD_KEY, "event_action": "resolve", "dedup_key": "ACME:litigation"}


@pytest.mark.parametrize(("severity", "expected"), [("high", "error"), ("medium", "warning"), ("low", "info")])
def test_pagerduty_severity_mapping(tmp_path: Path, http_sink: HttpSink, severity: str, expected: str) -> None:
    asyncio.run(_pagerduty(tmp_path, http_sink.url("/e")).send(make_alert(severity=severity)))  # type: ignore[arg-type]
    assert http_sink.accepted()[0].json()["payload"]["severity"] == expected


def _webhook(tmp_path: Path, url: str) -> WebhookReceiver:
    text = (
        f'[receivers.r]\ntype = "webhook"\nurl = "{url}"\nsecret_env = "HOOK_SECRET"\nheaders = {{ X-Team = "risk" }}\n'
    )
    rc = _config(tmp_path, text).receivers["r"]
    assert isinstance(rc, WebhookReceiverConfig)
    return WebhookReceiver("r", rc)


def test_webhook_signature_timestamp_and_body(tmp_path: Path, http_sink: HttpSink) -> None:
    alert = make_alert()
    asyncio.run(_webhook(tmp_path, http_sink.url("/hook?token=abc")).send(alert, redelivery=True))
    [seen] = http_sink.accepted("/hook")
    ts = seen.headers["X-Finsentry-Timestamp"]
    assert abs(int(ts) - time.time()) < 60
    # Recomputed here from the documented recipe, not with the code under test.
    expected = hmac.new(SECRET.encode(), ts.encode() + b"." + seen.body, hashlib.sha256).hexdigest()
    assert seen.headers["X-Finsentry-Signature"] == f"sha256={expected}"
    assert seen.json()["alert_id"] == alert.alert_id and seen.json()["dedup_key"] == "ACME:litigation"
    assert seen.headers["Idempotency-Key"] == alert.alert_id
    assert seen.headers["X-Finsentry-Redelivery"] == "true"
    assert seen.headers["X-Team"] == "risk"
    assert verify_signature(SECRET.encode(), seen.body, ts, seen.headers["X-Finsentry-Signature"])
    # A changed body, a wrong secret, or an old timestamp fail verification.
    sig = seen.headers["X-Finsentry-Signature"]
    assert not verify_signature(SECRET.encode(), seen.body.replace(b"ACME", b"ACMF"), ts, sig)
    assert not verify_signature(b"other", seen.body, ts, sig)
    assert not verify_signature(SECRET.encode(), seen.body, ts, sig, now=int(ts) + 301)


@pytest.mark.parametrize(
    ("plan", "error"),
    [
        (FailurePlan(always_status=503), RetryableError),
        (FailurePlan(always_status=500), RetryableError),
        (FailurePlan(always_status=429), RetryableError),
        (FailurePlan(always_status=400), PermanentError),
        (FailurePlan(always_status=404), PermanentError),
    ],
)
def test_http_errors_are_classified(tmp_path: Path, plan: FailurePlan, error: type[Exception]) -> None:
    sink = HttpSink(fail=plan).start()
    try:
        with pytest.raises(error) as err:
            asyncio.run(_webhook(tmp_path, sink.url("/hook?token=abc")).send(make_alert()))
    finally:
        sink.stop()
    assert str(plan.always_status) in str(err.value)
    assert "token=abc" not in str(err.value)  # URLs are logged without their query


def test_retry_after_is_read_from_429(tmp_path: Path) -> None:
    sink = HttpSink(fail=FailurePlan(first_n=1, status=429, retry_after="7")).start()
    try:
        with pytest.raises(RetryableError) as err:
            asyncio.run(_pagerduty(tmp_path, sink.url("/e")).send(make_alert()))
    finally:
        sink.stop()
    assert err.value.retry_after_s == 7.0


def test_connection_refused_is_retryable(tmp_path: Path) -> None:
    with pytest.raises(RetryableError):
        asyncio.run(_webhook(tmp_path, f"http://127.0.0.1:{free_port()}/hook").send(make_alert()))
    with pytest.raises(RetryableError):
        asyncio.run(_smtp(tmp_path, free_port(), 'tls = "none"').send(make_alert()))


def test_secrets_never_reach_logs(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    sink = HttpSink(fail=FailurePlan(always_status=401)).start()
    try:
        for receiver in (_webhook(tmp_path, sink.url("/h")), _pagerduty(tmp_path, sink.url("/e"))):
            with pytest.raises(PermanentError) as err:
                asyncio.run(receiver.send(make_alert()))
            logging.getLogger("test").error("failed: %s (%r)", err.value, receiver)
    finally:
        sink.stop()
    assert len(sink.seen) == 2
    for secret in (SECRET, PD_KEY):
        assert secret not in caplog.text
