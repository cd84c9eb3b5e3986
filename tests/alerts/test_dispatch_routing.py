"""The routing file: clear errors with file and line, and what routes/silences/quiet hours do."""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from alerts.dispatch.routing import Router, RoutingError, load_routing, parse_routing
from tests.alerts.dispatch_fixtures import make_alert

ROOT = Path(__file__).resolve().parents[2]
ENV = {"PD_KEY": "pd-routing-key-123", "HOOK_SECRET": "s3cret"}

GOOD = """
[receivers.mail]
type = "smtp"
host = "127.0.0.1"
port = 1025
tls = "none"
from = "finsentry@localhost"
to = ["desk@localhost"]

[receivers.pager]
type = "pagerduty"
url = "http://127.0.0.1:9/v2/enqueue"
routing_key_env = "PD_KEY"

[receivers.hook]
type = "webhook"
url = "http://127.0.0.1:9/hook"
secret_env = "HOOK_SECRET"

[[routes]]
name = "critical pages"
match.min_severity = "critical"
receivers = ["pager"]
continue = true

[[routes]]
name = "watchlist banks"
match.watchlist = "watch.txt"
match.sectors = ["financials"]
receivers = ["hook"]

[[routes]]
name = "lawsuits"
match = { event_types = ["litigation"], severities = ["high", "critical"] }
receivers = ["mail", "hook"]

[default_route]
receivers = ["mail"]

[[silences]]
match = { tickers = ["HUSH"] }
starts_at = 2026-11-29T00:00:00Z
ends_at = 2026-11-30T00:00:00Z
comment = "known story"

[quiet_hours]
start = "22:00"
end = "07:00"
timezone = "Europe/London"
bypass_severity = "critical"

[digest]
severities = ["low"]
interval_s = 60
"""


def _write(tmp_path: Path, text: str, name: str = "routing.toml") -> Path:
    path = tmp_path / name
    path.write_text(text)
    (tmp_path / "watch.txt").write_text("# banks we watch\nBIGB\nsmlb\n")
    return path


def _problems(tmp_path: Path, text: str) -> list[str]:
    path = _write(tmp_path, text)
    with pytest.raises(RoutingError) as err:
        load_routing(path, env=ENV)
    assert str(path) in str(err.value)
    return err.value.problems


def _line(text: str, needle: str) -> int:
    return next(i for i, ln in enumerate(text.splitlines(), start=1) if needle in ln)


def test_example_routing_file_is_valid() -> None:
    config = load_routing(ROOT / "deploy/routing.example.toml", env={"FINSENTRY_WEBHOOK_SECRET": "x"})
    assert set(config.receivers) == {"mailcatcher", "webhook"}
    assert config.default_route.receivers == ["mailcatcher", "webhook"]


def test_good_file_loads_secrets_without_showing_them(tmp_path: Path) -> None:
    config = load_routing(_write(tmp_path, GOOD), env=ENV)
    pager = config.receivers["pager"]
    secret = pager.secret("routing_key")
    assert secret is not None and secret.get_secret_value() == "pd-routing-key-123"
    assert "pd-routing-key-123" not in repr(config) and "pd-routing-key-123" not in str(pager)


