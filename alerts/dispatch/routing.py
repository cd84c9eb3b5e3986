"""The routing file: receivers, routes, silences, quiet hours and the digest.

`load_routing(path)` reads a TOML file, validates it completely (types, unknown keys,
receiver names, secrets, watchlists) and raises one `RoutingError` that lists every problem
as `file:line: problem`. `Router` then answers, per alert, which receivers get it and how
(now, in the digest, or not at all because of a silence or quiet hours).

Secrets never sit in the file: a receiver names an environment variable (`password_env`)
or a file (`password_file`); they are read once here and kept as `SecretStr`.
"""

from __future__ import annotations

import os
import tomllib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, time
from pathlib import Path
from typing import Annotated, Any, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import (
    AwareDatetime,
    BaseModel,
    ConfigDict,
    Field,
    PrivateAttr,
    SecretStr,
    ValidationError,
    ValidationInfo,
    field_validator,
)

from alerts.dispatch.toml_lines import key_lines, line_of
from finsentry.contracts import SEVERITY_ORDER, Alert, AlertStatus, Severity

PAGERDUTY_EVENTS_URL = "https://events.pagerduty.com/v2/enqueue"


class RoutingError(ValueError):
    """The routing file is unusable; `problems` holds one `file:line: problem` per issue."""

    def __init__(self, path: Path, problems: list[str]) -> None:
        self.path = path
        self.problems = problems
        super().__init__(f"invalid routing file {path}:\n  " + "\n  ".join(problems))


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)


class RetryPolicy(_Strict):
    """How long one receiver keeps trying one alert before it is parked in alerts.dlq."""

    max_attempts: int = Field(8, ge=1, description="tries in all, the first one included")
    base_delay_s: float = Field(0.5, gt=0, description="backoff before the 2nd try; doubles each time")
    max_delay_s: float = Field(30.0, gt=0, description="cap on one backoff")
    max_elapsed_s: float = Field(120.0, gt=0, description="retry budget: no new try starts after this")


class _ReceiverBase(_Strict):
    timeout_s: float = Field(10.0, gt=0, description="one attempt, connect to answer")
    rate_per_s: float | None = Field(None, gt=0, description="sustained sends per second; unset = unlimited")
    burst: int = Field(5, ge=1, description="sends allowed at once above the rate")
    retry: RetryPolicy = RetryPolicy()

    _secrets: dict[str, SecretStr] = PrivateAttr(default_factory=dict)

    def secret(self, name: str) -> SecretStr | None:
        return self._secrets.get(name)

    def secret_sources(self) -> dict[str, tuple[str | None, Path | None, bool]]:
        """Secret name -> (env var, file, required); resolved by `load_routing`."""
        return {}


class SmtpReceiverConfig(_ReceiverBase):
    type: Literal["smtp"]
    host: str = "localhost"
    port: int = Field(25, ge=1, le=65535)
    tls: Literal["none", "starttls", "implicit"] = Field(
        "starttls", description="none (mail catchers), STARTTLS upgrade, or TLS from the first byte (465)"
    )
    ca_file: Path | None = Field(None, description="CA bundle to verify the server; unset = system store")
    verify: bool = Field(True, description="check the server certificate and host name")
    username: str | None = None
    password_env: str | None = None
    password_file: Path | None = None
    sender: str = Field(alias="from")
    to: list[str] = Field(min_length=1)
    subject_prefix: str = "[finsentry]"

    def secret_sources(self) -> dict[str, tuple[str | None, Path | None, bool]]:
        return {"password": (self.password_env, self.password_file, False)}


class PagerDutyReceiverConfig(_ReceiverBase):
    type: Literal["pagerduty"]
    url: str = Field(PAGERDUTY_EVENTS_URL, description="Events API v2 endpoint")
    routing_key_env: str | None = None
    routing_key_file: Path | None = None
    source: str = Field("finsentry", description="payload.source shown in PagerDuty")

    def secret_sources(self) -> dict[str, tuple[str | None, Path | None, bool]]:
        return {"routing_key": (self.routing_key_env, self.routing_key_file, True)}


