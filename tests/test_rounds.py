"""Long-lived background loops run each round in a task of its own (db/rounds.py): what a
round leaves in its task's context (as Tortoise's transaction connection after a failed BEGIN)
does not reach the next round; stopping a loop mid-round cancels the round and waits for it."""

from __future__ import annotations

import asyncio
import contextvars

from leadflow import jobs
from leadflow.db.rounds import in_own_task
from leadflow.services.imports import resume
from leadflow.services.webhooks.delivery import DeliveryWorker

LEFT_BEHIND: contextvars.ContextVar[str | None] = contextvars.ContextVar("left", default=None)


def _spawn(work, name):
    return asyncio.create_task(work, name=name)


async def _leaving_context_behind(seen: list[str | None]) -> None:
    seen.append(LEFT_BEHIND.get())
    LEFT_BEHIND.set("a round's leftover")


async def test_a_periodic_job_round_starts_from_a_clean_context():
    seen: list[str | None] = []
    job = jobs.PeriodicJob("test-job", "Testing", 0.01, lambda: _leaving_context_behind(seen))
    periodic = jobs._PeriodicTask(job)
    task = periodic.start(due_now=True)
    async with asyncio.timeout(5):
        while len(seen) < 3:
            await asyncio.sleep(0.01)
    periodic.stop()
    await asyncio.wait([task], timeout=5)
    assert seen[:3] == [None, None, None]


async def test_a_webhook_worker_round_starts_from_a_clean_context(monkeypatch):
    seen: list[str | None] = []

    async def round_(self) -> int:
        await _leaving_context_behind(seen)
        return 0

    monkeypatch.setattr(DeliveryWorker, "round", round_)
    worker = DeliveryWorker(_spawn, fan_out=None)
    await worker.start()
    try:
        async with asyncio.timeout(5):
            while len(seen) < 3:
                worker.wake()
                await asyncio.sleep(0.01)
    finally:
        await worker.stop()
    assert seen[:3] == [None, None, None]


async def test_cancelling_the_caller_cancels_the_round_and_waits_for_it():
    events: list[str] = []
    started = asyncio.Event()

    async def round_() -> None:
        started.set()
        try:
            await asyncio.sleep(10)
        except asyncio.CancelledError:
            await asyncio.sleep(0.05)  # its cleanup takes a moment
            events.append("round cancelled and cleaned up")
            raise

    async def loop() -> None:
        try:
            await in_own_task(round_())
        except asyncio.CancelledError:
            events.append("loop cancelled")
            raise

    task = asyncio.create_task(loop())
    await started.wait()
    task.cancel()
    await asyncio.gather(task, return_exceptions=True)
    assert task.cancelled()
    assert events == ["round cancelled and cleaned up", "loop cancelled"]


async def test_each_resumed_import_starts_from_a_clean_context(app, monkeypatch):
    """The watchdog resumes abandoned imports one after the other in its round: each in a
    task of its own."""
    seen: list[str | None] = []

    async def abandoned() -> list[int]:
        return [1, 2, 3]

    async def resumed(lead_import_id: int, queue: object) -> bool:
        await _leaving_context_behind(seen)
        return True

    monkeypatch.setattr(resume, "abandoned_import_ids", abandoned)
    monkeypatch.setattr(resume, "_resume_if_abandoned", resumed)
    assert await resume.resume_abandoned_imports() == [1, 2, 3]
    assert seen == [None, None, None]


async def test_a_round_carries_its_loops_task_name():
    """What tells the app's background work by its task name (logs, the tests' statement
    counter, which leaves the hub's and the webhook worker's statements out) sees the round."""

    async def round_name() -> str:
        task = asyncio.current_task()
        assert task is not None
        return task.get_name()

    async def loop() -> str:
        return await in_own_task(round_name())

    assert await asyncio.create_task(loop(), name="leadflow-some-loop") == "leadflow-some-loop"
