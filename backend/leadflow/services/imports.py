"""Importing lead files into a campaign: validated like `createLeads`, deduplicated, committed
in batches, recorded, and resumable after an interruption."""

from __future__ import annotations

import asyncio
import logging
import os
import secrets
import socket
import tempfile
from collections.abc import AsyncIterator, Callable, Iterable, Iterator, Mapping
from contextlib import asynccontextmanager, nullcontext
from dataclasses import dataclass, field
from datetime import timedelta
from itertools import groupby
from pathlib import Path
from typing import IO

from tortoise.exceptions import BaseORMException, IntegrityError
from tortoise.expressions import F
from tortoise.transactions import in_transaction

from leadflow import clock
from leadflow.auth import policy
from leadflow.db.enums import ImportIssueCode, ImportIssueKind, ImportStatus
from leadflow.db.models import (
    NAME_MAX,
    Campaign,
    ImportIssue,
    ImportSource,
    Lead,
    LeadImport,
    User,
)
from leadflow.errors import AccessDenied, DomainError, DomainErrors, ErrorCode
from leadflow.services.campaigns import create_campaign
from leadflow.services.csv_cells import SpreadsheetWriter
from leadflow.services.import_files import (
    FIELD_LABELS,
    REJECTS_COLUMNS,
    FileLayout,
    FileRow,
    inspect_file,
    is_rejects_column,
    read_rows,
)
from leadflow.services.leads import ContactMatcher, LeadIntake, clean_intake, store_intakes
from leadflow.services.validation import clean_text, require_storable, storable_text

BATCH_SIZE = 500
# Web imports commit smaller batches: another request waits for a whole batch at worst (on
# SQLite for the one connection), about 0.1 s for 100 rows, but up to 0.5 s for 500 on a busy
# 2-CPU machine (bench/README.md, parallel imports).
WEB_BATCH_SIZE = 100
# A running import whose worker has not committed a batch for this long is considered dead
# when its worker runs on another machine (on the same machine the process is checked).
STALE_AFTER = timedelta(minutes=5)
# A queued import tells other instances it is alive this often while it waits for its turn.
QUEUED_HEARTBEAT = STALE_AFTER / 5
# Imports that are not over: waiting for their turn, or importing (or interrupted in either).
UNFINISHED = (ImportStatus.QUEUED, ImportStatus.RUNNING)

ProgressCallback = Callable[[int, int], None]
logger = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class RowIssue:
    """Why a row was rejected or skipped: `code` for programs and translations, `field` the
    contact field it concerns as the API names it ("" for the whole row), `message` in English.
    Rejected rows keep their values as read."""

    kind: ImportIssueKind
    code: ImportIssueCode
    row_number: int
    field: str
    message: str
    values: tuple[str, ...] = ()


@dataclass(slots=True)
class ImportCounts:
    rows_processed: int = 0
    leads_created: int = 0
    contacts_reused: int = 0
    duplicates_skipped: int = 0
    rows_rejected: int = 0
    empty_rows: int = 0

    def add(self, outcomes: Iterable[_RowOutcome]) -> None:
        for outcome in outcomes:
            self.rows_processed += 1
            if outcome.created:
                self.leads_created += 1
                self.contacts_reused += outcome.contact_reused
            elif not outcome.issues:
                self.empty_rows += 1
            elif outcome.issues[0].kind is ImportIssueKind.DUPLICATE:
                self.duplicates_skipped += 1
            else:
                self.rows_rejected += 1

    def as_dict(self) -> dict[str, int]:
        return {name: getattr(self, name) for name in COUNTERS}


COUNTERS = tuple(ImportCounts.__dataclass_fields__)