@pytest.mark.parametrize(
    ("change", "needle", "expected"),
    [
        (("port = 1025", 'port = 1025\ncolour = "red"'), "colour", "unknown key"),
        (('routing_key_env = "PD_KEY"', 'routing_key = "abc"'), "routing_key =", "secrets are never inline"),
        (('receivers = ["pager"]', 'receivers = ["pagr"]'), '["pagr"]', "unknown receiver 'pagr'"),
        (('secret_env = "HOOK_SECRET"', 'secret_env = "NOT_SET_ANYWHERE"'), "NOT_SET_ANYWHERE", "not set"),
        (('min_severity = "critical"', 'min_severity = "severe"'), "severe", "'critical', 'high'"),
        (('timezone = "Europe/London"', 'timezone = "Mars/Olympus"'), "Mars", "unknown time zone"),
        (("ends_at = 2026-11-30T00:00:00Z", "ends_at = 2026-11-28T00:00:00Z"), "ends_at", "after starts_at"),
        (('watchlist = "watch.txt"', 'watchlist = "missing.txt"'), "missing.txt", "cannot read watchlist"),
        (("interval_s = 60", "interval_s = -1"), "interval_s", "greater than 0"),
        (('type = "webhook"', 'type = "carrier-pigeon"'), "[receivers.hook]", "tag 'carrier-pigeon'"),
        (('to = ["desk@localhost"]', "to = []"), "to = []", "at least 1"),
        (('tls = "none"', 'tls = "none"\nusername = "bob"'), "username", "neither password_env"),
    ],
)
def test_bad_file_names_file_line_and_problem(
    tmp_path: Path, change: tuple[str, str], needle: str, expected: str
) -> None:
    text = GOOD.replace(*change, 1)
    assert text != GOOD
    problems = _problems(tmp_path, text)
    assert len(problems) == 1, problems
    where = f"{tmp_path / 'routing.toml'}:{_line(text, needle)}:"
    assert problems[0].startswith(where), (problems[0], where)
    assert expected in problems[0]


def test_toml_syntax_error_has_its_line(tmp_path: Path) -> None:
    text = GOOD.replace('host = "127.0.0.1"', "host = 127.0.0.1", 1)
    problems = _problems(tmp_path, text)
    assert problems[0].startswith(f"{tmp_path / 'routing.toml'}:{_line(text, 'host = 127')}: TOML syntax")


def test_every_problem_is_listed(tmp_path: Path) -> None:
    text = GOOD.replace('receivers = ["pager"]', 'receivers = ["nope"]').replace("PD_KEY", "UNSET_KEY")
    problems = _problems(tmp_path, text)
    assert len(problems) == 2
    assert any("unknown receiver 'nope'" in p for p in problems)
    assert any("UNSET_KEY" in p for p in problems)


def test_cli_check_reports_bad_file_and_exit_code(tmp_path: Path) -> None:
    text = GOOD.replace('receivers = ["pager"]', 'receivers = ["pagr"]')
    path = _write(tmp_path, text)
    env = {**os.environ, **ENV}
    cmd = [sys.executable, "-m", "finsentry.cli", "dispatch", "--check", "-r", str(path)]
    bad = subprocess.run([*cmd], capture_output=True, text=True, env=env, cwd=ROOT, timeout=60)
    assert bad.returncode == 2
    assert f"{path}:{_line(text, 'pagr')}: routes[0].receivers: unknown receiver 'pagr'" in bad.stderr
    path.write_text(GOOD)
    good = subprocess.run([*cmd], capture_output=True, text=True, env=env, cwd=ROOT, timeout=60)
    assert good.returncode == 0, good.stderr
    assert "receiver pager: pagerduty" in good.stdout
    assert "pd-routing-key-123" not in good.stdout + good.stderr


NOON = datetime(2026, 11, 28, 12, 0, tzinfo=UTC)  # no silence active, not quiet in London


def test_routes_first_match_continue_and_default(tmp_path: Path) -> None:
    router = Router(load_routing(_write(tmp_path, GOOD), env=ENV))
    assert router.receivers_for(make_alert(severity="critical")) == ["pager", "mail", "hook"]  # continue
    assert router.receivers_for(make_alert(severity="high")) == ["mail", "hook"]
    assert router.receivers_for(make_alert("BIGB", sector="Financials", severity="high")) == ["hook"]  # first wins
    assert router.receivers_for(make_alert("SMLB", sector="FINANCIALS")) == ["hook"]  # watchlist, case-blind
    assert router.receivers_for(make_alert("OTHR", sector="Financials")) == ["mail", "hook"]  # not on the list
    assert router.receivers_for(make_alert(event_type="recall", severity="medium")) == ["mail"]  # default


