"""`finsentry bench dispatch`: delivery throughput and latency on loopback, measured end to end.

A stand-in PagerDuty + webhook server runs in its own process (so it does not share the
dispatcher's interpreter) and stamps each request when it answers. Two phases:

1. Throughput: N firing alerts wait in `alerts`; the dispatcher starts and drains them to
   both receivers. Reported: alerts/s and deliveries/s from the first to the last answer.
2. Latency: alerts are produced one by one at a steady rate with `last_seen` = the moment of
   producing; latency is the receiver's answer time minus `last_seen` (what
   `finsentry_delivery_seconds` measures), p50/p95/p99/max.
"""

from __future__ import annotations

import asyncio
import json
import logging
import multiprocessing as mp
import os
import statistics
import sys
import tempfile
import time
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx

from alerts.dispatch.routing import parse_routing
from finsentry import kafka_local, kafka_security, topics
from finsentry.contracts import Alert, Factor, utcnow
from finsentry.settings import DispatchSettings, KafkaSecurity, Settings, get_settings
from streams.dispatch import DispatchService

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class BenchOptions:
    alerts: int = 2000
    live: int = 300
    rate: float = 50.0
    delay_ms: float = 0.0
    start_broker: bool = True
    max_in_flight: int = 64


def _sink_main(port: int, delay_s: float) -> None:
    """The stand-in receivers (run in a child process)."""
    from aiohttp import web

    records: list[tuple[str, str, float]] = []  # (receiver, alert_id, latency_s)

    async def receive(request: web.Request) -> web.Response:
        body = await request.json()
        if delay_s:
            await asyncio.sleep(delay_s)
        now = time.time()
        if request.path == "/pd":
            payload = body.get("payload", {})
            alert_id, last_seen = payload["custom_details"]["alert_id"], payload["timestamp"]
        else:
            alert_id, last_seen = body["alert_id"], body["last_seen"]
        records.append((request.path.strip("/"), alert_id, now - datetime.fromisoformat(last_seen).timestamp()))
        return web.json_response({"status": "success"}, status=202)

    async def count(request: web.Request) -> web.Response:
        return web.json_response({"n": len(records)})

    async def dump(request: web.Request) -> web.Response:
        return web.json_response(records)

    app = web.Application()
    app.router.add_post("/pd", receive)
    app.router.add_post("/hook", receive)
    app.router.add_get("/count", count)
    app.router.add_get("/records", dump)
    web.run_app(app, host="127.0.0.1", port=port, print=None, access_log=None, handle_signals=True)


def _alert(i: int, run: str) -> Alert:
    now = utcnow()
    dedup = f"B{run}{i:06d}:bench"
    return Alert(
        alert_id=f"{run}-{i}",
        dedup_key=dedup,
        status="firing",
        severity="high",
        entity=f"B{run}{i:06d}",
        entity_name="Bench Corp",
        sector="Industrials",
        event_type="bench",
        risk_score=75.0,
        factors=[Factor(name="negativity", value=0.9, points=31.5)],
        headlines=["Bench headline"],
        news_ids=[str(i)],
        urls=["https://news.example/bench"],
        first_seen=now,
        last_seen=now,
    )


def _percentiles(values: list[float]) -> dict[str, float]:
    if not values:
        return {}
    ordered = sorted(values)
    q = statistics.quantiles(ordered, n=100, method="inclusive") if len(ordered) > 1 else [ordered[0]] * 99
    return {
        "p50_ms": q[49] * 1000,
        "p95_ms": q[94] * 1000,
        "p99_ms": q[98] * 1000,
        "max_ms": ordered[-1] * 1000,
    }


async def _wait_count(client: httpx.AsyncClient, base: str, n: int, timeout_s: float) -> float:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if (await client.get(f"{base}/count")).json()["n"] >= n:
            return time.monotonic()
        await asyncio.sleep(0.02)
    raise TimeoutError(f"fewer than {n} deliveries arrived in {timeout_s:.0f}s")


