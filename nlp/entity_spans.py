"""Where an entity sits in what the model reads: character spans to token positions.

The sentiment model reads a cleaned text (`normalize_text`: URLs dropped, whitespace runs
collapsed), while entity spans come as character offsets into the raw text. The cleaning
here keeps, for every character it outputs, the position it came from, so a span in the raw
text maps onto the tokenizer's offsets of the cleaned one. Pure functions, no torch.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from nlp.sentiment_data import URL_PATTERN

Span = tuple[int, int]


_DROPPED = re.compile(URL_PATTERN.pattern + r"|\s+")


def clean_with_offsets(text: str) -> tuple[str, list[int]]:
    """`normalize_text(text)` and, for each of its characters, the index it has in `text`.

    A run of whitespace and dropped URLs becomes one space whose offset is the run's start.
    The loop is over the runs the regex finds, not over characters: it runs on every text
    the sentiment model reads.
    """
    out: list[str] = []
    origin: list[int] = []
    kept_from = 0
    gap_at: int | None = None
    for m in _DROPPED.finditer(text):
        if m.start() > kept_from:
            if gap_at is not None and out:
                out.append(" ")
                origin.append(gap_at)
            out.append(text[kept_from : m.start()])
            origin.extend(range(kept_from, m.start()))
            gap_at = None
        if gap_at is None:
            gap_at = m.start()
        kept_from = m.end()
    if kept_from < len(text):
        if gap_at is not None and out:
            out.append(" ")
            origin.append(gap_at)
        out.append(text[kept_from:])
        origin.extend(range(kept_from, len(text)))
    return "".join(out), origin


def find_mentions(text: str, entity: str) -> list[Span]:
    """Every case-insensitive occurrence of `entity` in `text` that is not inside a longer word."""
    entity = entity.strip()
    if not entity:
        return []
    pattern = re.compile(r"(?<![0-9A-Za-z])" + re.escape(entity) + r"(?![0-9A-Za-z])", re.IGNORECASE)
    spans = [(m.start(), m.end()) for m in pattern.finditer(text)]
    if not spans:
        # "Tata Motors'" or "Infosys-led" still name the entity; a bare substring is the last resort.
        spans = [(m.start(), m.end()) for m in re.finditer(re.escape(entity), text, re.IGNORECASE)]
    return spans


def token_positions(
    token_offsets: Sequence[Span], clean_origin: Sequence[int], spans: Sequence[Span], raw_length: int
) -> list[int]:
    """Positions of the tokens that overlap any raw-text span.

    `token_offsets` are the tokenizer's (start, end) into the cleaned text, (0, 0) for special
    tokens; `clean_origin` maps cleaned characters to raw ones (from `clean_with_offsets`).
    """
    positions: list[int] = []
    for pos, (start, end) in enumerate(token_offsets):
        if end <= start:
            continue  # [CLS], [SEP], padding
        raw_start = clean_origin[start]
        raw_end = clean_origin[end - 1] + 1 if end - 1 < len(clean_origin) else raw_length
        if any(raw_start < s_end and s_start < raw_end for s_start, s_end in spans):
            positions.append(pos)
    return positions


@dataclass(frozen=True)
class EncodedText:
    """One text as the model reads it: token ids, and enough to map raw spans onto its tokens."""

    ids: list[int]
    offsets: list[Span]  # per token, into the cleaned text; (0, 0) for special tokens
    origin: list[int]  # per cleaned character, its index in the raw text
    raw_length: int

    def positions(self, spans: Sequence[Span]) -> list[int]:
        return token_positions(self.offsets, self.origin, spans, self.raw_length)


def encode_texts(tokenizer: Any, texts: Sequence[str], max_length: int) -> list[EncodedText]:
    """Clean (as in training and serving), tokenize with offsets, keep the raw-text map.

    `texts` must already be what the caller's spans index into (the same string).
    """
    if not texts:
        return []
    cleaned = [clean_with_offsets(t) for t in texts]
    enc = tokenizer(
        [c for c, _ in cleaned],
        truncation=True,
        max_length=max_length,
        padding=False,
        return_offsets_mapping=True,
    )
    return [
        EncodedText(ids=list(ids), offsets=[tuple(o) for o in offsets], origin=origin, raw_length=len(text))
        for ids, offsets, (_, origin), text in zip(enc["input_ids"], enc["offset_mapping"], cleaned, texts, strict=True)
    ]
