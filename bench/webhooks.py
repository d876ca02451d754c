"""Benchmark webhook delivery against a plain signed-POST loop, and what webhooks add to a
`closeLead` (a benchmark, not a timed test).

It creates a fresh database (a SQLite file in a temporary directory, or a new database on a
PostgreSQL server, dropped at the end), applies the migrations, creates a manager and clerks
with tokens through the services and bulk-loads NEW leads (no outbox events). Then it starts one
`leadflow serve` process as deployed (with LEADFLOW_WEBHOOK_ALLOW_PRIVATE=1: the receiver is on
loopback) and a receiver process of its own (this script with `--receive`: aiohttp, verifying
every signature with the `standardwebhooks` package, counting requests by `webhook-id`).

1. **Delivery throughput.** One webhook for `lead.assigned`; `assignLeads` of `--events` leads
   in calls of 1,000 (one commit each). Events per second from the first call's answer (its
   commit) to the last receipt, with the receipt of the first and the requests lost, doubled
   or badly signed. The raw baseline, in the same run: the same number of POSTs of a real body
   (as the app sent it, read back through `webhook(id).deliveries`), each signed with
   `standardwebhooks`, from a plain aiohttp loop with as many requests at once as the app's
   LEADFLOW_WEBHOOK_CONCURRENCY (10) to the same receiver.
2. **What webhooks add to closeLead.** The clerk closes its ACTIVE leads one at a time over
   GraphQL, in alternating blocks: without any webhook for `lead.closed`, and with `--webhooks`
   (3) active webhooks subscribed to it (switched with `updateWebhook(active)` between blocks,
   so drift hits both sides alike). Mean, p50, p90, p99 and max per side; afterwards every
   close must have reached the receiver once per webhook.

    .venv/bin/python bench/webhooks.py                          # SQLite
    .venv/bin/python bench/webhooks.py --postgres postgres://postgres@127.0.0.1:5432/test

See bench/README.md ("Webhooks") for the latest figures.
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import os
import statistics
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import aiohttp
import asyncpg
import httpx
from aiohttp import web
from rich.console import Console
from rich.table import Table
from standardwebhooks import Webhook
from standardwebhooks.webhooks import WebhookVerificationError
from tortoise.exceptions import BaseORMException

from leadflow.api.ids import encode_id
from leads_page import BenchError, bounded, fresh_database
from live_client import People, mutate, prepare
from servers import (
    HOST,
    Server,
    app_env,
    free_port,
    leadflow_server,
    started,
    stop_on_sigterm,
    wait_ready,
)

ASSIGN_BATCH = 1_000  # assignLeads takes at most 1,000 leads
CONTROL = "/_control"
console = Console()

CREATE_WEBHOOK = (
    "mutation($input: CreateWebhookInput!) { createWebhook(input: $input) { "
    "webhook { id secret } userErrors { code field message } } }"
)
UPDATE_WEBHOOK = (
    "mutation($input: UpdateWebhookInput!) { updateWebhook(input: $input) { "
    "webhook { id active } userErrors { code field message } } }"
)
ASSIGN = (
    "mutation($input: AssignLeadsInput!) { assignLeads(input: $input) { "
    "leads { id } userErrors { code field message } } }"
)
CLOSE = (
    "mutation($input: CloseLeadInput!) { closeLead(input: $input) { "
    "lead { id status } userErrors { code field message } } }"
)
A_PAYLOAD = (
    "query($id: ID!) { webhook(id: $id) { deliveries(first: 1) { edges { node { payload } } } } }"
)


# --- The receiver (a process of its own) ----------------------------------------------------


@dataclass
class Receipts:
    """What the receiver counts: requests by path and webhook-id (one path per webhook: an
    event sent to three webhooks has one webhook-id), bad signatures, first and last arrival
    (time.monotonic(): one clock for every process on the machine)."""

    verifiers: list[Webhook] = field(default_factory=list)
    by_id: Counter[tuple[str, str]] = field(default_factory=Counter)
    bad: int = 0
    first: float = 0.0
    last: float = 0.0

    def record(self, path: str, body: bytes, headers: dict[str, str]) -> None:
        arrived = time.monotonic()
        if not any(self._verifies(verifier, body, headers) for verifier in self.verifiers):
            self.bad += 1
        self.by_id[path, headers.get("webhook-id", "")] += 1
        self.first = self.first or arrived
        self.last = arrived

    @staticmethod
    def _verifies(verifier: Webhook, body: bytes, headers: dict[str, str]) -> bool:
        try:
            verifier.verify(body, headers, json_parse=False)
        except WebhookVerificationError:
            return False
        return True

    def stats(self) -> dict[str, Any]:
        return {
            "requests": sum(self.by_id.values()),
            "distinct": len(self.by_id),
            "bad": self.bad,
            "first": self.first,
            "last": self.last,
        }


def receiver_app() -> web.Application:
    receipts = Receipts()

    async def receive(request: web.Request) -> web.Response:
        body = await request.read()
        receipts.record(
            request.path, body, {name.lower(): value for name, value in request.headers.items()}
        )
        return web.Response(status=200)

    async def add_secret(request: web.Request) -> web.Response:
        receipts.verifiers.append(Webhook((await request.json())["secret"]))
        return web.json_response({})

    async def reset(_request: web.Request) -> web.Response:
        receipts.by_id.clear()
        receipts.bad, receipts.first, receipts.last = 0, 0.0, 0.0
        return web.json_response({})

    async def stats(_request: web.Request) -> web.Response:
        return web.json_response(receipts.stats())

    app = web.Application()
    app.router.add_post(f"{CONTROL}/secret", add_secret)
    app.router.add_post(f"{CONTROL}/reset", reset)
    app.router.add_get(f"{CONTROL}/stats", stats)
    app.router.add_post("/{tail:.*}", receive)
    return app


def serve_receiver(port: int) -> None:
    web.run_app(receiver_app(), host=HOST, port=port, print=None, access_log=None)


@contextmanager
def running_receiver(tmp: Path) -> Iterator[Server]:
    port = free_port()
    argv = [sys.executable, __file__, "--receive", str(port)]
    with started("receiver", argv, port, os.environ, tmp) as receiver:
        yield receiver


class ReceiverClient:
    def __init__(self, client: httpx.AsyncClient, receiver: Server) -> None:
        self.client, self.receiver = client, receiver

    async def add_secret(self, secret: str) -> None:
        await self.client.post(self.receiver.url(f"{CONTROL}/secret"), json={"secret": secret})

    async def reset(self) -> None:
        await self.client.post(self.receiver.url(f"{CONTROL}/reset"))

    async def stats(self) -> dict[str, Any]:
        stats: dict[str, Any] = (
            await self.client.get(self.receiver.url(f"{CONTROL}/stats"))
        ).json()
        return stats

    async def until_distinct(
        self, count: int, timeout: float, settle: float = 1.0
    ) -> dict[str, Any]:
        """The stats once `count` different messages arrived (or `timeout` passed), and
        `settle` seconds later (to see doubles)."""
        deadline = time.monotonic() + timeout
        stats = await self.stats()
        while stats["distinct"] < count and time.monotonic() < deadline:
            await asyncio.sleep(0.02)
            stats = await self.stats()
        if settle:
            await asyncio.sleep(settle)
            stats = await self.stats()
        return stats


# --- Delivery throughput --------------------------------------------------------------------


@dataclass
class Throughput:
    label: str
    events: int
    seconds: float = 0.0
    first_ms: float = 0.0  # from the start to the first receipt
    lost: int = 0
    doubled: int = 0
    bad: int = 0
    note: str = ""


def throughput_of(label: str, events: int, start: float, stats: dict[str, Any]) -> Throughput:
    return Throughput(
        label,
        events,
        seconds=stats["last"] - start,
        first_ms=(stats["first"] - start) * 1000,
        lost=max(0, events - stats["distinct"]),
        doubled=stats["requests"] - stats["distinct"],
        bad=stats["bad"],
    )


async def call(
    client: httpx.AsyncClient, app: Server, token: str, query: str, variables: dict[str, Any]
) -> dict[str, Any]:
    """A mutation that must succeed (no user errors); returns its payload."""
    data = await mutate(client, app, token, query, variables)
    [payload] = data.values()
    if payload.get("userErrors"):
        raise BenchError(f"refused: {payload['userErrors']}")
    result: dict[str, Any] = payload
    return result


async def assign_leads(
    client: httpx.AsyncClient, app: Server, people: People, leads: range
) -> list[float]:
    """assignLeads in calls of ASSIGN_BATCH; returns the time of each answer."""
    answered = []
    for start in range(leads.start, leads.stop, ASSIGN_BATCH):
        batch = range(start, min(start + ASSIGN_BATCH, leads.stop))
        lead_ids = [encode_id("Lead", pk) for pk in batch]
        await call(
            client,
            app,
            people.manager_token,
            ASSIGN,
            {"input": {"leadIds": lead_ids, "assigneeId": encode_id("User", people.clerk_id)}},
        )
        answered.append(time.monotonic())
    return answered


async def create_webhook(
    client: httpx.AsyncClient,
    app: Server,
    people: People,
    receiver: Server,
    events: list[str],
    path: str = "/hook",
) -> tuple[str, str]:
    payload = await call(
        client,
        app,
        people.manager_token,
        CREATE_WEBHOOK,
        {"input": {"url": receiver.url(path), "events": events}},
    )
    return payload["webhook"]["id"], payload["webhook"]["secret"]


async def app_throughput(
    client: httpx.AsyncClient,
    app: Server,
    receiver: ReceiverClient,
    people: People,
    leads: range,
    timeout: float,
) -> tuple[Throughput, str, str]:
    """Through the application; returns the figures, the webhook's secret and one body as
    sent."""
    webhook_id, secret = await create_webhook(
        client, app, people, receiver.receiver, ["lead.assigned"]
    )
    await receiver.add_secret(secret)
    await receiver.reset()
    start = time.monotonic()
    answered = await assign_leads(client, app, people, leads)
    stats = await receiver.until_distinct(len(leads), timeout)
    result = throughput_of("Leadflow (from the first commit)", len(leads), answered[0], stats)
    result.note = (
        f"{len(answered)} assignLeads calls took {(answered[-1] - start):.2f} s; "
        f"last receipt {(stats['last'] - answered[-1]) * 1000:.0f} ms after the last answer"
    )
    data = await mutate(client, app, people.manager_token, A_PAYLOAD, {"id": webhook_id})
    body: str = data["webhook"]["deliveries"]["edges"][0]["node"]["payload"]
    return result, secret, body


async def raw_throughput(
    receiver: ReceiverClient, secret: str, body: str, events: int, concurrency: int
) -> Throughput:
    """The same number of signed POSTs of the same body from a plain aiohttp loop."""
    await receiver.reset()
    signer = Webhook(secret)
    at_once = asyncio.Semaphore(concurrency)
    url = receiver.receiver.url("/hook")
    data = body.encode()
    timeout = aiohttp.ClientTimeout(total=15)

    async def post(session: aiohttp.ClientSession, n: int) -> None:
        message_id = f"raw_{n}"
        now = datetime.now(UTC)
        headers = {
            "content-type": "application/json",
            "webhook-id": message_id,
            "webhook-timestamp": str(int(now.timestamp())),
            "webhook-signature": signer.sign(message_id, now, data),
        }
        async with at_once, session.post(url, data=data, headers=headers) as response:
            await response.read()

    start = time.monotonic()
    async with aiohttp.ClientSession(timeout=timeout) as session:
        await asyncio.gather(*(post(session, n) for n in range(events)))
    stats = await receiver.until_distinct(events, 10)
    return throughput_of(
        f"raw aiohttp loop, {concurrency} at once",
        events,
        start,
        stats,
    )


# --- What webhooks add to closeLead ---------------------------------------------------------

WARMUP_CLOSES = 20
PACE_SECONDS = 0.1
# (label, with the webhooks active, each close only after the previous one's deliveries)
MODES = (
    ("no webhook for lead.closed, back to back", False, False),
    ("{n} webhooks for lead.closed, back to back", True, False),
    ("no webhook, paced", False, True),
    ("{n} webhooks, paced: after the last close's deliveries", True, True),
)


@dataclass
class Closes:
    label: str
    hooked: bool
    paced: bool
    ms: list[float] = field(default_factory=list)


async def close_lead(client: httpx.AsyncClient, app: Server, people: People, pk: int) -> float:
    """The clerk closes its lead `pk` over GraphQL; returns the milliseconds it took."""
    sent = time.monotonic()
    payload = await call(
        client,
        app,
        people.clerk_token,
        CLOSE,
        {"input": {"leadId": encode_id("Lead", pk), "outcome": "SUCCESSFUL"}},
    )
    took = (time.monotonic() - sent) * 1000
    if payload["lead"]["status"] != "DONE":
        raise BenchError(f"lead {pk} not closed: {payload}")
    return took


async def set_active(
    client: httpx.AsyncClient, app: Server, people: People, webhook_ids: list[str], active: bool
) -> None:
    for webhook_id in webhook_ids:
        await call(
            client,
            app,
            people.manager_token,
            UPDATE_WEBHOOK,
            {"input": {"webhookId": webhook_id, "active": active}},
        )


def blocks(sides: list[Closes], closes: int, block: int) -> Iterator[tuple[Closes, int]]:
    """(side, closes) in turn until each side has `closes`: drift hits every side alike."""
    left = dict.fromkeys(range(len(sides)), closes)
    while any(left.values()):
        for index, side in enumerate(sides):
            count = min(block, left[index])
            left[index] -= count
            if count:
                yield side, count


async def close_cost(
    client: httpx.AsyncClient,
    app: Server,
    receiver: ReceiverClient,
    people: People,
    leads: range,
    options: Options,
) -> tuple[list[Closes], dict[str, Any]]:
    """closeLead of `leads` (ACTIVE, the clerk's) in turns of MODES; returns the sides and the
    receiver's stats of the closes delivered (with "expected")."""
    ids = []
    for n in range(options.webhooks):
        webhook_id, secret = await create_webhook(
            client, app, people, receiver.receiver, ["lead.closed"], f"/closed-{n}"
        )
        await receiver.add_secret(secret)
        ids.append(webhook_id)
    await set_active(client, app, people, ids, False)
    await receiver.reset()
    pks = iter(leads)
    for pk in itertools.islice(pks, WARMUP_CLOSES):
        await close_lead(client, app, people, pk)
    sides = [Closes(label.format(n=options.webhooks), *rest) for label, *rest in MODES]
    expected, active = 0, False
    for side, count in blocks(sides, options.closes, options.block):
        if side.hooked != active:
            # Switched off only when everything arrived: a switched-off webhook's pending
            # deliveries would wait, uncounted.
            await receiver.until_distinct(expected, 60, settle=0)
            await set_active(client, app, people, ids, side.hooked)
            active = side.hooked
        for pk in itertools.islice(pks, count):
            side.ms.append(await close_lead(client, app, people, pk))
            expected += options.webhooks if side.hooked else 0
            if side.paced:
                await receiver.until_distinct(expected, 10, settle=0)
                await asyncio.sleep(PACE_SECONDS)
    stats = await receiver.until_distinct(expected, 60)
    return sides, stats | {"expected": expected}


# --- Report and main ------------------------------------------------------------------------


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(share * (len(ordered) - 1)))]