@dataclass(slots=True)
class ImportReport:
    """What an import did (or, in a dry run, would do). Counts cover the whole file, also
    when the import resumed an interrupted one."""

    file_name: str
    campaign: str
    layout: FileLayout
    dry_run: bool
    import_id: int | None = None
    resumed_after_row: int | None = None
    campaign_created: bool = False
    counts: ImportCounts = field(default_factory=ImportCounts)
    # Dry runs keep their issues here; a real import stores them (see `import_issues`).
    issues: list[RowIssue] = field(default_factory=list)

    @property
    def mapped_columns(self) -> dict[str, str]:
        """Header name -> the contact field (API name) it fills."""
        return {
            self.layout.header[index]: FIELD_LABELS[name]
            for index, name in sorted(self.layout.columns.items())
        }


@dataclass(frozen=True, slots=True)
class _RowOutcome:
    row: FileRow
    created: bool = False
    contact_reused: bool = False
    issues: tuple[RowIssue, ...] = ()


async def import_leads(
    actor: User | None,
    path: Path,
    campaign_name: str,
    *,
    create_campaign_if_missing: bool = False,
    dry_run: bool = False,
    mapping: Mapping[str, str] | None = None,
    file_name: str | None = None,
    on_progress: ProgressCallback | None = None,
    on_started: Callable[[ImportReport], None] | None = None,
    keep_source: bool = False,
    queue: ImportQueue | None = None,
    wait_turn: bool = True,
    batch_size: int | None = None,
) -> ImportReport:
    """Import the leads of a CSV file into a campaign. `actor` None is the operator at the
    command line. Running the same file for the same campaign again resumes an interrupted
    import, or adds nothing when it has completed. `on_started` is called once the import is
    recorded (with `report.import_id` set), before the first row is written. `keep_source`
    stores the file in the database while the import runs (web uploads), so that any app
    instance can finish it if this one dies (`resume_abandoned_imports`). With a `queue`, the
    import is recorded as QUEUED and waits there for its turn (after `on_started`; not with
    `wait_turn` False: the caller holds a place), commits batches of the queue's size and stops
    between two when the queue stops; otherwise of `batch_size` (default BATCH_SIZE)."""
    policy.require_manager(actor, "import leads")
    name = clean_text(campaign_name, ["campaign"], max_length=NAME_MAX, required=True)
    for column in mapping or {}:
        require_storable(column, ["mapping"])  # stored with the file (`_keep_source`)
    layout = inspect_file(path, mapping)
    report = ImportReport(
        file_name=file_name or path.name,
        campaign=name,
        layout=layout,
        dry_run=dry_run,
    )
    campaign = await Campaign.get_or_none(name=name)
    if campaign is None and not create_campaign_if_missing:
        raise _no_such_campaign(name)
    report.campaign_created = campaign is None
    if dry_run:
        await _preview(campaign, path, report, on_progress)
        return report
    campaign = campaign or await _create_campaign(actor, name)
    queued = queue is not None and wait_turn
    status = ImportStatus.QUEUED if queued else ImportStatus.RUNNING
    lead_import = await _start_or_resume(actor, campaign, report, status)
    try:
        if keep_source:
            await _keep_source(lead_import, path, mapping or {})
        if on_started:
            on_started(report)
        async with queue.turn_of(lead_import) if queued else nullcontext():
            await _run(actor, campaign, lead_import, path, report, on_progress, batch_size, queue)
    except (asyncio.CancelledError, ImportStopped):
        # Stopped, not failed (the server shuts down): left to whoever resumes it.
        await _release(lead_import)
        raise
    except BaseException as error:
        await _record_failure(lead_import, error)
        raise
    return report


async def _create_campaign(actor: User | None, name: str) -> Campaign:
    try:
        return await create_campaign(actor, name)
    except DomainError as error:
        if error.code is not ErrorCode.DUPLICATE:
            raise
        return await Campaign.get(name=name)  # created by a concurrent import just now


def _no_such_campaign(name: str) -> DomainError:
    return DomainError(
        ErrorCode.NOT_FOUND,
        f"There is no campaign named {name!r} (create it with --create-campaign).",
        ["campaign"],
    )


