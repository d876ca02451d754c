"""What bench/live_events.py and bench/idle_subscriptions.py share: a database with people and
NEW leads, `leadflow serve` processes as deployed, and a minimal GraphQL subscription client
over WebSocket with the `graphql-transport-ws` protocol (the one the web app speaks, through
graphql-ws), written against the protocol itself so that what it costs is visible.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import json
import sqlite3
from collections.abc import AsyncIterator, Callable, Iterator, Sequence
from contextlib import closing, contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from time import perf_counter
from typing import Any

import asyncpg
import httpx
from websockets.asyncio.client import ClientConnection, connect

from leadflow.auth.actors import OPERATOR
from leadflow.auth.tokens import issue_token
from leadflow.db.enums import Role
from leadflow.db.lifecycle import database, migrate
from leadflow.db.models import User
from leadflow.services.users import create_user
from leads_page import (
    CONTACT_COLUMNS,
    BenchError,
    asyncpg_dsn,
    contact_rows,
    create_people_and_campaigns,
    sqlite_stamp,
)
from servers import Server, app_env, leadflow_server, wait_ready

PROTOCOL = "graphql-transport-ws"
LEAD_COLUMNS = ("id", "contact_id", "campaign_id", "close_note", "created_at")
TASK_EVENTS = "subscription { taskEvents { kind lead { id } } }"


@dataclass(frozen=True)
class People:
    manager_token: str
    clerk_token: str
    clerk_id: int
    campaign_id: int
    leads: int  # NEW leads with ids 1..leads


async def prepare(url: str, leads: int) -> People:
    """Migrated, a manager and six clerks (the first with a token too), five campaigns, and
    `leads` NEW leads in the first campaign, bulk-loaded."""
    await migrate(url)
    manager_token, campaign_ids, clerk_ids = await create_people_and_campaigns(url)
    async with database(url):
        clerk = await User.get(id=clerk_ids[0])
        _, clerk_token = await issue_token(clerk, name="bench")
    now = datetime.now(UTC)

    def rows(stamp: Callable[[datetime], Any]) -> Iterator[tuple[Any, ...]]:
        for pk in range(1, leads + 1):
            yield (pk, pk, campaign_ids[0], "", stamp(now - timedelta(minutes=leads - pk)))

    if url.startswith("sqlite://"):
        marks = ", ".join("?" for _ in CONTACT_COLUMNS)
        with closing(sqlite3.connect(url.removeprefix("sqlite://"))) as connection, connection:
            connection.executemany(
                f"INSERT INTO contacts ({', '.join(CONTACT_COLUMNS)}) VALUES ({marks})",
                contact_rows(leads, sqlite_stamp),
            )
            connection.executemany(
                f"INSERT INTO leads ({', '.join(LEAD_COLUMNS)}) VALUES (?, ?, ?, ?, ?)",
                rows(sqlite_stamp),
            )
    else:
        connection = await asyncpg.connect(asyncpg_dsn(url))
        try:
            await connection.copy_records_to_table(
                "contacts",
                records=contact_rows(leads, lambda value: value),
                columns=list(CONTACT_COLUMNS),
            )
            await connection.copy_records_to_table(
                "leads", records=rows(lambda value: value), columns=list(LEAD_COLUMNS)
            )
            for table in ("contacts", "leads"):
                await connection.execute(
                    f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                    f"(SELECT max(id) FROM {table}))"
                )
        finally:
            await connection.close()
    return People(manager_token, clerk_token, clerk.id, campaign_ids[0], leads)


async def more_clerks(url: str, count: int) -> list[tuple[int, str]]:
    """`count` more clerks, each with a token: (id, token)."""
    clerks = []
    async with database(url):
        for n in range(count):
            clerk = await create_user(OPERATOR, f"live{n}@bench.example", f"Live {n}", Role.CLERK)
            _, token = await issue_token(clerk, name="bench")
            clerks.append((clerk.id, token))
    return clerks


@contextmanager
def leadflow_servers(url: str, tmp: Path, count: int) -> Iterator[list[Server]]:
    """`count` `leadflow serve` processes on one database, as deployed."""
    env = app_env(url)
    with contextlib.ExitStack() as stack:
        names = [f"leadflow-{'AB'[n] if count <= 2 else n}" for n in range(count)]
        yield [stack.enter_context(leadflow_server(name, env, tmp)) for name in names]


async def all_ready(servers: list[Server]) -> None:
    async with httpx.AsyncClient(timeout=10) as client:
        for server in servers:
            await wait_ready(client, server)


def ws_url(server: Server) -> str:
    return server.url("/graphql").replace("http://", "ws://", 1)


async def mutate(
    client: httpx.AsyncClient, server: Server, token: str, query: str, variables: dict[str, Any]
) -> dict[str, Any]:
    response = await client.post(
        server.url("/graphql"),
        json={"query": query, "variables": variables},
        headers={"Authorization": f"Bearer {token}"},
    )
    body = response.json()
    if response.status_code != 200 or body.get("errors"):
        raise BenchError(f"GraphQL answered {response.status_code}: {body}")
    data: dict[str, Any] = body["data"]
    return data


@dataclass
class Subscription:
    """One WebSocket with one `graphql-transport-ws` subscription. A reader task answers the
    server's pings and hands each result (`next` payload) with its arrival time to `on_next`."""

    websocket: ClientConnection
    on_next: Callable[[dict[str, Any], float], None]
    errors: list[str] = field(default_factory=list)
    completed: bool = False
    _reader: asyncio.Task[None] | None = None

    async def _read(self) -> None:
        with contextlib.suppress(Exception):
            async for raw in self.websocket:
                arrived = perf_counter()
                message = json.loads(raw)
                kind = message.get("type")
                if kind == "next":
                    self.on_next(message["payload"], arrived)
                elif kind == "ping":
                    await self.websocket.send(json.dumps({"type": "pong"}))
                elif kind == "error":
                    self.errors.append(json.dumps(message.get("payload")))
                elif kind == "complete":
                    self.completed = True

    async def close(self) -> None:
        if self._reader is not None:
            self._reader.cancel()
            with contextlib.suppress(BaseException):
                await self._reader
        with contextlib.suppress(Exception):
            await self.websocket.close()


