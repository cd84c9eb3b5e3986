"""The batched predictor: edge cases, order, micro-batching and loading errors."""

from __future__ import annotations

import math
from pathlib import Path

import pytest

from finsentry.contracts import SENTIMENT_LABELS, Sentiment
from finsentry.settings import SentimentSettings
from nlp.interfaces import SentimentModel
from nlp.sentiment import BatchedSentiment, ModelNotFoundError, has_model, load_sentiment, token_budget_batches
from nlp.training import train_tiny_model


@pytest.fixture(scope="module")
def tiny(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.getbasetemp() / "tiny-sentiment"
    return out if has_model(out) else train_tiny_model(out)


@pytest.fixture(scope="module")
def model(tiny: Path) -> BatchedSentiment:
    # A small token cap so that a few texts already span several micro-batches.
    return BatchedSentiment(tiny, device="cpu", cpu_threads=1, max_batch_tokens=256, max_length=128)


def check(s: Sentiment) -> None:
    probs = [s.probs.negative, s.probs.neutral, s.probs.positive]
    assert math.isclose(sum(probs), 1.0, abs_tol=1e-4)
    assert s.label == SENTIMENT_LABELS[probs.index(max(probs))]
    assert s.score == pytest.approx(max(probs))


def test_implements_the_protocol(model: BatchedSentiment, tiny: Path) -> None:
    as_protocol: SentimentModel = model
    assert as_protocol.device == "cpu"
    assert model.name == tiny.name
    assert model.version.startswith(f"{tiny.name}-") and len(model.version) == len(tiny.name) + 9


EDGE_CASES = [
    "",
    "   \n\t ",
    "https://t.co/abcdef",
    "Kursrutsch: Aktien der Deutschen Bank fallen um 8 Prozent",
    "株価が暴落した",
    "📉📉📉 $TSLA 🚀",
    "\x00\x01\x02 ### ~~~ ||| \u200b",
    "\ud800 broken surrogate \udfff",
    "word " * 50_000,
    "x" * 1_000_000,
]


def test_edge_cases_never_raise(model: BatchedSentiment) -> None:
    out = model.predict(EDGE_CASES)
    assert len(out) == len(EDGE_CASES)
    for s in out:
        check(s)


def test_empty_batch(model: BatchedSentiment) -> None:
    assert model.predict([]) == []


def test_batched_equals_one_by_one_in_input_order(model: BatchedSentiment) -> None:
    texts = [
        "Profit warning sends shares down 20%",
        "a",
        "The company said on Tuesday that its board would meet in Helsinki to discuss the agenda for the year",
        "Sales up 12% year on year, beating consensus",
        "Q3",
    ] * 4
    batched = model.predict(texts)
    assert len(list(token_budget_batches([len(x) for x in model.encode(texts)], 256))) > 1
    for text, s in zip(texts, batched, strict=True):
        (single,) = model.predict([text])
        assert single.label == s.label
        assert single.probs.negative == pytest.approx(s.probs.negative, abs=1e-4)
        assert single.probs.positive == pytest.approx(s.probs.positive, abs=1e-4)


def test_long_text_is_truncated_to_max_length(model: BatchedSentiment) -> None:
    assert max(len(ids) for ids in model.encode(["word " * 5000, "x" * 100_000])) == model.max_length


@pytest.mark.parametrize("cap", [16, 64, 300])
def test_token_budget_batches_cover_every_text_once_within_the_cap(cap: int) -> None:
    lengths = [5, 40, 3, 17, 17, 90, 1, 33, 8, 8, 64]
    batches = list(token_budget_batches(lengths, cap))
    assert sorted(i for b in batches for i in b) == list(range(len(lengths)))
    for b in batches:
        assert len(b) == 1 or max(lengths[i] for i in b) * len(b) <= cap
    flat = [lengths[i] for b in batches for i in b]
    assert flat == sorted(flat)


def test_load_sentiment_prefers_model_dir_and_explains_a_missing_model(tiny: Path, tmp_path: Path) -> None:
    assert load_sentiment(SentimentSettings(model_dir=tiny, default_dir=tmp_path, device="cpu")).name == tiny.name
    assert load_sentiment(SentimentSettings(default_dir=tiny, device="cpu")).name == tiny.name
    with pytest.raises(ModelNotFoundError, match=r"finsentry train --out .*empty"):
        load_sentiment(SentimentSettings(default_dir=tmp_path / "empty"))
    with pytest.raises(ModelNotFoundError, match="FINSENTRY_SENTIMENT__MODEL_DIR"):
        load_sentiment(SentimentSettings(model_dir=tmp_path / "nothing"))


def test_cpu_caps_micro_batches_and_bf16_autocast_still_gives_valid_probabilities(tiny: Path) -> None:
    fast = BatchedSentiment(tiny, device="cpu", max_batch_tokens=8192, cpu_max_batch_tokens=512, cpu_bf16=True)
    assert fast.max_batch_tokens == 512
    out = fast.predict(EDGE_CASES[:6])
    assert len(out) == 6
    for s in out:
        check(s)


def test_onednn_linears_give_the_stock_probabilities(tiny: Path) -> None:
    from torch import nn

    from nlp.onednn import OneDnnLinear

    swapped = BatchedSentiment(tiny, device="cpu", cpu_threads=2, max_batch_tokens=256)
    stock = BatchedSentiment(tiny, device="cpu", cpu_threads=2, max_batch_tokens=256, cpu_onednn=False)
    linears = [m for m in swapped.model.modules() if isinstance(m, OneDnnLinear)]
    assert swapped.onednn_linears == len(linears) > 0
    assert not any(type(m) is nn.Linear for m in swapped.model.modules())
    assert stock.onednn_linears == 0 and not any(isinstance(m, OneDnnLinear) for m in stock.model.modules())
    texts = EDGE_CASES + [f"Shares of company {i} fall after results" for i in range(40)]
    for got, want in zip(swapped.predict_proba(texts), stock.predict_proba(texts), strict=True):
        assert got == pytest.approx(want, abs=1e-5)


def test_parallel_micro_batches_match_one_thread_in_order(tiny: Path, model: BatchedSentiment) -> None:
    two = BatchedSentiment(tiny, device="cpu", cpu_threads=2, max_batch_tokens=256, max_length=128)
    texts = [f"{'long ' * (i % 17)}headline number {i}" for i in range(60)]
    for got, want in zip(two.predict_proba(texts), model.predict_proba(texts), strict=True):
        assert got == pytest.approx(want, abs=1e-5)
    assert two.predict_proba(texts[:1])[0] == pytest.approx(model.predict_proba(texts[:1])[0], abs=1e-5)


def test_an_empty_batch_reads_as_nothing(model: BatchedSentiment) -> None:
    reading = model.read([])
    assert reading.sentiments == [] and reading.towards([]) == []
