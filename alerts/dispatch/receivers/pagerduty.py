"""PagerDuty Events API v2: `trigger` on firing, `resolve` on resolved, one incident per dedup_key."""

from __future__ import annotations

from typing import Any, Final

import httpx
import orjson

from alerts.dispatch.receivers.base import PermanentError, post_json, safe_url
from alerts.dispatch.routing import PagerDutyReceiverConfig
from finsentry.contracts import Alert, Severity

SEVERITY_MAP: Final[dict[Severity, str]] = {
    "critical": "critical",
    "high": "error",
    "medium": "warning",
    "low": "info",
}
SUMMARY_MAX: Final = 1024


def summary(alert: Alert) -> str:
    name = f" ({alert.entity_name})" if alert.entity_name else ""
    lead = alert.headlines[-1] if alert.headlines else ""  # the latest news of the incident
    text = f"[{alert.severity.upper()}] {alert.entity}{name}: {alert.event_type}, risk {alert.risk_score:.0f}"
    if lead:
        text += f" - {lead}"
    return text if len(text) <= SUMMARY_MAX else text[: SUMMARY_MAX - 1] + "…"


def event(alert: Alert, routing_key: str, source: str) -> dict[str, Any]:
    """The Events API v2 body for an alert."""
    if alert.status == "resolved":
        return {"routing_key": routing_key, "event_action": "resolve", "dedup_key": alert.dedup_key}
    return {
        "routing_key": routing_key,
        "event_action": "trigger",
        "dedup_key": alert.dedup_key,
        "payload": {
            "summary": summary(alert),
            "source": source,
            "severity": SEVERITY_MAP[alert.severity],
            "timestamp": alert.last_seen.isoformat(),
            "component": alert.entity,
            "group": alert.sector or "unknown",
            "class": alert.event_type,
            "custom_details": {
                "alert_id": alert.alert_id,
                "entity_name": alert.entity_name,
                "event_types": alert.event_types or [alert.event_type],
                "fired_by": alert.fired_by,
                "risk_score": alert.risk_score,
                "factors": {f.name: {"value": f.value, "points": f.points, "detail": f.detail} for f in alert.factors},
                "headlines": alert.headlines,
                "news_ids": alert.news_ids,
                "first_seen": alert.first_seen.isoformat(),
            },
        },
        "links": [{"href": url, "text": text} for url, text in zip(alert.urls, alert.headlines, strict=False) if url],
    }


class PagerDutyReceiver:
    kind = "pagerduty"

    def __init__(self, name: str, config: PagerDutyReceiverConfig) -> None:
        key = config.secret("routing_key")
        if key is None:
            raise PermanentError(f"receiver {name}: routing key was not loaded")
        self.name = name
        self._config = config
        self._key = key
        self._client = httpx.AsyncClient(timeout=config.timeout_s)
        self._what = f"pagerduty {name} ({safe_url(config.url)})"

    async def send(self, alert: Alert, *, redelivery: bool = False) -> None:
        # A re-sent trigger with the same dedup_key updates the open incident and pages
        # nobody again; the header only tells proxies and logs that this is a copy.
        body = orjson.dumps(event(alert, self._key.get_secret_value(), self._config.source))
        headers = {"X-Finsentry-Redelivery": "true" if redelivery else "false"}
        await post_json(self._client, self._config.url, body, headers, self._what)

    async def aclose(self) -> None:
        await self._client.aclose()