def throughput_table(results: list[Throughput], title: str) -> Table:
    table = Table(title=title, title_justify="left")
    columns = ("way", "events", "seconds", "events/s", "first ms", "lost", "doubled", "bad sig")
    for column in columns:
        table.add_column(column, justify="left" if column == "way" else "right")
    for result in results:
        rate = result.events / result.seconds if result.seconds > 0 else 0.0
        table.add_row(
            result.label,
            str(result.events),
            f"{result.seconds:.2f}",
            f"{rate:,.0f}",
            f"{result.first_ms:.0f}",
            str(result.lost),
            str(result.doubled),
            str(result.bad),
        )
    return table


def closes_table(sides: list[Closes], title: str) -> Table:
    table = Table(title=title, title_justify="left")
    for column in ("way", "closes", "mean ms", "p50 ms", "p90 ms", "p99 ms", "max ms"):
        table.add_column(column, justify="left" if column == "way" else "right")
    for side in sides:
        table.add_row(
            side.label,
            str(len(side.ms)),
            f"{statistics.fmean(side.ms):.2f}",
            f"{statistics.median(side.ms):.2f}",
            f"{percentile(side.ms, 0.90):.2f}",
            f"{percentile(side.ms, 0.99):.2f}",
            f"{max(side.ms):.2f}",
        )
    return table