class WebhookReceiverConfig(_ReceiverBase):
    type: Literal["webhook"]
    url: str
    secret_env: str | None = None
    secret_file: Path | None = None
    headers: dict[str, str] = Field(default_factory=dict, description="extra headers; not for secrets")
    replay_tolerance_s: float = Field(300.0, gt=0, description="documented to receivers: reject older timestamps")

    def secret_sources(self) -> dict[str, tuple[str | None, Path | None, bool]]:
        return {"secret": (self.secret_env, self.secret_file, True)}


ReceiverConfig = Annotated[
    SmtpReceiverConfig | PagerDutyReceiverConfig | WebhookReceiverConfig, Field(discriminator="type")
]


class Matcher(_Strict):
    """All the given conditions must hold; each list matches any of its items."""

    severities: list[Severity] | None = None
    min_severity: Severity | None = None
    statuses: list[AlertStatus] | None = None
    tickers: list[str] | None = None
    watchlist: Path | None = Field(None, description="file of tickers, one a line; relative to the routing file")
    sectors: list[str] | None = None
    event_types: list[str] | None = None

    _watch: frozenset[str] | None = PrivateAttr(default=None)

    def matches(self, alert: Alert) -> bool:
        if self.severities is not None and alert.severity not in self.severities:
            return False
        if self.min_severity is not None and SEVERITY_ORDER.index(alert.severity) < SEVERITY_ORDER.index(
            self.min_severity
        ):
            return False
        if self.statuses is not None and alert.status not in self.statuses:
            return False
        if self.tickers is not None and alert.entity.upper() not in {t.upper() for t in self.tickers}:
            return False
        if self._watch is not None and alert.entity.upper() not in self._watch:
            return False
        if self.sectors is not None and (alert.sector or "").lower() not in {s.lower() for s in self.sectors}:
            return False
        # An incident matches on any of its event types (older alerts carry only one).
        kinds = alert.event_types or [alert.event_type]
        return self.event_types is None or any(k in self.event_types for k in kinds)


class Route(_Strict):
    name: str | None = None
    match: Matcher = Matcher()
    receivers: list[str] = Field(min_length=1)
    continue_: bool = Field(False, alias="continue", description="also try the routes after this one")


class DefaultRoute(_Strict):
    receivers: list[str] = Field(min_length=1)


class Silence(_Strict):
    match: Matcher
    starts_at: AwareDatetime
    ends_at: AwareDatetime
    comment: str = ""
    created_by: str = ""

    @field_validator("ends_at")
    @classmethod
    def _ordered(cls, value: datetime, info: ValidationInfo) -> datetime:
        starts = info.data.get("starts_at")
        if starts is not None and value <= starts:
            raise ValueError("ends_at must be after starts_at")
        return value

    def active(self, alert: Alert, now: datetime) -> bool:
        return self.starts_at <= now < self.ends_at and self.match.matches(alert)


