"""Span pooling or entity markers? The measurement behind the entity head's design (docs/sentiment.md).

Both variants start from the same MiniLM base, train on the same SEntFiN rows with the same
recipe and budget, and are scored on the same held-out headlines:

- pooling: the text is encoded once; the head reads the mean of the entity's tokens beside the
  mean of the text (what finsentry ships: one encoder pass per article, whatever its entities);
- markers: the entity's mentions are wrapped in two added tokens, `[E]` and `[/E]`, and the head
  reads the vector of the first `[E]` beside the mean of the text: one encoder pass per entity.

Then each reads the same held-out headlines for all of their entities, timed, on this machine.

    python -m nlp.entity_head_experiment [--epochs 2] [--threads 0] [--json]
"""

from __future__ import annotations

import argparse
import json
import math
import random
import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from nlp.entity_data import REPO_SENTFIN_TRAIN, EntityExample, load_entity_csv
from nlp.entity_spans import encode_texts, find_mentions
from nlp.sentiment import offline_hub, pad_batch, token_budget_batches
from nlp.training import (
    TrainConfig,
    _length_grouped,
    base_model_path,
    entity_logits,
    entity_report,
    predict_entity_ids,
    split_entities,
)

_MARK_OPEN, _MARK_CLOSE = "[E]", "[/E]"


@dataclass
class Variant:
    name: str
    ids: list[list[int]]
    positions: list[list[int]]  # pooling: the entity's tokens; markers: the first [E]


def _marked(text: str, entity: str) -> str:
    spans = find_mentions(text, entity)
    for start, end in sorted(spans, reverse=True):
        text = f"{text[:start]} {_MARK_OPEN} {text[start:end]} {_MARK_CLOSE} {text[end:]}"
    return text


def _encode(tokenizer: Any, rows: Sequence[EntityExample], kind: str, max_length: int) -> Variant:
    if kind == "pooling":
        encoded = encode_texts(tokenizer, [r.text for r in rows], max_length)
        return Variant(
            kind,
            [e.ids for e in encoded],
            [e.positions(find_mentions(r.text, r.entity)) for e, r in zip(encoded, rows, strict=True)],
        )
    open_id = tokenizer.convert_tokens_to_ids(_MARK_OPEN)
    enc = tokenizer([_marked(r.text, r.entity) for r in rows], truncation=True, max_length=max_length)
    ids = [list(x) for x in enc["input_ids"]]
    return Variant(kind, ids, [[i for i, t in enumerate(x) if t == open_id][:1] for x in ids])


def run_variant(
    kind: str, train: list[EntityExample], valid: list[EntityExample], config: TrainConfig
) -> dict[str, Any]:
    import torch
    from transformers import AutoModel, AutoTokenizer, get_linear_schedule_with_warmup

    from nlp.entity_head import EntityHead

    torch.manual_seed(config.seed)
    tokenizer = AutoTokenizer.from_pretrained(base_model_path())
    model = AutoModel.from_pretrained(base_model_path(), use_safetensors=True)
    if kind == "markers":
        tokenizer.add_tokens([_MARK_OPEN, _MARK_CLOSE], special_tokens=True)
        model.resize_token_embeddings(len(tokenizer))
    head = EntityHead(model.config.hidden_size)
    pad_id = tokenizer.pad_token_id or 0
    tr, va = _encode(tokenizer, train, kind, config.max_length), _encode(tokenizer, valid, kind, config.max_length)
    keep = [i for i, p in enumerate(tr.positions) if p]
    labels = [r.label_id for r in train]
    params = list(model.parameters()) + list(head.parameters())
    optimizer = torch.optim.AdamW(params, lr=config.lr, weight_decay=config.weight_decay)
    steps = math.ceil(len(keep) / config.batch_size) * config.epochs
    scheduler = get_linear_schedule_with_warmup(optimizer, round(config.warmup_ratio * steps), steps)  # type: ignore[no-untyped-call]
    rng = random.Random(config.seed)
    started = time.monotonic()
    model.train()
    head.train()
    for _ in range(config.epochs):
        for batch in _length_grouped([len(tr.ids[i]) for i in keep], config.batch_size, rng):
            rows = [keep[i] for i in batch]
            loss = torch.nn.functional.cross_entropy(
                entity_logits(model, head, [tr.ids[i] for i in rows], [tr.positions[i] for i in rows], pad_id),
                torch.tensor([labels[i] for i in rows]),
            )
            loss.backward()  # type: ignore[no-untyped-call]
            torch.nn.utils.clip_grad_norm_(params, config.max_grad_norm)
            optimizer.step()
            scheduler.step()
            optimizer.zero_grad(set_to_none=True)
    train_s = time.monotonic() - started
    report = entity_report(valid, predict_entity_ids(model, head, va.ids, va.positions, pad_id))
    model.eval()
    head.eval()
    return {
        "variant": kind,
        "train_rows": len(keep),
        "train_s": round(train_s, 1),
        "valid": {"accuracy": round(report.accuracy, 4), "macro_f1": round(report.macro_f1, 4)},
        "valid_conflict_accuracy": round(report.conflict_accuracy or 0.0, 4),
        "inference": _time_inference(model, head, tokenizer, valid, kind, config.max_length, pad_id),
    }


