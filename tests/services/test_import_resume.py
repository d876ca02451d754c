"""Web imports keep their file in the database while they run, so that any app instance can
finish one whose instance died or shut down (`imports.resume_abandoned_imports`, run by each
instance's watchdog). Real databases, real files; the worker of a dead instance is made by
stopping an import halfway, as a shutdown does, or by a stale record of another host."""

from __future__ import annotations

import asyncio
import os
import socket
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from leadflow.auth.actors import OPERATOR
from leadflow.db.enums import ImportStatus, Role
from leadflow.db.models import ImportSource, Lead, LeadImport, User
from leadflow.services import campaigns, imports


def write_file(tmp_path: Path, rows: int = 10) -> Path:
    lines = ["Nachname;E-Mail"] + [f"P{i};p{i}@example.com" for i in range(rows)]
    lines[5] = "P4;not-an-email"  # row 6 is rejected
    path = tmp_path / "messe.csv"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


async def stopped_halfway(actors, tmp_path, monkeypatch) -> LeadImport:
    """An upload stopped after two batches of three, as the server's shutdown stops it."""
    campaign = await campaigns.create_campaign(actors.manager.user, "Messe")
    monkeypatch.setattr(imports.intake, "BATCH_SIZE", 3)
    path = write_file(tmp_path)

    def shut_down_after_two_batches(done: int, _expected: int) -> None:
        if done >= 6:
            raise asyncio.CancelledError

    file = imports.ImportFile(path, "messe.csv", {"E-Mail": "email"})
    started = await imports.start(actors.manager.user, campaign.id, file, keep_source=True)
    with pytest.raises(asyncio.CancelledError):
        await imports.run(started, on_progress=shut_down_after_two_batches)
    path.unlink()  # the upload's temporary file is gone with the request
    return await LeadImport.get()


async def test_a_stopped_web_import_is_released_and_finished_from_its_stored_file(
    actors, tmp_path, monkeypatch
):
    stopped = await stopped_halfway(actors, tmp_path, monkeypatch)
    assert (stopped.status, stopped.worker, stopped.last_row_number) == (
        ImportStatus.RUNNING,
        "",
        7,
    )
    source = await ImportSource.get(lead_import_id=stopped.id)
    assert source.mapping == {"E-Mail": "email"}
    assert source.content.startswith(b"Nachname;E-Mail\n")
    assert await Lead.all().count() == 5
    assert await imports.abandoned_import_ids() == [stopped.id]

    assert await imports.resume_abandoned_imports() == [stopped.id]

    finished = await LeadImport.get(id=stopped.id)
    assert finished.status is ImportStatus.COMPLETED
    assert (finished.rows_processed, finished.leads_created, finished.rows_rejected) == (10, 9, 1)
    assert finished.created_by_id == actors.manager.user.id
    assert await Lead.all().count() == 9
    assert await Lead.filter(created_by_id=actors.manager.user.id).count() == 9
    assert not await ImportSource.exists(lead_import_id=stopped.id)  # dropped when done
    assert await imports.resume_abandoned_imports() == []


async def test_an_import_whose_worker_is_alive_is_left_alone(actors, tmp_path, monkeypatch):
    stopped = await stopped_halfway(actors, tmp_path, monkeypatch)
    # This very process claims it again, as a running upload would.
    await LeadImport.filter(id=stopped.id).update(worker=imports.records.this_worker())
    assert await imports.abandoned_import_ids() == []
    assert await imports.resume_abandoned_imports() == []
    assert await Lead.all().count() == 5


async def test_another_hosts_import_is_resumed_only_once_it_is_silent(
    actors, tmp_path, monkeypatch
):
    stopped = await stopped_halfway(actors, tmp_path, monkeypatch)
    now = datetime.now(UTC)
    await LeadImport.filter(id=stopped.id).update(
        worker="other-host:4242", heartbeat_at=now - timedelta(minutes=1)
    )
    assert await imports.abandoned_import_ids() == []  # it may still be working
    await LeadImport.filter(id=stopped.id).update(heartbeat_at=now - timedelta(minutes=6))
    assert await imports.resume_abandoned_imports() == [stopped.id]
    assert (await LeadImport.get(id=stopped.id)).status is ImportStatus.COMPLETED


async def test_an_import_of_someone_who_may_no_longer_import_fails_with_the_reason(
    actors, tmp_path, monkeypatch
):
    stopped = await stopped_halfway(actors, tmp_path, monkeypatch)
    await User.filter(id=actors.manager.user.id).update(role=Role.CLERK)
    assert await imports.resume_abandoned_imports() == []
    failed = await LeadImport.get(id=stopped.id)
    assert failed.status is ImportStatus.FAILED
    assert failed.failure.startswith("Not resumed: ")
    assert not await ImportSource.exists(lead_import_id=stopped.id)
    assert await Lead.all().count() == 5  # what was committed stays
    assert await imports.resume_abandoned_imports() == []


async def test_command_line_imports_keep_no_file(actors, tmp_path):
    campaign = await campaigns.create_campaign(actors.manager.user, "Messe")
    await imports.import_file(OPERATOR, campaign.id, imports.ImportFile(write_file(tmp_path)))
    assert await ImportSource.all().count() == 0


async def test_a_worker_on_this_machine_is_alive_only_as_itself_and_while_it_commits(
    actors, tmp_path, monkeypatch
):
    stopped = await stopped_halfway(actors, tmp_path, monkeypatch)
    host, now = socket.gethostname(), datetime.now(UTC)
    # An earlier process with this pid (a restarted container is often pid 1 again).
    await LeadImport.filter(id=stopped.id).update(
        worker=f"{host}:{os.getpid()}:0ld70ken", heartbeat_at=now
    )
    assert await imports.abandoned_import_ids() == [stopped.id]
    # A live process (our parent) that committed a minute ago: alive ...
    await LeadImport.filter(id=stopped.id).update(
        worker=f"{host}:{os.getppid()}:a1b2c3d4", heartbeat_at=now - timedelta(minutes=1)
    )
    assert await imports.abandoned_import_ids() == []
    # ... but silent for longer than STALE_AFTER: its pid may belong to someone else now.
    await LeadImport.filter(id=stopped.id).update(heartbeat_at=now - timedelta(minutes=6))
    assert await imports.abandoned_import_ids() == [stopped.id]


async def test_an_import_of_a_deactivated_manager_is_not_finished_by_itself(
    actors, tmp_path, monkeypatch
):
    stopped = await stopped_halfway(actors, tmp_path, monkeypatch)
    await User.filter(id=actors.manager.user.id).update(active=False)
    assert await imports.resume_abandoned_imports() == []
    failed = await LeadImport.get(id=stopped.id)
    assert failed.status is ImportStatus.FAILED
    assert "has left" in failed.failure
    assert not await ImportSource.exists(lead_import_id=stopped.id)


async def test_files_of_ended_imports_are_cleared_away(actors, tmp_path, monkeypatch):
    stopped = await stopped_halfway(actors, tmp_path, monkeypatch)
    # As if the process died between marking the import failed and dropping its file.
    await LeadImport.filter(id=stopped.id).update(status=ImportStatus.FAILED)
    assert await ImportSource.exists(lead_import_id=stopped.id)
    assert await imports.resume_abandoned_imports() == []
    assert not await ImportSource.exists(lead_import_id=stopped.id)
