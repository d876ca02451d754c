"""Background work of an app instance, in one place: the periodic jobs and the web imports
that run after their upload was answered. Started and stopped once, in the app's lifespan
(`app.py`), while the database is open.

The periodic jobs:
- pruning login records (old login failures, expired sessions): its first round before the
  app serves, so its statements never interleave with the first requests', then every
  LEADFLOW_PRUNE_INTERVAL_SECONDS;
- pruning the event outbox (events older than LEADFLOW_OUTBOX_KEEP_HOURS), every
  LEADFLOW_PRUNE_INTERVAL_SECONDS from one interval after the start;
- the import watchdog: resumes web imports whose instance died or shut down, looked for once
  before serving (one query) and then every LEADFLOW_IMPORT_WATCHDOG_SECONDS.
- reminders (services/reminders.py): due activities and long-waiting leads, every
  LEADFLOW_REMINDER_INTERVAL_SECONDS, one instance's round at a time (the advisory lock below);
- the notification e-mail sender (services/emails.py), only with LEADFLOW_SMTP_URL, every
  LEADFLOW_EMAIL_SEND_INTERVAL_SECONDS; instances claim different mails (SKIP LOCKED);
- pruning the webhook delivery log (finished deliveries older than LEADFLOW_WEBHOOK_LOG_DAYS),
  every LEADFLOW_PRUNE_INTERVAL_SECONDS from one interval after the start;
- pruning idempotency keys (services/idempotency.py, older than a day), every
  LEADFLOW_PRUNE_INTERVAL_SECONDS from one interval after the start;
- retention (services/privacy/retention.py): erasing the people whose leads all closed
  unsuccessful longer ago than their campaign's or the instance's limit, with the other
  housekeeping every LEADFLOW_PRUNE_INTERVAL_SECONDS from one interval after the start, one
  transaction per contact, each under its advisory lock (one instance at a time), ending
  between two contacts at shutdown (`BackgroundWork.stopping`); nothing when no limit is set.
- folding the lead counters (migration 0021: PostgreSQL's triggers add a row of deltas per key
  and statement; `lead_lists.fold_counts`) into one row per key, every lead_lists.FOLD_SECONDS
  (at most LEADFLOW_PRUNE_INTERVAL_SECONDS; 0 switches it off), one instance's round at a time
  (advisory lock); counts stay exact during a fold.
The jobs the next capabilities bring are added to `BackgroundWork` the same way (`add`): a
name, an interval and a round.

Webhook delivery is not a periodic job but a loop of its own (services/webhooks/delivery.py,
`DeliveryWorker`), unless LEADFLOW_WEBHOOK_POLL_SECONDS is 0: it fans new events out to
deliveries and sends them as soon as it is woken (`wake_webhooks`: the live hub passes on its
wake-ups, NOTIFY from any instance on PostgreSQL, this process's writes on SQLite), when a
request ends, and every poll interval (retries that came due). Its requests run in tasks of
their own, from `spawn`; instances claim different deliveries (a lease, SKIP LOCKED).

Every instance runs every job. Today's are safe to run on several instances at once (pruning
deletes what is past; the watchdog takes an import over with a compare-and-set). A job that must
run once across instances takes a PostgreSQL advisory lock for its round
(`db.sql.try_job_lock(key)`, `pg_try_advisory_xact_lock`, first in the round's one
transaction, as `reminders.run_round` does; a round of several transactions would need
`pg_try_advisory_lock` on a connection held for the round) and skips the round when another
instance holds it; SQLite serves one instance.

Stopping: no job is cancelled in the middle of a round (a task cancelled inside a statement
may leave SQLite's one connection locked); one waiting for its next round is cancelled at once.
Imports stop between two batches (`ImportQueue.stop`) and are released for another instance;
whatever has not stopped after STOP_SECONDS is cancelled.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Awaitable, Callable, Coroutine
from contextlib import asynccontextmanager, suppress
from dataclasses import dataclass
from typing import Any

from leadflow.db.availability import log_failure
from leadflow.db.rounds import in_own_task
from leadflow.services import (
    accounts,
    emails,
    idempotency,
    imports,
    lead_lists,
    outbox,
    reminders,
)
from leadflow.services.privacy import config as privacy_config
from leadflow.services.privacy import retention
from leadflow.services.webhooks import config as webhook_config
from leadflow.services.webhooks import fanout, housekeeping
from leadflow.services.webhooks.delivery import DeliveryWorker
from leadflow.settings import Settings

log = logging.getLogger("leadflow.jobs")
PRUNING_TASK_NAME = "leadflow-prune-login-records"
WATCHDOG_TASK_NAME = "leadflow-import-watchdog"
REMINDERS_TASK_NAME = "leadflow-reminders"
EMAIL_TASK_NAME = "leadflow-send-emails"
OUTBOX_PRUNING_TASK_NAME = "leadflow-prune-outbox"
WEBHOOK_PRUNING_TASK_NAME = "leadflow-prune-webhook-deliveries"
RETENTION_TASK_NAME = "leadflow-retention"
RETENTION_DESCRIPTION = "Erasing contacts past their retention"
IDEMPOTENCY_PRUNING_TASK_NAME = "leadflow-prune-idempotency-keys"
COUNTS_FOLD_TASK_NAME = "leadflow-fold-lead-counts"
# How long a shutdown waits for the work to stop between batches and rounds (a batch takes
# well under a second); what is left then is cancelled.
STOP_SECONDS = 10.0


@dataclass(frozen=True, slots=True)
class PeriodicJob:
    """A round of work every `interval_seconds` (0: never). `at_start` runs before the app
    serves and says whether the first round is due at once (else after one interval)."""

    name: str
    description: str  # for the log: "Pruning login records"
    interval_seconds: float
    round: Callable[[], Awaitable[object]]
    at_start: Callable[[], Awaitable[bool]] | None = None


class BackgroundWork:
    """The background work of one app instance (`running()` in the lifespan)."""

    def __init__(self, settings: Settings) -> None:
        # Web imports take turns in this queue (LEADFLOW_IMPORT_CONCURRENCY at once), the
        # watchdog's resumed ones too.
        self.import_queue = imports.ImportQueue(settings.import_concurrency)
        self._jobs: list[PeriodicJob] = []
        self._periodic: list[_PeriodicTask] = []
        self._tasks: set[asyncio.Task[Any]] = set()
        # Set first thing in `stop`: rounds that check it end between two steps.
        self.stopping = False
        self.add(
            PeriodicJob(
                PRUNING_TASK_NAME,
                "Pruning login records",
                settings.prune_interval_seconds,
                _prune_login_records,
                at_start=_first_pruning,
            )
        )
        self.add(
            PeriodicJob(
                WATCHDOG_TASK_NAME,
                "Resuming abandoned imports",
                settings.import_watchdog_seconds,
                self._resume_abandoned_imports,
                at_start=_abandoned_imports_waiting,
            )
        )
        self.add(
            PeriodicJob(
                REMINDERS_TASK_NAME,
                "Announcing due activities and waiting leads",
                settings.reminder_interval_seconds,
                reminders.run_round,
            )
        )
        # The services queue e-mail only when this instance has an SMTP server.
        emails.configure(settings)
        webhook_config.configure(settings)
        privacy_config.configure(settings)
        self.add(
            PeriodicJob(
                EMAIL_TASK_NAME,
                "Sending notification e-mails",
                settings.email_send_interval_seconds if settings.smtp else 0,
                emails.send_due,
            )
        )
        # Events past LEADFLOW_OUTBOX_KEEP_HOURS, with the other pruning (safe on several
        # instances at once: a DELETE of what is past).
        keep_hours = settings.outbox_keep_hours
        self.add(
            PeriodicJob(
                OUTBOX_PRUNING_TASK_NAME,
                "Pruning old outbox events",
                settings.prune_interval_seconds,
                lambda: _prune_outbox(keep_hours),
            )
        )
        self.add(
            PeriodicJob(
                WEBHOOK_PRUNING_TASK_NAME,
                "Pruning old webhook deliveries",
                settings.prune_interval_seconds,
                _prune_webhook_deliveries,
            )
        )
        self.add(
            PeriodicJob(
                IDEMPOTENCY_PRUNING_TASK_NAME,
                "Pruning old idempotency keys",
                settings.prune_interval_seconds,
                _prune_idempotency_keys,
            )
        )
        self.add(
            PeriodicJob(
                RETENTION_TASK_NAME,
                RETENTION_DESCRIPTION,
                settings.prune_interval_seconds,
                # Ends between two erasures once the app stops.
                lambda: _erase_past_retention(
                    lambda: self.stopping, _retrying(settings.prune_interval_seconds)
                ),
            )
        )
        # Migration 0021's counter rows folded into one per key (one instance at a time, an
        # advisory lock), every lead_lists.FOLD_SECONDS; off with the other housekeeping
        # (LEADFLOW_PRUNE_INTERVAL_SECONDS 0), at most as often as it runs.
        self.add(
            PeriodicJob(
                COUNTS_FOLD_TASK_NAME,
                "Folding the lead counters",
                min(settings.prune_interval_seconds, lead_lists.FOLD_SECONDS),
                _fold_lead_counts,
            )
        )
        # Poll 0: this instance neither fans events out to webhooks nor delivers them.
        self.webhooks = (
            DeliveryWorker(self.spawn, fan_out=fanout.run_round)
            if settings.webhook_poll_seconds > 0
            else None
        )

    def add(self, job: PeriodicJob) -> None:
        """A job to run from `start` on (one with interval 0 is switched off)."""
        if job.interval_seconds > 0:
            self._jobs.append(job)

    @asynccontextmanager
    async def running(self) -> AsyncIterator[None]:
        await self.start()
        try:
            yield
        finally:
            await self.stop()

    async def start(self) -> None:
        for job in self._jobs:
            due_now = await in_own_task(_guarded(job, job.at_start)) if job.at_start else False
            periodic = _PeriodicTask(job)
            self._periodic.append(periodic)
            self._keep(periodic.start(due_now=bool(due_now)))
        if self.webhooks is not None:
            await self.webhooks.start()

    def wake_webhooks(self) -> None:
        """New events may have committed: the webhook worker fans out and delivers now."""
        if self.webhooks is not None:
            self.webhooks.wake()

    def spawn(self, work: Coroutine[Any, Any, object], name: str) -> asyncio.Task[Any]:
        """Run `work` in the background until it ends or the app stops (a web import)."""
        return self._keep(asyncio.create_task(work, name=name))

    async def stop(self) -> None:
        """Before the database closes: stop the jobs and the imports (see the module's doc)."""
        self.stopping = True
        self.import_queue.stop()
        for periodic in self._periodic:
            periodic.stop()
        if self.webhooks is not None:
            # Its round ends, its requests get a short grace (see its stop).
            await self.webhooks.stop()
        if self._tasks:
            await asyncio.wait(list(self._tasks), timeout=STOP_SECONDS)
        for task in list(self._tasks):
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)

    def _keep(self, task: asyncio.Task[Any]) -> asyncio.Task[Any]:
        # Held here, so that a running task is not garbage-collected.
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
        return task

    async def _resume_abandoned_imports(self) -> None:
        # Stopped: shutting down; the next instance resumes what is left.
        with suppress(imports.ImportStopped):
            await imports.resume_abandoned_imports(self.import_queue)


