"""Sizes read from headlines: every example in nlp/resources/magnitude.yaml, and the price_drop event."""

from __future__ import annotations

from typing import Any

import pytest

from finsentry.settings import EntitySettings
from nlp.annotator import SpacyAnnotator, load_annotator
from nlp.magnitude import magnitude_words, price_drops, read_magnitude, read_watch

EXAMPLES = magnitude_words().examples


@pytest.mark.parametrize("example", EXAMPLES["price_drop"], ids=lambda e: e["text"][:40])
def test_a_stated_fall_of_the_shares_is_read(example: dict[str, Any]) -> None:
    m = read_magnitude(example["text"], "price_drop")
    assert m is not None and m.percent == pytest.approx(example["percent"], abs=1e-3)


@pytest.mark.parametrize("text", EXAMPLES["market_fall"])
def test_a_fall_with_a_markets_move_as_its_cause_is_the_markets(text: str) -> None:
    m = read_magnitude(text, "price_drop")
    assert m is not None and m.market


@pytest.mark.parametrize("text", EXAMPLES["own_fall"])
def test_a_fall_with_the_companys_own_cause_is_not_the_markets(text: str) -> None:
    m = read_magnitude(text, "price_drop")
    assert m is not None and not m.market


@pytest.mark.parametrize("text", EXAMPLES["not_price_drop"])
def test_falls_of_other_things_are_not_the_shares(text: str) -> None:
    assert price_drops(text) == []


@pytest.mark.parametrize("example", EXAMPLES["price_target_cut"], ids=lambda e: e["text"][:40])
def test_a_price_target_cut_is_read_as_a_fraction(example: dict[str, Any]) -> None:
    m = read_magnitude(example["text"], "price_target_cut")
    assert m is not None and m.percent == pytest.approx(example["percent"], abs=1e-3)


@pytest.mark.parametrize("example", EXAMPLES["guidance_cut"], ids=lambda e: e["text"][:40])
def test_the_size_of_a_forecast_cut_is_read(example: dict[str, Any]) -> None:
    m = read_magnitude(example["text"], "guidance_cut")
    assert m is not None
    if "usd" in example:  # a sum taken out of the forecast, where no share is given
        assert (m.percent, m.usd) == (None, pytest.approx(example["usd"]))
    else:
        assert m.percent == pytest.approx(example["percent"], abs=1e-3)


@pytest.mark.parametrize("example", EXAMPLES["earnings_miss"], ids=lambda e: e["text"][:40])
def test_how_far_results_fell_short_or_a_charge_is_read(example: dict[str, Any]) -> None:
    m = read_magnitude(example["text"], "earnings_miss")
    assert m is not None
    assert (m.percent, m.usd) == (example.get("percent"), example.get("usd"))


@pytest.mark.parametrize("text", EXAMPLES["not_earnings_miss"])
def test_the_figures_of_a_results_line_are_no_size_of_a_miss(text: str) -> None:
    assert read_magnitude(text, "earnings_miss") is None


@pytest.mark.parametrize("text", EXAMPLES["not_guidance_cut"])
def test_a_cut_of_a_growth_rate_or_of_no_stated_size_has_no_size(text: str) -> None:
    assert read_magnitude(text, "guidance_cut") is None


@pytest.mark.parametrize("example", EXAMPLES["credit_watch"], ids=lambda e: " / ".join(e["clauses"])[:40])
def test_an_outlook_or_a_review_is_short_of_a_credit_cut(example: dict[str, Any]) -> None:
    assert read_watch(example["clauses"]) == example["watch"]


@pytest.mark.parametrize("example", EXAMPLES["downgrade"], ids=lambda e: e["text"][:40])
def test_the_class_of_a_new_rating_is_read(example: dict[str, Any]) -> None:
    m = read_magnitude(example["text"], "downgrade")
    assert m is not None and m.rating == example["rating"]


@pytest.mark.parametrize("example", EXAMPLES["usd"], ids=lambda e: e["text"][:40])
def test_money_amounts_are_read_in_dollars(example: dict[str, Any]) -> None:
    m = read_magnitude(example["text"], "fine")
    assert m is not None and m.usd == pytest.approx(example["usd"])


@pytest.mark.parametrize("text", EXAMPLES["not_usd"])
def test_the_price_of_a_deal_is_no_sum_paid(text: str) -> None:
    assert read_magnitude(text, "lawsuit") is None


@pytest.mark.parametrize("example", EXAMPLES["layoffs"], ids=lambda e: e["text"][:40])
def test_a_share_of_the_workforce_is_read(example: dict[str, Any]) -> None:
    m = read_magnitude(example["text"], "layoffs")
    assert m is not None and m.percent == pytest.approx(example["percent"])


@pytest.mark.parametrize("text", EXAMPLES["planned_departure"])
def test_a_departure_announced_ahead_is_planned(text: str) -> None:
    m = read_magnitude(text, "executive_departure")
    assert m is not None and m.planned


@pytest.mark.parametrize("text", EXAMPLES["unplanned_departure"])
def test_an_abrupt_exit_is_not_planned(text: str) -> None:
    assert read_magnitude(text, "executive_departure") is None


