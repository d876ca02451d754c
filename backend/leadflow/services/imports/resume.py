"""Finishing web imports whose worker is gone (the import watchdog's work): from the file
kept in the database, on any app instance."""

from __future__ import annotations

import asyncio
import logging
import tempfile
from contextlib import nullcontext
from pathlib import Path

from leadflow.db.enums import ImportStatus
from leadflow.db.models import ImportSource, LeadImport, User
from leadflow.db.rounds import in_own_task
from leadflow.errors import AccessDenied, DomainError, ErrorCode
from leadflow.services.imports.intake import ImportFile, run, start
from leadflow.services.imports.queue import ImportQueue, ImportStopped
from leadflow.services.imports.records import UNFINISHED, mark_failed, worker_alive

logger = logging.getLogger(__name__)


async def resume_abandoned_imports(queue: ImportQueue | None = None) -> list[int]:
    """Finish the web imports whose worker is gone (released at its shutdown, its process
    ended on this machine, or silent for STALE_AFTER on another), queued or running, from
    their stored file, one after the other, as the manager who uploaded it. With a `queue`,
    each waits for a place there before it is taken over, so an instance takes over only
    what it can run now. Several app instances may call this at once: `start`
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
            # A task of its own: what one import's run leaves in its task's context (as
            # Tortoise's connection after a failed BEGIN) must not reach the next import.
            if await in_own_task(_resume_if_abandoned(lead_import_id, queue)):
                resumed.append(lead_import_id)
    return resumed


async def _resume_if_abandoned(lead_import_id: int, queue: ImportQueue | None) -> bool:
    lead_import = await LeadImport.get_or_none(id=lead_import_id)
    # Checked again: the list is a moment old, and each resume takes a while.
    if lead_import is None or lead_import.status not in UNFINISHED:
        return False
    if worker_alive(lead_import):
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
    return [lead_import.id for lead_import in unfinished if not worker_alive(lead_import)]


async def _resume_from_source(lead_import: LeadImport, queue: ImportQueue | None) -> bool:
    source = await ImportSource.get_or_none(lead_import_id=lead_import.id)
    if source is None:
        return False
    creator = await User.get_or_none(id=lead_import.created_by_id)
    if creator is None or not creator.active:
        await _give_up(lead_import, "Not resumed: the manager who uploaded it has left.")
        return False
    descriptor, name = tempfile.mkstemp(prefix="leadflow-resume-", suffix=".csv")
    path = Path(name)
    try:
        with open(descriptor, "wb") as handle:
            handle.write(source.content)
        logger.info("Resuming abandoned import #%s of %s", lead_import.id, lead_import.file_name)
        # As the manager who uploaded it: the leads are theirs, and their right to import is
        # checked again (a demoted uploader's import is not finished).
        file = ImportFile(path, lead_import.file_name, source.mapping)
        started = await start(creator, lead_import.campaign_id, file, keep_source=True)
        await run(started, queue=queue)
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
    await mark_failed(lead_import, reason)
