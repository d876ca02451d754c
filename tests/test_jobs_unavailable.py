"""Background work while the database is away logs one WARNING line per failed round (the
job, the error in one line, "retrying"), without a traceback; the jobs go on and work again
once it is back. PostgreSQL through a proxy the test cuts (tests/db_proxy.py), as a restart
looks to the app. Other failures keep their traceback (tests/test_jobs.py)."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from datetime import timedelta

import pytest
import pytest_asyncio
from starlette.applications import Starlette
from tortoise.backends.base.executor import EXECUTOR_CACHE

from leadflow import clock, jobs
from leadflow.app import create_app
from leadflow.db.availability import database_unavailable
from leadflow.db.enums import CloseReason, Outcome
from leadflow.db.models import Campaign, Contact, Lead
from leadflow.services.privacy import config, retention
from leadflow.settings import Settings
from tests.db_proxy import DatabaseProxy

# Every periodic job every 0.2 s; the webhook worker polls as often.
QUICK = 0.2
# The work whose failed rounds the test waits for (the other jobs share their interval).
WATCHED = (
    "Pruning login records",
    "Announcing due activities",
    "Folding the lead counters",
    "Resuming abandoned imports",
    "A webhook delivery round",
)


@pytest_asyncio.fixture
async def proxied_app(database_proxy: DatabaseProxy) -> AsyncIterator[Starlette]:
    EXECUTOR_CACHE.clear()
    settings = Settings(
        database_url=database_proxy.url,
        prune_interval_seconds=QUICK,
        reminder_interval_seconds=QUICK,
        import_watchdog_seconds=QUICK,
        webhook_poll_seconds=QUICK,
    )
    application = create_app(settings)
    async with application.router.lifespan_context(application):
        yield application


@pytest_asyncio.fixture
async def quiet_app(database_proxy: DatabaseProxy) -> AsyncIterator[Starlette]:
    """The app on the proxy with every background job switched off."""
    EXECUTOR_CACHE.clear()
    settings = Settings(
        database_url=database_proxy.url,
        prune_interval_seconds=0,
        reminder_interval_seconds=0,
        import_watchdog_seconds=0,
        webhook_poll_seconds=0,
    )
    application = create_app(settings)
    async with application.router.lifespan_context(application):
        yield application


def _leadflow_records(caplog: pytest.LogCaptureFixture) -> list[logging.LogRecord]:
    return [
        record
        for record in caplog.records
        if record.name.startswith("leadflow") and record.levelno >= logging.WARNING
    ]


async def test_rounds_during_an_outage_log_one_warning_line_each(
    proxied_app: Starlette, database_proxy: DatabaseProxy, caplog: pytest.LogCaptureFixture
):
    caplog.set_level(logging.INFO, logger="leadflow")
    await database_proxy.cut()

    def watched_all() -> bool:
        text = " ".join(record.getMessage() for record in _leadflow_records(caplog))
        return all(name in text for name in WATCHED)

    async with asyncio.timeout(15):
        while not watched_all():
            await asyncio.sleep(0.05)

    records = _leadflow_records(caplog)
    failures = [(record.levelname, record.getMessage()) for record in records]
    assert all(record.levelno == logging.WARNING for record in records), failures
    assert all(record.exc_info is None for record in records), failures
    for record in records:
        message = record.getMessage()
        assert "\n" not in message, message
        assert "database unavailable" in message and "retrying" in message, message
    job_lines = " ".join(r.getMessage() for r in records if r.name == "leadflow.jobs")
    assert f"[{jobs.REMINDERS_TASK_NAME}] failed" in job_lines
    assert "ConnectionRefusedError" in job_lines  # the error, in one line

    # Back: the rounds succeed again (no new failure once a round of every job has run).
    await database_proxy.restore()
    await asyncio.sleep(QUICK * 3)
    settled = len(_leadflow_records(caplog))
    await asyncio.sleep(QUICK * 3)
    assert _leadflow_records(caplog)[settled:] == []


async def test_retention_ends_its_round_at_the_first_contact_while_the_database_is_away(
    quiet_app: Starlette, database_proxy: DatabaseProxy
):
    """Each contact is erased in its own transaction and a broken one is skipped; the database
    gone is no broken contact: the round ends there (one line in the job's log) instead of
    failing, and logging, every contact after it."""
    config.configure(Settings(retention_days_unsuccessful=30))
    try:
        campaign = await Campaign.create(name="Messe")
        for name in ("Alt", "Ahrens", "Abel"):
            contact = await Contact.create(last_name=name)
            lead = await Lead.create(campaign=campaign, contact=contact)
            await Lead.filter(id=lead.id).update(
                closed_at=clock.now() - timedelta(days=40),
                outcome=Outcome.UNSUCCESSFUL,
                close_reason=CloseReason.NOT_INTERESTED,
            )
        # The first contact's transaction takes the job lock first thing.
        database_proxy.cut_when_sent(b"pg_try_advisory_xact_lock")
        with pytest.raises(Exception) as raised:
            await retention.run_round()
        assert database_unavailable(raised.value)
        await database_proxy.restore()
        report = await retention.run_round()
        assert len(report.contacts) == 3 and report.failed == {}
    finally:
        config.configure(Settings())
