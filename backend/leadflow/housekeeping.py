"""Background housekeeping of each app instance: pruning what logins leave behind."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from leadflow.services import accounts

log = logging.getLogger("leadflow.housekeeping")
PRUNING_TASK_NAME = "leadflow-prune-login-records"


@asynccontextmanager
async def login_records_pruned(interval_seconds: float) -> AsyncIterator[None]:
    """While the block runs, prune old login failures and expired sessions: once before the
    block starts and then every `interval_seconds` in the background (0: never); cancelled on
    leaving the block, before the database closes. The first round runs before serving, so
    its statements never interleave with the first requests' (the table holds at most the
    failures since the last round: a few batched statements)."""
    if interval_seconds <= 0:
        yield
        return
    await _prune_round(interval_seconds)
    task = asyncio.create_task(_prune_every(interval_seconds), name=PRUNING_TASK_NAME)
    try:
        yield
    finally:
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)


async def _prune_every(interval_seconds: float) -> None:
    while True:
        await asyncio.sleep(interval_seconds)
        await _prune_round(interval_seconds)


async def _prune_round(interval_seconds: float) -> None:
    try:
        pruned = await accounts.prune_login_records()
    except Exception:
        # A database hiccup must not end the pruning (nor the start); the next round tries.
        log.exception("Pruning login records failed; trying again in %g s", interval_seconds)
        return
    if pruned.login_failures or pruned.expired_sessions:
        log.info(
            "Pruned %d old login failures and %d expired sessions",
            pruned.login_failures,
            pruned.expired_sessions,
        )