class _PeriodicTask:
    """The loop of one job: a round, then a pause; cancelled only while it pauses."""

    def __init__(self, job: PeriodicJob) -> None:
        self.job = job
        self._in_round = False
        self._stopping = False
        self._task: asyncio.Task[Any] | None = None

    def start(self, *, due_now: bool) -> asyncio.Task[Any]:
        self._task = asyncio.create_task(self._loop(due_now), name=self.job.name)
        return self._task

    async def _loop(self, due_now: bool) -> None:
        if not due_now:
            await asyncio.sleep(self.job.interval_seconds)
        while not self._stopping:
            await self.round()
            if not self._stopping:
                await asyncio.sleep(self.job.interval_seconds)

    async def round(self) -> None:
        self._in_round = True
        try:
            # A task of its own: what a round leaves in its context dies with it (db/rounds.py).
            await in_own_task(_guarded(self.job, self.job.round))
        finally:
            self._in_round = False

    def stop(self) -> None:
        """A round in progress ends on its own (the loop then returns); a pause is cut."""
        self._stopping = True
        if self._task is not None and not self._in_round:
            self._task.cancel()


async def _guarded(job: PeriodicJob, work: Callable[[], Awaitable[object]]) -> object:
    try:
        return await work()
    except Exception as error:
        # A database hiccup must not end the job (nor the start); the next round tries again.
        # An outage: one line per round (db.availability.log_failure).
        log_failure(log, error, f"{job.description} [{job.name}]", _retrying(job.interval_seconds))
        return None