# ---------------------------------------------------------------------------------------------
# Rows


def _batches(rows: Iterable[FileRow], size: int | None = None) -> Iterator[list[FileRow]]:
    size = size or BATCH_SIZE
    batch: list[FileRow] = []
    for row in rows:
        batch.append(row)
        if len(batch) == size:
            yield batch
            batch = []
    if batch:
        yield batch


def _is_empty(row: FileRow) -> bool:
    return not any(value.strip() for value in row.values)


def _clean_row(row: FileRow, layout: FileLayout) -> dict[str, str | None] | list[RowIssue]:
    """The row's contact details, or every reason it cannot be imported."""
    if len(row.values) > len(layout.header):
        return [
            RowIssue(
                kind=ImportIssueKind.REJECTED,
                code=ImportIssueCode.TOO_MANY_FIELDS,
                row_number=row.number,
                field="",
                message=f"The row has {len(row.values)} fields but the header "
                f"{len(layout.header)}: is a '{layout.separator}' inside a value without quotes?",
                values=row.values,
            )
        ]
    values = {
        name: row.values[index] for index, name in layout.columns.items() if index < len(row.values)
    }
    try:
        return clean_intake(LeadIntake(**{"last_name": "", **values}), [])
    except DomainErrors as errors:
        return [
            RowIssue(
                kind=ImportIssueKind.REJECTED,
                code=_rejection_code(error.code),
                row_number=row.number,
                field=".".join(error.field or ()),
                message=error.message,
                values=row.values,
            )
            for error in errors.errors
        ]


def _rejection_code(code: ErrorCode) -> ImportIssueCode:
    """The code `createLeads` gives the same mistake. The rules of an intake raise only codes
    that rows have (REQUIRED, INVALID, TOO_LONG); should one raise another, the row is still
    reported, as INVALID."""
    try:
        return ImportIssueCode(code.value)
    except ValueError:
        return ImportIssueCode.INVALID


def _split_batch(
    batch: list[FileRow], layout: FileLayout
) -> tuple[list[tuple[FileRow, dict[str, str | None]]], list[_RowOutcome]]:
    """The batch's rows that can be stored (with their cleaned details), and the outcomes of
    the others: empty rows and rows rejected with their reasons."""
    cleaned: list[tuple[FileRow, dict[str, str | None]]] = []
    outcomes: list[_RowOutcome] = []
    for row in batch:
        details = None if _is_empty(row) else _clean_row(row, layout)
        if isinstance(details, dict):
            cleaned.append((row, details))
        else:
            outcomes.append(_RowOutcome(row, issues=tuple(details or ())))
    return cleaned, outcomes


def _duplicate_issue(row: FileRow, code: ImportIssueCode, message: str) -> RowIssue:
    return RowIssue(
        kind=ImportIssueKind.DUPLICATE, code=code, row_number=row.number, field="", message=message
    )


# ---------------------------------------------------------------------------------------------
# Dry run


async def _preview(
    campaign: Campaign | None,
    path: Path,
    report: ImportReport,
    on_progress: ProgressCallback | None,
) -> None:
    """Everything an import would do, without writing. Rows repeated within the file are
    found by the contact's identity; known contacts and open leads by reading the database."""
    first_row_of: dict[tuple[str, ...], int] = {}
    for batch in _batches(read_rows(path, report.layout)):
        cleaned, outcomes = _split_batch(batch, report.layout)
        outcomes += await _preview_batch(campaign, cleaned, first_row_of)
        outcomes.sort(key=lambda outcome: outcome.row.number)
        report.counts.add(outcomes)
        report.issues += [issue for outcome in outcomes for issue in outcome.issues]
        if on_progress:
            on_progress(report.counts.rows_processed, report.layout.estimated_rows)


