"""Migration 0019 (search indexes) on a database that already holds contacts: SQLite's FTS5
table is filled from them (its 'rebuild'), so the search finds the contacts stored before it."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from tortoise import Tortoise, connections
from tortoise.backends.base.executor import EXECUTOR_CACHE
from tortoise.migrations.api import migrate as run_migrations

from leadflow.db.config import tortoise_config
from leadflow.db.enums import Role
from leadflow.db.lifecycle import database, migrate
from leadflow.db.models import User
from leadflow.services import lead_search


async def test_migration_0019_indexes_the_contacts_stored_before(tmp_path: Path) -> None:
    EXECUTOR_CACHE.clear()  # statements cached for another test's database
    url = f"sqlite://{tmp_path / 'before.db'}"
    await run_migrations(config=tortoise_config(url), target="models.0018_data_protection")
    await Tortoise.close_connections()
    created = datetime(2026, 11, 2, 9, tzinfo=UTC).isoformat()
    async with database(url):
        for last_name, phone_key in (("Müller", "+495111234567"), ("Schmidt", "0307654321")):
            await connections.get("default").execute_query(
                "INSERT INTO contacts (first_name, last_name, salutation, company, phone,"
                " phone_key, street, postal_code, city, country, created_at)"
                " VALUES ('', ?, '', '', ?, ?, '', '', '', '', ?)",
                [last_name, phone_key, phone_key, created],
            )

    await migrate(url)

    async with database(url):
        manager = await User.create(email="m@example.com", name="M", role=Role.MANAGER)
        found = {
            search: sorted(
                await lead_search.matching_contacts(manager, search).values_list(
                    "last_name", flat=True
                )
            )
            for search in ("MÜLLER", "0511 1234", "030 7654", "nobody")
        }
        rows = await connections.get("default").execute_query_dict(
            "SELECT count(*) AS n FROM contact_search WHERE contact_search MATCH '\"üll\"'"
        )
    EXECUTOR_CACHE.clear()
    assert found == {
        "MÜLLER": ["Müller"],
        "0511 1234": ["Müller"],
        "030 7654": ["Schmidt"],
        "nobody": [],
    }
    assert rows[0]["n"] == 1  # found through the index, not only by the comparisons
