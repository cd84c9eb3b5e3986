"""The one place that turns `Settings.kafka_security` into each client library's options.

Every Kafka client of finsentry connects through here: aiokafka (the enrich stage, the
dispatcher, the dispatch bench), kafka-python (the lag monitor, replay, the local broker's
admin calls, `kafka status`, benches, the demo's watchers) and Faust (the scoring worker).
All three get the same `ssl.SSLContext`, so CA, client certificate and hostname checking
follow one rule. `explain` turns what the libraries raise for a refused login or an
untrusted certificate into one `KafkaSecurityError` line that names the setting to fix.
No function here puts the password in a message; callers must not log the option dicts.
"""

from __future__ import annotations

import asyncio
import ssl
from collections.abc import Iterator, Mapping
from typing import Any

from finsentry.kafka_errors import KafkaError
from finsentry.settings import KafkaSecurity

ENV = "FINSENTRY_KAFKA_SECURITY__"


class KafkaSecurityError(KafkaError):
    """The security settings are incomplete, or the broker refused them: one line, no secret."""


def check(sec: KafkaSecurity) -> None:
    """Raise KafkaSecurityError when the settings cannot make a connection (before any is tried)."""
    if sec.uses_sasl:
        if not sec.username:
            raise KafkaSecurityError(f"{sec.protocol} needs a user name: set {ENV}USERNAME")
        if sec.password is None and sec.password_file is None:
            raise KafkaSecurityError(f"{sec.protocol} needs a password: set {ENV}PASSWORD or {ENV}PASSWORD_FILE")
    if (sec.cert_file is None) != (sec.key_file is None):
        raise KafkaSecurityError(f"mutual TLS needs both {ENV}CERT_FILE and {ENV}KEY_FILE")
    if not sec.uses_ssl and (sec.ca_file or sec.cert_file):
        raise KafkaSecurityError(f"{ENV}CA_FILE / CERT_FILE are set but {ENV}PROTOCOL={sec.protocol} uses no TLS")
    for setting, path in (("CA_FILE", sec.ca_file), ("CERT_FILE", sec.cert_file), ("KEY_FILE", sec.key_file)):
        if path is not None and not path.is_file():
            raise KafkaSecurityError(f"{ENV}{setting} ({path}) is not a readable file")


def password(sec: KafkaSecurity) -> str:
    """The SASL password: the first line of password_file if set, else password."""
    if sec.password_file is not None:
        try:
            lines = sec.password_file.read_text(encoding="utf-8").splitlines()
        except OSError as exc:
            raise KafkaSecurityError(f"cannot read {ENV}PASSWORD_FILE ({sec.password_file}): {exc.strerror}") from None
        return lines[0] if lines else ""
    return sec.password.get_secret_value() if sec.password is not None else ""


def ssl_context(sec: KafkaSecurity) -> ssl.SSLContext | None:
    """The TLS context of SSL and SASL_SSL (None for the plaintext protocols)."""
    if not sec.uses_ssl:
        return None
    check(sec)
    try:
        # No CA file: the system's CAs, as for any public service.
        context = ssl.create_default_context(cafile=str(sec.ca_file) if sec.ca_file else None)
    except (ssl.SSLError, OSError) as exc:
        raise KafkaSecurityError(f"{ENV}CA_FILE ({sec.ca_file}) holds no readable PEM certificate: {exc}") from None
    context.check_hostname = sec.check_hostname
    if sec.cert_file is not None and sec.key_file is not None:
        try:
            context.load_cert_chain(str(sec.cert_file), str(sec.key_file))
        except (ssl.SSLError, OSError) as exc:
            raise KafkaSecurityError(
                f"{ENV}CERT_FILE ({sec.cert_file}) and {ENV}KEY_FILE ({sec.key_file}) are not a PEM certificate"
                f" and its unencrypted key: {exc}"
            ) from None
    return context


class _Secret(str):
    """The password as the libraries want it (a str), whose repr hides it: kafka-python logs
    its whole configuration dict at DEBUG, and a dict shows its values by repr."""

    __slots__ = ()

    def __repr__(self) -> str:
        return "'**********'"


def _sasl(sec: KafkaSecurity) -> dict[str, Any]:
    if not sec.uses_sasl:
        return {}
    check(sec)
    return {
        "sasl_mechanism": sec.sasl_mechanism,
        "sasl_plain_username": sec.username,
        "sasl_plain_password": _Secret(password(sec)),
    }


