"""E-mail over SMTP with aiosmtplib: plain, STARTTLS or implicit TLS, optional login."""

from __future__ import annotations

import ssl
from email.message import EmailMessage

import aiosmtplib

from alerts.dispatch.receivers.base import PermanentError, RetryableError
from alerts.dispatch.receivers.email_render import alert_message, digest_message
from alerts.dispatch.routing import SmtpReceiverConfig
from finsentry.contracts import Alert


def tls_context(config: SmtpReceiverConfig) -> ssl.SSLContext:
    context = ssl.create_default_context(cafile=str(config.ca_file) if config.ca_file else None)
    if not config.verify:
        context.check_hostname = False
        context.verify_mode = ssl.CERT_NONE
    return context


class SmtpReceiver:
    kind = "smtp"

    def __init__(self, name: str, config: SmtpReceiverConfig) -> None:
        self.name = name
        self._config = config
        self._tls = tls_context(config) if config.tls != "none" else None
        self._where = f"smtp {name} ({config.host}:{config.port}, {config.tls})"

    async def send(self, alert: Alert, *, redelivery: bool = False) -> None:
        c = self._config
        await self._submit(
            alert_message(alert, sender=c.sender, to=c.to, prefix=c.subject_prefix, redelivery=redelivery)
        )

    async def send_digest(self, alerts: list[Alert]) -> None:
        c = self._config
        await self._submit(digest_message(alerts, sender=c.sender, to=c.to, prefix=c.subject_prefix))

    async def _submit(self, message: EmailMessage) -> None:
        c = self._config
        password = c.secret("password")
        try:
            await aiosmtplib.send(
                message,
                hostname=c.host,
                port=c.port,
                username=c.username,
                password=password.get_secret_value() if password else None,
                use_tls=c.tls == "implicit",
                start_tls=c.tls == "starttls",
                tls_context=self._tls,
                timeout=c.timeout_s,
            )
        except aiosmtplib.SMTPResponseException as exc:
            # 4xx is the server asking us to come back later; 5xx is a refusal.
            message_text = f"{self._where}: SMTP {exc.code} {exc.message}"
            if 400 <= exc.code < 500:
                raise RetryableError(message_text) from None
            raise PermanentError(message_text) from None
        except aiosmtplib.SMTPRecipientsRefused as exc:
            codes = [err.code for err in exc.recipients]
            text = f"{self._where}: recipients refused ({', '.join(map(str, codes))})"
            if all(400 <= code < 500 for code in codes):
                raise RetryableError(text) from None
            raise PermanentError(text) from None
        except (aiosmtplib.SMTPException, OSError, TimeoutError) as exc:
            raise RetryableError(f"{self._where}: {type(exc).__name__}: {exc}") from None

    async def aclose(self) -> None:
        return None
