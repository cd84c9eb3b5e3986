"""The e-mails: a subject that sorts and threads, a plain-text and an HTML body.

Subject: `[finsentry] ACME lawsuit · FIRING high · risk 78`. Sorting by subject groups an
entity's alerts together; the Message-ID is the alert_id, and every mail of one episode
(same dedup_key and first_seen) references the same thread id, so mail clients show
firing, escalations and the resolve as one conversation.
"""

from __future__ import annotations

import hashlib
from datetime import datetime
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid
from html import escape
from typing import Final

from finsentry.contracts import Alert, utcnow

SEVERITY_COLOUR: Final = {"critical": "#b00020", "high": "#e65100", "medium": "#f9a825", "low": "#607d8b"}
MAIL_DOMAIN: Final = "finsentry.local"


def thread_id(alert: Alert) -> str:
    episode = f"{alert.dedup_key}|{alert.first_seen.isoformat()}".encode()
    return f"<episode-{hashlib.sha256(episode).hexdigest()[:24]}@{MAIL_DOMAIN}>"


def subject(alert: Alert, prefix: str) -> str:
    return (
        f"{prefix} {alert.entity} {alert.event_type} · {alert.status.upper()} {alert.severity}"
        f" · risk {alert.risk_score:.0f}"
    )


def _headline_pairs(alert: Alert) -> list[tuple[str, str | None]]:
    urls: list[str | None] = [*alert.urls]
    return [(h, urls[i] if i < len(urls) and urls[i] else None) for i, h in enumerate(alert.headlines)]


def _kinds(alert: Alert) -> list[str]:
    """Every event type of the incident (alerts from producers before incidents carry one)."""
    return alert.event_types or [alert.event_type]