async def _bench(
    opts: BenchOptions, bootstrap: str, base: str, work: Path, security: KafkaSecurity | None = None
) -> dict[str, Any]:
    from aiokafka import AIOKafkaProducer
    from kafka import KafkaConsumer, TopicPartition
    from kafka.structs import OffsetAndMetadata

    run = uuid.uuid4().hex[:6].upper()
    routing = f"""
[receivers.pager]
type = "pagerduty"
url = "{base}/pd"
routing_key_env = "BENCH_PD_KEY"

[receivers.hook]
type = "webhook"
url = "{base}/hook"
secret_env = "BENCH_HOOK_SECRET"

[default_route]
receivers = ["pager", "hook"]
"""
    config = parse_routing(routing, work / "routing.toml", env={"BENCH_PD_KEY": "k", "BENCH_HOOK_SECRET": "s"})
    group = f"finsentry-bench-{run}"
    # The bench group starts at the end of `alerts`, so earlier alerts on a shared broker are not re-sent.
    secured = kafka_security.kafka_python_options(security)
    positioner = KafkaConsumer(bootstrap_servers=bootstrap, group_id=group, enable_auto_commit=False, **secured)
    try:
        parts = positioner.partitions_for_topic(topics.ALERTS) or set()
        tps = [TopicPartition(topics.ALERTS, p) for p in parts]
        ends = positioner.end_offsets(tps)
        positioner.commit({tp: OffsetAndMetadata(ends[tp], "", -1) for tp in tps})
    finally:
        positioner.close()
    settings = Settings(
        kafka=bootstrap,
        kafka_security=security or KafkaSecurity(),
        dispatch=DispatchSettings(state_dir=work / "state", group_id=group, max_in_flight=opts.max_in_flight),
    )
    producer = AIOKafkaProducer(
        bootstrap_servers=bootstrap, linger_ms=0, acks="all", **kafka_security.aiokafka_options(security)
    )
    await producer.start()
    async with httpx.AsyncClient(timeout=10) as client:
        try:
            batch = [_alert(i, run) for i in range(opts.alerts)]
            for a in batch:
                await producer.send(topics.ALERTS, a.to_json(), key=a.dedup_key.encode())
            await producer.flush()

            stop = asyncio.Event()
            ready = asyncio.Event()
            service = DispatchService(settings, config)
            started = time.monotonic()
            task = asyncio.create_task(service.run(stop, ready=ready.set))
            await ready.wait()
            total = 2 * opts.alerts
            await _wait_count(client, base, 1, 120)
            first = time.monotonic()
            last = await _wait_count(client, base, total, 600)
            drain_s = max(last - first, 1e-9)

            live = [_alert(opts.alerts + i, run) for i in range(opts.live)]
            gap = 1.0 / opts.rate
            tick = time.monotonic()
            for i in range(opts.live):
                a = live[i].model_copy(update={"last_seen": datetime.now(UTC), "first_seen": datetime.now(UTC)})
                await producer.send(topics.ALERTS, a.to_json(), key=a.dedup_key.encode())
                tick += gap
                await asyncio.sleep(max(0.0, tick - time.monotonic()))
            await _wait_count(client, base, total + 2 * opts.live, 120)
            records = (await client.get(f"{base}/records")).json()
            stop.set()
            await task
        finally:
            await producer.stop()
    live_ids = {a.alert_id for a in live}
    latency: dict[str, dict[str, float]] = {}
    for receiver in ("pd", "hook"):
        values = [r[2] for r in records if r[0] == receiver and r[1] in live_ids]
        latency[receiver] = _percentiles(values)
    return {
        "alerts": opts.alerts,
        "receivers": 2,
        "receiver_delay_ms": opts.delay_ms,
        "max_in_flight": opts.max_in_flight,
        "startup_s": round(first - started, 2),
        "drain_s": round(drain_s, 3),
        "alerts_per_s": round(opts.alerts / drain_s, 1),
        "deliveries_per_s": round(total / drain_s, 1),
        "live_alerts": opts.live,
        "live_rate_per_s": opts.rate,
        "latency": {k: {m: round(v, 1) for m, v in d.items()} for k, d in latency.items()},
        "cpus": os.cpu_count(),
    }


def run_bench(opts: BenchOptions) -> dict[str, Any]:
    # One log line per delivery would be the bench; progress lines go to stderr, so --json stays one line.
    for name in ("alerts.dispatch", "aiokafka", "kafka", "finsentry.kafka_local"):
        logging.getLogger(name).setLevel(logging.ERROR)
    with tempfile.TemporaryDirectory(prefix="finsentry-bench-") as tmp:
        work = Path(tmp)
        broker = None
        security = None  # the throwaway broker is plaintext; --use-kafka connects as the settings say
        if opts.start_broker:
            broker = kafka_local.LocalKafka(home=work / "kafka", port=kafka_local.free_port_pair(), heap="512m")
            print(f"starting a throwaway Kafka broker on {broker.bootstrap}", file=sys.stderr)
            broker.start(timeout_s=120)
            bootstrap = broker.bootstrap
        else:
            bootstrap = get_settings().kafka
            security = get_settings().kafka_security
        port = kafka_local.free_port_pair()
        sink = mp.get_context("spawn").Process(target=_sink_main, args=(port, opts.delay_ms / 1000), daemon=True)
        sink.start()
        base = f"http://127.0.0.1:{port}"
        try:
            deadline = time.monotonic() + 30
            while True:
                try:
                    httpx.get(f"{base}/count", timeout=1)
                    break
                except httpx.TransportError:
                    if time.monotonic() > deadline:
                        raise
                    time.sleep(0.1)
            return asyncio.run(_bench(opts, bootstrap, base, work, security))
        finally:
            sink.terminate()
            sink.join(10)
            if broker is not None:
                broker.stop()


def print_report(report: dict[str, Any], *, as_json: bool) -> None:
    if as_json:
        print(json.dumps(report))
        return
    from rich.console import Console
    from rich.table import Table

    console = Console()
    console.print(
        f"[b]throughput[/b]: {report['alerts']} alerts x {report['receivers']} receivers drained in "
        f"{report['drain_s']}s = [b]{report['alerts_per_s']} alerts/s[/b] ({report['deliveries_per_s']} deliveries/s); "
        f"receiver delay {report['receiver_delay_ms']} ms, {report['max_in_flight']} in flight, "
        f"start-up (group join) {report['startup_s']}s"
    )
    table = Table(
        title=f"latency last_seen -> delivered, {report['live_alerts']} alerts at {report['live_rate_per_s']}/s"
    )
    table.add_column("receiver")
    cols = ("p50_ms", "p95_ms", "p99_ms", "max_ms")
    for col in cols:
        table.add_column(col, justify="right")
    for receiver, stats in report["latency"].items():
        name = "pagerduty" if receiver == "pd" else "webhook"
        table.add_row(name, *(f"{stats.get(c, float('nan')):.1f}" for c in cols))
    console.print(table)
