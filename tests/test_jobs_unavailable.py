"""Background work while the database is away logs one WARNING line per failed round (the
job, the error in one line, "retrying"), without a traceback; the jobs go on and work again
once it is back. PostgreSQL through a proxy the test cuts (tests/db_proxy.py), as a restart
looks to the app. Other failures keep their traceback (tests/test_jobs.py)."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import timedelta
from pathlib import Path

import pytest
import pytest_asyncio
from starlette.applications import Starlette
from tortoise.backends.base.executor import EXECUTOR_CACHE

from leadflow import clock, jobs
from leadflow.app import create_app
from leadflow.db.availability import database_unavailable
from leadflow.db.enums import CloseReason, Outcome
from leadflow.db.models import AuditEntry, Campaign, Contact, Lead
from leadflow.services.audit import AuditAction
from leadflow.services.privacy import config, retention
from leadflow.settings import Settings
from tests.cli.runner import cli_in_process, failed_with, run_with_database
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


@asynccontextmanager
async def _app_on_proxy(
    database_proxy: DatabaseProxy, *, jobs_every: float, webhooks_every: float
) -> AsyncIterator[Starlette]:
    """The app on the proxy, its periodic jobs and its webhook worker at these intervals
    (0: switched off)."""
    EXECUTOR_CACHE.clear()
    settings = Settings(
        database_url=database_proxy.url,
        prune_interval_seconds=jobs_every,
        reminder_interval_seconds=jobs_every,
        import_watchdog_seconds=jobs_every,
        webhook_poll_seconds=webhooks_every,
    )
    application = create_app(settings)
    async with application.router.lifespan_context(application):
        yield application


@pytest_asyncio.fixture
async def proxied_app(database_proxy: DatabaseProxy) -> AsyncIterator[Starlette]:
    async with _app_on_proxy(database_proxy, jobs_every=QUICK, webhooks_every=QUICK) as app:
        yield app


@pytest_asyncio.fixture
async def quiet_app(database_proxy: DatabaseProxy) -> AsyncIterator[Starlette]:
    """The app on the proxy with every background job switched off."""
    async with _app_on_proxy(database_proxy, jobs_every=0, webhooks_every=0) as app:
        yield app


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


async def _three_contacts_past_retention() -> list[int]:
    campaign = await Campaign.create(name="Messe")
    contact_ids = []
    for name in ("Alt", "Ahrens", "Abel"):
        contact = await Contact.create(last_name=name)
        lead = await Lead.create(campaign=campaign, contact=contact)
        await Lead.filter(id=lead.id).update(
            closed_at=clock.now() - timedelta(days=40),
            outcome=Outcome.UNSUCCESSFUL,
            close_reason=CloseReason.NOT_INTERESTED,
        )
        contact_ids.append(contact.id)
    return contact_ids


async def test_retention_ends_its_round_at_the_first_contact_while_the_database_is_away(
    quiet_app: Starlette, database_proxy: DatabaseProxy
):
    """Each contact is erased in its own transaction and a broken one is skipped; the database
    gone is no broken contact: the round ends there, noted in the report (not raised), instead
    of failing, and logging, every contact after it."""
    config.configure(Settings(retention_days_unsuccessful=30))
    try:
        await _three_contacts_past_retention()
        # The first contact's transaction takes the job lock first thing.
        database_proxy.cut_when_sent(b"pg_try_advisory_xact_lock")
        report = await retention.run_round()
        assert report.contacts == [] and report.failed == {}
        assert report.unavailable is not None and database_unavailable(report.unavailable)
        await database_proxy.restore()
        report = await retention.run_round()
        assert len(report.contacts) == 3 and report.failed == {}
        assert report.unavailable is None
    finally:
        config.configure(Settings())


@pytest_asyncio.fixture
async def cut_before_the_second_erasure(
    database_proxy: DatabaseProxy, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Retention's `_erase_one` cuts the database away before the second contact (as a
    restart would), from whatever thread and loop the round runs in (the command's)."""
    erase_one = retention._erase_one
    proxy_loop = asyncio.get_running_loop()
    calls = 0

    async def erase_one_cut_at_the_second(*args, **kwargs):
        nonlocal calls
        calls += 1
        if calls == 2:
            cut = asyncio.run_coroutine_threadsafe(database_proxy.cut(), proxy_loop)
            await asyncio.wrap_future(cut)
        return await erase_one(*args, **kwargs)

    monkeypatch.setattr(retention, "_erase_one", erase_one_cut_at_the_second)


