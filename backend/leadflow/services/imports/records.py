"""The record of an import (`LeadImport`): who works on it (one worker at a time, taken over
only from a dead one), its progress, issues and stored file, and how it ends."""

from __future__ import annotations

import logging
import os
import secrets
import socket
from collections.abc import Mapping
from datetime import timedelta
from pathlib import Path

from tortoise.exceptions import BaseORMException
from tortoise.expressions import F
from tortoise.transactions import in_transaction

from leadflow import clock
from leadflow.auth.actors import Actor, actor_user
from leadflow.db.enums import ImportStatus
from leadflow.db.models import NAME_MAX, Campaign, ImportIssue, ImportSource, LeadImport
from leadflow.db.sql import insert_rows
from leadflow.errors import DomainError, ErrorCode
from leadflow.services.imports.rows import COUNTERS, ImportCounts, ImportReport, RowOutcome
from leadflow.services.validation import storable_text

# A running import whose worker has not committed a batch for this long is considered dead
# when its worker runs on another machine (on the same machine the process is checked).
STALE_AFTER = timedelta(minutes=5)
# Imports that are not over: waiting for their turn, or importing (or interrupted in either).
UNFINISHED = (ImportStatus.QUEUED, ImportStatus.RUNNING)

logger = logging.getLogger(__name__)


async def save_issues(lead_import: LeadImport, outcomes: list[RowOutcome]) -> None:
    issues = [
        ImportIssue(
            lead_import_id=lead_import.id,
            kind=issue.kind,
            code=issue.code,
            row_number=issue.row_number,
            field=issue.field,
            message=issue.message,
            # As read, but PostgreSQL's JSON cannot hold NUL (a row rejected for one).
            values=[storable_text(value) for value in issue.values],
        )
        for outcome in outcomes
        for issue in outcome.issues
    ]
    if issues:
        await insert_rows(ImportIssue, issues)


async def advance(lead_import: LeadImport, last_row: int, outcomes: list[RowOutcome]) -> None:
    """Add the batch's counts; refuse if another worker took this import over meanwhile."""
    counts = ImportCounts()
    counts.add(outcomes)
    changed = await LeadImport.filter(id=lead_import.id, worker=lead_import.worker).update(
        last_row_number=last_row,
        heartbeat_at=clock.now(),
        **{name: F(name) + amount for name, amount in counts.as_dict().items()},
    )
    _require_still_ours(lead_import, changed)


async def beat(
    lead_import: LeadImport, status: ImportStatus, *, now: ImportStatus | None = None
) -> None:
    """Still this worker's, with `status`: a fresh heartbeat (and status `now`). Refused if
    another worker took the import over meanwhile."""
    changed = await LeadImport.filter(
        id=lead_import.id, worker=lead_import.worker, status=status
    ).update(heartbeat_at=clock.now(), status=now or status)
    _require_still_ours(lead_import, changed)


def _require_still_ours(lead_import: LeadImport, changed: int) -> None:
    """After a write guarded by this worker's name: no row changed means another worker took
    the import over meanwhile (`resume`), and this one must stop."""
    if changed != 1:
        raise DomainError(
            ErrorCode.CONFLICT,
            f"Import #{lead_import.id} was taken over by another process; this one stops.",
            ["file"],
        )


