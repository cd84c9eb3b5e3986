"""Metrics on a confusion case worked out by hand."""

from __future__ import annotations

import pytest

from nlp.metrics_eval import classification_report, format_report


def test_hand_made_confusion() -> None:
    # true: 3 negative, 2 neutral, 1 positive; one negative read as neutral, one neutral as positive.
    y_true = ["negative", "negative", "negative", "neutral", "neutral", "positive"]
    y_pred = ["negative", "neutral", "negative", "neutral", "positive", "positive"]
    r = classification_report(y_true, y_pred)
    assert r.n == 6
    assert r.confusion == [[2, 1, 0], [0, 1, 1], [0, 0, 1]]
    assert r.accuracy == pytest.approx(4 / 6)
    neg, neu, pos = r.per_class["negative"], r.per_class["neutral"], r.per_class["positive"]
    assert (neg.precision, neg.recall, neg.f1, neg.support) == pytest.approx((1.0, 2 / 3, 0.8, 3))
    assert (neu.precision, neu.recall, neu.f1, neu.support) == pytest.approx((0.5, 0.5, 0.5, 2))
    assert (pos.precision, pos.recall, pos.f1, pos.support) == pytest.approx((0.5, 1.0, 2 / 3, 1))
    assert r.macro_f1 == pytest.approx((0.8 + 0.5 + 2 / 3) / 3)
    assert r.accuracy_by_agreement == {}


def test_class_never_predicted_scores_zero_not_nan() -> None:
    r = classification_report(["positive", "neutral"], ["neutral", "neutral"])
    assert r.per_class["positive"].precision == 0.0
    assert r.per_class["positive"].f1 == 0.0
    assert r.per_class["negative"].support == 0
    assert r.macro_f1 == pytest.approx((0 + 2 / 3 + 0) / 3)


def test_accuracy_by_agreement_level() -> None:
    r = classification_report(
        ["negative", "neutral", "positive", "positive"],
        ["negative", "positive", "positive", "neutral"],
        agreement=[100, 100, 66, None],
    )
    assert r.accuracy_by_agreement == {"66": 1.0, "100": 0.5}


def test_to_dict_has_the_json_keys_and_format_prints_them() -> None:
    r = classification_report(["negative", "positive"], ["negative", "negative"])
    d = r.to_dict()
    assert {"accuracy", "macro_f1", "per_class", "confusion", "n"} <= d.keys()
    assert d["per_class"]["negative"]["precision"] == 0.5
    text = format_report(r)
    assert "accuracy=0.5000" in text and "confusion" in text


def test_length_mismatch_is_an_error() -> None:
    with pytest.raises(ValueError):
        classification_report(["negative"], [])