async def _preview_batch(
    campaign: Campaign | None,
    cleaned: list[tuple[FileRow, dict[str, str | None]]],
    first_row_of: dict[tuple[str, ...], int],
) -> list[_RowOutcome]:
    matcher = await ContactMatcher.load([details for _, details in cleaned], lock=False)
    open_lead_of: dict[int, int] = {}
    if campaign is not None and matcher.contact_ids():
        open_lead_of = dict(
            await Lead.filter(
                campaign_id=campaign.id, contact_id__in=matcher.contact_ids(), closed_at=None
            ).values_list("contact_id", "id")
        )
    outcomes = []
    for row, details in cleaned:
        identity = ContactMatcher.identity(details)
        if identity in first_row_of:
            message = f"Same contact as row {first_row_of[identity]}."
            issue = _duplicate_issue(row, ImportIssueCode.DUPLICATE_IN_FILE, message)
            outcomes.append(_RowOutcome(row, issues=(issue,)))
            continue
        first_row_of[identity] = row.number
        contact = matcher.find(details)
        if contact is not None and contact.id in open_lead_of:
            message = _open_lead_message(open_lead_of[contact.id])
            issue = _duplicate_issue(row, ImportIssueCode.DUPLICATE, message)
            outcomes.append(_RowOutcome(row, issues=(issue,)))
            continue
        outcomes.append(_RowOutcome(row, created=True, contact_reused=contact is not None))
    return outcomes


def _open_lead_message(lead_id: int) -> str:
    return f"This contact already has an open lead (#{lead_id}) in this campaign."


# ---------------------------------------------------------------------------------------------
# Import


async def _run(
    actor: User | None,
    campaign: Campaign,
    lead_import: LeadImport,
    path: Path,
    report: ImportReport,
    on_progress: ProgressCallback | None,
    batch_size: int | None = None,
    queue: ImportQueue | None = None,
) -> None:
    resume_after = lead_import.last_row_number
    rows = (row for row in read_rows(path, report.layout) if row.number > resume_after)
    for batch in _batches(rows, queue.batch_size if queue else batch_size):
        if queue is not None and queue.stopping:
            raise ImportStopped
        try:
            outcomes = await _import_batch(actor, campaign, lead_import, batch, report.layout)
        except IntegrityError:
            # A concurrent intake created one of this batch's contacts first; now it is known.
            outcomes = await _import_batch(actor, campaign, lead_import, batch, report.layout)
        report.counts.add(outcomes)
        if on_progress:
            on_progress(report.counts.rows_processed, report.layout.estimated_rows)
        # Interactive requests first: whatever waits for the event loop runs before the next
        # batch (imports are background work, see ImportQueue).
        await asyncio.sleep(0)
    async with in_transaction():
        await LeadImport.filter(id=lead_import.id).update(
            status=ImportStatus.COMPLETED,
            finished_at=clock.now(),
            rows_total=report.counts.rows_processed,
        )
        await ImportSource.filter(lead_import_id=lead_import.id).delete()


async def _import_batch(
    actor: User | None,
    campaign: Campaign,
    lead_import: LeadImport,
    batch: list[FileRow],
    layout: FileLayout,
) -> list[_RowOutcome]:
    """One batch, atomically: its leads, its issues and the import's progress commit
    together, so a resumed import continues exactly after the last committed row."""
    cleaned, outcomes = _split_batch(batch, layout)
    async with in_transaction():
        stored = await store_intakes(actor, campaign, [details for _, details in cleaned])
        for (row, _), result in zip(cleaned, stored, strict=True):
            if result.lead_created:
                outcomes.append(
                    _RowOutcome(row, created=True, contact_reused=result.contact_reused)
                )
            else:
                message = _open_lead_message(result.lead.id)
                issue = _duplicate_issue(row, ImportIssueCode.DUPLICATE, message)
                outcomes.append(_RowOutcome(row, issues=(issue,)))
        await _save_issues(lead_import, outcomes)
        await _advance(lead_import, batch[-1].number, outcomes)
    return outcomes


