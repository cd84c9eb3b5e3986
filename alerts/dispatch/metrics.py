"""Delivery metrics of the dispatcher, on prometheus_client's default registry.

Names are fixed because dashboards read them (docs/dispatch.md lists the PromQL):

- `finsentry_deliveries_total{receiver,outcome}`: one per (alert, receiver) final outcome
  (delivered, parked, suppressed, duplicate) plus one `failed` per attempt that failed.
- `finsentry_delivery_seconds{receiver}`: from the alert's `last_seen` to the receiver's answer.
- `finsentry_delivery_retries_total{receiver}`: tries after the first.
- `finsentry_alerts_parked_total{receiver}`: alerts given up on and written to alerts.dlq.

Label values are receiver names from the routing file (a handful) and the fixed outcomes;
never alert text, never a secret.
"""

from __future__ import annotations

from typing import Final, Literal

from prometheus_client import Counter, Histogram

Outcome = Literal["delivered", "failed", "parked", "suppressed", "duplicate"]
OUTCOMES: Final[tuple[Outcome, ...]] = ("delivered", "failed", "parked", "suppressed", "duplicate")

# Receiver label for what no receiver could be named for (a record that is not an Alert).
NO_RECEIVER: Final = "none"

DELIVERIES = Counter(
    "finsentry_deliveries_total",
    "Alert deliveries by receiver and outcome (failed counts attempts, the rest count alerts)",
    ["receiver", "outcome"],
)
DELIVERY_SECONDS = Histogram(
    "finsentry_delivery_seconds",
    "Seconds from the alert's last_seen to the receiver accepting it",
    ["receiver"],
    buckets=(0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0, 300.0, 900.0, 3600.0),
)
RETRIES = Counter("finsentry_delivery_retries_total", "Delivery attempts after the first, by receiver", ["receiver"])
PARKED = Counter("finsentry_alerts_parked_total", "Alerts parked in alerts.dlq, by receiver", ["receiver"])


def count(receiver: str, outcome: Outcome) -> None:
    DELIVERIES.labels(receiver=receiver, outcome=outcome).inc()


def delivered(receiver: str, seconds: float) -> None:
    DELIVERIES.labels(receiver=receiver, outcome="delivered").inc()
    DELIVERY_SECONDS.labels(receiver=receiver).observe(max(seconds, 0.0))


def retried(receiver: str) -> None:
    RETRIES.labels(receiver=receiver).inc()


def parked(receiver: str) -> None:
    DELIVERIES.labels(receiver=receiver, outcome="parked").inc()
    PARKED.labels(receiver=receiver).inc()


def init_receivers(names: list[str]) -> None:
    """Create every series at zero, so rate() and absent() work before the first alert."""
    for name in [*names, NO_RECEIVER]:
        for outcome in OUTCOMES:
            DELIVERIES.labels(receiver=name, outcome=outcome)
        DELIVERY_SECONDS.labels(receiver=name)
        RETRIES.labels(receiver=name)
        PARKED.labels(receiver=name)