class QuietHours(_Strict):
    """A nightly window in which only `bypass_severity` and above page anyone."""

    start: time
    end: time
    timezone: str = "UTC"
    bypass_severity: Severity = "critical"
    receivers: list[str] | None = Field(None, description="receivers kept quiet; unset = all")

    @field_validator("timezone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise ValueError(f"unknown time zone {value!r}") from exc
        return value

    def active(self, now: datetime) -> bool:
        local = now.astimezone(ZoneInfo(self.timezone)).time().replace(tzinfo=None)
        if self.start <= self.end:
            return self.start <= local < self.end
        return local >= self.start or local < self.end  # spans midnight


class Digest(_Strict):
    """Low severities go into one e-mail per interval instead of one e-mail each."""

    severities: list[Severity] = Field(default_factory=lambda: list[Severity](["low"]))
    interval_s: float = Field(900.0, gt=0, description="N: one digest e-mail summarises the last N seconds")
    receivers: list[str] | None = Field(None, description="e-mail receivers that use it; unset = all")


class RoutingConfig(_Strict):
    receivers: dict[str, ReceiverConfig] = Field(min_length=1)
    routes: list[Route] = Field(default_factory=list)
    default_route: DefaultRoute
    silences: list[Silence] = Field(default_factory=list)
    quiet_hours: QuietHours | None = None
    digest: Digest | None = None

    _source: Path | None = PrivateAttr(default=None)

    @property
    def source(self) -> Path | None:
        return self._source


Action = Literal["send", "digest", "suppress"]


@dataclass(frozen=True)
class Target:
    """What happens to one alert at one receiver, and why."""

    receiver: str
    action: Action
    reason: str = ""


class Router:
    """Routes, silences, quiet hours and digest applied to one alert at one moment."""

    def __init__(self, config: RoutingConfig) -> None:
        self.config = config
        digest = config.digest or Digest(severities=[])
        self.digest = digest
        smtp = [n for n, r in config.receivers.items() if isinstance(r, SmtpReceiverConfig)]
        self.digest_receivers = frozenset(digest.receivers if digest.receivers is not None else smtp)

    def receivers_for(self, alert: Alert) -> list[str]:
        chosen: list[str] = []
        for route in self.config.routes:
            if route.match.matches(alert):
                chosen.extend(r for r in route.receivers if r not in chosen)
                if not route.continue_:
                    break
        return chosen or list(self.config.default_route.receivers)

    def plan(self, alert: Alert, now: datetime) -> list[Target]:
        names = self.receivers_for(alert)
        for silence in self.config.silences:
            if silence.active(alert, now):
                why = f"silenced until {silence.ends_at.isoformat()}" + (
                    f" ({silence.comment})" if silence.comment else ""
                )
                return [Target(n, "suppress", why) for n in names]
        quiet = self.config.quiet_hours
        is_quiet = (
            quiet is not None
            and quiet.active(now)
            and SEVERITY_ORDER.index(alert.severity) < SEVERITY_ORDER.index(quiet.bypass_severity)
        )
        targets: list[Target] = []
        for name in names:
            is_mail = isinstance(self.config.receivers[name], SmtpReceiverConfig)
            quiet_here = is_quiet and quiet is not None and (quiet.receivers is None or name in quiet.receivers)
            if is_mail and name in self.digest_receivers and alert.severity in self.digest.severities:
                targets.append(Target(name, "digest", f"{alert.severity} goes to the digest"))
            elif quiet_here and is_mail:
                targets.append(Target(name, "digest", "quiet hours: held for the digest"))
            elif quiet_here and alert.status == "firing":
                # A resolve pages nobody and closes the incident, so only firing is held back.
                targets.append(Target(name, "suppress", "quiet hours"))
            else:
                targets.append(Target(name, "send"))
        return targets

    def quiet_now(self, receiver: str, now: datetime) -> bool:
        quiet = self.config.quiet_hours
        return quiet is not None and quiet.active(now) and (quiet.receivers is None or receiver in quiet.receivers)


_INLINE_SECRETS = frozenset({"password", "routing_key", "secret", "token", "api_key"})


def _format_loc(loc: Sequence[str | int]) -> str:
    out = ""
    for part in loc:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out


def _cross_check(config: RoutingConfig) -> list[tuple[tuple[str | int, ...], str]]:
    problems: list[tuple[tuple[str | int, ...], str]] = []
    known = sorted(config.receivers)

    def check(names: list[str], loc: tuple[str | int, ...]) -> None:
        for name in names:
            if name not in config.receivers:
                problems.append((loc, f"unknown receiver {name!r} (defined: {', '.join(known)})"))

    for name, receiver in config.receivers.items():
        if isinstance(receiver, SmtpReceiverConfig):
            has_password = bool(receiver.password_env or receiver.password_file)
            if has_password and not receiver.username:
                problems.append(
                    (
                        ("receivers", name, "password_env" if receiver.password_env else "password_file"),
                        "a password is set but no username",
                    )
                )
            if receiver.username and not has_password:
                problems.append(
                    (("receivers", name, "username"), "username is set but neither password_env nor password_file")
                )
    for i, route in enumerate(config.routes):
        check(route.receivers, ("routes", i, "receivers"))
    check(config.default_route.receivers, ("default_route", "receivers"))
    if config.quiet_hours and config.quiet_hours.receivers:
        check(config.quiet_hours.receivers, ("quiet_hours", "receivers"))
    if config.digest and config.digest.receivers:
        check(config.digest.receivers, ("digest", "receivers"))
        for name in config.digest.receivers:
            target = config.receivers.get(name)
            if target is not None and not isinstance(target, SmtpReceiverConfig):
                problems.append((("digest", "receivers"), f"receiver {name!r} is not e-mail; a digest is an e-mail"))
    return problems


def _resolve_file(base: Path, path: Path) -> Path:
    return path if path.is_absolute() else base / path


def _load_side_files(
    config: RoutingConfig, base: Path, env: Mapping[str, str]
) -> list[tuple[tuple[str | int, ...], str]]:
    """Read secrets and watchlists now, so a missing one stops the start, not a 3 a.m. page."""
    problems: list[tuple[tuple[str | int, ...], str]] = []
    for name, receiver in config.receivers.items():
        for secret, (var, file, required) in receiver.secret_sources().items():
            loc: tuple[str | int, ...] = ("receivers", name, f"{secret}_env" if var else f"{secret}_file")
            if var and file:
                problems.append((loc, f"give {secret}_env or {secret}_file, not both"))
            elif var:
                value = env.get(var)
                if not value:
                    problems.append((loc, f"environment variable {var} (for {secret}) is not set or empty"))
                else:
                    receiver._secrets[secret] = SecretStr(value)
            elif file:
                target = _resolve_file(base, file)
                try:
                    text = target.read_text().strip()
                except OSError as exc:
                    problems.append((loc, f"cannot read {secret} file {target}: {exc.strerror}"))
                    continue
                if not text:
                    problems.append((loc, f"{secret} file {target} is empty"))
                receiver._secrets[secret] = SecretStr(text)
            elif required:
                problems.append(
                    (("receivers", name), f"needs {secret}_env or {secret}_file (secrets are never inline)")
                )

    matchers: list[tuple[tuple[str | int, ...], Matcher]] = [
        (("routes", i, "match", "watchlist"), r.match) for i, r in enumerate(config.routes)
    ]
    matchers += [(("silences", i, "match", "watchlist"), s.match) for i, s in enumerate(config.silences)]
    for loc, matcher in matchers:
        if matcher.watchlist is None:
            continue
        target = _resolve_file(base, matcher.watchlist)
        try:
            lines = target.read_text().splitlines()
        except OSError as exc:
            problems.append((loc, f"cannot read watchlist {target}: {exc.strerror}"))
            continue
        tickers = {ln.split("#")[0].strip().upper() for ln in lines}
        matcher._watch = frozenset(t for t in tickers if t)
    return problems


def parse_routing(text: str, path: Path, env: Mapping[str, str] | None = None) -> RoutingConfig:
    """Validate routing TOML `text` read from `path` (used for messages and relative files)."""
    env = os.environ if env is None else env
    try:
        data: dict[str, Any] = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        # tomllib ends its messages with "(at line L, column C)".
        msg = str(exc)
        line = msg.rsplit("line ", 1)[-1].split(",")[0] if "(at line " in msg else "?"
        raise RoutingError(path, [f"{path}:{line}: TOML syntax: {msg.split(' (at line')[0]}"]) from None
    lines = key_lines(text)

    def where(loc: Sequence[str | int]) -> str:
        line = line_of(lines, loc)
        return f"{path}:{line if line is not None else 1}"

    try:
        config = RoutingConfig.model_validate(data)
    except ValidationError as exc:
        problems = []
        for err in exc.errors():
            loc = tuple(err["loc"])
            # pydantic puts the union tag after the receiver name: receivers.pager.pagerduty.url
            if len(loc) > 2 and loc[0] == "receivers" and loc[2] in ("smtp", "pagerduty", "webhook"):
                loc = loc[:2] + loc[3:]
            shown = _format_loc(loc)
            msg = err["msg"].removeprefix("Value error, ")
            if err["type"] == "extra_forbidden" and str(loc[-1]) in _INLINE_SECRETS:
                msg = f"secrets are never inline: use {loc[-1]}_env or {loc[-1]}_file"
            elif err["type"] == "extra_forbidden":
                msg = "unknown key (a typo?)"
            elif err["type"] == "missing":
                msg = "required key is missing"
            problems.append(f"{where(loc)}: {shown}: {msg}")
        raise RoutingError(path, problems) from None
    config._source = path
    found = _cross_check(config) + _load_side_files(config, path.parent, env)
    if found:
        raise RoutingError(path, [f"{where(loc)}: {_format_loc(loc)}: {msg}" for loc, msg in found])
    return config


def load_routing(path: Path, env: Mapping[str, str] | None = None) -> RoutingConfig:
    """Read and validate the routing file; raises `RoutingError` naming file, line and problem."""
    try:
        text = path.read_text()
    except OSError as exc:
        raise RoutingError(path, [f"{path}: cannot read: {exc.strerror}"]) from None
    return parse_routing(text, path, env)
