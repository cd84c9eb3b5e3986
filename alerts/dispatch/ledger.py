"""What was delivered to whom: the idempotence store, an SQLite file under `state_dir`.

One row per (receiver, alert_id). `alert_id` is a hash of (dedup_key, status, severity,
first_seen of the episode), so a replayed alert finds its row and is not sent again, while
an escalation or a resolve has a new id and is sent. A row is written `pending` just before
the send and `delivered` right after the receiver accepted: after a crash, `pending` marks
the few alerts whose fate is unknown, and they are re-sent flagged as a redelivery with the
same idempotency key (PagerDuty dedup_key, webhook Idempotency-Key, e-mail Message-ID).

The digest buffer lives here too, so low-severity alerts survive a restart between their
arrival (when their offset is committed) and the digest e-mail.

WAL + synchronous=NORMAL: a committed row survives the process being killed; only a crash
of the whole machine can lose the last transactions.
"""

from __future__ import annotations

import sqlite3
import time
from pathlib import Path
from typing import Literal

from finsentry.contracts import Alert

State = Literal["pending", "delivered"]

_SCHEMA = """
CREATE TABLE IF NOT EXISTS deliveries (
    receiver   TEXT NOT NULL,
    alert_id   TEXT NOT NULL,
    state      TEXT NOT NULL CHECK (state IN ('pending', 'delivered')),
    updated_at REAL NOT NULL,
    PRIMARY KEY (receiver, alert_id)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS digest (
    receiver   TEXT NOT NULL,
    alert_id   TEXT NOT NULL,
    alert_json TEXT NOT NULL,
    added_at   REAL NOT NULL,
    PRIMARY KEY (receiver, alert_id)
) WITHOUT ROWID;
"""


class Ledger:
    FILE_NAME = "ledger.sqlite3"

    def __init__(self, state_dir: Path) -> None:
        state_dir.mkdir(parents=True, exist_ok=True)
        self.path = state_dir / self.FILE_NAME
        self._db = sqlite3.connect(self.path, isolation_level=None)
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("PRAGMA synchronous=NORMAL")
        self._db.executescript(_SCHEMA)

    def close(self) -> None:
        self._db.close()

    def state(self, receiver: str, alert_id: str) -> State | None:
        row = self._db.execute(
            "SELECT state FROM deliveries WHERE receiver = ? AND alert_id = ?", (receiver, alert_id)
        ).fetchone()
        return None if row is None else row[0]

    def _set(self, receiver: str, alert_id: str, state: State) -> None:
        self._db.execute(
            "INSERT INTO deliveries (receiver, alert_id, state, updated_at) VALUES (?, ?, ?, ?) "
            "ON CONFLICT (receiver, alert_id) DO UPDATE SET state = excluded.state, updated_at = excluded.updated_at",
            (receiver, alert_id, state, time.time()),
        )

    def mark_pending(self, receiver: str, alert_id: str) -> None:
        self._set(receiver, alert_id, "pending")

    def mark_delivered(self, receiver: str, alert_id: str) -> None:
        self._set(receiver, alert_id, "delivered")

    def forget_pending(self, receiver: str, alert_id: str) -> None:
        """The send failed for sure (parked): a later replay should try again."""
        self._db.execute(
            "DELETE FROM deliveries WHERE receiver = ? AND alert_id = ? AND state = 'pending'", (receiver, alert_id)
        )

    def delivered_count(self, receiver: str | None = None) -> int:
        sql = "SELECT COUNT(*) FROM deliveries WHERE state = 'delivered'"
        row = (
            self._db.execute(sql + " AND receiver = ?", (receiver,)).fetchone()
            if receiver
            else self._db.execute(sql).fetchone()
        )
        return int(row[0])

    def prune(self, older_than_s: float) -> int:
        """Drop delivered rows older than the replay horizon, so the file stays small."""
        cur = self._db.execute(
            "DELETE FROM deliveries WHERE state = 'delivered' AND updated_at < ?", (time.time() - older_than_s,)
        )
        return cur.rowcount

    # -- digest buffer -------------------------------------------------------------------

    def add_to_digest(self, receiver: str, alert: Alert) -> bool:
        """Buffer an alert for `receiver`'s digest; False if it is already buffered or sent."""
        if self.state(receiver, alert.alert_id) == "delivered":
            return False
        cur = self._db.execute(
            "INSERT OR IGNORE INTO digest (receiver, alert_id, alert_json, added_at) VALUES (?, ?, ?, ?)",
            (receiver, alert.alert_id, alert.model_dump_json(), time.time()),
        )
        return cur.rowcount == 1

    def digest_entries(self, receiver: str) -> list[Alert]:
        rows = self._db.execute(
            "SELECT alert_json FROM digest WHERE receiver = ? ORDER BY added_at, alert_id", (receiver,)
        ).fetchall()
        return [Alert.model_validate_json(r[0]) for r in rows]

    def digest_oldest(self, receiver: str) -> float | None:
        """When the oldest alert still in `receiver`'s digest was buffered (Unix seconds)."""
        row = self._db.execute("SELECT MIN(added_at) FROM digest WHERE receiver = ?", (receiver,)).fetchone()
        return None if row is None or row[0] is None else float(row[0])

    def digest_receivers(self) -> list[str]:
        return [r[0] for r in self._db.execute("SELECT DISTINCT receiver FROM digest ORDER BY receiver")]

    def digest_sent(self, receiver: str, alert_ids: list[str]) -> None:
        """The digest e-mail went out: its alerts become delivered, in one transaction."""
        now = time.time()
        with self._db:
            self._db.execute("BEGIN")
            for alert_id in alert_ids:
                self._db.execute("DELETE FROM digest WHERE receiver = ? AND alert_id = ?", (receiver, alert_id))
                self._db.execute(
                    "INSERT INTO deliveries (receiver, alert_id, state, updated_at) VALUES (?, ?, 'delivered', ?) "
                    "ON CONFLICT (receiver, alert_id) DO UPDATE SET state = 'delivered', updated_at = excluded.updated_at",
                    (receiver, alert_id, now),
                )

    def digest_dropped(self, receiver: str, alert_ids: list[str]) -> None:
        """The digest was parked in alerts.dlq: take its alerts out of the buffer."""
        with self._db:
            self._db.execute("BEGIN")
            for alert_id in alert_ids:
                self._db.execute("DELETE FROM digest WHERE receiver = ? AND alert_id = ?", (receiver, alert_id))
