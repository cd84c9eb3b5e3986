"""A library's repeated retry errors are folded; our own log lines never are."""

from __future__ import annotations

import logging
import sys

from finsentry.log_repeats import OutageTracebackFilter, RepeatFilter


def _record(name: str, msg: str, *args: object) -> logging.LogRecord:
    return logging.LogRecord(name, logging.ERROR, __file__, 1, msg, args, None)


def test_repeats_are_dropped_within_the_window_then_counted(monkeypatch: object) -> None:
    clock = [100.0]
    import finsentry.log_repeats as mod

    monkeypatch.setattr(mod.time, "monotonic", lambda: clock[0])  # type: ignore[attr-defined]
    f = RepeatFilter(window_s=30)
    first = _record("aiokafka", "Unable connect to node with id %s: %s", 1, "refused")
    assert f.filter(first)
    kept = [f.filter(_record("aiokafka", "Unable connect to node with id %s: %s", 1, "refused")) for _ in range(50)]
    assert not any(kept)
    # Another message of the same library is not a repeat.
    assert f.filter(_record("aiokafka.consumer.fetcher", "Failed fetch messages from %s", 1))
    clock[0] += 31
    later = _record("aiokafka", "Unable connect to node with id %s: %s", 1, "refused")
    assert f.filter(later)
    assert later.getMessage() == "Unable connect to node with id 1: refused [50 more like this in the last 30s]"


def test_our_own_loggers_pass_untouched() -> None:
    f = RepeatFilter(window_s=30)
    assert all(f.filter(_record("streams.reconnect", "waiting for Kafka")) for _ in range(5))
    assert all(f.filter(_record("kafkaesque", "not a Kafka library")) for _ in range(5))


def _with_exception(name: str, exc: BaseException) -> logging.LogRecord:
    try:
        raise exc
    except BaseException:
        return logging.LogRecord(name, logging.ERROR, __file__, 1, "Error receiving network data", (), sys.exc_info())


def test_a_library_losing_its_connection_logs_one_line_not_a_traceback() -> None:
    f = OutageTracebackFilter()
    reset = _with_exception("kafka.net.transport", ConnectionResetError(104, "Connection reset by peer"))
    assert f.filter(reset)
    assert reset.exc_info is None
    assert logging.Formatter().format(reset) == (
        "Error receiving network data: ConnectionResetError: [Errno 104] Connection reset by peer"
    )
    with_args = _with_exception("kafka.net.transport", ConnectionResetError(104, "reset at 100%"))
    with_args.msg, with_args.args = "Error receiving from %s", ("node 1",)
    assert f.filter(with_args)
    assert with_args.getMessage() == "Error receiving from node 1: ConnectionResetError: [Errno 104] reset at 100%"
    # Any other error, and our own loggers, keep their traceback.
    bug = _with_exception("kafka.net.transport", KeyError("x"))
    ours = _with_exception("streams.enrich", ConnectionResetError(104, "reset"))
    assert f.filter(bug) and f.filter(ours)
    assert "Traceback" in logging.Formatter().format(bug) and "Traceback" in logging.Formatter().format(ours)
