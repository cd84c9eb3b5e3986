"""`bench pipeline` end to end on its own fresh broker and worker (figures are printed, never asserted as speed)."""

from __future__ import annotations

import math

from streams.bench import _probe_ticker, run_pipeline_bench, throughput


def test_probe_tickers_are_distinct_and_ticker_shaped() -> None:
    tickers = [_probe_ticker(k) for k in range(2000)]
    assert len(set(tickers)) == len(tickers)
    assert all(t.isalpha() and t.isupper() and 2 <= len(t) <= 5 for t in tickers)


def test_bench_pipeline_noop_measures_every_event() -> None:
    lines: list[str] = []
    # Several batches of 512: the rate is timed from the first batch's output to the last.
    result = run_pipeline_bench(model="noop", events=2000, latency_seconds=1.0, latency_rate=60, log=lines.append)
    assert result.events == 2000 and result.events_per_s > 0
    assert result.latency_events == 60  # every latency event came back enriched
    assert all(math.isfinite(x) and x >= 0 for x in (result.p50_ms, result.p95_ms, result.p99_ms))
    assert result.p50_ms <= result.p95_ms <= result.p99_ms
    assert result.models_per_s is None and result.ratio is None  # no models to compare with
    assert any("throughput" in line for line in lines)


def test_throughput_counts_only_events_after_the_first_batch() -> None:
    # 100 events in the first batch at t=10, then 50 more over the next 2 s: 50 events / 2 s.
    times = [10.0] * 100 + [10.0 + 0.04 * k for k in range(1, 51)]
    assert throughput(times) == 25.0


def test_throughput_is_nan_when_one_batch_holds_every_event() -> None:
    assert math.isnan(throughput([5.0, 5.0, 5.0005]))
    assert not math.isnan(throughput([5.0, 5.0, 5.5]))


def test_bench_pipeline_with_a_handful_of_events_still_measures_latency() -> None:
    lines: list[str] = []
    result = run_pipeline_bench(model="noop", events=5, latency_seconds=1.0, latency_rate=20, log=lines.append)
    # Five events may come out in one fetch or, spread over partitions, in two: the bench must say
    # which it was and never invent a rate from a single batch.
    if math.isnan(result.events_per_s):
        assert any("came out in one batch" in line for line in lines)
    else:
        assert result.events_per_s > 0 and not any("came out in one batch" in line for line in lines)
    assert result.latency_events == 20