def test_no_size_is_made_up() -> None:
    assert read_magnitude("Boeing downgraded at Goldman", "downgrade") is None
    assert read_magnitude("Acme price target lowered at Citi", "price_target_cut") is None
    assert read_magnitude("Acme recalls cars", "recall") is None


@pytest.fixture(scope="module")
def annotator() -> SpacyAnnotator:
    return load_annotator(EntitySettings())


def test_a_share_price_fall_is_an_event_of_the_company_with_its_size(annotator: SpacyAnnotator) -> None:
    [event] = [e for e in annotator.annotate_one("Kohl's shares slide 10.5% in premarket trade").events]
    assert event.type == "price_drop" and event.targets == ["KSS"]
    assert event.magnitude is not None and event.magnitude.percent == pytest.approx(0.105)
    assert not [
        e for e in annotator.annotate_one("Dow falls 2% as oil prices drop 5%").events if e.type == "price_drop"
    ]
    # A business measure's fall is not the shares': only the 2% is.
    [fall] = [
        e
        for e in annotator.annotate_one("Old Dominion September tonnage per day falls 8%; shares slip 2%").events
        if e.type == "price_drop"
    ]
    assert fall.magnitude is not None and fall.magnitude.percent == pytest.approx(0.02)


@pytest.mark.parametrize("example", EXAMPLES["layoffs"], ids=lambda e: e["text"][:40])
def test_a_job_cut_is_read_as_a_share_of_the_staff_or_a_count(example: dict[str, Any]) -> None:
    m = read_magnitude(example["text"], "layoffs")
    assert m is not None
    assert m.percent == pytest.approx(example.get("percent")) if "percent" in example else m.percent is None
    assert m.count == example.get("count")


@pytest.mark.parametrize("text", EXAMPLES["not_layoff_count"])
def test_a_year_or_a_number_without_jobs_is_no_count(text: str) -> None:
    assert read_magnitude(text, "layoffs") is None


@pytest.mark.parametrize("text", EXAMPLES["material_suit"])
def test_a_suit_by_a_government_over_deaths_or_by_a_crowd_is_material(text: str) -> None:
    m = read_magnitude(text, "lawsuit")
    assert m is not None and m.material


@pytest.mark.parametrize(
    "text",
    [
        "Denver Nuggets network sues Comcast for antitrust",  # a private antitrust suit: the desk reads it low
        "Startup sues Google over search ranking",
    ],
)
def test_a_private_suit_with_no_cause_or_loss_is_not_material(text: str) -> None:
    m = read_magnitude(text, "lawsuit")
    assert m is None or not m.material


def test_a_regulators_suit_is_read_as_a_suit_and_its_ban_is_not() -> None:
    m = read_magnitude("FTC sues PepsiCo, alleging illegal price discrimination", "regulatory_action")
    assert m is not None and m.material
    assert read_magnitude("FAA grounds Boeing 737 MAX jets", "regulatory_action") is None


def test_the_shares_fall_told_with_a_fraud_is_its_size() -> None:
    m = read_magnitude("Luckin Coffee shares plunge 80% in premarket trading after fabricated-sales disclosure",
                       "fraud_allegation")  # fmt: skip
    assert m is not None and m.percent == pytest.approx(0.8)
    assert read_magnitude("Short seller alleges fraud at Acme", "fraud_allegation") is None


@pytest.mark.parametrize("text", EXAMPLES["refused"])
def test_a_product_refused_approval_is_read_as_a_refusal(text: str) -> None:
    m = read_magnitude(text, "regulatory_action")
    assert m is not None and m.refused


@pytest.mark.parametrize("text", EXAMPLES["related"])
def test_a_units_or_a_tenants_bankruptcy_is_read_as_related(text: str) -> None:
    m = read_magnitude(text, "bankruptcy")
    assert m is not None and m.related


@pytest.mark.parametrize("text", EXAMPLES["not_related"])
def test_a_companys_own_bankruptcy_is_not_related(text: str) -> None:
    assert read_magnitude(text, "bankruptcy") is None


@pytest.mark.parametrize("text", EXAMPLES["not_refused"])
def test_a_regulator_acting_on_the_company_is_no_refusal(text: str) -> None:
    m = read_magnitude(text, "regulatory_action")
    assert m is None or not m.refused
    # Only a regulator's action is read for it.
    assert read_magnitude("FDA rejects Pfizer's application for hemophilia drug", "lawsuit") is None


@pytest.mark.parametrize("text", EXAMPLES["minor_suit"])
def test_a_private_partys_suit_is_not_material(text: str) -> None:
    m = read_magnitude(text, "lawsuit")
    assert m is None or not m.material


@pytest.mark.parametrize("text", EXAMPLES["claimed_suit"])
def test_a_large_sum_asked_for_makes_a_suit_material_but_is_no_sum_paid(text: str) -> None:
    m = read_magnitude(text, "lawsuit")
    assert m is not None and m.material and m.usd is None


def test_a_sum_paid_in_a_verdict_is_its_size() -> None:
    m = read_magnitude("Jury orders Intel to pay $2.18 billion to VLSI for patent infringement", "lawsuit")
    assert m is not None and m.usd == pytest.approx(2.18e9) and not m.material