async def start_or_resume(
    actor: Actor, campaign: Campaign, report: ImportReport, status: ImportStatus
) -> LeadImport:
    """A new import record, or the interrupted one of the same file for this campaign, with
    `status` (RUNNING, or QUEUED when it waits for its turn)."""
    worker = this_worker()
    unfinished = (
        await LeadImport.filter(
            campaign_id=campaign.id,
            file_digest=report.layout.digest,
            status__in=[*UNFINISHED, ImportStatus.FAILED],
        )
        .order_by("-id")
        .first()
    )
    if unfinished is None:
        started_at = clock.now()
        lead_import = await LeadImport.create(
            campaign=campaign,
            created_by=actor_user(actor),
            file_name=storable_text(report.file_name)[:NAME_MAX],
            file_digest=report.layout.digest,
            status=status,
            worker=worker,
            started_at=started_at,
            heartbeat_at=started_at,
            rows_total=report.layout.estimated_rows,
            unknown_columns=[storable_text(name) for name in report.layout.unknown_columns],
            header=[storable_text(name) for name in report.layout.header],
            separator=report.layout.separator,
        )
        report.import_id = lead_import.id
        return lead_import
    if unfinished.status in UNFINISHED and worker_alive(unfinished):
        raise DomainError(
            ErrorCode.CONFLICT,
            f"This file is being imported into {campaign.name!r} right now "
            f"(import #{unfinished.id}, started {unfinished.started_at:%Y-%m-%d %H:%M} UTC).",
            ["file"],
        )
    taken = await LeadImport.filter(id=unfinished.id, worker=unfinished.worker).update(
        worker=worker, status=status, heartbeat_at=clock.now(), failure=""
    )
    if taken != 1:
        raise DomainError(
            ErrorCode.CONFLICT, "Another process resumed this import just now.", ["file"]
        )
    await unfinished.refresh_from_db()
    _load_counts(report, unfinished)
    report.import_id = unfinished.id
    report.resumed_after_row = unfinished.last_row_number
    return unfinished


def _load_counts(report: ImportReport, lead_import: LeadImport) -> None:
    report.counts = ImportCounts(**{name: getattr(lead_import, name) for name in COUNTERS})


async def record_failure(lead_import: LeadImport, error: BaseException) -> None:
    reason = getattr(error, "message", None) or type(error).__name__
    try:
        await mark_failed(lead_import, str(reason))
    except BaseORMException:
        # The original error matters more, and a RUNNING record of a dead worker is resumed
        # all the same.
        logger.exception("Could not mark import #%s as failed", lead_import.id)


async def mark_failed(lead_import: LeadImport, reason: str) -> None:
    """FAILED with the reason, unless another worker took the import over meanwhile. Failed
    imports are not resumed by themselves (the same error would repeat), so their stored
    file goes in the same transaction; uploading the file again resumes them."""
    async with in_transaction():
        failed = await LeadImport.filter(id=lead_import.id, worker=lead_import.worker).update(
            status=ImportStatus.FAILED, failure=reason[:2000]
        )
        if failed:
            await ImportSource.filter(lead_import_id=lead_import.id).delete()


async def release(lead_import: LeadImport) -> None:
    """No worker any more: the import stays QUEUED or RUNNING for another process to
    resume."""
    try:
        await LeadImport.filter(id=lead_import.id, worker=lead_import.worker).update(worker="")
    except BaseORMException:
        logger.exception("Could not release import #%s", lead_import.id)


async def store_source(lead_import: LeadImport, path: Path, mapping: Mapping[str, str]) -> None:
    """The file and mapping this import goes on with (a takeover by a new upload may bring
    another mapping, which a later resume must use)."""
    kept = await ImportSource.filter(lead_import_id=lead_import.id).update(mapping=dict(mapping))
    if not kept:
        await ImportSource.create(
            lead_import_id=lead_import.id,
            content=path.read_bytes(),
            mapping=dict(mapping),
            created_at=clock.now(),
        )


# Tells this process from an earlier one with the same host name and pid (a restarted
# container is often pid 1 again).
_PROCESS_TOKEN = secrets.token_hex(4)


def this_worker() -> str:
    return f"{socket.gethostname()}:{os.getpid()}:{_PROCESS_TOKEN}"


def worker_alive(lead_import: LeadImport) -> bool:
    """Released: no. This machine: the process must exist (and be this very process when
    the pid is ours) and have committed within STALE_AFTER, since a pid may be reused.
    Another machine: committed within STALE_AFTER."""
    if not lead_import.worker:
        return False
    host, pid, token = [*lead_import.worker.split(":"), "", ""][:3]
    heartbeat = lead_import.heartbeat_at or lead_import.started_at
    recent = clock.now() - heartbeat < STALE_AFTER
    if host == socket.gethostname() and pid.isdigit():
        if int(pid) == os.getpid():
            return token == _PROCESS_TOKEN
        try:
            os.kill(int(pid), 0)
        except ProcessLookupError:
            return False
        except PermissionError:
            pass
    return recent