async def test_an_outage_mid_round_keeps_the_report_of_the_contacts_erased_before(
    quiet_app: Starlette, database_proxy: DatabaseProxy, cut_before_the_second_erasure: None
):
    """The erasures are committed one by one: a round the database left after the first must
    still report that one (the job logs it, the command prints it), and note the outage."""
    config.configure(Settings(retention_days_unsuccessful=30))
    try:
        first, *_ = await _three_contacts_past_retention()
        report = await retention.run(dry_run=False)
        assert [due.contact_id for due in report.contacts] == [first]
        assert report.unavailable is not None and database_unavailable(report.unavailable)
        assert report.failed == {} and report.ran
        await database_proxy.restore()
        assert await AuditEntry.filter(action=AuditAction.CONTACT_ERASED).count() == 1
    finally:
        config.configure(Settings())


async def test_the_retention_job_logs_the_erasures_and_then_the_outage_once(
    quiet_app: Starlette,
    database_proxy: DatabaseProxy,
    cut_before_the_second_erasure: None,
    caplog: pytest.LogCaptureFixture,
):
    caplog.set_level(logging.INFO, logger="leadflow")
    config.configure(Settings(retention_days_unsuccessful=30))
    try:
        await _three_contacts_past_retention()
        await jobs._erase_past_retention(lambda: False, "retrying in 60 s")
        lines = [
            (record.levelname, record.getMessage())
            for record in caplog.records
            if record.name == "leadflow.jobs"
        ]
        assert lines[0] == ("INFO", "Erased 1 contacts past their retention")
        [(level, message)] = lines[1:]
        assert level == "WARNING", lines
        assert message.startswith(
            f"{jobs.RETENTION_DESCRIPTION} [{jobs.RETENTION_TASK_NAME}] failed, database "
            "unavailable ("
        ), message
        assert message.endswith("retrying in 60 s"), message
    finally:
        config.configure(Settings())


async def test_the_retention_command_prints_what_it_erased_before_the_outage(
    database_url: str,
    database_proxy: DatabaseProxy,
    cut_before_the_second_erasure: None,
    tmp_path: Path,
):
    """`leadflow retention run` through the proxy: the erased contact is printed, then one
    error line, no traceback."""
    first, *_ = run_with_database(database_url, _three_contacts_past_retention)
    cli = cli_in_process(tmp_path)
    result = await asyncio.to_thread(
        cli,
        "retention",
        "run",
        LEADFLOW_DATABASE_URL=database_proxy.url,
        LEADFLOW_RETENTION_DAYS_UNSUCCESSFUL="30",
    )
    lines = result.stdout.splitlines()
    assert lines[0].startswith(f"contact #{first}\t1 lead\t"), result.stdout
    assert lines[1:] == ["1 contact erased"], result.stdout
    failed_with(result, "database unavailable", "run it again")


async def _failures_after_a_cut_begin(
    database_proxy: DatabaseProxy, caplog: pytest.LogCaptureFixture
) -> list[tuple[str, str]]:
    """Cut the connection as a round sends BEGIN, bring the database back, let the rounds
    settle: what the app still logs (WARNING and up) afterwards."""
    caplog.set_level(logging.INFO, logger="leadflow")
    await asyncio.sleep(1)
    database_proxy.cut_when_sent(b"BEGIN")
    await asyncio.sleep(1)
    await database_proxy.restore()
    await asyncio.sleep(2)
    settled = len(_leadflow_records(caplog))
    await asyncio.sleep(2)
    return [(r.levelname, r.getMessage()[:160]) for r in _leadflow_records(caplog)[settled:]]


async def test_jobs_recover_after_a_begin_was_cut(
    proxied_app: Starlette, database_proxy: DatabaseProxy, caplog: pytest.LogCaptureFixture
):
    """The connection dies as a round begins its transaction: the rounds after the outage
    work again (they failed for good, 'released back to the pool', when the failed BEGIN left
    the loop's task on the dead connection)."""
    assert await _failures_after_a_cut_begin(database_proxy, caplog) == []


@pytest_asyncio.fixture
async def webhook_worker_app(database_proxy: DatabaseProxy) -> AsyncIterator[Starlette]:
    """The app on the proxy with only the webhook worker running."""
    async with _app_on_proxy(database_proxy, jobs_every=0, webhooks_every=QUICK) as app:
        yield app


async def test_the_webhook_worker_recovers_after_a_begin_was_cut(
    webhook_worker_app: Starlette, database_proxy: DatabaseProxy, caplog: pytest.LogCaptureFixture
):
    assert await _failures_after_a_cut_begin(database_proxy, caplog) == []
