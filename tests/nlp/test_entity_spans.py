"""Entity spans onto model tokens: the cleaning keeps offsets, mentions map to the right tokens."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from nlp.entity_spans import clean_with_offsets, encode_texts, find_mentions
from nlp.sentiment_data import normalize_text
from nlp.training import base_model_path

_PIECES = st.sampled_from([" ", "\n", "\t", "  ", "a", "Bc", "$", "é", "https://t.co/x ", "www.q.io ", ".", "\u2028"])


@given(st.lists(_PIECES, max_size=30).map("".join))
def test_cleaning_with_offsets_is_the_serving_cleaning(text: str) -> None:
    cleaned, origin = clean_with_offsets(text)
    assert cleaned == normalize_text(text)
    assert len(origin) == len(cleaned)
    assert all(ch == " " or text[i] == ch for ch, i in zip(cleaned, origin, strict=True))


def test_mentions_are_whole_words_in_any_case() -> None:
    assert find_mentions("Tata Motors beats; TATA MOTORS rises", "Tata Motors") == [(0, 11), (19, 30)]
    assert find_mentions("Ford and Fordham", "Ford") == [(0, 4)]
    assert find_mentions("Infosys-led rally", "Infosys") == [(0, 7)]
    assert find_mentions("No such name here", "Wipro") == []


@pytest.fixture(scope="module")
def tokenizer():  # type: ignore[no-untyped-def]
    from transformers import AutoTokenizer

    return AutoTokenizer.from_pretrained(base_model_path())


def _words(tokenizer, text: str, spans: list[tuple[int, int]]) -> str:  # type: ignore[no-untyped-def]
    [enc] = encode_texts(tokenizer, [text], 64)
    return tokenizer.decode([enc.ids[p] for p in enc.positions(spans)])


@pytest.mark.parametrize(
    ("text", "entity", "expected"),
    [
        ("Boeing falls after Jefferies downgrade", "Boeing", "boeing"),  # start
        ("Shares of Boeing fall after the downgrade", "Boeing", "boeing"),  # middle
        ("Jefferies downgrades Boeing", "Boeing", "boeing"),  # end
        ("Boeing beats; Boeing rises", "Boeing", "boeing boeing"),  # repeated: every mention
        ("AT&T and Moody's Corp. cut", "Moody's Corp.", "moody ' s corp."),  # punctuation inside
        ("AT&T and Moody's Corp. cut", "AT&T", "at & t"),
    ],
)
def test_span_pooling_finds_the_entity_tokens(tokenizer, text: str, entity: str, expected: str) -> None:  # type: ignore[no-untyped-def]
    assert _words(tokenizer, text, find_mentions(text, entity)) == expected


def test_offsets_survive_urls_and_whitespace_before_the_entity(tokenizer) -> None:  # type: ignore[no-untyped-def]
    text = "https://t.co/abc   Deal talk:\n\nBoeing   jumps"
    start = text.index("Boeing")
    assert _words(tokenizer, text, [(start, start + 6)]) == "boeing"
