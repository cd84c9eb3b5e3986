"""The batched sentiment predictor the pipeline calls: a fine-tuned model directory in, Sentiment records out.

Texts are cleaned the way they were in training, tokenized once, sorted by length and cut
into micro-batches capped by padded tokens, so a batch of headlines pads little and a long
article cannot blow the memory. Inference runs under `torch.inference_mode`, on CUDA with
bf16 autocast when there is a GPU, else on CPU in fp32 (bf16 autocast when asked for) with
a fixed thread count and smaller micro-batches, which stay in the CPU's cache.

It is not thread-safe: the pipeline calls it from one worker thread (`asyncio.to_thread`)
at a time, which keeps the event loop free while the model runs.
"""

from __future__ import annotations

import hashlib
import logging
import os
from collections.abc import Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any, Literal

from finsentry.contracts import SENTIMENT_LABELS, Sentiment, SentimentProbs
from finsentry.settings import SentimentSettings
from nlp.entity_spans import EncodedText, encode_texts
from nlp.interfaces import ArticleReading, CharSpan, SentimentReading
from nlp.sentiment_data import normalize_text

log = logging.getLogger(__name__)

WEIGHTS_FILE = "model.safetensors"
# Tokens per character are at least ~1/8 in any script, so this many characters per token of
# budget always fill `max_length`; cutting first keeps a megabyte of garbage cheap to tokenize.
_CHARS_PER_TOKEN_BUDGET = 16

Device = Literal["cpu", "cuda"]


class ModelNotFoundError(FileNotFoundError):
    """No fine-tuned model in the directory; the message says how to build one."""


def offline_hub() -> None:
    """Make sure transformers never reaches for a model hub (every model here is a local directory), quietly."""
    os.environ["HF_HUB_OFFLINE"] = "1"
    os.environ["TRANSFORMERS_OFFLINE"] = "1"
    # Load reports and per-shard progress bars would drown our own logs and progress bars.
    os.environ.setdefault("HF_HUB_DISABLE_PROGRESS_BARS", "1")
    from transformers.utils import logging as hf_logging

    hf_logging.set_verbosity_error()  # type: ignore[no-untyped-call]
    hf_logging.disable_progress_bar()  # type: ignore[no-untyped-call]


def has_model(model_dir: Path) -> bool:
    return (model_dir / WEIGHTS_FILE).is_file() and (model_dir / "config.json").is_file()


def resolve_device(device: str) -> Device:
    import torch

    if device == "cuda" or (device == "auto" and torch.cuda.is_available()):
        if not torch.cuda.is_available():
            raise RuntimeError("device 'cuda' asked for, but torch sees no CUDA device")
        return "cuda"
    if device not in ("auto", "cpu"):
        raise ValueError(f"unknown device {device!r}: expected auto, cpu or cuda")
    return "cpu"


