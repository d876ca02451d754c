"""Across app instances on one PostgreSQL database (the issue's first "Done when"): a change
made on instance B reaches a subscription on instance A within a second, through the outbox
and A's listening connection; after that connection is killed (`pg_terminate_backend`), A
reconnects and the events go on arriving, none lost or doubled.

The first test: two real `leadflow serve` processes, a clerk subscribed to `taskEvents` and
`notificationAdded` on A over GraphQL over SSE, the manager distributing on B. The second looks
at the hub of the tests' own app (A) directly, with B a `leadflow serve` process."""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import time
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager, contextmanager, suppress
from pathlib import Path
from typing import Any

import asyncpg
import httpx
import pytest
from starlette.applications import Starlette

from leadflow.api.ids import encode_id
from leadflow.live.hub import Hub, LiveEvent, Refetch, Subscription
from leadflow.live.listener import application_name
from leadflow.services import outbox
from tests.databases import asyncpg_dsn
from tests.helpers import Actor, Actors, mutate_ok, new_campaign, new_leads
from tests.live_server import start_server

WAIT = 10.0


@pytest.fixture
def postgres_only(backend: str) -> None:
    if backend != "postgres":
        pytest.skip("several instances share PostgreSQL only (SQLite serves one)")


@contextmanager
def other_instance(database_url: str, directory: Path, name: str = "b") -> Iterator[str]:
    """`leadflow serve` on the tests' database; yields its URL."""
    with serving(database_url, directory, name) as (url, _pid):
        yield url


@contextmanager
def serving(database_url: str, directory: Path, name: str) -> Iterator[tuple[str, int]]:
    """`leadflow serve` on the tests' database; yields its URL and process id."""
    env = {key: value for key, value in os.environ.items() if not key.startswith("LEADFLOW_")}
    env["LEADFLOW_DATABASE_URL"] = database_url
    server, url = start_server(env, directory, directory / f"instance-{name}.log")
    try:
        yield url, server.pid
    finally:
        server.terminate()
        try:
            server.wait(timeout=10)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()


async def assign(b: httpx.AsyncClient, manager: Actor, lead_id: str, clerk: Actor) -> None:
    await mutate_ok(
        b, manager, "assignLeads", {"leadIds": [lead_id], "assigneeId": clerk.gid}, "leads { id }"
    )


async def assignment_of(subscription: Subscription, lead_id: str) -> LiveEvent:
    """The next lead.assigned event (other topics, e.g. the notification's, pass by)."""
    while True:
        message = await asyncio.wait_for(anext(subscription), WAIT)
        assert not isinstance(message, Refetch), "nothing may be lost"
        if message.topic == outbox.LEAD_ASSIGNED:
            assert encode_id("Lead", message.lead_id or 0) == lead_id
            return message


async def kill_listener(database_url: str, pid: int | None = None) -> int:
    """Terminate the listening connection of the instance with process id `pid` (this one's by
    default); returns how many connections were terminated."""
    admin = await asyncpg.connect(asyncpg_dsn(database_url))
    try:
        killed: int = await admin.fetchval(
            "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
            "WHERE application_name = $1",
            application_name(pid),
        )
    finally:
        await admin.close()
    return killed


@asynccontextmanager
async def sse_subscription(
    url: str, actor: Actor, document: str
) -> AsyncIterator[asyncio.Queue[dict[str, Any]]]:
    """A GraphQL-over-SSE subscription on `url`: its `next` results arrive in the queue."""
    results: asyncio.Queue[dict[str, Any]] = asyncio.Queue()
    opened = asyncio.Event()

    async def read() -> None:
        headers = {"Authorization": f"Bearer {actor.token}", "Accept": "text/event-stream"}
        async with (
            httpx.AsyncClient(base_url=url, timeout=httpx.Timeout(WAIT, read=None)) as http,
            http.stream("POST", "/graphql", json={"query": document}, headers=headers) as stream,
        ):
            assert stream.status_code == 200, await stream.aread()
            opened.set()
            event = ""
            async for line in stream.aiter_lines():
                if line.startswith("event:"):
                    event = line.partition(":")[2].strip()
                elif line.startswith("data:") and event == "next":
                    await results.put(json.loads(line.partition(":")[2]))

    reader = asyncio.create_task(read())
    try:
        await asyncio.wait_for(opened.wait(), WAIT)
        yield results
    finally:
        reader.cancel()
        with suppress(asyncio.CancelledError):
            await reader


async def next_result(results: asyncio.Queue[dict[str, Any]]) -> dict[str, Any]:
    result = await asyncio.wait_for(results.get(), WAIT)
    assert not result.get("errors"), result  # a REFETCH error would mean something was lost
    data: dict[str, Any] = result["data"]
    return data


