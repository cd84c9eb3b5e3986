"""A generic webhook: the Alert JSON, signed with HMAC-SHA256, with a timestamp against replay.

Headers sent with each POST:

- `X-Finsentry-Timestamp`: Unix seconds when the request was signed.
- `X-Finsentry-Signature`: `sha256=<hex HMAC-SHA256(secret, "<timestamp>." + body)>`. The
  timestamp is inside the signed bytes, so it cannot be changed to replay an old body.
- `Idempotency-Key`: the alert_id; the same alert always carries the same key.
- `X-Finsentry-Redelivery`: `true` when an earlier copy may have arrived (drop it by key).

`verify_signature` is what a receiving service runs (docs/dispatch.md has the same in 10 lines).
"""

from __future__ import annotations

import hashlib
import hmac
import time
from typing import Final

import httpx

from alerts.dispatch.receivers.base import PermanentError, post_json, safe_url
from alerts.dispatch.routing import WebhookReceiverConfig
from finsentry.contracts import Alert

TIMESTAMP_HEADER: Final = "X-Finsentry-Timestamp"
SIGNATURE_HEADER: Final = "X-Finsentry-Signature"
IDEMPOTENCY_HEADER: Final = "Idempotency-Key"
REDELIVERY_HEADER: Final = "X-Finsentry-Redelivery"


def sign(secret: bytes, timestamp: int, body: bytes) -> str:
    return "sha256=" + hmac.new(secret, str(timestamp).encode() + b"." + body, hashlib.sha256).hexdigest()


def verify_signature(
    secret: bytes, body: bytes, timestamp: str, signature: str, *, tolerance_s: float = 300.0, now: float | None = None
) -> bool:
    """True if `signature` is ours for this body and timestamp, and the timestamp is fresh."""
    try:
        ts = int(timestamp)
    except ValueError:
        return False
    current = time.time() if now is None else now
    if abs(current - ts) > tolerance_s:
        return False
    return hmac.compare_digest(sign(secret, ts, body), signature)


class WebhookReceiver:
    kind = "webhook"

    def __init__(self, name: str, config: WebhookReceiverConfig) -> None:
        secret = config.secret("secret")
        if secret is None:
            raise PermanentError(f"receiver {name}: webhook secret was not loaded")
        self.name = name
        self._config = config
        self._secret = secret
        self._client = httpx.AsyncClient(timeout=config.timeout_s)
        self._what = f"webhook {name} ({safe_url(config.url)})"

    async def send(self, alert: Alert, *, redelivery: bool = False) -> None:
        body = alert.to_json()
        ts = int(time.time())
        headers = {
            **self._config.headers,
            TIMESTAMP_HEADER: str(ts),
            SIGNATURE_HEADER: sign(self._secret.get_secret_value().encode(), ts, body),
            IDEMPOTENCY_HEADER: alert.alert_id,
            REDELIVERY_HEADER: "true" if redelivery else "false",
        }
        await post_json(self._client, self._config.url, body, headers, self._what)

    async def aclose(self) -> None:
        await self._client.aclose()
