"""The Kafka-free Dispatcher: digest timing and quiet hours, rate limits, parking a digest."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from alerts.dispatch.ledger import Ledger
from alerts.dispatch.routing import RoutingConfig, parse_routing
from alerts.dispatch.service import Dispatcher, Origin, Record
from finsentry.contracts import DeadLetter
from tests.alerts.dispatch_fixtures import make_alert
from tests.alerts.dispatch_servers import HttpSink, SmtpSink, free_port

NIGHT = datetime(2026, 11, 28, 23, 30, tzinfo=UTC)
DAY = datetime(2026, 11, 28, 12, 0, tzinfo=UTC)


class Clock:
    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now


@pytest.fixture
def smtp_sink() -> Iterator[SmtpSink]:
    sink = SmtpSink().start()
    yield sink
    sink.stop()


def _config(tmp_path: Path, smtp_port: int, interval_s: float = 0.05) -> RoutingConfig:
    text = f"""
[receivers.mail]
type = "smtp"
host = "127.0.0.1"
port = {smtp_port}
tls = "none"
from = "finsentry@localhost"
to = ["desk@localhost"]
retry = {{ max_attempts = 2, base_delay_s = 0.01, max_delay_s = 0.02, max_elapsed_s = 5 }}

[default_route]
receivers = ["mail"]

[digest]
severities = ["low"]
interval_s = {interval_s}

[quiet_hours]
start = "22:00"
end = "07:00"
timezone = "UTC"
bypass_severity = "critical"
"""
    return parse_routing(text, tmp_path / "routing.toml", env={})


def _record(alert_json: bytes, offset: int) -> Record:
    return Record(alert_json, b"k", Origin(partition=0, offset=offset))


def test_quiet_hours_hold_mail_until_morning_digest(tmp_path: Path, smtp_sink: SmtpSink) -> None:
    clock = Clock(NIGHT)
    parked: list[DeadLetter] = []

    async def park(letter: DeadLetter, key: bytes | None) -> None:
        parked.append(letter)

    async def go() -> tuple[int, int, int]:
        d = Dispatcher(_config(tmp_path, smtp_sink.port), Ledger(tmp_path / "state"), park, clock=clock)
        high, critical = make_alert("NITE", severity="high"), make_alert("BOOM", severity="critical")
        await d.handle_batch([_record(high.to_json(), 1), _record(critical.to_json(), 2)])
        after_night = len(smtp_sink.mails)
        await asyncio.sleep(0.1)
        night_flush = await d.flush_digests()  # due, but quiet: held
        clock.now = DAY
        day_flush = await d.flush_digests()
        await d.aclose()
        return after_night, night_flush, day_flush

    after_night, night_flush, day_flush = asyncio.run(go())
    assert after_night == 1  # only the critical one went out at night
    assert smtp_sink.mails[0].message["X-Finsentry-Severity"] == "critical"
    assert (night_flush, day_flush) == (0, 1)
    digest = smtp_sink.mails[1].message
    assert digest["X-Finsentry-Digest-Count"] == "1" and "NITE" in str(digest.get_body(("plain",)))
    assert parked == []


def test_digest_waits_for_its_interval_and_survives_restart(tmp_path: Path, smtp_sink: SmtpSink) -> None:
    clock = Clock(DAY)

    async def park(letter: DeadLetter, key: bytes | None) -> None:
        raise AssertionError(letter.reason)

    lows = [make_alert(f"LOW{i}", severity="low", score=35 + i) for i in range(3)]

    async def first_run() -> int:
        d = Dispatcher(_config(tmp_path, smtp_sink.port, 1.0), Ledger(tmp_path / "state"), park, clock=clock)
        await d.handle_batch([_record(a.to_json(), i) for i, a in enumerate(lows)])
        sent = await d.flush_digests()  # the oldest alert has not waited 1 s yet
        await d.aclose()
        return sent

    async def second_run() -> int:
        d = Dispatcher(_config(tmp_path, smtp_sink.port, 1.0), Ledger(tmp_path / "state"), park, clock=clock)
        await d.handle_batch([_record(a.to_json(), i) for i, a in enumerate(lows)])  # replayed: duplicates
        await asyncio.sleep(1.1)
        sent = await d.flush_digests()
        await d.aclose()
        return sent

    assert asyncio.run(first_run()) == 0
    assert smtp_sink.mails == []
    assert asyncio.run(second_run()) == 1
    [mail] = smtp_sink.mails
    assert mail.message["X-Finsentry-Digest-Count"] == "3"


def test_unreachable_digest_is_parked_whole(tmp_path: Path) -> None:
    parked: list[DeadLetter] = []

    async def park(letter: DeadLetter, key: bytes | None) -> None:
        parked.append(letter)

    lows = [make_alert(f"GONE{i}", severity="low") for i in range(2)]

    async def go() -> None:
        ledger = Ledger(tmp_path / "state")
        d = Dispatcher(_config(tmp_path, free_port()), ledger, park, clock=Clock(DAY))
        await d.handle_batch([_record(a.to_json(), i) for i, a in enumerate(lows)])
        assert await d.flush_digests(force=True) == 0
        assert ledger.digest_entries("mail") == []
        await d.aclose()

    asyncio.run(go())
    assert sorted(p.original for p in parked) == sorted(a.to_json() for a in lows)
    assert all(p.reason.startswith("receiver mail (smtp digest)") and "after 2 tries" in p.reason for p in parked)


def test_rate_limit_spaces_sends(tmp_path: Path) -> None:
    sink = HttpSink().start()
    text = f"""
[receivers.hook]
type = "webhook"
url = "{sink.url("/h")}"
secret_env = "S"
rate_per_s = 20
burst = 2

[default_route]
receivers = ["hook"]
"""

    async def park(letter: DeadLetter, key: bytes | None) -> None:
        raise AssertionError(letter.reason)

    before = time.time()

    async def go() -> None:
        config = parse_routing(text, tmp_path / "r.toml", env={"S": "x"})
        d = Dispatcher(config, Ledger(tmp_path / "state"), park)
        await d.handle_batch([Record(make_alert(f"R{i:02d}").to_json(), f"k{i}".encode(), Origin()) for i in range(12)])
        await d.aclose()

    try:
        asyncio.run(go())
    finally:
        sink.stop()
    times = sorted(s.at for s in sink.accepted())
    assert len(times) == 12
    # A full bucket of 2, then 20/s: the 12th send cannot start before 10/20 s after the
    # bucket was made. Load can only make it later, so this bound holds on any machine.
    assert times[-1] - before >= (12 - 2) / 20
