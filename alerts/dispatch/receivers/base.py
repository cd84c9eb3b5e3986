"""The one small interface every receiver implements, and the errors that drive retries."""

from __future__ import annotations

from typing import Protocol
from urllib.parse import urlsplit

import httpx

from finsentry.contracts import Alert


class DeliveryError(Exception):
    """A send that did not succeed. `retryable` decides between another try and the DLQ.

    Messages are written for logs and the DLQ, so they never carry a secret or a URL query.
    """

    retryable = False

    def __init__(self, message: str, *, retry_after_s: float | None = None) -> None:
        super().__init__(message)
        self.retry_after_s = retry_after_s


class RetryableError(DeliveryError):
    """Connection trouble, a timeout, 429, 5xx, SMTP 4xx: worth another try later."""

    retryable = True


class PermanentError(DeliveryError):
    """The receiver refused the alert for good (4xx, SMTP 5xx): retrying cannot help."""


class Receiver(Protocol):
    """Send one alert somewhere. Raise RetryableError or PermanentError when it fails.

    `redelivery` is True when an earlier send of this same alert may have arrived (the
    dispatcher died between sending and recording it); receivers pass it on so the far end
    can drop the copy by the alert's idempotency key.
    """

    name: str
    kind: str

    async def send(self, alert: Alert, *, redelivery: bool = False) -> None: ...

    async def aclose(self) -> None: ...


def safe_url(url: str) -> str:
    """scheme://host[:port]/path: what may be logged of a URL (no user info, no query)."""
    parts = urlsplit(url)
    host = parts.hostname or ""
    port = f":{parts.port}" if parts.port else ""
    return f"{parts.scheme}://{host}{port}{parts.path}"


def retry_after(response: httpx.Response) -> float | None:
    value = response.headers.get("retry-after")
    if value is None:
        return None
    try:
        return max(float(value), 0.0)
    except ValueError:
        return None  # the HTTP-date form is rare for these APIs; backoff covers it


def check_http(response: httpx.Response, what: str) -> None:
    """Turn an HTTP answer into success or the right DeliveryError."""
    if 200 <= response.status_code < 300:
        return
    detail = response.text[:200].replace("\n", " ")
    message = f"{what} answered HTTP {response.status_code}: {detail}"
    if response.status_code == 429 or response.status_code >= 500 or response.status_code == 408:
        raise RetryableError(message, retry_after_s=retry_after(response))
    raise PermanentError(message)


async def post_json(client: httpx.AsyncClient, url: str, body: bytes, headers: dict[str, str], what: str) -> None:
    try:
        response = await client.post(url, content=body, headers={"Content-Type": "application/json", **headers})
    except httpx.TimeoutException as exc:
        raise RetryableError(f"{what}: timeout ({type(exc).__name__})") from None
    except httpx.TransportError as exc:
        raise RetryableError(f"{what}: {type(exc).__name__}: {exc}") from None
    check_http(response, what)