def _ts(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%d %H:%M UTC") if moment.utcoffset() is not None else moment.isoformat()


def text_body(alert: Alert) -> str:
    name = f" ({alert.entity_name})" if alert.entity_name else ""
    lines = [
        f"{alert.status.upper()}  {alert.severity.upper()}  {alert.entity}{name}",
        f"Event:     {alert.event_type}",
        f"Incident:  {', '.join(_kinds(alert))}",
        f"Risk:      {alert.risk_score:.1f} / 100",
        f"Sector:    {alert.sector or '-'}",
        f"Seen:      {_ts(alert.first_seen)} .. {_ts(alert.last_seen)}",
        "",
        "Why:",
    ]
    lines += [f"  +{f.points:5.1f}  {f.name} = {f.value:g}  {f.detail}".rstrip() for f in alert.factors] or ["  -"]
    lines += ["", "Headlines:"]
    for headline, url in _headline_pairs(alert):
        lines.append(f"  - {headline}")
        if url:
            lines.append(f"    {url}")
    lines += ["", f"alert {alert.alert_id} · dedup {alert.dedup_key}"]
    return "\n".join(lines) + "\n"


def html_body(alert: Alert) -> str:
    colour = SEVERITY_COLOUR[alert.severity]
    name = f" <span style='color:#555'>{escape(alert.entity_name)}</span>" if alert.entity_name else ""
    factors = "".join(
        f"<tr><td>{escape(f.name)}</td><td align='right'>{f.value:g}</td>"
        f"<td align='right'><b>+{f.points:.1f}</b></td><td>{escape(f.detail)}</td></tr>"
        for f in alert.factors
    )
    items = "".join(
        f"<li><a href='{escape(url, quote=True)}'>{escape(h)}</a></li>" if url else f"<li>{escape(h)}</li>"
        for h, url in _headline_pairs(alert)
    )
    return (
        "<!doctype html><html><body style='font-family:sans-serif'>"
        f"<p><span style='background:{colour};color:#fff;padding:2px 8px;border-radius:3px'>"
        f"{escape(alert.severity.upper())}</span> <b>{escape(alert.status.upper())}</b></p>"
        f"<h2 style='margin:4px 0'>{escape(alert.entity)}{name}</h2>"
        f"<p><b>{escape(alert.event_type)}</b> (incident: {escape(', '.join(_kinds(alert)))})"
        f" · risk <b>{alert.risk_score:.1f}</b>/100"
        f" · sector {escape(alert.sector or '-')}<br>"
        f"seen {_ts(alert.first_seen)} .. {_ts(alert.last_seen)}</p>"
        "<h3>Why</h3><table cellpadding='3' style='border-collapse:collapse'>"
        "<tr><th align='left'>factor</th><th>value</th><th>points</th><th align='left'>detail</th></tr>"
        f"{factors}</table>"
        f"<h3>Headlines</h3><ul>{items}</ul>"
        f"<p style='color:#888;font-size:small'>alert {escape(alert.alert_id)} · dedup {escape(alert.dedup_key)}</p>"
        "</body></html>"
    )


def alert_message(alert: Alert, *, sender: str, to: list[str], prefix: str, redelivery: bool) -> EmailMessage:
    msg = EmailMessage()
    msg["Subject"] = subject(alert, prefix)
    msg["From"] = sender
    msg["To"] = ", ".join(to)
    msg["Date"] = format_datetime(utcnow())
    # The same alert always has the same Message-ID, so a redelivered copy can be dropped.
    msg["Message-ID"] = f"<{alert.alert_id}@{MAIL_DOMAIN}>"
    msg["In-Reply-To"] = thread_id(alert)
    msg["References"] = thread_id(alert)
    msg["X-Finsentry-Alert-Id"] = alert.alert_id
    msg["X-Finsentry-Dedup-Key"] = alert.dedup_key
    msg["X-Finsentry-Severity"] = alert.severity
    msg["X-Finsentry-Status"] = alert.status
    msg["X-Finsentry-Redelivery"] = "true" if redelivery else "false"
    msg.set_content(text_body(alert))
    msg.add_alternative(html_body(alert), subtype="html")
    return msg


def digest_message(alerts: list[Alert], *, sender: str, to: list[str], prefix: str) -> EmailMessage:
    """One e-mail for many low-severity alerts, most severe and riskiest first."""
    ordered = sorted(alerts, key=lambda a: (-a.risk_score, a.entity, a.event_type))
    since = min(a.last_seen for a in alerts)
    until = max(a.last_seen for a in alerts)
    msg = EmailMessage()
    msg["Subject"] = f"{prefix} digest · {len(alerts)} alerts · {_ts(since)} .. {_ts(until)}"
    msg["From"] = sender
    msg["To"] = ", ".join(to)
    msg["Date"] = format_datetime(utcnow())
    msg["Message-ID"] = make_msgid(domain=MAIL_DOMAIN)
    msg["X-Finsentry-Digest-Count"] = str(len(alerts))
    text = [f"{len(alerts)} alerts between {_ts(since)} and {_ts(until)}", ""]
    rows = []
    for a in ordered:
        lead = a.headlines[0] if a.headlines else ""
        url = a.urls[0] if a.urls else ""
        text.append(f"{a.status.upper():8} {a.severity:8} {a.risk_score:5.1f}  {a.entity:8} {a.event_type}  {lead}")
        link = f"<a href='{escape(url, quote=True)}'>{escape(lead)}</a>" if url else escape(lead)
        rows.append(
            f"<tr><td>{escape(a.status)}</td><td style='color:{SEVERITY_COLOUR[a.severity]}'>{escape(a.severity)}</td>"
            f"<td align='right'>{a.risk_score:.1f}</td><td><b>{escape(a.entity)}</b></td>"
            f"<td>{escape(a.event_type)}</td><td>{link}</td></tr>"
        )
    msg.set_content("\n".join(text) + "\n")
    msg.add_alternative(
        "<!doctype html><html><body style='font-family:sans-serif'>"
        f"<h2>{len(alerts)} alerts</h2><p>{_ts(since)} .. {_ts(until)}</p>"
        "<table cellpadding='3'><tr><th>status</th><th>severity</th><th>risk</th><th>entity</th>"
        f"<th>event</th><th>headline</th></tr>{''.join(rows)}</table></body></html>",
        subtype="html",
    )
    return msg