async def _save_issues(lead_import: LeadImport, outcomes: list[_RowOutcome]) -> None:
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
        await ImportIssue.bulk_create(issues)


async def _advance(lead_import: LeadImport, last_row: int, outcomes: list[_RowOutcome]) -> None:
    """Add the batch's counts; refuse if another worker took this import over meanwhile."""
    counts = ImportCounts()
    counts.add(outcomes)
    changed = await LeadImport.filter(id=lead_import.id, worker=lead_import.worker).update(
        last_row_number=last_row,
        heartbeat_at=clock.now(),
        **{name: F(name) + amount for name, amount in counts.as_dict().items()},
    )
    if changed != 1:
        raise DomainError(
            ErrorCode.CONFLICT,
            f"Import #{lead_import.id} was taken over by another process; this one stops.",
            ["file"],
        )


# ---------------------------------------------------------------------------------------------
# Taking turns


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
                await _beat(lead_import, ImportStatus.QUEUED)
        try:
            if self.stopping:
                raise ImportStopped
            await _beat(lead_import, ImportStatus.QUEUED, now=ImportStatus.RUNNING)
            yield
        finally:
            self._places.release()


class ImportStopped(Exception):
    """The import was stopped between two batches, as the server shuts down (`ImportQueue.stop`);
    it is released for another instance to resume."""


async def _beat(
    lead_import: LeadImport, status: ImportStatus, *, now: ImportStatus | None = None
) -> None:
    """Still this worker's, with `status`: a fresh heartbeat (and status `now`). Refused if
    another worker took the import over meanwhile."""
    changed = await LeadImport.filter(
        id=lead_import.id, worker=lead_import.worker, status=status
    ).update(heartbeat_at=clock.now(), status=now or status)
    if changed != 1:
        raise DomainError(
            ErrorCode.CONFLICT,
            f"Import #{lead_import.id} was taken over by another process; this one stops.",
            ["file"],
        )


# ---------------------------------------------------------------------------------------------
# Import records


async def _start_or_resume(
    actor: User | None, campaign: Campaign, report: ImportReport, status: ImportStatus
) -> LeadImport:
    """A new import record, or the interrupted one of the same file for this campaign, with
    `status` (RUNNING, or QUEUED when it waits for its turn)."""
    worker = _this_worker()
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
        lead_import = await LeadImport.create(
            campaign=campaign,
            created_by=actor,
            file_name=storable_text(report.file_name)[:NAME_MAX],
            file_digest=report.layout.digest,
            status=status,
            worker=worker,
            heartbeat_at=clock.now(),
            rows_total=report.layout.estimated_rows,
            unknown_columns=[storable_text(name) for name in report.layout.unknown_columns],
            header=[storable_text(name) for name in report.layout.header],
            separator=report.layout.separator,
        )
        report.import_id = lead_import.id
        return lead_import
    if unfinished.status in UNFINISHED and _worker_alive(unfinished):
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


async def _record_failure(lead_import: LeadImport, error: BaseException) -> None:
    reason = getattr(error, "message", None) or type(error).__name__
    try:
        await _mark_failed(lead_import, str(reason))
    except BaseORMException:
        # The original error matters more, and a RUNNING record of a dead worker is resumed
        # all the same.
        logger.exception("Could not mark import #%s as failed", lead_import.id)


async def _mark_failed(lead_import: LeadImport, reason: str) -> None:
    """FAILED with the reason, unless another worker took the import over meanwhile. Failed
    imports are not resumed by themselves (the same error would repeat), so their stored
    file goes in the same transaction; uploading the file again resumes them."""
    async with in_transaction():
        failed = await LeadImport.filter(id=lead_import.id, worker=lead_import.worker).update(
            status=ImportStatus.FAILED, failure=reason[:2000]
        )
        if failed:
            await ImportSource.filter(lead_import_id=lead_import.id).delete()


