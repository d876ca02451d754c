"""Benchmark the latency of live events across two app instances against a bare PostgreSQL
LISTEN/NOTIFY round trip (a benchmark, not a timed test).

It creates a fresh PostgreSQL database (dropped at the end), applies the migrations, creates a
manager and clerks with tokens and NEW leads, and starts two `leadflow serve` processes on it
(A and B, as deployed). The clerk subscribes on A over WebSocket (`graphql-transport-ws`) to
`taskEvents` and, on a second connection, to `notificationAdded`. The manager then assigns the
leads on B one at a time (`distributeLeads` with one lead and the clerk, or `assignLeads`
before distributeLeads exists or with `--mutation assignLeads`), waiting for each event before
the next. Latency: from the mutation's response on B (and from its send) to the event's arrival
on A, measured in this process with one clock; p50/p90/p99/max, and events lost (none within
`--timeout`) or doubled.

The raw baseline, in the same run: two bare asyncpg connections to the same server, one
LISTENing, the other sending `SELECT pg_notify(...)`; from the send, and from the statement's
return, to the listener's callback.

    .venv/bin/python bench/live_events.py --postgres postgres://postgres@127.0.0.1:5432/test

See bench/README.md for the latest figures.
"""

from __future__ import annotations

import argparse
import asyncio
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
from websockets.exceptions import WebSocketException

from leadflow.api.ids import decode_id, encode_id
from leads_page import BenchError, asyncpg_dsn, bounded, fresh_database
from live_client import (
    TASK_EVENTS,
    People,
    all_ready,
    leadflow_servers,
    mutate,
    prepare,
    subscriptions,
    ws_url,
)
from servers import Server, stop_on_sigterm

WARMUP = 20  # leads assigned before measuring (the first until the subscription is live)
NOTIFICATIONS = "subscription { notificationAdded { id kind } }"
ASSIGN = (
    "mutation($leadId: ID!, $clerkId: ID!) { assignLeads(input: { leadIds: [$leadId], "
    "assigneeId: $clerkId }) { leads { id } userErrors { code message } } }"
)
DISTRIBUTE = (
    "mutation($leadId: ID!, $clerkId: ID!) { distributeLeads(input: { leadIds: [$leadId], "
    "clerkIds: [$clerkId], strategy: ROUND_ROBIN }) { assignments { lead { id } } "
    "skipped { reason } userErrors { code message } } }"
)

console = Console()


@dataclass
class Series:
    label: str
    ms: list[float] = field(default_factory=list)
    lost: int = 0
    doubled: int = 0


# --- The raw baseline -----------------------------------------------------------------------


async def notify_baseline(url: str, runs: int, timeout: float) -> list[Series]:
    """A bare LISTEN/NOTIFY round trip between two connections."""
    arrivals: asyncio.Queue[tuple[str, float]] = asyncio.Queue()
    listener = await asyncpg.connect(asyncpg_dsn(url))
    sender = await asyncpg.connect(asyncpg_dsn(url))
    from_send, from_return = (
        Series("raw NOTIFY -> LISTEN, from the send"),
        Series("raw NOTIFY -> LISTEN, from the statement's return"),
    )
    try:
        await listener.add_listener(
            "bench_wake",
            lambda _c, _p, _ch, payload: arrivals.put_nowait((payload, perf_counter())),
        )
        for n in range(runs + WARMUP):
            sent = perf_counter()
            await sender.execute("SELECT pg_notify('bench_wake', $1)", str(n))
            returned = perf_counter()
            try:
                payload, arrived = await asyncio.wait_for(arrivals.get(), timeout)
            except TimeoutError:
                from_send.lost += 1
                continue
            if payload != str(n):
                raise BenchError(f"NOTIFY {n} arrived as {payload}")
            if n >= WARMUP:
                from_send.ms.append((arrived - sent) * 1000)
                from_return.ms.append((arrived - returned) * 1000)
    finally:
        await listener.close()
        await sender.close()
    return [from_send, from_return]


# --- Through the application ----------------------------------------------------------------


