"""ProcessAnnotator: the spaCy annotator in a child process, so entities overlap sentiment.

Why a process: spaCy and the event rules hold the GIL for most of their time, so in a
thread beside the sentiment model they stall it at every op boundary (measured: 191
events/s together against 227/s one after the other). In a child process the two models
run at once on separate cores, and the worker's event loop keeps its GIL.

The child is `python -m nlp.annotator_process SETTINGS_JSON`: it loads the annotator, writes
a ready frame, then answers one request frame with one reply frame until its stdin closes
(which also happens when the parent dies, even by SIGKILL). Frames are a 4-byte big-endian
length and an orjson body: texts and feed tickers in, annotations and seconds out.
Nothing is pickled.
"""

from __future__ import annotations

import logging
import os
import signal
import struct
import subprocess
import sys
import threading
import time
from collections.abc import Sequence
from typing import IO, Any

import orjson

from finsentry.contracts import Entity, Event
from finsentry.settings import EntitySettings
from nlp.interfaces import Annotation

log = logging.getLogger(__name__)

_HEADER = struct.Struct(">I")


class AnnotatorProcessError(RuntimeError):
    """The child process failed to start, died, or answered something unreadable."""


def _write_frame(out: IO[bytes], body: bytes) -> None:
    out.write(_HEADER.pack(len(body)))
    out.write(body)
    out.flush()


def _read_frame(src: IO[bytes]) -> bytes | None:
    """One frame's body, or None at a clean end of stream."""
    header = src.read(_HEADER.size)
    if not header:
        return None
    if len(header) < _HEADER.size:
        raise EOFError("stream ended inside a frame header")
    (size,) = _HEADER.unpack(header)
    body = src.read(size)
    if len(body) < size:
        raise EOFError("stream ended inside a frame")
    return body


def _dump(annotation: Annotation) -> dict[str, Any]:
    return {
        "entities": [e.model_dump(mode="json") for e in annotation.entities],
        "events": [e.model_dump(mode="json") for e in annotation.events],
    }


def _load(raw: dict[str, Any]) -> Annotation:
    return Annotation(
        entities=[Entity.model_validate(e) for e in raw["entities"]],
        events=[Event.model_validate(e) for e in raw["events"]],
    )


class PendingAnnotations:
    """A request sent to the child; `result()` waits for its reply."""

    def __init__(self, owner: ProcessAnnotator, n: int) -> None:
        self._owner = owner
        self._n = n
        self.seconds = 0.0  # the child's own time for the batch

    def result(self) -> list[Annotation]:
        reply = self._owner._receive()
        annotations = [_load(a) for a in reply["annotations"]]
        if len(annotations) != self._n:
            raise AnnotatorProcessError(f"asked for {self._n} annotations, got {len(annotations)}")
        self.seconds = float(reply["seconds"])
        return annotations