async def _release(lead_import: LeadImport) -> None:
    """No worker any more: the import stays QUEUED or RUNNING for another process to
    resume."""
    try:
        await LeadImport.filter(id=lead_import.id, worker=lead_import.worker).update(worker="")
    except BaseORMException:
        logger.exception("Could not release import #%s", lead_import.id)


async def _keep_source(lead_import: LeadImport, path: Path, mapping: Mapping[str, str]) -> None:
    """The file and mapping this import goes on with (a takeover by a new upload may bring
    another mapping, which a later resume must use)."""
    kept = await ImportSource.filter(lead_import_id=lead_import.id).update(mapping=dict(mapping))
    if not kept:
        await ImportSource.create(
            lead_import_id=lead_import.id, content=path.read_bytes(), mapping=dict(mapping)
        )


# Tells this process from an earlier one with the same host name and pid (a restarted
# container is often pid 1 again).
_PROCESS_TOKEN = secrets.token_hex(4)


def _this_worker() -> str:
    return f"{socket.gethostname()}:{os.getpid()}:{_PROCESS_TOKEN}"


def _worker_alive(lead_import: LeadImport) -> bool:
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


async def resume_abandoned_imports(queue: ImportQueue | None = None) -> list[int]:
    """Finish the web imports whose worker is gone (released at its shutdown, its process
    ended on this machine, or silent for STALE_AFTER on another), queued or running, from
    their stored file, one after the other, as the manager who uploaded it. With a `queue`,
    each waits for a place there before it is taken over, so an instance takes over only
    what it can run now. Several app instances may call this at once: `_start_or_resume`
    lets one of them take each import over. Returns the ids resumed."""
    # Files of imports that ended without dropping them (a crash at the wrong moment).
    await ImportSource.filter(
        lead_import__status__in=[ImportStatus.COMPLETED, ImportStatus.FAILED]
    ).delete()
    resumed: list[int] = []
    for lead_import_id in await abandoned_import_ids():
        if queue is not None and queue.stopping:
            break
        async with queue.place() if queue is not None else nullcontext():
            if await _resume_if_abandoned(lead_import_id, queue):
                resumed.append(lead_import_id)
    return resumed


async def _resume_if_abandoned(lead_import_id: int, queue: ImportQueue | None) -> bool:
    lead_import = await LeadImport.get_or_none(id=lead_import_id)
    # Checked again: the list is a moment old, and each resume takes a while.
    if lead_import is None or lead_import.status not in UNFINISHED:
        return False
    if _worker_alive(lead_import):
        return False
    try:
        return await _resume_from_source(lead_import, queue)
    except (asyncio.CancelledError, ImportStopped):
        raise
    except Exception:
        # One import's trouble must not keep the others waiting.
        logger.exception("Resuming import #%s failed", lead_import.id)
        return False


async def abandoned_import_ids() -> list[int]:
    """The unfinished web imports (with a stored file) whose worker is gone; one query."""
    unfinished = await LeadImport.filter(status__in=UNFINISHED, source__id__isnull=False).only(
        "id", "worker", "heartbeat_at", "started_at"
    )
    return [lead_import.id for lead_import in unfinished if not _worker_alive(lead_import)]


async def _resume_from_source(lead_import: LeadImport, queue: ImportQueue | None) -> bool:
    source = await ImportSource.get_or_none(lead_import_id=lead_import.id)
    if source is None:
        return False
    creator = await User.get_or_none(id=lead_import.created_by_id)
    if creator is None or not creator.active:
        await _give_up(lead_import, "Not resumed: the manager who uploaded it has left.")
        return False
    campaign = await Campaign.get(id=lead_import.campaign_id)
    descriptor, name = tempfile.mkstemp(prefix="leadflow-resume-", suffix=".csv")
    path = Path(name)
    try:
        with open(descriptor, "wb") as handle:
            handle.write(source.content)
        logger.info("Resuming abandoned import #%s of %s", lead_import.id, lead_import.file_name)
        await import_leads(
            creator,
            path,
            campaign.name,
            mapping=source.mapping,
            file_name=lead_import.file_name,
            keep_source=True,
            queue=queue,
            wait_turn=False,
        )
        return True
    except DomainError as error:
        if error.code is not ErrorCode.CONFLICT:
            await _give_up(lead_import, error.message)
        # CONFLICT: another instance took it over first.
        return False
    except AccessDenied as error:
        # The uploader may no longer import (demoted): nobody should finish it unasked.
        await _give_up(lead_import, f"Not resumed: {error.message}")
        return False
    finally:
        path.unlink(missing_ok=True)