def _retrying(interval_seconds: float) -> str:
    return f"retrying in {interval_seconds:g} s"


async def _prune_login_records() -> None:
    pruned = await accounts.prune_login_records()
    if pruned.login_failures or pruned.expired_sessions:
        log.info(
            "Pruned %d old login failures and %d expired sessions",
            pruned.login_failures,
            pruned.expired_sessions,
        )


async def _prune_outbox(keep_hours: int) -> None:
    pruned = await outbox.prune(keep_hours)
    if pruned:
        log.info("Pruned %d outbox events older than %d hours", pruned, keep_hours)


async def _prune_webhook_deliveries() -> None:
    pruned = await housekeeping.prune_deliveries()
    if pruned:
        log.info("Pruned %d finished webhook deliveries", pruned)


async def _prune_idempotency_keys() -> None:
    pruned = await idempotency.prune()
    if pruned:
        log.info("Pruned %d idempotency keys older than %d hours", pruned, idempotency.KEEP_HOURS)


async def _fold_lead_counts() -> None:
    folded = await lead_lists.fold_counts()
    if folded is not None and folded.removed:
        log.debug("Folded %d lead counter rows into %d", folded.removed, folded.written)


async def _erase_past_retention(stopping: Callable[[], bool], retrying: str) -> None:
    report = await retention.run_round(stopping)
    if report.contacts:
        log.info("Erased %d contacts past their retention", len(report.contacts))
    if report.failed:
        log.warning("Retention: %d contacts could not be erased (next round)", len(report.failed))
    if report.unavailable is not None:
        # The round's one line, as `_guarded` writes it for the other jobs.
        what = f"{RETENTION_DESCRIPTION} [{RETENTION_TASK_NAME}]"
        log_failure(log, report.unavailable, what, retrying)


async def _first_pruning() -> bool:
    await _prune_login_records()
    return False


async def _abandoned_imports_waiting() -> bool:
    return bool(await imports.abandoned_import_ids())