async def nothing_more(*queues: asyncio.Queue[dict[str, Any]]) -> bool:
    await asyncio.sleep(1.0)
    return all(queue.empty() for queue in queues)


TASK_EVENTS = "subscription { taskEvents { kind eventId lead { id } } }"
NOTIFICATIONS = "subscription { notificationAdded { id kind lead { id } } }"


async def test_a_clerk_on_one_serve_process_sees_a_distribution_on_another(
    postgres_only: None, actors: Actors, database_url: str, tmp_path: Path
) -> None:
    manager, clerk = actors.manager, actors.clerk_a
    with (
        serving(database_url, tmp_path, "a") as (url_a, pid_a),
        serving(database_url, tmp_path, "b") as (url_b, _),
    ):
        async with (
            httpx.AsyncClient(base_url=url_b, timeout=WAIT) as b,
            sse_subscription(url_a, clerk, TASK_EVENTS) as tasks,
            sse_subscription(url_a, clerk, NOTIFICATIONS) as notifications,
        ):
            campaign = await new_campaign(b, manager, "Messe Süd")
            leads = [lead["id"] for lead in await new_leads(b, manager, campaign, list("ABC"))]

            async def distribute(lead_id: str) -> float:
                await mutate_ok(
                    b,
                    manager,
                    "distributeLeads",
                    {"leadIds": [lead_id], "clerkIds": [clerk.gid]},
                    "assignments { lead { id } }",
                )
                return time.monotonic()

            answered = await distribute(leads[0])
            first = (await next_result(tasks))["taskEvents"]
            # The promise, from B's answer (after its commit) to A's delivery.
            assert time.monotonic() - answered < 1.0
            assert (first["kind"], first["lead"]["id"]) == ("ASSIGNED", leads[0])
            notified = (await next_result(notifications))["notificationAdded"]
            assert (notified["kind"], notified["lead"]["id"]) == ("LEAD_ASSIGNED", leads[0])

            assert await kill_listener(database_url, pid_a) == 1
            await distribute(leads[1])  # likely while A listens to nobody
            await distribute(leads[2])
            later = [(await next_result(tasks))["taskEvents"] for _ in range(2)]
            assert [event["lead"]["id"] for event in later] == leads[1:]
            more = [(await next_result(notifications))["notificationAdded"] for _ in range(2)]
            assert [n["lead"]["id"] for n in more] == leads[1:]
            assert await nothing_more(tasks, notifications)  # nothing doubled
            event_ids = [int(event["eventId"]) for event in [first, *later]]
            assert event_ids == sorted(set(event_ids))


async def test_a_change_on_one_instance_reaches_the_other_even_after_a_killed_listener(
    postgres_only: None, app: Starlette, actors: Actors, database_url: str, tmp_path: Path
) -> None:
    hub: Hub = app.state.hub
    assert hub.listener is not None
    await asyncio.wait_for(hub.listener.listening.wait(), WAIT)
    manager, clerk = actors.manager, actors.clerk_a
    with other_instance(database_url, tmp_path) as url_b:
        async with httpx.AsyncClient(base_url=url_b, timeout=WAIT) as b:
            campaign = await new_campaign(b, manager, "Messe Süd")
            first, second, third = [
                lead["id"] for lead in await new_leads(b, manager, campaign, ["A", "B", "C"])
            ]
            subscription = hub.subscribe(None)
            events: list[LiveEvent] = []

            await assign(b, manager, first, clerk)
            answered = time.monotonic()
            events.append(await assignment_of(subscription, first))
            # The promise, measured from B's answer (the commit) to A's delivery.
            assert time.monotonic() - answered < 1.0
            assert clerk.user.id in events[0].user_ids

            assert await kill_listener(database_url) == 1
            await assign(b, manager, second, clerk)  # likely while A listens to nobody
            events.append(await assignment_of(subscription, second))
            assert hub.listener.connects == 2
            await asyncio.wait_for(hub.listener.listening.wait(), WAIT)
            await assign(b, manager, third, clerk)
            events.append(await assignment_of(subscription, third))

    # Every message A received, once: the three assignments and what came with them.
    ids = [event.id for event in events]
    assert ids == sorted(set(ids))
    hub.wake()
    leftovers: list[LiveEvent | Refetch] = []
    while True:
        try:
            leftovers.append(await asyncio.wait_for(anext(subscription), 0.5))
        except TimeoutError:
            break
    assert all(isinstance(m, LiveEvent) and m.id not in ids for m in leftovers)
    assert all(m.topic != outbox.LEAD_ASSIGNED for m in leftovers if isinstance(m, LiveEvent))
