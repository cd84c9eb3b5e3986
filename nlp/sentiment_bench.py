"""`finsentry bench model`: the batched predictor against the per-event way, same model, same texts, same run.

The per-event way is how open-source peers score a stream: a transformers
`pipeline("text-classification")` called with one text per event, over the model as
transformers loads it. Both sides get the same cleaned texts (URLs dropped, as the model
was trained), the same weights and the same thread count; each is warmed up before the
clock starts.
"""

from __future__ import annotations

import re
import statistics
import time
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from nlp.sentiment import BatchedSentiment
from nlp.sentiment_data import REPO_TWEETS_VALID, load_csv, normalize_text


@dataclass(frozen=True)
class BenchResult:
    model: str
    device: str
    precision: str
    threads: int
    texts: int
    batch_size: int
    batched_per_s: float
    batched_batch_p50_ms: float
    batched_batch_p95_ms: float
    per_event_per_s: float
    per_event_p50_ms: float
    per_event_p95_ms: float
    ratio: float
    # The pipeline's way: the article head plus the entity head towards one mention per text
    # (the text's first word stands in for a company), from the same single encoder pass.
    read_per_s: float
    # Share of texts where both ways chose the same label: a check that they ran the same model.
    agreement: float

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def bench_texts(n: int, path: Path = REPO_TWEETS_VALID) -> list[str]:
    """n texts for the benchmark: the texts of a labelled CSV (default: the repo tweets' valid
    split), repeated as often as needed. A file that is not labelled CSV raises DataFormatError."""
    texts = [e.text for e in load_csv(path)]
    return (texts * (n // len(texts) + 1))[:n]


def _pct(values: Sequence[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


_WORD = re.compile(r"\w+")


def _first_word(text: str) -> list[tuple[int, int]]:
    m = _WORD.search(text)
    return [(m.start(), m.end())] if m else []


def bench_model(predictor: BatchedSentiment, texts: Sequence[str], *, batch_size: int = 256) -> BenchResult:
    import torch
    from transformers import pipeline

    cleaned = [normalize_text(t) for t in texts]
    warm = cleaned[: min(len(cleaned), 32)]

    predictor.predict(warm)
    batch_ms: list[float] = []
    batched_labels: list[str] = []
    start = time.perf_counter()
    for i in range(0, len(cleaned), batch_size):
        t0 = time.perf_counter()
        batched_labels.extend(s.label for s in predictor.predict(cleaned[i : i + batch_size]))
        batch_ms.append((time.perf_counter() - t0) * 1000)
    batched_s = time.perf_counter() - start

    predictor.read(warm)
    start = time.perf_counter()
    for i in range(0, len(cleaned), batch_size):
        batch = cleaned[i : i + batch_size]
        reading = predictor.read(batch)
        reading.towards([(k, _first_word(t)) for k, t in enumerate(batch)])
    read_s = time.perf_counter() - start

    # The peers' way runs the stock model: the same weights loaded as transformers loads
    # them, without the predictor's serving changes (oneDNN linears).
    from transformers import AutoModelForSequenceClassification

    stock = AutoModelForSequenceClassification.from_pretrained(predictor.model_dir, use_safetensors=True).eval()
    classify = pipeline(
        "text-classification",
        model=stock,
        tokenizer=predictor.tokenizer,
        device=torch.device(predictor.device),
        truncation=True,
        max_length=predictor.max_length,
    )
    for text in warm:
        classify(text)
    event_ms: list[float] = []
    event_labels: list[str] = []
    start = time.perf_counter()
    for text in cleaned:
        t0 = time.perf_counter()
        event_labels.append(str(classify(text)[0]["label"]).lower())
        event_ms.append((time.perf_counter() - t0) * 1000)
    event_s = time.perf_counter() - start

    batched_rate = len(cleaned) / batched_s
    event_rate = len(cleaned) / event_s
    same = sum(a == b for a, b in zip(batched_labels, event_labels, strict=True))
    return BenchResult(
        model=predictor.version,
        device=predictor.device,
        precision="bf16" if predictor.device == "cuda" or predictor.cpu_bf16 else "fp32",
        threads=torch.get_num_threads(),
        texts=len(cleaned),
        batch_size=batch_size,
        batched_per_s=round(batched_rate, 1),
        batched_batch_p50_ms=round(statistics.median(batch_ms), 2),
        batched_batch_p95_ms=round(_pct(batch_ms, 0.95), 2),
        per_event_per_s=round(event_rate, 1),
        per_event_p50_ms=round(statistics.median(event_ms), 2),
        per_event_p95_ms=round(_pct(event_ms, 0.95), 2),
        ratio=round(batched_rate / event_rate, 2),
        read_per_s=round(len(cleaned) / read_s, 1),
        agreement=round(same / len(cleaned), 4),
    )