def test_an_incident_matches_a_route_on_any_of_its_event_types(tmp_path: Path) -> None:
    router = Router(load_routing(_write(tmp_path, GOOD), env=ENV))
    # The latest score came from a recall, but the incident also took in a lawsuit.
    slide = make_alert(event_type="recall", severity="high", event_types=["litigation", "recall"])
    assert router.receivers_for(slide) == ["mail", "hook"]
    assert router.receivers_for(make_alert(event_type="recall", severity="high", event_types=["recall"])) == ["mail"]


def test_silence_window_suppresses_every_receiver(tmp_path: Path) -> None:
    router = Router(load_routing(_write(tmp_path, GOOD), env=ENV))
    hush = make_alert("HUSH", severity="critical")
    inside = datetime(2026, 11, 29, 13, 0, tzinfo=UTC)
    assert {t.action for t in router.plan(hush, inside)} == {"suppress"}
    assert "known story" in router.plan(hush, inside)[0].reason
    assert {t.action for t in router.plan(hush, inside + timedelta(days=1))} == {"send"}  # ended
    assert {t.action for t in router.plan(make_alert("LOUD", severity="critical"), inside)} == {"send"}


def test_quiet_hours_hold_mail_for_digest_and_suppress_pages_but_not_critical(tmp_path: Path) -> None:
    text = GOOD.replace('min_severity = "critical"', 'min_severity = "high"')
    router = Router(load_routing(_write(tmp_path, text), env=ENV))
    # 23:30 in London in November (UTC+0) is inside 22:00-07:00; 21:30 and 07:30 are not.
    night, evening, morning = (datetime(2026, 11, 28, h, 30, tzinfo=UTC) for h in (23, 21, 7))
    high = make_alert(severity="high")
    plan = {t.receiver: t.action for t in router.plan(high, night)}
    assert plan == {"pager": "suppress", "mail": "digest", "hook": "suppress"}
    assert {t.action for t in router.plan(high, evening)} == {"send"}
    assert {t.action for t in router.plan(high, morning)} == {"send"}
    assert {t.action for t in router.plan(make_alert(severity="critical"), night)} == {"send"}
    resolved = make_alert(severity="high", status="resolved")
    assert {t.receiver: t.action for t in router.plan(resolved, night)}["pager"] == "send"  # a resolve pages nobody


def test_quiet_hours_follow_the_time_zone(tmp_path: Path) -> None:
    text = GOOD.replace("Europe/London", "America/New_York")
    router = Router(load_routing(_write(tmp_path, text), env=ENV))
    # 23:30 UTC is 18:30 in New York: not quiet. 04:00 UTC is 23:00 there: quiet.
    assert router.quiet_now("mail", datetime(2026, 11, 28, 23, 30, tzinfo=UTC)) is False
    assert router.quiet_now("mail", datetime(2026, 11, 29, 4, 0, tzinfo=UTC)) is True


def test_low_severity_goes_to_the_digest_of_mail_only(tmp_path: Path) -> None:
    text = GOOD.replace('receivers = ["mail"]\n\n[[silences]]', 'receivers = ["mail", "hook"]\n\n[[silences]]')
    router = Router(load_routing(_write(tmp_path, text), env=ENV))
    plan = {t.receiver: t.action for t in router.plan(make_alert(event_type="recall", severity="low"), NOON)}
    assert plan == {"mail": "digest", "hook": "send"}


def test_secret_from_file_relative_to_routing_file(tmp_path: Path) -> None:
    (tmp_path / "pd.key").write_text("key-from-file\n")
    text = GOOD.replace('routing_key_env = "PD_KEY"', 'routing_key_file = "pd.key"')
    config = parse_routing(text, _write(tmp_path, text), env=ENV)
    secret = config.receivers["pager"].secret("routing_key")
    assert secret is not None and secret.get_secret_value() == "key-from-file"