@dataclass
class Arrivals:
    """Arrival times of task events by lead, and of notifications in order."""

    tasks: dict[int, list[float]] = field(default_factory=lambda: defaultdict(list))
    notifications: list[float] = field(default_factory=list)
    refetches: int = 0
    changed: asyncio.Event = field(default_factory=asyncio.Event)

    def on_task(self, payload: dict[str, Any], arrived: float) -> None:
        event = (payload.get("data") or {}).get("taskEvents")
        if event is None:
            self.refetches += 1
        elif event["kind"] == "ASSIGNED":
            self.tasks[decode_id(event["lead"]["id"], "Lead", ["lead"])].append(arrived)
        self.changed.set()

    def on_notification(self, payload: dict[str, Any], arrived: float) -> None:
        if (payload.get("data") or {}).get("notificationAdded") is None:
            self.refetches += 1
        else:
            self.notifications.append(arrived)
        self.changed.set()

    async def until(self, condition: Callable[[], bool], timeout: float) -> bool:
        deadline = perf_counter() + timeout
        while not condition():
            left = deadline - perf_counter()
            if left <= 0:
                return False
            self.changed.clear()
            if condition():
                return True
            try:
                await asyncio.wait_for(self.changed.wait(), left)
            except TimeoutError:
                return condition()
        return True


async def has_mutation(client: httpx.AsyncClient, server: Server, token: str, name: str) -> bool:
    data = await mutate(
        client, server, token, '{ __type(name: "Mutation") { fields { name } } }', {}
    )
    return any(f["name"] == name for f in data["__type"]["fields"])


def assign_call(
    client: httpx.AsyncClient, b: Server, people: People, mutation: str
) -> Callable[[int], Awaitable[None]]:
    query = DISTRIBUTE if mutation == "distributeLeads" else ASSIGN
    clerk = encode_id("User", people.clerk_id)

    async def assign(pk: int) -> None:
        data = await mutate(
            client,
            b,
            people.manager_token,
            query,
            {"leadId": encode_id("Lead", pk), "clerkId": clerk},
        )
        payload = data[mutation]
        if payload["userErrors"] or (mutation == "distributeLeads" and not payload["assignments"]):
            raise BenchError(f"{mutation} of lead {pk} refused: {payload}")

    return assign


async def app_latency(
    a: Server, b: Server, people: People, events: int, timeout: float, mutation: str
) -> tuple[list[Series], int]:
    arrivals = Arrivals()
    tasks = Series("taskEvents on A, from the mutation's response on B")
    tasks_sent = Series("taskEvents on A, from the mutation's send on B")
    notes = Series("notificationAdded on A, from the mutation's response on B")
    round_trip = Series(f"{mutation} round trip on B (for comparison)")
    async with (
        httpx.AsyncClient(timeout=30) as client,
        subscriptions(ws_url(a), [people.clerk_token], TASK_EVENTS, arrivals.on_task) as task_subs,
        subscriptions(
            ws_url(a), [people.clerk_token], NOTIFICATIONS, arrivals.on_notification
        ) as note_subs,
    ):
        assign = assign_call(client, b, people, mutation)

        def notifications_live() -> bool:
            return not (note_subs[0].errors or note_subs[0].completed)

        # Nothing acknowledges a subscribe: the first lead(s) until both streams are live.
        pk = 0
        while pk < WARMUP or not (
            arrivals.tasks and (arrivals.notifications or not notifications_live())
        ):
            pk += 1
            if pk > WARMUP * 5:
                errors = task_subs[0].errors + note_subs[0].errors
                raise BenchError(f"no taskEvents arrived on A during the warm-up {errors}")
            await assign(pk)
            await arrivals.until(lambda pk=pk: bool(arrivals.tasks.get(pk)), 1.0)
        await asyncio.sleep(timeout)
        if not notifications_live():
            console.print(f"notificationAdded refused, not measured: {note_subs[0].errors}")
        notified = len(arrivals.notifications)
        measured = range(pk + 1, pk + 1 + events)
        for lead in measured:
            sent = perf_counter()
            await assign(lead)
            answered = perf_counter()
            round_trip.ms.append((answered - sent) * 1000)
            if await arrivals.until(lambda lead=lead: bool(arrivals.tasks.get(lead)), timeout):
                first = arrivals.tasks[lead][0]
                tasks.ms.append((first - answered) * 1000)
                tasks_sent.ms.append((first - sent) * 1000)
            else:
                tasks.lost += 1
            if not notifications_live():
                continue
            notified += 1
            if await arrivals.until(lambda n=notified: len(arrivals.notifications) >= n, timeout):
                notes.ms.append((arrivals.notifications[notified - 1] - answered) * 1000)
            else:
                notes.lost += 1
                notified = len(arrivals.notifications)
        await asyncio.sleep(1.0)  # late doubles
        tasks.doubled = sum(len(arrivals.tasks.get(n, [])) > 1 for n in measured)
        tasks_sent.lost, tasks_sent.doubled = tasks.lost, tasks.doubled
        notes.doubled = max(0, len(arrivals.notifications) - notified)
    return [tasks, tasks_sent, notes, round_trip], arrivals.refetches