def weights_digest(model_dir: Path, length: int = 8) -> str:
    h = hashlib.sha256()
    with (model_dir / WEIGHTS_FILE).open("rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()[:length]


def safe_text(text: object, max_length: int) -> str:
    """Any input to a string the tokenizer accepts, before clean-up; character offsets stay those of `text`."""
    if not isinstance(text, str):
        text = "" if text is None else str(text)
    # Lone surrogates (broken UTF-16 from some feeds) make the Rust tokenizer raise; each
    # becomes one '?', so offsets into the text still hold.
    text = text.encode("utf-8", "replace").decode("utf-8")
    return text[: max_length * _CHARS_PER_TOKEN_BUDGET]


def clean_for_model(text: object, max_length: int) -> str:
    """Any input to the cleaned string the model reads: never raises, whatever the feed sent."""
    return normalize_text(safe_text(text, max_length))


def token_budget_batches(lengths: Sequence[int], max_batch_tokens: int) -> Iterator[list[int]]:
    """Indices grouped into micro-batches, shortest texts first, each with (count x longest) <= the cap.

    A single text longer than the cap still gets a batch of its own.
    """
    order = sorted(range(len(lengths)), key=lengths.__getitem__)
    batch: list[int] = []
    longest = 0
    for i in order:
        candidate = max(longest, lengths[i])
        if batch and candidate * (len(batch) + 1) > max_batch_tokens:
            yield batch
            batch, candidate = [], lengths[i]
        batch.append(i)
        longest = candidate
    if batch:
        yield batch


def pad_batch(ids: Sequence[Sequence[int]], pad_id: int) -> tuple[Any, Any]:
    """Right-pad token id lists to the longest: (input_ids, attention_mask) as int64 tensors."""
    import torch

    width = max(len(x) for x in ids)
    input_ids = torch.full((len(ids), width), pad_id, dtype=torch.long)
    mask = torch.zeros((len(ids), width), dtype=torch.long)
    for row, seq in enumerate(ids):
        input_ids[row, : len(seq)] = torch.tensor(seq, dtype=torch.long)
        mask[row, : len(seq)] = 1
    return input_ids, mask


class BatchedSentiment:
    """Batched 3-class sentiment over a fine-tuned model directory (implements nlp.interfaces.SentimentModel)."""

    def __init__(
        self,
        model_dir: Path,
        *,
        device: str = "auto",
        cpu_threads: int = 0,
        max_batch_tokens: int = 8192,
        max_length: int = 128,
        cpu_max_batch_tokens: int | None = None,
        cpu_bf16: bool = False,
        cpu_onednn: bool = True,
    ) -> None:
        offline_hub()
        import torch
        from transformers import AutoModelForSequenceClassification, AutoTokenizer

        model_dir = Path(model_dir)
        if not has_model(model_dir):
            raise ModelNotFoundError(f"no fine-tuned model in {model_dir}: build one with `{BUILD_COMMAND}`")
        self.model_dir = model_dir
        # Typed str, not Device: the SentimentModel protocol declares a plain, writable str.
        self.device: str = resolve_device(device)
        # On 2 EPYC cores, 512-1024-token micro-batches ran 1.7x faster than 8192-token ones.
        self.max_batch_tokens = (
            min(max_batch_tokens, cpu_max_batch_tokens)
            if self.device == "cpu" and cpu_max_batch_tokens
            else max_batch_tokens
        )
        self.max_length = max_length
        self.cpu_bf16 = cpu_bf16
        self.threads = 1
        self._pool: ThreadPoolExecutor | None = None
        if self.device == "cpu":
            self.threads = cpu_threads or os.cpu_count() or 1
            torch.set_num_threads(self.threads)
            if self.threads > 1:
                # Micro-batches in parallel, each op on one thread, instead of every op split
                # across all cores: no thread barrier per op, so a broker or event loop taking a
                # core slows scoring in proportion (-9 %) rather than stalling it (-23 %).
                self._pool = ThreadPoolExecutor(
                    self.threads, initializer=torch.set_num_threads, initargs=(1,), thread_name_prefix="sentiment"
                )
        self.tokenizer = AutoTokenizer.from_pretrained(model_dir)
        model = AutoModelForSequenceClassification.from_pretrained(model_dir, use_safetensors=True)
        self._check_labels(model.config.id2label)
        self.model = model.to(self.device).eval()
        from nlp.entity_head import has_head, load_head

        # Older model directories have no entity head: entities then get the article's sentiment.
        self.entity_head = load_head(model_dir).to(self.device) if has_head(model_dir) else None
        self.onednn_linears = 0
        if self.device == "cpu" and cpu_onednn and not cpu_bf16:
            from nlp.onednn import use_onednn_linears

            self.onednn_linears = use_onednn_linears(self.model)
        self.name = model_dir.resolve().name
        self.version = f"{self.name}-{weights_digest(model_dir)}" + (
            "" if self.entity_head is not None else "-article-only"
        )
        log.info(
            "sentiment model %s loaded on %s (%s)",
            self.version,
            self.device,
            f"{self.threads} threads, {self.onednn_linears} oneDNN linears" if self.device == "cpu" else "bf16",
        )

    def _check_labels(self, id2label: dict[int, str]) -> None:
        found = tuple(str(id2label[i]).lower() for i in range(len(id2label)))
        if found != SENTIMENT_LABELS:
            raise ValueError(f"{self.model_dir}: model labels {found} are not {SENTIMENT_LABELS}")

    def encode(self, texts: Sequence[str]) -> list[list[int]]:
        cleaned = [clean_for_model(t, self.max_length) for t in texts]
        encoded = self.tokenizer(cleaned, truncation=True, max_length=self.max_length, padding=False)
        return [list(x) for x in encoded["input_ids"]]

    def predict_proba(self, texts: Sequence[str]) -> list[list[float]]:
        """Probabilities (negative, neutral, positive) per text, in input order."""
        if not texts:
            return []
        return self._run(self.encode(texts), keep_hidden=False)[0]

    def read(self, texts: Sequence[str]) -> SentimentReading:
        """Article sentiments and, through the entity head, the sentiment towards any entity in them.

        One encoder pass per text: the last layer's vectors are kept for the entity head.
        """
        if self.entity_head is None:
            return ArticleReading(self.predict(texts))
        encoded = encode_texts(self.tokenizer, [safe_text(t, self.max_length) for t in texts], self.max_length)
        probs, hidden = self._run([e.ids for e in encoded], keep_hidden=True)
        return _HeadReading([to_sentiment(p) for p in probs], encoded, hidden, self.entity_head)

    def _run(self, ids: list[list[int]], *, keep_hidden: bool) -> tuple[list[list[float]], list[Any]]:
        if not ids:
            return [], []
        lengths = [len(x) for x in ids]
        budget = self.max_batch_tokens
        if self._pool is not None:
            # Enough micro-batches to keep every thread busy, even for a small batch.
            budget = max(1, min(budget, -(-sum(lengths) // self.threads)))
        groups = list(token_budget_batches(lengths, budget))
        batches = [[ids[i] for i in group] for group in groups]
        order = [i for group in groups for i in group]
        forward = self._forward_keeping_hidden if keep_hidden else self._forward
        if self._pool is None:
            results = [forward(batch) for batch in batches]
        else:
            results = list(self._pool.map(forward, batches))
        out: list[list[float]] = [[]] * len(ids)
        hidden: list[Any] = [None] * len(ids) if keep_hidden else []
        for i, (p, h) in zip(order, (row for result in results for row in zip(*result, strict=True)), strict=True):
            out[i] = p
            if keep_hidden:
                hidden[i] = h
        return out, hidden

    def _forward(self, batch: list[list[int]]) -> tuple[list[list[float]], list[None]]:
        probs, _ = self._model_pass(batch, keep_hidden=False)
        return probs, [None] * len(batch)

    def _forward_keeping_hidden(self, batch: list[list[int]]) -> tuple[list[list[float]], list[Any]]:
        return self._model_pass(batch, keep_hidden=True)

    def _model_pass(self, batch: list[list[int]], *, keep_hidden: bool) -> tuple[list[list[float]], list[Any]]:
        import torch

        # inference_mode and autocast are per thread: set here, in the thread that runs the model.
        with torch.inference_mode():
            input_ids, mask = pad_batch(batch, self.tokenizer.pad_token_id or 0)
            input_ids, mask = input_ids.to(self.device), mask.to(self.device)
            if self.device == "cuda" or self.cpu_bf16:
                with torch.autocast(self.device, dtype=torch.bfloat16):
                    out = self.model(input_ids=input_ids, attention_mask=mask, output_hidden_states=keep_hidden)
            else:
                out = self.model(input_ids=input_ids, attention_mask=mask, output_hidden_states=keep_hidden)
            probs: list[list[float]] = torch.softmax(out.logits.float(), dim=-1).cpu().tolist()
            if not keep_hidden:
                return probs, []
            last = out.hidden_states[-1].float()
            # Each text's vectors without its padding (views, no copy).
            return probs, [last[row, : len(ids)] for row, ids in enumerate(batch)]

    def predict(self, texts: Sequence[str]) -> list[Sentiment]:
        return [to_sentiment(p) for p in self.predict_proba(texts)]


class _HeadReading:
    """A batch's article sentiments plus what the entity head needs: each text's encoding and vectors."""

    def __init__(self, sentiments: list[Sentiment], encoded: list[EncodedText], hidden: list[Any], head: Any) -> None:
        self.sentiments = sentiments
        self._encoded = encoded
        self._hidden = hidden
        self._head = head

    def towards(self, requests: Sequence[tuple[int, Sequence[CharSpan]]]) -> list[Sentiment]:
        """One head call for every request; an entity whose mentions fall outside the tokens the model
        read (past `max_length`) is read from the whole text, like a row whose entity is not found."""
        if not requests:
            return []
        import torch

        from nlp.entity_head import row_features

        with torch.inference_mode():
            features = torch.stack(
                [row_features(self._hidden[i], self._encoded[i].positions(spans)) for i, spans in requests]
            )
            probs: list[list[float]] = torch.softmax(self._head(features).float(), dim=-1).cpu().tolist()
        return [to_sentiment(p) for p in probs]


def to_sentiment(probs: Sequence[float]) -> Sentiment:
    best = max(range(len(SENTIMENT_LABELS)), key=lambda i: probs[i])
    # Clamp: float error can put a probability a hair above 1.
    return Sentiment(
        label=SENTIMENT_LABELS[best],
        score=min(1.0, max(0.0, probs[best])),
        probs=SentimentProbs(**{label: float(p) for label, p in zip(SENTIMENT_LABELS, probs, strict=True)}),
    )


BUILD_COMMAND = "finsentry train --out var/models/default"


def model_dir_of(settings: SentimentSettings) -> Path:
    """The directory the settings point at: model_dir when set, else the default model's."""
    return settings.model_dir if settings.model_dir is not None else settings.default_dir


def load_sentiment(settings: SentimentSettings) -> BatchedSentiment:
    """The predictor for `settings.model_dir`, else the default model; ModelNotFoundError says how to build it."""
    model_dir = model_dir_of(settings)
    if not has_model(model_dir):
        hint = (
            f"finsentry train --out {model_dir}"
            if settings.model_dir is None
            else f"finsentry train --out {model_dir} (or unset FINSENTRY_SENTIMENT__MODEL_DIR)"
        )
        raise ModelNotFoundError(f"no fine-tuned sentiment model in {model_dir}: build it with `{hint}`")
    return BatchedSentiment(
        model_dir,
        device=settings.device,
        cpu_threads=settings.cpu_threads,
        max_batch_tokens=settings.max_batch_tokens,
        max_length=settings.max_length,
        cpu_max_batch_tokens=settings.cpu_max_batch_tokens,
        cpu_bf16=settings.cpu_bf16,
        cpu_onednn=settings.cpu_onednn,
    )
