"""Contract of db.sql's transaction-id functions, which the live reader's gap rule relies on:
after `take_transaction_id` a transaction keeps every later snapshot's `xmin` at or below a
`fresh_transaction_id` taken after it, until it ends; then `xmin` passes that id. SQLite has no
concurrent transactions: no bounds, no ids."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest
import pytest_asyncio
from tortoise.transactions import in_transaction

from leadflow.db import sql
from leadflow.db.lifecycle import database


@pytest_asyncio.fixture
async def db(database_url: str) -> AsyncIterator[None]:
    async with database(database_url):
        yield


async def test_a_transaction_with_its_id_holds_the_horizon_until_it_ends(
    db: None, backend: str
) -> None:
    if backend == "sqlite":
        assert await sql.snapshot_bounds() is None
        assert await sql.fresh_transaction_id() is None
        async with in_transaction():
            await sql.take_transaction_id()  # nothing to take, and no failure
        return
    holding, release = asyncio.Event(), asyncio.Event()

    async def open_transaction() -> None:
        async with in_transaction():
            await sql.take_transaction_id()
            holding.set()
            await release.wait()

    task = asyncio.create_task(open_transaction())
    await asyncio.wait_for(holding.wait(), 5)
    bound = await sql.fresh_transaction_id()
    assert bound is not None
    for _ in range(3):
        # Other transactions end meanwhile (they are finished at once), this one runs on.
        assert await sql.fresh_transaction_id()
        running = await sql.snapshot_bounds()
        assert running is not None and running.xmin <= bound
    release.set()
    await task
    # Ended: xmin passes the bound, once other sessions of this shared server have no older
    # transaction open.
    for _ in range(600):
        after = await sql.snapshot_bounds()
        assert after is not None
        if after.xmin > bound:
            return
        await asyncio.sleep(0.1)
    pytest.skip("another session kept a transaction open for a minute")