def aiokafka_options(sec: KafkaSecurity | None) -> dict[str, Any]:
    """Keyword arguments of AIOKafkaConsumer / AIOKafkaProducer (empty for the default PLAINTEXT)."""
    return _client_options(sec)


def kafka_python_options(sec: KafkaSecurity | None) -> dict[str, Any]:
    """Keyword arguments of kafka-python's KafkaConsumer / KafkaProducer / KafkaAdminClient.

    The same as aiokafka's: kafka-python ignores its ssl_cafile / ssl_certfile /
    ssl_check_hostname when given a context, so one context keeps one rule for what is trusted."""
    return _client_options(sec)


def _client_options(sec: KafkaSecurity | None) -> dict[str, Any]:
    if sec is None:
        return {}
    check(sec)  # also for PLAINTEXT: a CA file without a TLS protocol is a mistake worth a word
    if sec.protocol == "PLAINTEXT":
        return {}
    options: dict[str, Any] = {"security_protocol": sec.protocol, **_sasl(sec)}
    if (context := ssl_context(sec)) is not None:
        options["ssl_context"] = context
    return options


def faust_options(sec: KafkaSecurity | None) -> dict[str, Any]:
    """Keyword arguments of faust.App: `broker_credentials` (the URL scheme stays kafka://)."""
    if sec is None:
        return {}
    check(sec)
    if sec.protocol == "PLAINTEXT":
        return {}
    import faust

    context = ssl_context(sec)
    credentials: Any
    if sec.uses_sasl:
        credentials = faust.SASLCredentials(
            username=sec.username, password=_Secret(password(sec)), ssl_context=context, mechanism=sec.sasl_mechanism
        )
    else:
        credentials = faust.SSLCredentials(context)
    return {"broker_credentials": credentials}


# --------------------------------------------------------------------------- errors


def _chain(exc: BaseException) -> Iterator[BaseException]:
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        yield current
        current = current.__cause__ or current.__context__


def explain(exc: BaseException, sec: KafkaSecurity, bootstrap: str) -> KafkaSecurityError | None:
    """One clear line for a refused login or an untrusted certificate in `exc` (or its causes); None otherwise."""
    for err in _chain(exc):
        if isinstance(err, KafkaSecurityError):
            return err
        if isinstance(err, ssl.SSLCertVerificationError):
            return untrusted(sec, bootstrap, err.verify_message or str(err))
        name = type(err).__name__
        text = str(err)
        if "UnsupportedSaslMechanism" in name:
            return KafkaSecurityError(
                f"Kafka at {bootstrap} does not offer SASL mechanism {sec.sasl_mechanism} ({text}):"
                f" set {ENV}SASL_MECHANISM to one it enables"
            )
        if (
            "SaslAuthenticationFailed" in name
            or "AuthenticationFailed" in name
            or "authentication failed" in text.lower()
        ):
            return refused_login(sec, bootstrap)
        if isinstance(err, ssl.SSLError) and ("CERTIFICATE" in text.upper() or "ALERT" in text.upper()):
            return tls_refused(sec, bootstrap, err.reason or text)
    return None


def clear_error(exc: BaseException, bootstrap: str, sec: KafkaSecurity | None) -> KafkaSecurityError | None:
    """For a client that failed to connect: the clear security error behind `exc`, or None.

    The libraries retry a refused login or handshake and then report only "unable to
    bootstrap", so when `exc` itself says nothing, one direct connection finds out why.
    """
    if not is_secured(sec):
        return None
    assert sec is not None
    return explain(exc, sec, bootstrap) or diagnose(bootstrap, sec)


async def aclear_error(exc: BaseException, bootstrap: str, sec: KafkaSecurity | None) -> KafkaSecurityError | None:
    """`clear_error` inside a running event loop."""
    if not is_secured(sec):
        return None
    assert sec is not None
    return explain(exc, sec, bootstrap) or await adiagnose(bootstrap, sec)


def diagnose(bootstrap: str, sec: KafkaSecurity, *, timeout_s: float = 15.0) -> KafkaSecurityError | None:
    """Connect once (TLS handshake, SASL login): the clear error of a refusal, or None."""
    return asyncio.run(adiagnose(bootstrap, sec, timeout_s=timeout_s))