def added_text(without: Closes, with_hooks: Closes) -> str:
    mean = statistics.fmean(with_hooks.ms) - statistics.fmean(without.ms)
    p50 = statistics.median(with_hooks.ms) - statistics.median(without.ms)
    p99 = percentile(with_hooks.ms, 0.99) - percentile(without.ms, 0.99)
    return f"{mean:+.2f} ms mean, {p50:+.2f} ms p50, {p99:+.2f} ms p99"


@dataclass(frozen=True)
class Options:
    postgres_url: str | None
    events: int
    closes: int
    webhooks: int
    block: int
    concurrency: int
    timeout: float


async def run(options: Options) -> None:
    backend = "PostgreSQL" if options.postgres_url else "SQLite"
    closes_total = len(MODES) * options.closes + WARMUP_CLOSES
    with tempfile.TemporaryDirectory(prefix="leadflow-bench-") as tmp:
        async with fresh_database(options.postgres_url, Path(tmp)) as url:
            with console.status("Setting up…"):
                people = await prepare(url, closes_total + options.events)
            env = app_env(url, LEADFLOW_WEBHOOK_ALLOW_PRIVATE="1")
            with (
                leadflow_server("leadflow", env, Path(tmp)) as app,
                running_receiver(Path(tmp)) as receiver_server,
            ):
                async with httpx.AsyncClient(timeout=60) as client:
                    await wait_ready(client, app)
                    await wait_ready_receiver(client, receiver_server)
                    receiver = ReceiverClient(client, receiver_server)
                    closing = range(1, closes_total + 1)
                    with console.status(f"Assigning {len(closing)} leads to close later…"):
                        await assign_leads(client, app, people, closing)
                    assigned = range(closing.stop, closing.stop + options.events)
                    with console.status(f"{options.events} events through the app…"):
                        app_result, secret, body = await app_throughput(
                            client, app, receiver, people, assigned, options.timeout
                        )
                    with console.status(f"{options.events} raw signed POSTs…"):
                        raw_result = await raw_throughput(
                            receiver, secret, body, options.events, options.concurrency
                        )
                    with console.status(f"{len(MODES) * options.closes} closes…"):
                        sides, delivered = await close_cost(
                            client, app, receiver, people, closing, options
                        )
    console.print(
        throughput_table(
            [app_result, raw_result],
            f"Webhook delivery on {backend}: {options.events} lead.assigned events, one "
            "webhook, one local receiver verifying every signature",
        )
    )
    console.print(app_result.note)
    console.print(
        closes_table(
            sides,
            f"closeLead over GraphQL on {backend}, one at a time, in turns of {options.block}",
        )
    )
    console.print(
        f"Added by {options.webhooks} webhooks, back to back: {added_text(*sides[:2])}; "
        f"paced: {added_text(*sides[2:])}. lead.closed delivered: {delivered['distinct']} of "
        f"{delivered['expected']} (requests {delivered['requests']}, bad signatures "
        f"{delivered['bad']})"
    )