def _time_inference(
    model: Any, head: Any, tokenizer: Any, rows: Sequence[EntityExample], kind: str, max_length: int, pad_id: int
) -> dict[str, float]:
    """Read every held-out headline for all of its entities: passes, and headlines per second."""
    import torch

    from nlp.entity_head import row_features

    headlines = list(dict.fromkeys(r.text for r in rows))
    # The mentions come from the linker in serving: found before the clock starts, for both variants.
    spans: dict[str, list[list[tuple[int, int]]]] = {h: [] for h in headlines}
    for r in rows:
        spans[r.text].append(find_mentions(r.text, r.entity))
    started = time.perf_counter()
    with torch.inference_mode():
        if kind == "pooling":
            encoded = encode_texts(tokenizer, headlines, max_length)
            passes = len(encoded)
            for group in token_budget_batches([len(e.ids) for e in encoded], 1024):
                input_ids, mask = pad_batch([encoded[i].ids for i in group], pad_id)
                hidden = model(input_ids=input_ids, attention_mask=mask).last_hidden_state
                feats = [
                    row_features(hidden[row, : len(encoded[i].ids)], encoded[i].positions(mention))
                    for row, i in enumerate(group)
                    for mention in spans[headlines[i]]
                ]
                head(torch.stack(feats))
        else:
            variant = _encode(tokenizer, list(rows), kind, max_length)
            passes = len(variant.ids)
            for group in token_budget_batches([len(x) for x in variant.ids], 1024):
                entity_logits(
                    model, head, [variant.ids[i] for i in group], [variant.positions[i] for i in group], pad_id
                )
    wall = time.perf_counter() - started
    return {
        "headlines": len(headlines),
        "entities": len(rows),
        "encoder_passes": passes,
        "wall_s": round(wall, 3),
        "headlines_per_s": round(len(headlines) / wall, 1),
    }


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--epochs", type=int, default=2)
    parser.add_argument("--threads", type=int, default=0, help="torch threads; 0 = all cores")
    parser.add_argument("--json", action="store_true", help="end with one JSON line of both variants")
    args = parser.parse_args(argv)
    offline_hub()
    import os

    import torch

    torch.set_num_threads(args.threads or os.cpu_count() or 1)
    config = TrainConfig(epochs=args.epochs)
    train, valid = split_entities(load_entity_csv(REPO_SENTFIN_TRAIN), config)
    results = [run_variant(kind, train, valid, config) for kind in ("pooling", "markers")]
    for r in results:
        print(
            f"{r['variant']:8s} valid accuracy {r['valid']['accuracy']:.4f} macro-F1 {r['valid']['macro_f1']:.4f} "
            f"conflict accuracy {r['valid_conflict_accuracy']:.4f}; trained {r['train_s']} s; "
            f"inference {r['inference']['headlines_per_s']} headlines/s "
            f"({r['inference']['encoder_passes']} encoder passes for {r['inference']['headlines']} headlines)"
        )
    if args.json:
        print(json.dumps({"epochs": args.epochs, "torch_threads": torch.get_num_threads(), "variants": results}))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
