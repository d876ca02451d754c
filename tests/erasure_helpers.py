"""What the erasure tests share: erasing over the API, a running web import to erase from, and
a full dump of the test's database to look for the person's values in."""

from __future__ import annotations

import hashlib
import sqlite3
import subprocess
from datetime import UTC, datetime

import httpx

from leadflow.db.enums import ImportStatus
from leadflow.db.models import ImportSource, LeadImport, User
from leadflow.services.imports.records import this_worker
from tests.helpers import Actor, mutate_ok


async def erase(client: httpx.AsyncClient, admin: Actor, contact_id: str, reason: str) -> None:
    await mutate_ok(
        client,
        admin,
        "eraseContact",
        {"contactId": contact_id, "reason": reason},
        "contact { id }",
    )


async def running_import(
    campaign_id: int, by: User, file_name: str, content: bytes, header: list[str], rows: int
) -> LeadImport:
    """A web import of `content` (`rows` data rows) that committed row 2 and runs in this
    process (so no watchdog takes it over), its file stored as a running import's is."""
    lead_import = await LeadImport.create(
        campaign_id=campaign_id,
        created_by=by,
        file_name=file_name,
        file_digest=hashlib.sha256(content).hexdigest(),
        status=ImportStatus.RUNNING,
        worker=this_worker(),
        heartbeat_at=datetime.now(UTC),
        rows_total=rows,
        rows_processed=1,
        last_row_number=2,
        contacts_reused=1,
        header=header,
        separator=";",
    )
    await ImportSource.create(lead_import=lead_import, content=content, mapping={})
    return lead_import


def dump_database(database_url: str, backend: str) -> str:
    """Every row of the test's database as SQL text."""
    if backend == "sqlite":
        connection = sqlite3.connect(database_url.removeprefix("sqlite://"))
        try:
            return "\n".join(connection.iterdump())
        finally:
            connection.close()
    url = database_url.replace("postgres://", "postgresql://", 1)
    completed = subprocess.run(
        ["/usr/bin/pg_dump", "--data-only", "--no-owner", url],
        capture_output=True,
        check=True,
        text=True,
        timeout=60,
    )
    return completed.stdout