async def wait_ready_receiver(client: httpx.AsyncClient, receiver: Server) -> None:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if receiver.process.poll() is not None:
            raise BenchError(f"the receiver exited:\n{receiver.log_tail()}")
        try:
            await client.get(receiver.url(f"{CONTROL}/stats"))
            return
        except httpx.TransportError:
            await asyncio.sleep(0.05)
    raise BenchError("the receiver did not come up")


def parse_options(argv: list[str] | None = None) -> Options:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--postgres",
        metavar="URL",
        default=os.environ.get("LEADFLOW_BENCH_POSTGRES_URL"),
        help="PostgreSQL admin URL; a fresh database is created there and dropped afterwards "
        "(default: LEADFLOW_BENCH_POSTGRES_URL, else SQLite in a temporary directory)",
    )
    parser.add_argument("--events", type=bounded(int, 1, 100_000), default=2_000, help="(2000)")
    parser.add_argument(
        "--closes", type=bounded(int, 10, 10_000), default=300, help="per side (300)"
    )
    parser.add_argument("--webhooks", type=bounded(int, 1, 50), default=3, help="(3)")
    parser.add_argument("--block", type=bounded(int, 5, 1_000), default=50, help="closes (50)")
    parser.add_argument(
        "--concurrency",
        type=bounded(int, 1, 200),
        default=10,
        help="the raw loop's requests at once (10, the app's default)",
    )
    parser.add_argument(
        "--timeout", type=bounded(float, 1, 3600), default=120.0, help="for all deliveries (120 s)"
    )
    parser.add_argument("--receive", type=int, metavar="PORT", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.receive is not None:
        serve_receiver(args.receive)
        sys.exit(0)
    return Options(
        args.postgres,
        args.events,
        args.closes,
        args.webhooks,
        args.block,
        args.concurrency,
        args.timeout,
    )


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
