"""Quiet repeats: a client library that fails to reach Kafka logs the same error every retry.

aiokafka logs "Unable connect to node" at ERROR on each try (about 10,000 lines in a 60 s
broker outage, measured), burying what happened. `RepeatFilter` lets the first record of
each kind through, drops its repeats for `window_s`, then lets one through that says how
many were dropped. Our own loggers are never filtered: they already log once per outage.

kafka-python also logs a connection the broker reset mid-request with its whole traceback
(`ConnectionResetError` in `kafka.net.transport`), which reads like a crash in the middle of an
outage that is being ridden out. `OutageTracebackFilter` keeps such a record as one line with
the error's name and text, and leaves every other traceback alone.
"""

from __future__ import annotations

import logging
import threading
import time

LIBRARIES = ("aiokafka", "kafka", "faust", "mode")


def from_library(name: str, prefixes: tuple[str, ...] = LIBRARIES) -> bool:
    """Is `name` the logger of one of the client libraries (or one of its children)?"""
    return any(name == p or name.startswith(p + ".") for p in prefixes)


class RepeatFilter(logging.Filter):
    """Drop a library record that repeats one seen within `window_s` (same logger, level, format)."""

    def __init__(self, window_s: float = 30.0, prefixes: tuple[str, ...] = LIBRARIES) -> None:
        super().__init__()
        self.window_s = window_s
        self.prefixes = prefixes
        self._seen: dict[tuple[str, int, str], tuple[float, int]] = {}  # -> (last let through, dropped since)
        self._lock = threading.Lock()  # the lag monitors log from their own threads

    def filter(self, record: logging.LogRecord) -> bool:
        if not from_library(record.name, self.prefixes):
            return True
        key = (record.name, record.levelno, str(record.msg))
        now = time.monotonic()
        with self._lock:
            last, dropped = self._seen.get(key, (float("-inf"), 0))
            if now - last < self.window_s:
                self._seen[key] = (last, dropped + 1)
                return False
            self._seen[key] = (now, 0)
        if dropped:
            record.msg = f"{record.msg} [{dropped} more like this in the last {self.window_s:.0f}s]"
        return True


class OutageTracebackFilter(logging.Filter):
    """A library record about a lost connection keeps its error as text, not as a traceback."""

    def __init__(self, prefixes: tuple[str, ...] = LIBRARIES) -> None:
        super().__init__()
        self.prefixes = prefixes

    def filter(self, record: logging.LogRecord) -> bool:
        exc = record.exc_info[1] if record.exc_info else None
        if from_library(record.name, self.prefixes) and isinstance(exc, (ConnectionError, TimeoutError)):
            # Escaped: the message is still %-formatted with the record's args.
            record.msg = f"{record.msg}: {type(exc).__name__}: {str(exc).replace('%', '%%')}"
            record.exc_info = None
            record.exc_text = None
        return True