class ProcessAnnotator:
    """The `Annotator` protocol, answered by a SpacyAnnotator in a child process.

    One request at a time (the enrich stage calls it from one thread); `submit` sends a
    batch and returns at once, so the caller can run the sentiment model meanwhile.
    """

    name = "spacy-rules"
    version = "starting"
    device = "cpu"

    def __init__(self, settings: EntitySettings, *, wait: bool = True, start_timeout_s: float = 120.0) -> None:
        env = {**os.environ, "OMP_NUM_THREADS": "1", "OPENBLAS_NUM_THREADS": "1", "MKL_NUM_THREADS": "1"}
        self._proc = subprocess.Popen(
            [sys.executable, "-m", "nlp.annotator_process", settings.model_dump_json()],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            env=env,
        )
        self._busy = False
        self._start_timeout_s = start_timeout_s
        if wait:
            self.wait_ready()

    def wait_ready(self) -> ProcessAnnotator:
        """Wait for the child to load its model (it says so with a first frame)."""
        try:
            ready = self._receive(timeout_s=self._start_timeout_s)
        except AnnotatorProcessError:
            self._proc.kill()
            raise
        self.name, self.version, self.device = ready["name"], ready["version"], ready["device"]
        log.info("entities in child process %d: %s on %s", self._proc.pid, self.version, self.device)
        return self

    def submit(self, texts: Sequence[str], feed_tickers: Sequence[Sequence[str] | None]) -> PendingAnnotations:
        if len(feed_tickers) != len(texts):
            raise ValueError(f"{len(texts)} texts but {len(feed_tickers)} feed ticker lists")
        if self._busy:
            raise AnnotatorProcessError("a batch is already in flight; call result() first")
        self._busy = True
        body = orjson.dumps({"texts": list(texts), "tickers": [list(t) if t else None for t in feed_tickers]})
        try:
            assert self._proc.stdin is not None
            _write_frame(self._proc.stdin, body)
        except (BrokenPipeError, OSError) as exc:
            self._busy = False
            raise self._died(exc) from exc
        return PendingAnnotations(self, len(texts))

    def annotate(self, texts: Sequence[str], feed_tickers: Sequence[Sequence[str] | None]) -> list[Annotation]:
        return self.submit(texts, feed_tickers).result()

    def _receive(self, timeout_s: float | None = None) -> dict[str, Any]:
        assert self._proc.stdout is not None
        try:
            if timeout_s is not None:
                body = _read_with_timeout(self._proc.stdout, timeout_s)
            else:
                body = _read_frame(self._proc.stdout)
        except (EOFError, OSError) as exc:
            raise self._died(exc) from exc
        finally:
            self._busy = False
        if body is None:
            raise self._died(None)
        reply: dict[str, Any] = orjson.loads(body)
        if "error" in reply:
            raise AnnotatorProcessError(f"entity process: {reply['error']}")
        return reply

    def _died(self, cause: BaseException | None) -> AnnotatorProcessError:
        try:
            code = self._proc.wait(timeout=5)
        except subprocess.TimeoutExpired:
            code = None
        return AnnotatorProcessError(
            f"the entity process (pid {self._proc.pid}) stopped answering (exit code {code}"
            f"{'' if cause is None else f', {cause}'}); its stderr is in the worker log"
        )

    def close(self, timeout_s: float = 10.0) -> None:
        """Close the child's stdin (its signal to exit) and wait for it."""
        if self._proc.poll() is None:
            try:
                assert self._proc.stdin is not None
                self._proc.stdin.close()
            except OSError:
                pass
            try:
                self._proc.wait(timeout=timeout_s)
            except subprocess.TimeoutExpired:
                self._proc.kill()
                self._proc.wait()

    def __del__(self) -> None:
        proc = getattr(self, "_proc", None)
        if proc is not None and proc.poll() is None:
            proc.kill()


def _read_with_timeout(src: IO[bytes], timeout_s: float) -> bytes | None:
    """Read one frame, giving up after timeout_s (the child is still loading its model)."""
    result: list[bytes | BaseException | None] = []

    def read() -> None:
        try:
            result.append(_read_frame(src))
        except BaseException as exc:  # handed to the caller
            result.append(exc)

    reader = threading.Thread(target=read, daemon=True)
    reader.start()
    reader.join(timeout_s)
    if not result:
        raise OSError(f"no answer within {timeout_s:.0f}s")
    outcome = result[0]
    if isinstance(outcome, BaseException):
        raise outcome
    return outcome


def _serve(settings_json: str) -> int:
    # Ctrl-C reaches the whole process group: the parent decides when we stop (by closing stdin).
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    logging.basicConfig(level=logging.WARNING, stream=sys.stderr, format="%(asctime)s entity-process %(message)s")
    from nlp.annotator import load_annotator

    # Frames get the real stdout to themselves; anything a library prints goes to stderr.
    stdout = os.fdopen(os.dup(1), "wb")
    os.dup2(2, 1)
    sys.stdout = sys.stderr
    stdin = sys.stdin.buffer
    try:
        annotator = load_annotator(EntitySettings.model_validate_json(settings_json))
    except Exception as exc:
        _write_frame(stdout, orjson.dumps({"error": f"loading the annotator failed: {exc!r}"}))
        return 1
    _write_frame(
        stdout, orjson.dumps({"name": annotator.name, "version": annotator.version, "device": annotator.device})
    )
    while (body := _read_frame(stdin)) is not None:
        request = orjson.loads(body)
        started = time.perf_counter()
        try:
            annotations = annotator.annotate(request["texts"], request["tickers"])
        except Exception as exc:  # reported to the parent, which raises it in the worker
            _write_frame(stdout, orjson.dumps({"error": repr(exc)}))
            continue
        seconds = time.perf_counter() - started
        _write_frame(stdout, orjson.dumps({"annotations": [_dump(a) for a in annotations], "seconds": seconds}))
    return 0


if __name__ == "__main__":
    sys.exit(_serve(sys.argv[1]))