# --- Report and main ------------------------------------------------------------------------


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(share * (len(ordered) - 1)))]


def report(series: list[Series], title: str) -> None:
    table = Table(title=title, title_justify="left")
    for column in ("way", "p50 ms", "p90 ms", "p99 ms", "max ms", "events", "lost", "doubled"):
        table.add_column(column, justify="left" if column == "way" else "right")
    for s in series:
        if not s.ms:
            table.add_row(s.label, "-", "-", "-", "-", "0", str(s.lost), str(s.doubled))
            continue
        table.add_row(
            s.label,
            f"{statistics.median(s.ms):.2f}",
            f"{percentile(s.ms, 0.90):.2f}",
            f"{percentile(s.ms, 0.99):.2f}",
            f"{max(s.ms):.2f}",
            str(len(s.ms)),
            str(s.lost),
            str(s.doubled),
        )
    console.print(table)


@dataclass(frozen=True)
class Options:
    postgres_url: str
    events: int
    timeout: float
    mutation: str


async def run(options: Options) -> None:
    with tempfile.TemporaryDirectory(prefix="leadflow-bench-") as tmp:
        async with fresh_database(options.postgres_url, Path(tmp)) as url:
            with console.status("Setting up…"):
                people = await prepare(url, options.events + WARMUP * 6)
            baseline = await notify_baseline(url, options.events, options.timeout)
            with leadflow_servers(url, Path(tmp), 2) as (a, b):
                await all_ready([a, b])
                mutation = options.mutation
                if mutation == "auto":
                    async with httpx.AsyncClient(timeout=30) as client:
                        found = await has_mutation(
                            client, b, people.manager_token, "distributeLeads"
                        )
                    mutation = "distributeLeads" if found else "assignLeads"
                app, refetches = [], 0
                try:
                    with console.status(f"{options.events} events through {mutation}…"):
                        app, refetches = await app_latency(
                            a, b, people, options.events, options.timeout, mutation
                        )
                except (BenchError, WebSocketException) as error:
                    console.print(f"The application's part did not run: {error}", style="red")
    report(
        baseline + app,
        f"Live events across two instances on PostgreSQL: {options.events} leads assigned one "
        f"at a time on B ({mutation}), received on A (graphql-transport-ws)",
    )
    if refetches:
        console.print(f"REFETCH results received: {refetches}")


def parse_options(argv: list[str] | None = None) -> Options:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--postgres",
        metavar="URL",
        default=os.environ.get("LEADFLOW_BENCH_POSTGRES_URL"),
        help="PostgreSQL admin URL (required: two instances need one shared database; default "
        "LEADFLOW_BENCH_POSTGRES_URL); a fresh database is created there and dropped afterwards",
    )
    parser.add_argument("--events", type=bounded(int, 1, 100_000), default=300, help="(300)")
    parser.add_argument(
        "--timeout", type=bounded(float, 0.1, 60), default=5.0, help="per event, seconds (5)"
    )
    parser.add_argument(
        "--mutation",
        choices=("auto", "distributeLeads", "assignLeads"),
        default="auto",
        help="what assigns each lead (auto: distributeLeads when the schema has it)",
    )
    args = parser.parse_args(argv)
    if not args.postgres:
        parser.error("two instances need PostgreSQL: give --postgres URL")
    return Options(args.postgres, args.events, args.timeout, args.mutation)


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
