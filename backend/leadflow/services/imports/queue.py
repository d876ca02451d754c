"""Web imports take turns per process (`ImportQueue`) and stop between batches at shutdown."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import timedelta

from leadflow.db.enums import ImportStatus
from leadflow.db.models import LeadImport
from leadflow.services.imports.records import STALE_AFTER, beat

# Web imports commit smaller batches: another request waits for a whole batch at worst (on
# SQLite for the one connection), about 0.1 s for 100 rows, but up to 0.5 s for 500 on a busy
# 2-CPU machine (bench/README.md, parallel imports).
WEB_BATCH_SIZE = 100
# A queued import tells other instances it is alive this often while it waits for its turn.
QUEUED_HEARTBEAT = STALE_AFTER / 5


class ImportQueue:
    """The web imports of one process take turns: at most `concurrency` run at once, first
    come first served, so that a burst of uploads cannot crowd interactive requests out of
    the event loop; the others wait as QUEUED. Created per app (a semaphore belongs to the
    event loop that first waits on it)."""

    def __init__(
        self,
        concurrency: int,
        heartbeat: timedelta = QUEUED_HEARTBEAT,
        batch_size: int | None = None,
    ) -> None:
        self._places = asyncio.Semaphore(concurrency)
        self._heartbeat_seconds = heartbeat.total_seconds()
        self.batch_size = batch_size or WEB_BATCH_SIZE
        self.stopping = False
        self._stopped = asyncio.Event()

    async def pause(self, seconds: float) -> bool:
        """Sleep up to `seconds`; True (at once) when the queue stops meanwhile."""
        try:
            async with asyncio.timeout(seconds):
                await self._stopped.wait()
        except TimeoutError:
            return False
        return True

    def stop(self) -> None:
        """Shutdown: running imports stop after their current batch, queued ones when their
        turn comes (at once, one after the other), each released for another instance. Not
        by cancelling them: a task cancelled inside a statement may leave SQLite's one
        connection locked, and the release after it would wait forever."""
        self.stopping = True
        self._stopped.set()

    @asynccontextmanager
    async def place(self) -> AsyncIterator[None]:
        """A place to run an import in (the watchdog takes one before it takes over)."""
        async with self._places:
            yield

    @asynccontextmanager
    async def turn_of(self, lead_import: LeadImport) -> AsyncIterator[None]:
        """Wait for a place as QUEUED, then run as RUNNING. While waiting, the heartbeat
        goes on: another instance must not take a queued import for abandoned."""
        while True:
            try:
                async with asyncio.timeout(self._heartbeat_seconds):
                    await self._places.acquire()
                break
            except TimeoutError:
                await beat(lead_import, ImportStatus.QUEUED)
        try:
            if self.stopping:
                raise ImportStopped
            await beat(lead_import, ImportStatus.QUEUED, now=ImportStatus.RUNNING)
            yield
        finally:
            self._places.release()


class ImportStopped(Exception):
    """The import was stopped between two batches, as the server shuts down (`ImportQueue.stop`);
    it is released for another instance to resume."""