async def _give_up(lead_import: LeadImport, reason: str) -> None:
    """Mark an abandoned import FAILED (if nobody took it over meanwhile) and drop its file;
    uploading the file again resumes it."""
    logger.warning("Import #%s not resumed: %s", lead_import.id, reason)
    await _mark_failed(lead_import, reason)


# ---------------------------------------------------------------------------------------------
# Reading the results


async def import_issues(lead_import_id: int) -> list[RowIssue]:
    issues = await ImportIssue.filter(lead_import_id=lead_import_id).order_by("row_number", "id")
    return [
        RowIssue(
            kind=issue.kind,
            code=issue.code,
            row_number=issue.row_number,
            field=issue.field,
            message=issue.message,
            values=tuple(issue.values),
        )
        for issue in issues
    ]


def write_rejected_rows(
    target: IO[str], header: Iterable[str], separator: str, issues: Iterable[RowIssue]
) -> int:
    """The rejected rows, ready to fix and import again: the file's columns first and in their
    order, so that the fixed file imports with the same mapping, each row's values cut or
    padded to them, then `Row` (its number in the file, the header being row 1) and `Error`
    (every reason, " / " between them). Values beyond the header's width (a separator inside
    an unquoted value) follow the reason, separated as in the file, so nothing of the row is
    lost. Columns named like `Row` and `Error` (an earlier rejected-rows file imported again)
    are left out, as the import ignores them: their values would be stale. Every cell, the
    header, `Row` and `Error` included, is quoted and neutralised (`csv_cells`); the import
    removes the marks again. `issues` in row order. Returns the number of rows written."""
    header = tuple(header)
    kept = [index for index, name in enumerate(header) if not is_rejects_column(name)]
    writer = SpreadsheetWriter(target, separator)
    writer.writerow([*(header[index] for index in kept), *REJECTS_COLUMNS])
    written = 0
    rejected = (issue for issue in issues if issue.kind is ImportIssueKind.REJECTED)
    for row_number, row_issues in groupby(rejected, key=lambda issue: issue.row_number):
        issues_of_row = list(row_issues)
        values = issues_of_row[0].values
        cells = [values[index] if index < len(values) else "" for index in kept]
        reasons = [_reason(issue, len(header), separator) for issue in issues_of_row]
        writer.writerow([*cells, str(row_number), " / ".join(reasons)])
        written += 1
    return written


def _reason(issue: RowIssue, width: int, separator: str) -> str:
    reason = f"{issue.field}: {issue.message}" if issue.field else issue.message
    beyond = issue.values[width:]
    if not beyond:
        return reason
    return f"{reason} Values beyond the last column: {separator.join(beyond)}"


async def get_import(actor: User, import_id: int) -> LeadImport:
    policy.require_manager(actor, "see imports")
    lead_import = await LeadImport.get_or_none(id=import_id).select_related("created_by")
    if lead_import is None:
        raise DomainError(ErrorCode.NOT_FOUND, "This import does not exist.", ["id"])
    return lead_import


async def campaign_imports(actor: User, campaign_id: int, limit: int) -> list[LeadImport]:
    """The campaign's latest imports, newest first."""
    policy.require_manager(actor, "see imports")
    return (
        await LeadImport.filter(campaign_id=campaign_id)
        .select_related("created_by")
        .order_by("-id")
        .limit(limit)
    )