async def adiagnose(bootstrap: str, sec: KafkaSecurity, *, timeout_s: float = 15.0) -> KafkaSecurityError | None:
    try:
        await connect_once(bootstrap, sec, timeout_s=timeout_s)
    except KafkaSecurityError as exc:
        return exc
    except Exception:
        return None  # unreachable, not refused: no security problem to name
    return None


async def connect_once(bootstrap: str, sec: KafkaSecurity | None, *, timeout_s: float = 15.0) -> None:
    """Open and close one connection (TLS handshake, SASL login) to the first bootstrap address
    that takes it. A refused login or certificate raises its clear KafkaSecurityError at once;
    otherwise what the last address raised (the broker is unreachable)."""
    from aiokafka.conn import create_conn

    options = aiokafka_options(sec)
    last: BaseException | None = None
    for address in bootstrap.split(","):
        host, _, port = address.strip().removeprefix("kafka://").rpartition(":")
        try:
            # aiokafka's own connection: it raises what the broker said instead of retrying it away.
            conn = await asyncio.wait_for(
                create_conn(
                    host, int(port), client_id="finsentry-probe", request_timeout_ms=int(timeout_s * 1000), **options
                ),
                timeout_s,
            )
        except KafkaSecurityError:
            raise
        except Exception as exc:
            if sec is not None and (clear := _refusal(exc, sec, bootstrap)) is not None:
                raise clear from None
            last = exc
            continue
        conn.close()
        return
    assert last is not None
    raise last


def _refusal(exc: BaseException, sec: KafkaSecurity, bootstrap: str) -> KafkaSecurityError | None:
    clear = explain(exc, sec, bootstrap)
    if clear is None and sec.uses_ssl and "closed" in str(exc).lower():
        # TLS 1.3: a listener that wants a client certificate closes the connection after the handshake.
        return tls_refused(sec, bootstrap, "the broker closed the connection after the handshake")
    return clear


def refused_login(sec: KafkaSecurity, bootstrap: str) -> KafkaSecurityError:
    source = f"{ENV}PASSWORD_FILE ({sec.password_file})" if sec.password_file else f"{ENV}PASSWORD"
    return KafkaSecurityError(
        f"Kafka at {bootstrap} refused the login ({sec.sasl_mechanism} authentication failed for user"
        f" {sec.username!r}): check {ENV}USERNAME, {source} and {ENV}SASL_MECHANISM"
    )


def untrusted(sec: KafkaSecurity, bootstrap: str, why: str) -> KafkaSecurityError:
    where = f"{ENV}CA_FILE ({sec.ca_file})" if sec.ca_file else f"the system's CAs (set {ENV}CA_FILE)"
    if "hostname" in why.lower() or "ip address mismatch" in why.lower():
        return KafkaSecurityError(
            f"Kafka at {bootstrap} presented a certificate for another host ({why}): connect by a name it"
            f" lists, or set {ENV}CHECK_HOSTNAME=false"
        )
    return KafkaSecurityError(f"Kafka's certificate at {bootstrap} is not trusted by {where}: {why}")


def tls_refused(sec: KafkaSecurity, bootstrap: str, why: str) -> KafkaSecurityError:
    if sec.cert_file is None:
        hint = f"the listener may want a client certificate: set {ENV}CERT_FILE and {ENV}KEY_FILE"
    else:
        hint = f"check that the broker trusts {ENV}CERT_FILE ({sec.cert_file})"
    return KafkaSecurityError(f"Kafka at {bootstrap} refused the TLS handshake ({why}): {hint}")


def describe(sec: KafkaSecurity) -> str:
    """What a log line may say about the connection (never the password)."""
    parts: list[str] = [sec.protocol]
    if sec.uses_sasl:
        parts.append(f"{sec.sasl_mechanism} as {sec.username!r}")
    if sec.uses_ssl:
        parts.append(f"CA {sec.ca_file}" if sec.ca_file else "system CAs")
        if sec.cert_file:
            parts.append(f"client certificate {sec.cert_file}")
    return ", ".join(parts)


def plaintext_env(environ: Mapping[str, str]) -> dict[str, str]:
    """`environ` without the FINSENTRY_KAFKA_SECURITY__ variables: for a child process that
    talks to a throwaway plaintext broker (the benches) rather than the configured one."""
    return {k: v for k, v in environ.items() if not k.upper().startswith(ENV)}


def is_secured(sec: KafkaSecurity | None) -> bool:
    return sec is not None and sec.protocol != "PLAINTEXT"
