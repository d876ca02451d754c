"""Benchmark the memory of 1,000 idle subscriptions on one `leadflow serve` process, and the
fan-out of one event to all of them, against a bare `websockets` server (a benchmark, not a
timed test).

It creates a fresh database (a SQLite file in a temporary directory, or a new database on a
PostgreSQL server, dropped at the end), applies the migrations, creates a manager and clerks
with tokens and NEW leads, and starts one `leadflow serve` process (as deployed) and, as the
raw baseline, bench/raw_ws.py (a bare `websockets` server that acks, remembers subscriptions
and broadcasts on request). For each server, from this process:

1. the server's RSS warmed up with no subscription;
2. N WebSocket connections (`graphql-transport-ws`, 50 opened at a time), each with one
   subscription (leadflow: `taskEvents`; a user may hold MAX_CONNECTIONS_PER_USER = 20
   connections, so N/20 clerks with a token each, 20 connections per clerk); RSS after they
   are open and after `--idle` seconds of silence (heartbeats only), and how many are still
   open;
3. fan-out, `--fanouts` times: leadflow: one `distributeLeads` (ROUND_ROBIN) of one new lead
   to each of those clerks, over HTTP on the same process, so that every subscription gets
   one ASSIGNED event; raw: one `bench_broadcast` message. Time from the mutation's send
   (raw: the broadcast's) to the first and to the last of the N subscriptions receiving it
   (events may arrive before the mutation's answer), how many received it within
   `--timeout` and in the end, and REFETCH results (a subscription that fell behind);
4. the peak RSS (VmHWM), and RSS after all are closed.

    .venv/bin/python bench/idle_subscriptions.py                 # SQLite
    .venv/bin/python bench/idle_subscriptions.py --postgres postgres://postgres@127.0.0.1:5432/test

See bench/README.md for the latest figures.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import math
import os
import statistics
import sys
import tempfile
from collections import defaultdict
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path
from time import perf_counter
from typing import Any

import asyncpg
import httpx
from rich.console import Console
from rich.table import Table
from tortoise.exceptions import BaseORMException
from websockets.asyncio.client import connect
from websockets.exceptions import WebSocketException

from leadflow.api.ids import decode_id, encode_id
from leadflow.web.live import MAX_CONNECTIONS_PER_USER
from leads_page import BENCH_DIR, BenchError, bounded, fresh_database
from live_client import (
    PROTOCOL,
    TASK_EVENTS,
    People,
    Subscription,
    all_ready,
    leadflow_servers,
    more_clerks,
    mutate,
    prepare,
    subscriptions,
    ws_url,
)
from servers import Server, free_port, started, stop_on_sigterm

DISTRIBUTE = (
    "mutation($leadIds: [ID!], $clerkIds: [ID!]!) { distributeLeads(input: { leadIds: $leadIds, "
    "clerkIds: $clerkIds, strategy: ROUND_ROBIN }) { assignments { lead { id } } "
    "userErrors { code message } } }"
)
RAW_QUERY = "subscription { anything }"

console = Console()


@dataclass
class Result:
    server: str
    rss_none: float = 0.0
    rss_open: float = 0.0
    rss_idle: float = 0.0
    rss_peak: float = 0.0
    rss_closed: float = 0.0
    open_seconds: float = 0.0
    still_open: int = 0
    first_ms: list[float] = field(default_factory=list)
    last_ms: list[float] = field(default_factory=list)
    reached: list[int] = field(default_factory=list)
    # Received at all, a few seconds after the last fan-out (late ones included).
    in_the_end: list[int] = field(default_factory=list)
    refetches: int = 0
    request_ms: list[float] = field(default_factory=list)  # the mutation's (raw: the send's)


@dataclass
class Fanout:
    """How many subscriptions received each event (by key), and when the first and last did."""

    arrived: dict[Any, list[float]] = field(default_factory=lambda: defaultdict(list))
    keys: list[Any] = field(default_factory=list)
    changed: asyncio.Event = field(default_factory=asyncio.Event)

    def record(self, key: Any, at: float) -> None:
        self.arrived[key].append(at)
        self.changed.set()

    async def wait_for(self, key: Any, count: int, timeout: float) -> None:
        deadline = perf_counter() + timeout
        while len(self.arrived[key]) < count and perf_counter() < deadline:
            self.changed.clear()
            try:
                await asyncio.wait_for(self.changed.wait(), max(0.0, deadline - perf_counter()))
            except TimeoutError:
                break
        await asyncio.sleep(0.2)  # stragglers and doubles


async def measure(
    result: Result,
    server: Server,
    url: str,
    tokens: list[str],
    query: str,
    options: Options,
    fanout: Fanout,
    on_next: Callable[[dict[str, Any], float], None],
    send_event: Callable[[int], Awaitable[Any]],
) -> None:
    result.rss_none = server.memory_mb()["VmRSS"]
    started = perf_counter()
    async with subscriptions(url, tokens, query, on_next) as opened:
        result.open_seconds = perf_counter() - started
        await asyncio.sleep(1.0)
        result.rss_open = server.memory_mb()["VmRSS"]
        with console.status(f"{server.name}: {len(tokens)} idle for {options.idle:g} s…"):
            await asyncio.sleep(options.idle)
        result.rss_idle = server.memory_mb()["VmRSS"]
        result.still_open = sum(still_open(s) for s in opened)
        for n in range(options.fanouts):
            sent = perf_counter()
            key = await send_event(n)
            result.request_ms.append((perf_counter() - sent) * 1000)
            fanout.keys.append(key)
            await fanout.wait_for(key, result.still_open, options.timeout)
            times = fanout.arrived[key]
            result.reached.append(len(times))
            if times:
                result.first_ms.append((min(times) - sent) * 1000)
                result.last_ms.append((max(times) - sent) * 1000)
        await asyncio.sleep(options.timeout / 3)
        result.in_the_end = [len(fanout.arrived[key]) for key in fanout.keys]
        result.rss_peak = server.memory_mb()["VmHWM"]
    await asyncio.sleep(2.0)
    result.rss_closed = server.memory_mb()["VmRSS"]


def still_open(subscription: Subscription) -> bool:
    return not subscription.completed and subscription.websocket.close_code is None


# --- leadflow -------------------------------------------------------------------------------


async def warm_up(client: httpx.AsyncClient, server: Server, people: People) -> None:
    """A query and a subscription opened and closed: imports and first-use caches done."""
    await mutate(client, server, people.clerk_token, "{ myTaskCounts { overdue } }", {})
    tokens = [people.clerk_token] * 2
    async with subscriptions(ws_url(server), tokens, TASK_EVENTS, lambda *_: None):
        await asyncio.sleep(0.5)
    await asyncio.sleep(1.0)


async def measure_leadflow(
    server: Server, people: People, clerks: list[tuple[int, str]], options: Options
) -> Result:
    """N subscriptions of len(clerks) clerks (at most MAX_CONNECTIONS_PER_USER each); one event
    is one distributeLeads of one lead to each clerk (ROUND_ROBIN over all of them)."""
    result, fanout = Result("leadflow serve (taskEvents)"), Fanout()
    round_of: dict[int, int] = {}

    def on_next(payload: dict[str, Any], at: float) -> None:
        event = (payload.get("data") or {}).get("taskEvents")
        if event is not None:
            fanout.record(round_of.get(decode_id(event["lead"]["id"], "Lead", ["lead"])), at)
        else:
            result.refetches += 1  # REFETCH: the subscription fell behind

    clerk_ids = [encode_id("User", clerk_id) for clerk_id, _ in clerks]
    tokens = [clerks[n % len(clerks)][1] for n in range(options.subscriptions)]
    async with httpx.AsyncClient(timeout=60) as client:
        await warm_up(client, server, people)

        async def send_event(n: int) -> Any:
            pks = range(1 + n * len(clerks), 1 + (n + 1) * len(clerks))
            round_of.update((pk, n) for pk in pks)
            variables = {"leadIds": [encode_id("Lead", pk) for pk in pks], "clerkIds": clerk_ids}
            data = await mutate(client, server, people.manager_token, DISTRIBUTE, variables)
            payload = data["distributeLeads"]
            if payload["userErrors"] or len(payload["assignments"]) != len(clerks):
                raise BenchError(f"distributeLeads did not give each clerk one lead: {payload}")
            return n

        await measure(result, server, ws_url(server), tokens, TASK_EVENTS, options, fanout,
                      on_next, send_event)  # fmt: skip
    return result


# --- raw websockets -------------------------------------------------------------------------


async def wait_listening(server: Server) -> None:
    deadline = perf_counter() + 30
    while perf_counter() < deadline:
        if server.process.poll() is not None:
            raise BenchError(f"{server.name} exited:\n{server.log_tail()}")
        try:
            async with connect(f"ws://127.0.0.1:{server.port}", subprotocols=[PROTOCOL]):
                return
        except OSError:
            await asyncio.sleep(0.1)
    raise BenchError(f"{server.name} did not listen within 30 s")


async def measure_raw(server: Server, options: Options) -> Result:
    result, fanout = Result("bare websockets server"), Fanout()
    await wait_listening(server)
    await asyncio.sleep(1.0)

    def on_next(payload: dict[str, Any], at: float) -> None:
        fanout.record(payload["data"]["n"], at)

    url = f"ws://127.0.0.1:{server.port}"
    async with connect(url, subprotocols=[PROTOCOL], ping_interval=None) as trigger:
        await trigger.send(json.dumps({"type": "connection_init"}))
        await trigger.recv()

        async def send_event(n: int) -> Any:
            await trigger.send(json.dumps({"type": "bench_broadcast", "payload": {"n": n}}))
            return n

        tokens = [""] * options.subscriptions
        await measure(result, server, url, tokens, RAW_QUERY, options, fanout, on_next, send_event)
    return result


# --- Report and main ------------------------------------------------------------------------


def report(results: list[Result], options: Options, backend: str) -> None:
    table = Table(
        title=f"{options.subscriptions:,} idle subscriptions on one process ({backend}); "
        f"fan-out: median (max) of {options.fanouts} events",
        title_justify="left",
    )
    for column in (
        "server", "RSS none MB", "RSS open MB", f"after {options.idle:g} s idle", "per sub KB",
        "peak MB", "closed MB", "open in s", "still open", "reached", "in the end", "REFETCH",
        "request ms", "first ms", "last ms",
    ):  # fmt: skip
        table.add_column(column, justify="left" if column == "server" else "right")
    for r in results:
        per_sub = (r.rss_idle - r.rss_none) * 1024 / options.subscriptions
        table.add_row(
            r.server, f"{r.rss_none:.1f}", f"{r.rss_open:.1f}", f"{r.rss_idle:.1f}",
            f"{per_sub:.0f}", f"{r.rss_peak:.1f}", f"{r.rss_closed:.1f}",
            f"{r.open_seconds:.1f}", f"{r.still_open:,}",
            f"{min(r.reached, default=0):,}-{max(r.reached, default=0):,}",
            f"{min(r.in_the_end, default=0):,}-{max(r.in_the_end, default=0):,}",
            f"{r.refetches:,}",
            spread(r.request_ms),
            spread(r.first_ms), spread(r.last_ms),
        )  # fmt: skip
    console.print(table)


def spread(values: list[float]) -> str:
    return f"{statistics.median(values):.0f} ({max(values):.0f})" if values else "-"


@dataclass(frozen=True)
class Options:
    postgres_url: str | None
    subscriptions: int
    idle: float
    fanouts: int
    timeout: float


async def run(options: Options) -> None:
    backend = "PostgreSQL" if options.postgres_url else "SQLite"
    results = []
    with tempfile.TemporaryDirectory(prefix="leadflow-bench-") as tmp:
        async with fresh_database(options.postgres_url, Path(tmp)) as url:
            users = math.ceil(options.subscriptions / MAX_CONNECTIONS_PER_USER)
            with console.status("Setting up…"):
                people = await prepare(url, (options.fanouts + 1) * users)
                clerks = await more_clerks(url, users)
            with leadflow_servers(url, Path(tmp), 1) as (app,):
                await all_ready([app])
                try:
                    results.append(await measure_leadflow(app, people, clerks, options))
                except (BenchError, WebSocketException) as error:
                    console.print(f"leadflow's part did not run: {error}", style="red")
            port = free_port()
            argv = [sys.executable, str(BENCH_DIR / "raw_ws.py"), str(port)]
            with started("raw-websockets", argv, port, os.environ, Path(tmp)) as raw:
                results.append(await measure_raw(raw, options))
    report(results, options, backend)


def parse_options(argv: list[str] | None = None) -> Options:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--postgres",
        metavar="URL",
        default=os.environ.get("LEADFLOW_BENCH_POSTGRES_URL"),
        help="PostgreSQL admin URL; a fresh database is created there and dropped afterwards "
        "(default: LEADFLOW_BENCH_POSTGRES_URL, else SQLite in a temporary directory)",
    )
    parser.add_argument(
        "--subscriptions", type=bounded(int, 1, 10_000), default=1_000, help="(1000)"
    )
    parser.add_argument(
        "--idle", type=bounded(float, 0, 600), default=30.0, help="seconds of silence (30)"
    )
    parser.add_argument("--fanouts", type=bounded(int, 1, 100), default=5, help="events (5)")
    parser.add_argument(
        "--timeout", type=bounded(float, 1, 120), default=30.0, help="per fan-out, seconds (30)"
    )
    args = parser.parse_args(argv)
    return Options(args.postgres, args.subscriptions, args.idle, args.fanouts, args.timeout)


def main() -> None:
    options = parse_options()
    stop_on_sigterm()
    try:
        asyncio.run(run(options))
    except (BenchError, OSError, asyncpg.PostgresError, BaseORMException) as error:
        console.print(f"bench: {error}", style="red", markup=False, highlight=False)
        sys.exit(1)
    except KeyboardInterrupt:
        console.print("bench: interrupted; servers stopped, database removed", style="red")
        sys.exit(130)


if __name__ == "__main__":
    main()
