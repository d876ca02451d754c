"""Importing a lead file into a campaign: `preview` (a dry run: what would happen, nothing
written), `start` (record the import, or take over an interrupted one of the same file) and
`run` (the rows, in batches that each commit with the import's progress, so an interrupted
import resumes after its last committed row). `import_file` is start and run in one;
`import_by_name` is the command line's way in, by campaign name."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable, Mapping
from contextlib import asynccontextmanager, nullcontext
from dataclasses import dataclass, field
from pathlib import Path

from tortoise.exceptions import IntegrityError
from tortoise.transactions import in_transaction

from leadflow import clock
from leadflow.auth import policy
from leadflow.auth.actors import Actor
from leadflow.db.enums import ImportIssueCode, ImportIssueKind, ImportStatus
from leadflow.db.models import NAME_MAX, Campaign, ImportSource, LeadImport
from leadflow.errors import DomainError, ErrorCode
from leadflow.services.bulk_intake import ContactMatcher, open_leads, store_intakes
from leadflow.services.campaigns import campaign_by_id, campaign_named, create_campaign
from leadflow.services.import_files import FileLayout, FileRow, inspect_file, read_rows
from leadflow.services.imports.queue import ImportQueue, ImportStopped
from leadflow.services.imports.records import (
    advance,
    record_failure,
    release,
    save_issues,
    start_or_resume,
    store_source,
)
from leadflow.services.imports.rows import (
    ImportReport,
    RowOutcome,
    batches,
    duplicate_issue,
    open_lead_message,
    rejected_row_keys,
    split_batch,
    suppressed_issue,
)
from leadflow.services.privacy.suppression import suppressed_fields
from leadflow.services.validation import clean_text, require_storable

BATCH_SIZE = 500

ProgressCallback = Callable[[int, int], None]


@dataclass(frozen=True, slots=True)
class ImportFile:
    """A CSV file to import: where it lies, the name its sender gave it (the path's name when
    empty) and header names mapped to contact fields where the automatic mapping is not
    wanted ("" ignores a column)."""

    path: Path
    file_name: str = ""
    mapping: Mapping[str, str] = field(default_factory=dict)

    @property
    def name(self) -> str:
        return self.file_name or self.path.name


@dataclass(frozen=True, slots=True)
class StartedImport:
    """An import recorded by `start`, for `run`. `queued`: recorded as QUEUED, it runs in its
    turn of the queue given to `run`."""

    actor: Actor
    campaign: Campaign
    lead_import: LeadImport
    file: ImportFile
    report: ImportReport
    queued: bool = False


# ---------------------------------------------------------------------------------------------
# The ways in


async def preview(
    actor: Actor,
    campaign_id: int,
    file: ImportFile,
    *,
    on_progress: ProgressCallback | None = None,
) -> ImportReport:
    """Everything an import of the file into the campaign would do, without writing."""
    layout = _inspect(actor, file)
    campaign = await campaign_by_id(campaign_id, ["campaign"])
    report = _report(file, campaign.name, layout, dry_run=True)
    await _preview(campaign, file.path, report, on_progress)
    return report


async def start(
    actor: Actor,
    campaign_id: int,
    file: ImportFile,
    *,
    keep_source: bool = False,
    queued: bool = False,
) -> StartedImport:
    """Record the import (RUNNING, or QUEUED to wait for its turn), or take over the
    interrupted import of the same file into this campaign; nothing is imported yet.
    `keep_source` stores the file in the database while the import runs (web uploads), so
    that any app instance can finish it if this one dies (`resume_abandoned_imports`)."""
    layout = _inspect(actor, file)
    campaign = await campaign_by_id(campaign_id, ["campaign"])
    report = _report(file, campaign.name, layout, dry_run=False)
    return await _start(actor, campaign, file, report, keep_source=keep_source, queued=queued)


async def run(
    started: StartedImport,
    *,
    on_progress: ProgressCallback | None = None,
    queue: ImportQueue | None = None,
    batch_size: int | None = None,
) -> ImportReport:
    """Import the rows of a started import (after its last committed row when it resumes).
    With a `queue`, batches are of the queue's size and the import stops between two when
    the queue stops (a queued import first waits for its turn there); otherwise batches are
    of `batch_size` (default BATCH_SIZE). A failure marks the import FAILED; a stop (shutdown)
    releases it for another process to resume."""
    if started.queued and queue is None:
        raise ValueError("A queued import runs in its turn of a queue: pass the queue.")
    size = queue.batch_size if queue is not None else batch_size or BATCH_SIZE
    async with _ended_on_error(started.lead_import):
        turn = queue.turn_of(started.lead_import) if queue and started.queued else nullcontext()
        async with turn:
            await _import_rows(started, size, on_progress, queue)
    return started.report


async def import_file(
    actor: Actor,
    campaign_id: int,
    file: ImportFile,
    *,
    on_progress: ProgressCallback | None = None,
    batch_size: int | None = None,
) -> ImportReport:
    """`start` and `run` in one. Importing the same file into the same campaign again resumes
    an interrupted import, or adds nothing when it has completed."""
    started = await start(actor, campaign_id, file)
    return await run(started, on_progress=on_progress, batch_size=batch_size)


async def import_by_name(
    actor: Actor,
    campaign_name: str,
    file: ImportFile,
    *,
    create_campaign_if_missing: bool = False,
    dry_run: bool = False,
    on_progress: ProgressCallback | None = None,
) -> ImportReport:
    """The command line's import: into the campaign of that name (created first when missing
    and asked for), or its dry run."""
    policy.require_manager(actor, "import leads")
    name = clean_text(campaign_name, ["campaign"], max_length=NAME_MAX, required=True)
    layout = _inspect(actor, file)
    campaign = await campaign_named(name)
    if campaign is None and not create_campaign_if_missing:
        raise _no_such_campaign(name)
    report = _report(file, name, layout, dry_run=dry_run)
    report.campaign_created = campaign is None
    if dry_run:
        await _preview(campaign, file.path, report, on_progress)
        return report
    campaign = campaign or await _create_campaign(actor, name)
    started = await _start(actor, campaign, file, report)
    return await run(started, on_progress=on_progress)


def _inspect(actor: Actor, file: ImportFile) -> FileLayout:
    policy.require_manager(actor, "import leads")
    for column in file.mapping:
        require_storable(column, ["mapping"])  # stored with the file (`store_source`)
    return inspect_file(file.path, file.mapping)


def _report(file: ImportFile, campaign: str, layout: FileLayout, *, dry_run: bool) -> ImportReport:
    return ImportReport(file_name=file.name, campaign=campaign, layout=layout, dry_run=dry_run)


async def _create_campaign(actor: Actor, name: str) -> Campaign:
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
# Dry run


async def _preview(
    campaign: Campaign | None,
    path: Path,
    report: ImportReport,
    on_progress: ProgressCallback | None,
) -> None:
    """Rows repeated within the file are found by the contact's identity; known contacts and
    open leads by reading the database. `campaign` None: one still to be created (no lead of
    it is known yet)."""
    first_row_of: dict[tuple[str, ...], int] = {}
    for batch in batches(read_rows(path, report.layout), BATCH_SIZE):
        cleaned, outcomes = split_batch(batch, report.layout)
        cleaned = await _without_suppressed(cleaned, outcomes, report.layout, lock=False)
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
) -> list[RowOutcome]:
    matcher = await ContactMatcher.load([details for _, details in cleaned], lock=False)
    open_lead_of: dict[int, int] = {}
    if campaign is not None and matcher.contact_ids():
        open_lead_of = dict(
            await open_leads(campaign.id, matcher.contact_ids()).values_list("contact_id", "id")
        )
    outcomes = []
    for row, details in cleaned:
        identity = ContactMatcher.identity(details)
        if identity in first_row_of:
            message = f"Same contact as row {first_row_of[identity]}."
            issue = duplicate_issue(row, ImportIssueCode.DUPLICATE_IN_FILE, message)
            outcomes.append(RowOutcome(row, issues=(issue,)))
            continue
        first_row_of[identity] = row.number
        contact = matcher.find(details)
        if contact is not None and contact.id in open_lead_of:
            message = open_lead_message(open_lead_of[contact.id])
            issue = duplicate_issue(row, ImportIssueCode.DUPLICATE, message)
            outcomes.append(RowOutcome(row, issues=(issue,)))
            continue
        outcomes.append(RowOutcome(row, created=True, contact_reused=contact is not None))
    return outcomes


# ---------------------------------------------------------------------------------------------
# Import


async def _start(
    actor: Actor,
    campaign: Campaign,
    file: ImportFile,
    report: ImportReport,
    *,
    keep_source: bool = False,
    queued: bool = False,
) -> StartedImport:
    status = ImportStatus.QUEUED if queued else ImportStatus.RUNNING
    lead_import = await start_or_resume(actor, campaign, report, status)
    if keep_source:
        async with _ended_on_error(lead_import):
            await store_source(lead_import, file.path, file.mapping)
    return StartedImport(actor, campaign, lead_import, file, report, queued)


@asynccontextmanager
async def _ended_on_error(lead_import: LeadImport) -> AsyncIterator[None]:
    """A failure marks the import FAILED; a stop (the server shuts down) is no failure, the
    import is left to whoever resumes it."""
    try:
        yield
    except (asyncio.CancelledError, ImportStopped):
        await release(lead_import)
        raise
    except BaseException as error:
        await record_failure(lead_import, error)
        raise


async def _import_rows(
    started: StartedImport,
    size: int,
    on_progress: ProgressCallback | None,
    queue: ImportQueue | None,
) -> None:
    lead_import, report = started.lead_import, started.report
    resume_after = lead_import.last_row_number
    rows = (row for row in read_rows(started.file.path, report.layout) if row.number > resume_after)
    for batch in batches(rows, size):
        if queue is not None and queue.stopping:
            raise ImportStopped
        args = (started.actor, started.campaign, lead_import, batch, report.layout)
        try:
            outcomes = await _import_batch(*args)
        except IntegrityError:
            # A concurrent intake created one of this batch's contacts first; now it is known.
            outcomes = await _import_batch(*args)
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
    actor: Actor,
    campaign: Campaign,
    lead_import: LeadImport,
    batch: list[FileRow],
    layout: FileLayout,
) -> list[RowOutcome]:
    """One batch, atomically: its leads, its issues and the import's progress commit
    together, so a resumed import continues exactly after the last committed row."""
    cleaned, outcomes = split_batch(batch, layout)
    async with in_transaction():
        cleaned = await _without_suppressed(cleaned, outcomes, layout)
        intakes = [details for _, details in cleaned]
        stored = await store_intakes(actor, campaign, intakes, lead_import.id)
        for (row, _), result in zip(cleaned, stored, strict=True):
            if result.lead_created:
                outcomes.append(RowOutcome(row, created=True, contact_reused=result.contact_reused))
            else:
                message = open_lead_message(result.lead.id)
                issue = duplicate_issue(row, ImportIssueCode.DUPLICATE, message)
                outcomes.append(RowOutcome(row, issues=(issue,)))
        await save_issues(lead_import, outcomes)
        await advance(lead_import, batch[-1].number, outcomes)
    return outcomes


async def _without_suppressed(
    cleaned: list[tuple[FileRow, dict[str, str | None]]],
    outcomes: list[RowOutcome],
    layout: FileLayout,
    *,
    lock: bool = True,
) -> list[tuple[FileRow, dict[str, str | None]]]:
    """The rows that are not an erased person on the suppression list (one query for the
    batch). Each row that is one, and each rejected row whose email or phone is one
    (`rejected_row_keys`), gets its outcome in `outcomes`: rejected with SUPPRESSED and no
    values (the person's data is not kept, not even in the import's issues, and the
    rejected-rows file leaves it out). `lock`: see `suppressed_fields` (False in a dry run)."""
    rejected = [
        position
        for position, outcome in enumerate(outcomes)
        if outcome.issues and outcome.issues[0].kind is ImportIssueKind.REJECTED
    ]
    checked = [details for _, details in cleaned]
    checked += [rejected_row_keys(outcomes[position].row, layout) for position in rejected]
    suppressed = await suppressed_fields(checked, lock=lock)
    for index, field_name in suppressed.items():
        if index < len(cleaned):
            row = cleaned[index][0]
            outcomes.append(RowOutcome(row, issues=(suppressed_issue(row, field_name),)))
        else:
            position = rejected[index - len(cleaned)]
            row = outcomes[position].row
            outcomes[position] = RowOutcome(row, issues=(suppressed_issue(row, field_name),))
    return [pair for index, pair in enumerate(cleaned) if index not in suppressed]
