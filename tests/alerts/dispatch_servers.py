"""Real servers on loopback standing in for the far ends of the dispatcher.

`HttpSink`: an aiohttp server in its own thread (so a dispatcher in another process or in
the test's loop can reach it) that records every request and can fail on purpose.
`SmtpSink`: an aiosmtpd server, optionally with STARTTLS or implicit TLS and AUTH.
`self_signed_cert`: a throwaway certificate for 127.0.0.1 made with the openssl CLI.
"""

from __future__ import annotations

import asyncio
import json
import socket
import ssl
import subprocess
import threading
import time
from dataclasses import dataclass, field
from email import message_from_bytes, policy
from email.message import EmailMessage
from pathlib import Path
from typing import Any

from aiohttp import web
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, Envelope, LoginPassword, Session

from alerts.dispatch.routing import RoutingConfig, parse_routing


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class Seen:
    path: str
    headers: dict[str, str]
    body: bytes
    status: int
    at: float

    def json(self) -> Any:
        return json.loads(self.body)


@dataclass
class FailurePlan:
    """Answer `status` to the first `first_n` requests and to all requests for `for_s` seconds."""

    first_n: int = 0
    for_s: float = 0.0
    status: int = 503
    retry_after: str | None = None
    always_status: int | None = None


class HttpSink:
    def __init__(self, *, delay_s: float = 0.0, fail: FailurePlan | None = None) -> None:
        self.delay_s = delay_s
        self.fail = fail or FailurePlan()
        self.seen: list[Seen] = []
        self._lock = threading.Lock()
        self._started_at = 0.0
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, daemon=True)
        self.port = free_port()
        self._runner: web.AppRunner | None = None

    async def _handle(self, request: web.Request) -> web.Response:
        body = await request.read()
        if self.delay_s:
            await asyncio.sleep(self.delay_s)
        with self._lock:
            n = len(self.seen)
            plan = self.fail
            failing = n < plan.first_n or (time.monotonic() - self._started_at) < plan.for_s
            status = plan.always_status or (plan.status if failing else 202)
            self.seen.append(Seen(request.path, dict(request.headers), body, status, time.time()))
        headers = {"Retry-After": plan.retry_after} if failing and plan.retry_after else None
        payload = {"status": "success" if status == 202 else "error", "message": "stand-in"}
        return web.json_response(payload, status=status, headers=headers)

    def start(self) -> HttpSink:
        self._thread.start()
        app = web.Application()
        app.router.add_post("/{tail:.*}", self._handle)

        async def up() -> None:
            self._runner = web.AppRunner(app, access_log=None)
            await self._runner.setup()
            await web.TCPSite(self._runner, "127.0.0.1", self.port).start()

        asyncio.run_coroutine_threadsafe(up(), self._loop).result(10)
        self._started_at = time.monotonic()
        return self

    def stop(self) -> None:
        if self._runner is not None:
            asyncio.run_coroutine_threadsafe(self._runner.cleanup(), self._loop).result(10)
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(5)

    def url(self, path: str = "/") -> str:
        return f"http://127.0.0.1:{self.port}{path}"

    def accepted(self, path: str | None = None) -> list[Seen]:
        with self._lock:
            return [s for s in self.seen if 200 <= s.status < 300 and (path is None or s.path == path)]

    def wait_for(self, n: int, path: str | None = None, timeout_s: float = 60.0) -> list[Seen]:
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            got = self.accepted(path)
            if len(got) >= n:
                return got
            time.sleep(0.05)
        raise AssertionError(f"{len(self.accepted(path))} of {n} requests arrived at {path} in {timeout_s}s")


@dataclass
class Mail:
    envelope_from: str
    rcpt: list[str]
    message: EmailMessage
    tls: bool
    login: str | None


def _over_tls(server: Any, session: Session) -> bool:
    # STARTTLS fills session.ssl; with implicit TLS the transport itself is TLS.
    transport = getattr(server, "transport", None)
    return session.ssl is not None or (transport is not None and transport.get_extra_info("ssl_object") is not None)


@dataclass
class _Handler:
    mails: list[Mail] = field(default_factory=list)

    async def handle_DATA(self, server: Any, session: Session, envelope: Envelope) -> str:
        raw = envelope.original_content or b""
        msg = message_from_bytes(raw, policy=policy.default)
        assert isinstance(msg, EmailMessage)
        login = session.auth_data.login.decode() if isinstance(session.auth_data, LoginPassword) else None
        self.mails.append(
            Mail(envelope.mail_from or "", list(envelope.rcpt_tos), msg, _over_tls(server, session), login)
        )
        return "250 OK"


class SmtpSink:
    """aiosmtpd on loopback. tls: none | starttls | implicit; credentials enable AUTH."""

    def __init__(
        self, *, tls: str = "none", cert: tuple[Path, Path] | None = None, login: tuple[str, str] | None = None
    ):
        self.port = free_port()
        self.handler = _Handler()
        kwargs: dict[str, Any] = {}
        context = None
        if tls != "none":
            assert cert is not None
            context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
            context.load_cert_chain(str(cert[0]), str(cert[1]))
        if tls == "starttls":
            kwargs.update(tls_context=context, require_starttls=True)
        elif tls == "implicit":
            kwargs.update(ssl_context=context)
        if login is not None:

            def authenticator(server: Any, session: Any, envelope: Any, mechanism: str, data: Any) -> AuthResult:
                ok = isinstance(data, LoginPassword) and (data.login.decode(), data.password.decode()) == login
                return AuthResult(success=ok, handled=False, auth_data=data)

            kwargs.update(authenticator=authenticator, auth_required=True, auth_require_tls=tls != "none")
        self.controller = Controller(self.handler, hostname="127.0.0.1", port=self.port, **kwargs)

    @property
    def mails(self) -> list[Mail]:
        return self.handler.mails

    def start(self) -> SmtpSink:
        self.controller.start()
        return self

    def stop(self) -> None:
        self.controller.stop()


def self_signed_cert(directory: Path) -> tuple[Path, Path]:
    """(cert.pem, key.pem) for CN=localhost, SAN 127.0.0.1, valid one day."""
    cert, key = directory / "cert.pem", directory / "key.pem"
    subprocess.run(
        [
            "openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1",
            "-keyout", str(key), "-out", str(cert), "-subj", "/CN=localhost",
            "-addext", "subjectAltName=DNS:localhost,IP:127.0.0.1",
        ],
        check=True,
        capture_output=True,
    )  # fmt: skip
    return cert, key


def hook_routing(sink: HttpSink, folder: Path) -> RoutingConfig:
    """A routing file with one signed webhook receiver, `hook`, on `sink`'s /hook, for every alert."""
    text = f"""
[receivers.hook]
type = "webhook"
url = "{sink.url("/hook")}"
secret_env = "HOOK_SECRET"

[default_route]
receivers = ["hook"]
"""
    return parse_routing(text, folder / "routing.toml", env={"HOOK_SECRET": "hook-secret"})
