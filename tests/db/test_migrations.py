"""The migrations give a database every index the models declare (Meta.indexes, db_index=True,
unique fields and unique_together), on SQLite and PostgreSQL: the databases here are made by
the migrations (tests/databases.py), as production's are. SQLite's table rebuilds (Tortoise's
AlterField) drop a table's indexes; migration 0013 made the lost ones again, and this test
catches the next rebuild that drops some."""

from __future__ import annotations

import importlib
import re
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import pytest_asyncio
from tortoise import Tortoise, connections
from tortoise.backends.base.executor import EXECUTOR_CACHE
from tortoise.migrations.api import migrate as run_migrations
from tortoise.transactions import in_transaction
from tortoise.utils import get_schema_sql

from leadflow.db.config import MODELS_MODULE, tortoise_config
from leadflow.db.lifecycle import database, migrate
from leadflow.db.models import Lead


@dataclass(frozen=True, slots=True)
class DbIndex:
    table: str
    columns: tuple[str | None, ...]  # None: an expression
    unique: bool
    name: str = ""


# Tortoise's own schema for the models: `CREATE INDEX "name" ON "table" ("a", "b");`, a partial
# one with `WHERE ...` before the semicolon.
_CREATE_INDEX = re.compile(r'CREATE INDEX "(\w+)" ON "(\w+)" \(([^)]*)\)(?: WHERE [^;]*)?;')


async def declared_indexes() -> tuple[set[DbIndex], set[DbIndex]]:
    """(plain indexes with the names Tortoise gives them, unique column sets) of the models."""
    await Tortoise.init(db_url="sqlite://:memory:", modules={"models": [MODELS_MODULE]})
    try:
        schema = get_schema_sql(Tortoise.get_connection("default"), safe=False)
        plain = {
            DbIndex(table, tuple(column.strip(' "') for column in columns.split(",")), False, name)
            for name, table, columns in _CREATE_INDEX.findall(schema)
        }
        unique: set[DbIndex] = set()
        for model in Tortoise.apps["models"].values():
            meta = model._meta
            for field_name, field in meta.fields_map.items():
                if field.unique and not field.pk and field_name in meta.fields_db_projection:
                    column = meta.fields_db_projection[field_name]
                    unique.add(DbIndex(meta.db_table, (column,), True))
            for fields in meta.unique_together:
                columns = tuple(meta.fields_db_projection.get(f, f"{f}_id") for f in fields)
                unique.add(DbIndex(meta.db_table, columns, True))
    finally:
        await Tortoise.close_connections()
    return plain, unique


_POSTGRES_INDEXES = """
SELECT t.relname AS table_name, i.relname AS name, ix.indisunique AS is_unique,
       array_agg(a.attname ORDER BY k.position) AS columns
FROM pg_index ix
JOIN pg_class i ON i.oid = ix.indexrelid
JOIN pg_class t ON t.oid = ix.indrelid
JOIN pg_namespace n ON n.oid = t.relnamespace
CROSS JOIN LATERAL unnest(ix.indkey::int2[]) WITH ORDINALITY AS k(attnum, position)
LEFT JOIN pg_attribute a ON a.attrelid = t.oid AND a.attnum = k.attnum
WHERE n.nspname = current_schema() AND NOT ix.indisprimary
GROUP BY t.relname, i.relname, ix.indisunique
"""


async def stored_indexes(postgres: bool) -> set[DbIndex]:
    client = connections.get("default")
    if postgres:
        return {
            DbIndex(row["table_name"], tuple(row["columns"]), row["is_unique"], row["name"])
            for row in await client.execute_query_dict(_POSTGRES_INDEXES)
        }
    found: set[DbIndex] = set()
    tables = await client.execute_query_dict(
        "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'"
    )
    for table in (row["name"] for row in tables):
        for index in await client.execute_query_dict(f"PRAGMA index_list('{table}')"):
            if index["origin"] == "pk":
                continue
            columns = await client.execute_query_dict(f"PRAGMA index_info('{index['name']}')")
            names = tuple(column["name"] for column in sorted(columns, key=lambda c: c["seqno"]))
            found.add(DbIndex(table, names, bool(index["unique"]), index["name"]))
    return found


@pytest_asyncio.fixture
async def migrated(database_url: str) -> AsyncIterator[bool]:
    """A freshly migrated database; True on PostgreSQL."""
    async with database(database_url):
        yield connections.get("default").capabilities.dialect == "postgres"


