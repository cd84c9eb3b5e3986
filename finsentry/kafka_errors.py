"""The one error of the local broker, shared by the modules that fetch, choose Java and run it."""

from __future__ import annotations


class KafkaError(RuntimeError):
    """The local broker could not be fetched, started or reached."""
