"""Web imports take turns (finding 11 of the security review: ten parallel imports slowed every
other request to seconds): at most LEADFLOW_IMPORT_CONCURRENCY run at once per process, the
others wait as QUEUED, visible over GraphQL; every upload is answered at once; a shutdown
releases queued and running imports alike for the next instance. Real app, real HTTP."""

from __future__ import annotations

import asyncio
import time
from datetime import timedelta
from pathlib import Path

import pytest

from leadflow.api.ids import decode_id, encode_id
from leadflow.db.enums import ImportStatus
from leadflow.db.models import ImportSource, Lead, LeadImport
from leadflow.services import campaigns, imports
from leadflow.settings import Settings, SettingsError
from tests.api.test_files import bearer
from tests.app_client import app_client, running_app
from tests.helpers import data_of, gql, make_actors

STATUS = "query($id: ID!) { leadImport(id: $id) { status rowsProcessed } }"


def lead_file(index: int, rows: int) -> bytes:
    """`rows` good rows, different in each file (a file imported twice would resume)."""
    lines = ["Nachname;E-Mail"] + [f"P{index}x{i};p{index}x{i}@example.com" for i in range(rows)]
    return ("\n".join(lines) + "\n").encode()


async def upload_all(http, actors, count: int, rows: int) -> list[str]:
    """`count` uploads at once, each into a campaign of its own; their import ids."""
    uploads = []
    for index in range(count):
        campaign = await campaigns.create_campaign(actors.manager.user, f"Messe {index}")
        params = {"campaign": encode_id("Campaign", campaign.id), "fileName": f"{index}.csv"}
        uploads.append(
            http.post(
                "/files/imports",
                params=params,
                content=lead_file(index, rows),
                headers=bearer(actors.manager),
            )
        )
    responses = await asyncio.gather(*uploads)
    assert [response.status_code for response in responses] == [202] * count
    return [response.json()["importId"] for response in responses]


async def statuses(http, actors, import_ids: list[str]) -> list[str]:
    """Each import's status, as the web app reads it."""
    found = []
    for import_id in import_ids:
        body = await gql(http, STATUS, {"id": import_id}, actor=actors.manager)
        found.append(data_of(body)["leadImport"]["status"])
    return found


async def statuses_at_once(import_ids: list[str]) -> list[str]:
    """Each import's status at one moment (one statement): one import may end and the next
    start between two requests of `statuses`."""
    pks = [decode_id(import_id, "LeadImport", ["id"]) for import_id in import_ids]
    status_of = dict(await LeadImport.filter(id__in=pks).values_list("id", "status"))
    return [str(status_of[pk]) for pk in pks]


async def test_with_concurrency_one_imports_run_one_at_a_time_and_all_finish(
    database_url, monkeypatch
):
    # Many batches: the imports overlap in time.
    monkeypatch.setattr(imports.queue, "WEB_BATCH_SIZE", 50)
    rows = 600
    settings = Settings(database_url=database_url, import_concurrency=1)
    async with app_client(settings) as http:
        actors = await make_actors()
        import_ids = await upload_all(http, actors, 3, rows)
        # The uploads were answered while two of them waited their turn; the web app sees it.
        assert (await statuses(http, actors, import_ids)).count("QUEUED") >= 2
        seen: list[list[str]] = []
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            seen.append(await statuses_at_once(import_ids))
            if all(status == "COMPLETED" for status in seen[-1]):
                break
            await asyncio.sleep(0.005)

        assert seen[-1] == ["COMPLETED"] * 3, seen[-1]
        assert max(polled.count("RUNNING") for polled in seen) == 1
        assert sum("RUNNING" in polled and "QUEUED" in polled for polled in seen) >= 2
        for import_id in import_ids:
            lead_import = await LeadImport.get(id=decode_id(import_id, "LeadImport", ["id"]))
            assert (lead_import.rows_processed, lead_import.leads_created) == (rows, rows)
        assert await Lead.all().count() == 3 * rows  # every row once
        assert await ImportSource.all().count() == 0


