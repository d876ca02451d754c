"""Across app instances on one PostgreSQL database (the issue's first "Done when"): a change
made on instance B reaches a subscription on instance A within a second, through the outbox
and A's listening connection; after that connection is killed (`pg_terminate_backend`), A
reconnects and the events go on arriving, none lost or doubled.

Instance B is a real `leadflow serve` process; instance A is the tests' own app (its hub,
observed directly). Both listen on the same database."""

from __future__ import annotations

import asyncio
import os
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

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
def other_instance(database_url: str, directory: Path) -> Iterator[str]:
    """`leadflow serve` on the tests' database; yields its URL."""
    env = {key: value for key, value in os.environ.items() if not key.startswith("LEADFLOW_")}
    env["LEADFLOW_DATABASE_URL"] = database_url
    server, url = start_server(env, directory, directory / "instance-b.log")
    try:
        yield url
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


async def kill_listener(database_url: str) -> int:
    admin = await asyncpg.connect(asyncpg_dsn(database_url))
    try:
        killed: int = await admin.fetchval(
            "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
            "WHERE application_name = $1",
            application_name(),
        )
    finally:
        await admin.close()
    return killed


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