_ids = itertools.count(1)


async def subscribe(
    url: str, token: str, query: str, on_next: Callable[[dict[str, Any], float], None]
) -> Subscription:
    """Connect, `connection_init` with the bearer token, wait for the ack, subscribe."""
    websocket = await connect(
        url, subprotocols=[PROTOCOL], open_timeout=30, max_queue=None, ping_interval=None
    )
    try:
        await websocket.send(
            json.dumps({"type": "connection_init", "payload": {"authorization": f"Bearer {token}"}})
        )
        while True:
            message = json.loads(await asyncio.wait_for(websocket.recv(), 30))
            if message.get("type") == "connection_ack":
                break
            if message.get("type") == "ping":
                await websocket.send(json.dumps({"type": "pong"}))
                continue
            raise BenchError(f"expected connection_ack, got {message}")
        await websocket.send(
            json.dumps({"id": str(next(_ids)), "type": "subscribe", "payload": {"query": query}})
        )
    except BaseException:
        await websocket.close()
        raise
    subscription = Subscription(websocket, on_next)
    subscription._reader = asyncio.create_task(subscription._read())
    return subscription


@contextlib.asynccontextmanager
async def subscriptions(
    url: str,
    tokens: Sequence[str],
    query: str,
    on_next: Callable[[dict[str, Any], float], None],
    at_once: int = 50,
) -> AsyncIterator[list[Subscription]]:
    """One connection with one subscription per token (a token may repeat), opened `at_once`
    at a time; all closed afterwards."""
    opened: list[Subscription] = []
    try:
        for start in range(0, len(tokens), at_once):
            opened += await asyncio.gather(
                *(
                    subscribe(url, token, query, on_next)
                    for token in tokens[start : start + at_once]
                )
            )
        yield opened
    finally:
        await asyncio.gather(*(subscription.close() for subscription in opened))