async def test_a_migrated_database_has_every_index_the_models_declare(migrated: bool) -> None:
    stored = await stored_indexes(migrated)
    plain, unique = await declared_indexes()
    assert plain and unique  # the parsing found the models' indexes

    missing = sorted(
        f"{index.name} on {index.table}{index.columns}" for index in plain if index not in stored
    )
    assert missing == []
    stored_unique = {DbIndex(index.table, index.columns, True) for index in stored if index.unique}
    assert sorted(f"{i.table}{i.columns}" for i in unique - stored_unique) == []


# Migration 0024's partial indexes (SQL in the migration, not in the models).
PARTIAL_INDEXES = importlib.import_module(
    "leadflow.db.migrations.0024_fewer_lead_index_entries"
).PARTIAL_INDEXES


async def test_a_migrated_database_has_the_partial_indexes_of_0024(migrated: bool) -> None:
    """Only the rows that have the date (a table rebuild on SQLite would lose them unseen)."""
    client = connections.get("default")
    if migrated:
        rows = await client.execute_query_dict(
            "SELECT indexname AS name, indexdef AS sql FROM pg_indexes WHERE tablename = 'leads'"
        )
    else:
        rows = await client.execute_query_dict(
            "SELECT name, sql FROM sqlite_master WHERE type = 'index' AND tbl_name = 'leads'"
        )
    stored = {row["name"]: row["sql"] for row in rows}
    for name, (_columns, condition) in PARTIAL_INDEXES.items():
        assert name in stored, name
        assert condition.split()[0] in stored[name] and "NOT NULL" in stored[name], stored[name]
    dropped = {"idx_leads_assigne_ab5670", "idx_leads_assigne_e6e37b", "idx_leads_assigne_4103e5"}
    assert dropped.isdisjoint(stored)


async def test_a_leads_history_is_read_through_its_index(migrated: bool) -> None:
    """What 0010's rebuild lost on SQLite: the history of one lead, by an index search."""
    client = connections.get("default")
    statement = "SELECT id FROM lead_events WHERE lead_id = 1 AND kind = 'CLOSED' ORDER BY at"
    if migrated:
        # An empty table has no statistics: no sequential scan, on the connection that plans
        # (one transaction: a pool may hand each statement another connection).
        async with in_transaction() as transaction:
            await transaction.execute_script("SET LOCAL enable_seqscan = off")
            rows = await transaction.execute_query_dict(f"EXPLAIN {statement}")
        plan = " ".join(row["QUERY PLAN"] for row in rows)
    else:
        rows = await client.execute_query_dict(f"EXPLAIN QUERY PLAN {statement}")
        plan = " ".join(row["detail"] for row in rows)
    assert "idx_lead_events_lead_id_e7482e" in plan, plan


async def test_migration_0014_ends_the_wait_of_closed_leads(tmp_path: Path) -> None:
    """A database from before 0014 (SQLite: migrations up to 0013 only) whose closed lead kept
    its wait: after 0014 it waits for nobody; an open lead keeps its wait."""
    EXECUTOR_CACHE.clear()  # statements cached for another test's database
    url = f"sqlite://{tmp_path / 'before.db'}"
    await run_migrations(config=tortoise_config(url), target="models.0013_lost_indexes")
    await Tortoise.close_connections()
    wait = datetime(2026, 11, 2, 9, tzinfo=UTC)
    # Rows written in SQL: today's models have columns a database of 0013 does not have yet.
    async with database(url):
        connection = connections.get("default")
        await connection.execute_query(
            "INSERT INTO campaigns (name, description, created_at) VALUES ('Old', '', ?)",
            [wait.isoformat()],
        )
        for name in ("Open", "Closed"):
            await connection.execute_query(
                "INSERT INTO contacts (first_name, last_name, salutation, company, phone,"
                " phone_key, street, postal_code, city, country, created_at)"
                " VALUES ('', ?, '', '', '', '', '', '', '', '', ?)",
                [name, wait.isoformat()],
            )
        await connection.execute_query(
            "INSERT INTO leads (campaign_id, contact_id, waiting_since, created_at, close_note)"
            " VALUES (1, 1, ?, ?, '')",
            [wait.isoformat(), wait.isoformat()],
        )
        await connection.execute_query(
            "INSERT INTO leads (campaign_id, contact_id, waiting_since, created_at, close_note,"
            " closed_at, outcome) VALUES (1, 2, ?, ?, '', ?, 'SUCCESSFUL')",
            [wait.isoformat(), wait.isoformat(), wait.isoformat()],
        )

    await migrate(url)

    async with database(url):
        waits = dict(await Lead.all().values_list("id", "waiting_since"))
    EXECUTOR_CACHE.clear()
    assert waits == {1: wait, 2: None}
