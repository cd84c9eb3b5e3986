"""The idempotence ledger survives reopening, as it must survive a restart."""

from __future__ import annotations

from pathlib import Path

from alerts.dispatch.ledger import Ledger
from tests.alerts.dispatch_fixtures import episode, make_alert


def test_states_survive_reopen(tmp_path: Path) -> None:
    ledger = Ledger(tmp_path)
    ledger.mark_pending("pager", "a1")
    ledger.mark_pending("pager", "a2")
    ledger.mark_delivered("pager", "a2")
    ledger.close()
    again = Ledger(tmp_path)
    assert again.state("pager", "a1") == "pending"
    assert again.state("pager", "a2") == "delivered"
    assert again.state("mail", "a2") is None  # per receiver
    again.forget_pending("pager", "a1")
    again.forget_pending("pager", "a2")  # a delivered row is never forgotten
    assert again.state("pager", "a1") is None and again.state("pager", "a2") == "delivered"


def test_episode_alerts_have_distinct_ids() -> None:
    ids = {a.alert_id for a in episode("ACME")}
    assert len(ids) == 3
    first = episode("ACME")[0]
    assert make_alert("ACME", severity="medium", first_seen=first.first_seen).alert_id == first.alert_id


def test_digest_buffer_is_idempotent_and_durable(tmp_path: Path) -> None:
    ledger = Ledger(tmp_path)
    a, b = make_alert("AAA", severity="low"), make_alert("BBB", severity="low")
    assert ledger.add_to_digest("mail", a) and ledger.add_to_digest("mail", b)
    assert not ledger.add_to_digest("mail", a)
    ledger.close()
    ledger = Ledger(tmp_path)
    assert [x.alert_id for x in ledger.digest_entries("mail")] == [a.alert_id, b.alert_id]
    ledger.digest_sent("mail", [a.alert_id, b.alert_id])
    assert ledger.digest_entries("mail") == []
    assert ledger.state("mail", a.alert_id) == "delivered"
    assert not ledger.add_to_digest("mail", a)  # a replay after the digest went out


def test_prune_keeps_recent_rows(tmp_path: Path) -> None:
    ledger = Ledger(tmp_path)
    ledger.mark_delivered("pager", "old")
    assert ledger.prune(older_than_s=3600) == 0
    assert ledger.prune(older_than_s=-1) == 1
