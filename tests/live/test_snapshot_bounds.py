"""Contract of db.sql's snapshot functions, which the live reader's gap rule relies on: after
`take_transaction_id` a transaction is among the running ones of every later snapshot (its id
below `xmax`, `xmin` not past it) until it ends, and then `xmin` moves past the `xmax` seen
while it ran. SQLite has no concurrent transactions: no bounds."""

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
    seen = await sql.snapshot_bounds()
    assert seen is not None and seen.xmin <= seen.xmax
    later = await sql.snapshot_bounds()
    assert later is not None and later.xmin < seen.xmax  # still running: not past it
    release.set()
    await task
    # Ended: xmin passes the xmax seen while it ran, once other sessions of this shared server
    # have no older transaction open.
    for _ in range(600):
        after = await sql.snapshot_bounds()
        assert after is not None
        if after.xmin >= seen.xmax:
            return
        await asyncio.sleep(0.1)
    pytest.skip("another session kept a transaction open for a minute")
