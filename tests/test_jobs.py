"""The app's background work (leadflow/jobs.py): a job's round in progress is never cancelled
at shutdown, a job waiting for its next round is; a job that fails goes on; work that does not
stop in time is cancelled. No database: the built-in jobs are switched off."""

from __future__ import annotations

import asyncio

import pytest

from leadflow import jobs
from leadflow.jobs import BackgroundWork, PeriodicJob
from leadflow.settings import Settings

QUIET = Settings(prune_interval_seconds=0, import_watchdog_seconds=0)


def tasks_named(name: str) -> list[asyncio.Task]:
    return [task for task in asyncio.all_tasks() if task.get_name() == name]


async def until(condition, timeout: float = 5.0) -> None:
    async with asyncio.timeout(timeout):
        while not condition():
            await asyncio.sleep(0.01)


async def due_now() -> bool:
    return True


async def test_a_round_in_progress_ends_and_a_waiting_job_is_cancelled():
    events: list[str] = []

    async def slow_round() -> None:
        events.append("begun")
        await asyncio.sleep(0.3)
        events.append("ended")

    async def never() -> None:
        events.append("the waiting job ran")

    work = BackgroundWork(QUIET)
    work.add(PeriodicJob("test-slow", "A slow job", 0.01, slow_round, at_start=due_now))
    work.add(PeriodicJob("test-idle", "An idle job", 3600, never))
    work.add(PeriodicJob("test-off", "A job switched off", 0, never, at_start=due_now))
    await work.start()
    [idle] = tasks_named("test-idle")
    assert tasks_named("test-off") == []
    await until(lambda: "begun" in events)

    await work.stop()

    assert events == ["begun", "ended"]
    assert idle.cancelled()
    assert tasks_named("test-slow") == [] and tasks_named("test-idle") == []


async def test_a_failing_round_is_logged_and_the_job_goes_on(caplog):
    rounds: list[int] = []

    async def flaky() -> None:
        rounds.append(len(rounds))
        if len(rounds) == 1:
            raise OSError("the database went away")

    work = BackgroundWork(QUIET)
    work.add(PeriodicJob("test-flaky", "The flaky job", 0.01, flaky, at_start=due_now))
    async with work.running():
        await until(lambda: len(rounds) >= 3)
    [failure] = [r for r in caplog.records if r.name == "leadflow.jobs"]
    # Not an outage (an OSError without a connection's errno): ERROR with its traceback.
    assert failure.getMessage().startswith("The flaky job [test-flaky] failed")
    assert failure.levelname == "ERROR"
    assert isinstance(failure.exc_info[1], OSError)


async def test_work_that_does_not_stop_in_time_is_cancelled(monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setattr(jobs, "STOP_SECONDS", 0.1)
    work = BackgroundWork(QUIET)
    async with work.running():
        stubborn = work.spawn(asyncio.sleep(3600), "test-stubborn")
    assert stubborn.cancelled()
