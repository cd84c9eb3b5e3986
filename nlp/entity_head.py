"""The entity head: sentiment towards one entity, read off the article's single encoder pass.

The encoder reads a headline once; the head pools the last layer's vectors over the tokens of
one entity's mentions (every mention: a repeated name counts each time) and over the whole
text, and classifies the pair. So the cost of N entities is one encoder pass plus N small
matrix products, not N passes (docs/sentiment.md: why span pooling rather than entity markers).

Saved beside the article model as `entity_head.safetensors` + `entity_head.json`.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import torch
from torch import nn

from finsentry.contracts import SENTIMENT_LABELS

HEAD_WEIGHTS = "entity_head.safetensors"
HEAD_CONFIG = "entity_head.json"


class EntityHead(nn.Module):
    """[mean over the entity's tokens ; mean over the text] -> hidden -> 3 logits."""

    def __init__(self, hidden_size: int, n_labels: int = len(SENTIMENT_LABELS), dropout: float = 0.1) -> None:
        super().__init__()
        self.hidden_size = hidden_size
        self.dense = nn.Linear(2 * hidden_size, hidden_size)
        self.act = nn.GELU()
        self.dropout = nn.Dropout(dropout)
        self.out = nn.Linear(hidden_size, n_labels)

    def forward(self, features: torch.Tensor) -> torch.Tensor:
        logits: torch.Tensor = self.out(self.dropout(self.act(self.dense(self.dropout(features)))))
        return logits


def pooled_features(hidden: torch.Tensor, attention: torch.Tensor, span_mask: torch.Tensor) -> torch.Tensor:
    """Head input for a padded batch: hidden [B, T, H], attention and span_mask [B, T] (0/1).

    A row whose span mask is empty (the entity was not found) pools the whole text twice:
    the head then reads the article, which is the documented fallback.
    """
    attention = attention.to(hidden.dtype).unsqueeze(-1)
    span = span_mask.to(hidden.dtype).unsqueeze(-1)
    text_mean = (hidden * attention).sum(1) / attention.sum(1).clamp(min=1.0)
    span_count = span.sum(1)
    span_mean = (hidden * span).sum(1) / span_count.clamp(min=1.0)
    span_mean = torch.where(span_count > 0, span_mean, text_mean)
    return torch.cat([span_mean, text_mean], dim=-1)


def row_features(hidden: torch.Tensor, positions: Sequence[int]) -> torch.Tensor:
    """Head input for one unpadded text (hidden [T, H]) and the positions of an entity's tokens."""
    text_mean = hidden.mean(0)
    span_mean = hidden[list(positions)].mean(0) if positions else text_mean
    return torch.cat([span_mean, text_mean], dim=-1)


def save_head(head: EntityHead, model_dir: Path, card: dict[str, Any] | None = None) -> None:
    from safetensors.torch import save_file

    state = {k: v.detach().cpu().contiguous() for k, v in head.state_dict().items()}
    save_file(state, str(Path(model_dir) / HEAD_WEIGHTS))
    config = {"hidden_size": head.hidden_size, "labels": list(SENTIMENT_LABELS), "pooling": "span-mean+text-mean"}
    (Path(model_dir) / HEAD_CONFIG).write_text(json.dumps({**config, **(card or {})}, indent=2) + "\n")


def has_head(model_dir: Path) -> bool:
    return (Path(model_dir) / HEAD_WEIGHTS).is_file() and (Path(model_dir) / HEAD_CONFIG).is_file()


def load_head(model_dir: Path) -> EntityHead:
    from safetensors.torch import load_file

    config = json.loads((Path(model_dir) / HEAD_CONFIG).read_text())
    labels = tuple(config.get("labels", ()))
    if labels != SENTIMENT_LABELS:
        raise ValueError(f"{model_dir}: entity head labels {labels} are not {SENTIMENT_LABELS}")
    head = EntityHead(int(config["hidden_size"]))
    head.load_state_dict(load_file(str(Path(model_dir) / HEAD_WEIGHTS)))
    return head.eval()