async def test_other_requests_are_answered_while_imports_run(database_url):
    """Liveness, not a benchmark (bench/parallel_imports.py has the figures): with five big
    imports uploaded at once, a small query keeps answering well within a second until they
    have all ended."""
    settings = Settings(database_url=database_url, import_concurrency=1)
    async with app_client(settings) as http:
        actors = await make_actors()
        import_ids = await upload_all(http, actors, 5, 2000)
        latencies: list[float] = []
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            started = time.perf_counter()
            body = await gql(http, "{ viewer { id } }", actor=actors.clerk_a)
            latencies.append(time.perf_counter() - started)
            assert data_of(body)["viewer"]["id"] == actors.clerk_a.gid
            if set(await statuses(http, actors, import_ids)) == {"COMPLETED"}:
                break
            await asyncio.sleep(0.02)
    assert len(latencies) >= 10, "the imports ended too soon to tell"
    assert max(latencies) < 1.0, f"a viewer query took {max(latencies):.2f} s while imports ran"


async def test_a_shutdown_releases_queued_and_running_imports_for_the_next_instance(
    database_url, monkeypatch
):
    monkeypatch.setattr(imports.queue, "WEB_BATCH_SIZE", 50)
    quiet = Settings(database_url=database_url, import_concurrency=1, import_watchdog_seconds=0)
    async with app_client(quiet) as http:
        actors = await make_actors()
        import_ids = await upload_all(http, actors, 2, 3000)
        deadline = time.monotonic() + 60
        # The uploads arrive at once, so either may take the one place first.
        while time.monotonic() < deadline:
            if "RUNNING" in await statuses_at_once(import_ids):
                break
            await asyncio.sleep(0.01)
        assert sorted(await statuses(http, actors, import_ids)) == ["QUEUED", "RUNNING"]
    # Shut down: both released (no worker), neither over, each with its stored file.
    async with running_app(quiet):
        released = await LeadImport.all().order_by("status")
        assert [(i.status, i.worker) for i in released] == [
            (ImportStatus.QUEUED, ""),
            (ImportStatus.RUNNING, ""),
        ]
        assert released[1].rows_processed < 3000
        assert await ImportSource.all().count() == 2
        assert sorted(await imports.abandoned_import_ids()) == sorted(i.id for i in released)

    # The next instance's watchdog takes them over, one place at a time, and finishes both.
    watching = Settings(database_url=database_url, import_concurrency=1)
    async with running_app(watching):
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            if await LeadImport.filter(status=ImportStatus.COMPLETED).count() == 2:
                break
            await asyncio.sleep(0.02)
        finished = await LeadImport.all().order_by("id")
        assert [i.status for i in finished] == [ImportStatus.COMPLETED] * 2
        assert [i.leads_created for i in finished] == [3000, 3000]
        assert await Lead.all().count() == 6000


async def test_a_queued_import_of_this_process_is_not_taken_for_abandoned(
    database_url, actors, tmp_path: Path
):
    """Waiting its turn, a queued import stays this worker's (the watchdog leaves it alone)
    and its heartbeat goes on, so that another host does not take it over either."""
    campaign = await campaigns.create_campaign(actors.manager.user, "Messe")
    queue = imports.ImportQueue(1, heartbeat=timedelta(milliseconds=50))
    path = tmp_path / "messe.csv"
    path.write_bytes(lead_file(1, 20))
    started = asyncio.Event()

    async def queued_import() -> None:
        file = imports.ImportFile(path)
        recorded = await imports.start(
            actors.manager.user, campaign.id, file, keep_source=True, queued=True
        )
        started.set()
        await imports.run(recorded, queue=queue)

    async with queue.place():  # the only place is taken
        waiting = asyncio.create_task(queued_import())
        await asyncio.wait_for(started.wait(), 10)
        queued = await LeadImport.get()
        await asyncio.sleep(0.3)
        assert await imports.abandoned_import_ids() == []
        assert await imports.resume_abandoned_imports() == []
        later = await LeadImport.get()
        assert later.status is ImportStatus.QUEUED and later.worker == queued.worker
        assert later.heartbeat_at > queued.heartbeat_at
        assert later.rows_processed == 0
    await asyncio.wait_for(waiting, 30)
    assert (await LeadImport.get()).status is ImportStatus.COMPLETED


def test_the_concurrency_comes_from_the_environment_within_bounds():
    assert Settings.from_env({}).import_concurrency == 1
    assert Settings.from_env({"LEADFLOW_IMPORT_CONCURRENCY": "3"}).import_concurrency == 3
    for raw in ("0", "33", "many"):
        with pytest.raises(SettingsError, match="LEADFLOW_IMPORT_CONCURRENCY"):
            Settings.from_env({"LEADFLOW_IMPORT_CONCURRENCY": raw})
