"""Kafka topic names and partition counts: the one place each is written down."""

from __future__ import annotations

from typing import Final

NEWS: Final = "news"
ENRICHED: Final = "news.enriched"
ALERTS: Final = "alerts"
NEWS_DLQ: Final = "news.dlq"
ALERTS_DLQ: Final = "alerts.dlq"

# Partitions bound how many workers can share a topic; 4 lets a 2-core box run two
# workers with room to grow, and the DLQs see little traffic.
PARTITIONS: Final[dict[str, int]] = {
    NEWS: 4,
    ENRICHED: 4,
    ALERTS: 4,
    NEWS_DLQ: 1,
    ALERTS_DLQ: 1,
}
