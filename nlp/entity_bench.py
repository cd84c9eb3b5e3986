"""`finsentry bench entities`: headlines/s of the entity/event annotator on this machine.

The texts are the evaluation set's headlines, repeated to the size asked for. The annotator is
warmed up on one batch (first-call allocations) before the clock starts; then each batch is
timed on the wall clock and on this process's CPU clock, so a figure taken on a shared machine
still says what the work costs on a core of its own.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from nlp.entity_eval import DEFAULT_EVAL, read_eval
from nlp.interfaces import Annotator


@dataclass(frozen=True)
class BenchResult:
    texts: int
    wall_s: float
    cpu_s: float
    batch_size: int
    device: str
    entities: int
    events: int

    @property
    def per_s(self) -> float:
        return self.texts / self.wall_s if self.wall_s else 0.0

    def as_dict(self) -> dict[str, object]:
        return {
            "bench": "entities",
            "texts": self.texts,
            "wall_s": round(self.wall_s, 3),
            "headlines_per_s": round(self.per_s, 1),
            "ms_per_headline": round(1000 * self.wall_s / self.texts, 3) if self.texts else None,
            # CPU time of this process: what the work costs on a core of its own, even when
            # other processes share the machine and stretch the wall clock.
            "cpu_s": round(self.cpu_s, 3),
            "headlines_per_cpu_s": round(self.texts / self.cpu_s, 1) if self.cpu_s else None,
            "load_avg_1m": round(os.getloadavg()[0], 2),
            "cpu_count": os.cpu_count(),
            "batch_size": self.batch_size,
            "device": self.device,
            "entities_found": self.entities,
            "events_found": self.events,
        }


def bench_texts(n: int, path: Path = DEFAULT_EVAL) -> list[str]:
    """n headlines for the benchmark: the eval set's texts, repeated as often as needed."""
    texts = [i.text for i in read_eval(path)]
    if not texts:
        raise ValueError(f"{path}: no texts")
    return [texts[k % len(texts)] for k in range(n)]


def bench_annotator(
    annotator: Annotator,
    texts: Sequence[str],
    batch_size: int,
    on_batch: Callable[[int], None] | None = None,
) -> BenchResult:
    """Annotate `texts` in batches of `batch_size` after one warm-up batch, timing only the
    annotate() calls; `on_batch(k)` is told after each batch of k texts (a progress bar)."""
    annotator.annotate(texts[:batch_size], [None] * min(batch_size, len(texts)))  # warm-up
    entities = events = 0
    wall = cpu = 0.0
    for k in range(0, len(texts), batch_size):
        chunk = texts[k : k + batch_size]
        t0, c0 = time.perf_counter(), time.process_time()
        annotations = annotator.annotate(chunk, [None] * len(chunk))
        wall += time.perf_counter() - t0
        cpu += time.process_time() - c0
        entities += sum(len(a.entities) for a in annotations)
        events += sum(len(a.events) for a in annotations)
        if on_batch is not None:
            on_batch(len(chunk))
    return BenchResult(len(texts), wall, cpu, batch_size, annotator.device, entities, events)
