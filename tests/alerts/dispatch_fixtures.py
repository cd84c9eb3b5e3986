"""Alerts to dispatch, built the way alerts/risk.py builds them (deterministic alert_id)."""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime, timedelta
from typing import Any

from finsentry.contracts import Alert, AlertStatus, Factor, Severity, utcnow


def make_alert(
    ticker: str = "ACME",
    event_type: str = "litigation",
    *,
    status: AlertStatus = "firing",
    severity: Severity = "high",
    score: float = 75.0,
    first_seen: datetime | None = None,
    last_seen: datetime | None = None,
    sector: str | None = "Industrials",
    **extra: Any,
) -> Alert:
    first = first_seen or datetime(2026, 11, 29, 9, 0, tzinfo=UTC)
    dedup = f"{ticker}:{event_type}"
    alert_id = hashlib.sha256(f"{dedup}|{status}|{severity}|{first.isoformat()}".encode()).hexdigest()[:20]
    fields: dict[str, Any] = {
        "alert_id": alert_id,
        "dedup_key": dedup,
        "status": status,
        "severity": severity,
        "entity": ticker,
        "entity_name": f"{ticker.title()} Corp",
        "sector": sector,
        "event_type": event_type,
        "risk_score": score,
        "factors": [
            Factor(name="negativity", value=0.91, points=31.9, detail="EWMA of negative probability"),
            Factor(name="severity", value=0.8, points=24.0, detail=event_type),
            Factor(name="burst", value=3.0, points=12.0, detail="3 articles in 1h vs 0.4 usual"),
        ],
        "headlines": [f"{ticker} sued by regulator over accounts", f"{ticker} shares slide <5%> & more"],
        "news_ids": ["n1", "n2"],
        "urls": ["https://news.example/a?x=1&y=2", "https://news.example/b"],
        "first_seen": first,
        "last_seen": last_seen or utcnow(),
    }
    fields.update(extra)
    return Alert(**fields)


def episode(ticker: str, event_type: str = "litigation") -> list[Alert]:
    """firing medium -> escalated to critical -> resolved: three alerts, three ids."""
    first = utcnow() - timedelta(minutes=5)
    return [
        make_alert(ticker, event_type, severity="medium", score=55, first_seen=first),
        make_alert(ticker, event_type, severity="critical", score=91, first_seen=first),
        make_alert(ticker, event_type, status="resolved", severity="critical", score=20, first_seen=first),
    ]
