"""A live connection (graphql-transport-ws) whose connection_init finds the database away is
closed with 1013 Try Again Later, cleanly (no 4403, no failure in the transport), and the next
one logs in once the database is back. PostgreSQL through a proxy the test cuts."""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import AsyncIterator

import pytest
import pytest_asyncio
import uvicorn
from starlette.applications import Starlette
from tortoise.backends.base.executor import EXECUTOR_CACHE
from websockets.asyncio.client import connect
from websockets.exceptions import ConnectionClosed

from leadflow.app import create_app
from leadflow.db.enums import Role
from leadflow.settings import Settings
from leadflow.web import live
from tests.db_proxy import DatabaseProxy
from tests.helpers import free_port, make_actor

PROTOCOL = "graphql-transport-ws"
TRANSPORT_LOGGERS = ("uvicorn", "strawberry", "leadflow.live", "leadflow.api")


@pytest_asyncio.fixture
async def server(database_proxy: DatabaseProxy) -> AsyncIterator[str]:
    EXECUTOR_CACHE.clear()
    live._recent_checks.clear()
    application: Starlette = create_app(Settings(database_url=database_proxy.url))
    async with application.router.lifespan_context(application):
        port = free_port()
        config = uvicorn.Config(
            application, host="127.0.0.1", port=port, lifespan="off", log_level="warning"
        )
        serving = uvicorn.Server(config)
        task = asyncio.create_task(serving.serve())
        while not serving.started:
            await asyncio.sleep(0.01)
        yield f"127.0.0.1:{port}"
        serving.should_exit = True
        await task


async def first_answer(server: str, token: str) -> dict[str, object]:
    """connection_init with the token: the server's first message, or how it closed."""
    async with connect(f"ws://{server}/graphql", subprotocols=[PROTOCOL]) as ws:
        init = {"type": "connection_init", "payload": {"authorization": f"Bearer {token}"}}
        await ws.send(json.dumps(init))
        try:
            message: dict[str, object] = json.loads(await asyncio.wait_for(ws.recv(), 5))
            return message
        except ConnectionClosed as closed:
            assert closed.rcvd is not None
            return {"closed": closed.rcvd.code, "reason": closed.rcvd.reason}


async def test_connection_init_with_the_database_away_closes_with_try_again_later(
    server: str, database_proxy: DatabaseProxy, caplog: pytest.LogCaptureFixture
):
    manager = await make_actor("manager@test.example", "Mona Manager", Role.MANAGER)
    await database_proxy.cut()
    answer = await first_answer(server, manager.token)
    assert answer == {"closed": 1013, "reason": "Database unavailable"}
    assert "Database unavailable (live connection_init)" in caplog.text
    # Nothing escaped into the transport (the jobs' own logs of the outage aside).
    escaped = [
        record.getMessage()
        for record in caplog.records
        if record.levelno >= logging.ERROR and record.name.startswith(TRANSPORT_LOGGERS)
    ]
    assert escaped == []
    await database_proxy.restore()
    assert await first_answer(server, manager.token) == {"type": "connection_ack"}
