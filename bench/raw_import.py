"""The raw floor the lead import is measured against (see bench/README.md).

It reads a lead file with the csv module and inserts the rows that `leadflow import` creates
(contacts, their leads and the leads' CREATED events) with plain `executemany` in one
transaction: no validation, no deduplication, no batches, no import record, no ORM. Values are
trimmed and the lookup keys (lower-cased email, phone digits) filled, so that the stored rows
equal the import's.

    .venv/bin/python bench/raw_import.py SPEC.json

SPEC.json is written by bench/import_file.py: database_url (sqlite://PATH or postgres://...),
file, encoding, separator, columns (contact field -> column index), rows (the numbers of the
rows to insert, the header being row 1) and campaign_id.
"""

from __future__ import annotations

import asyncio
import csv
import json
import re
import sqlite3
import sys
from collections.abc import Iterator
from contextlib import closing
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import asyncpg

CONTACT_FIELDS = (
    "first_name", "last_name", "company", "email", "phone", "street", "postal_code", "city",
    "country",
)  # fmt: skip
CONTACT_COLUMNS = (
    "id", "salutation", *CONTACT_FIELDS, "email_key", "phone_key", "created_at"
)  # fmt: skip
LEAD_COLUMNS = ("id", "contact_id", "campaign_id", "close_note", "created_at")
EVENT_COLUMNS = ("id", "lead_id", "kind", "note", "at")


@dataclass(frozen=True)
class Spec:
    database_url: str
    file: Path
    encoding: str
    separator: str
    columns: dict[str, int]
    rows: list[int]
    campaign_id: int

    @classmethod
    def read(cls, path: Path) -> Spec:
        raw = json.loads(path.read_text())
        return cls(**{**raw, "file": Path(raw["file"])})


def phone_key(phone: str) -> str:
    digits = re.sub(r"\D", "", phone)
    return f"+{digits}" if digits and phone.startswith("+") else digits


def contact_rows(spec: Spec, now: Any) -> Iterator[tuple[Any, ...]]:
    """The contacts of the wanted rows, streamed from the file, with ids 1, 2, ..."""
    wanted = set(spec.rows)
    positions = [spec.columns.get(name) for name in CONTACT_FIELDS]
    with spec.file.open(encoding=spec.encoding, newline="") as handle:
        reader = csv.reader(handle, delimiter=spec.separator)
        next(reader)  # the header
        contact_id = 0
        for number, cells in enumerate(reader, start=2):
            if number not in wanted:
                continue
            contact_id += 1
            values = [
                cells[index].strip() if index is not None and index < len(cells) else ""
                for index in positions
            ]
            email, phone = values[3], values[4]
            values[3] = email or None
            yield (
                contact_id, "", *values, email.lower() or None, phone_key(phone), now,
            )  # fmt: skip


def lead_rows(count: int, campaign_id: int, now: Any) -> Iterator[tuple[Any, ...]]:
    return ((n, n, campaign_id, "", now) for n in range(1, count + 1))


def event_rows(count: int, now: Any) -> Iterator[tuple[Any, ...]]:
    return ((n, n, "CREATED", "", now) for n in range(1, count + 1))


def insert_sqlite(spec: Spec) -> None:
    def insert(table: str, columns: tuple[str, ...]) -> str:
        marks = ", ".join("?" for _ in columns)
        return f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({marks})"

    now = str(datetime.now(UTC))  # how Tortoise stores datetimes in SQLite
    count = len(spec.rows)
    path = spec.database_url.removeprefix("sqlite://")
    with closing(sqlite3.connect(path)) as connection:
        # Tortoise's pragmas, so that both sides write alike.
        connection.execute("PRAGMA journal_mode=WAL")
        connection.execute("PRAGMA foreign_keys=ON")
        with connection:  # one transaction
            connection.executemany(insert("contacts", CONTACT_COLUMNS), contact_rows(spec, now))
            connection.executemany(
                insert("leads", LEAD_COLUMNS), lead_rows(count, spec.campaign_id, now)
            )
            connection.executemany(insert("lead_events", EVENT_COLUMNS), event_rows(count, now))


async def insert_postgres(spec: Spec) -> None:
    def insert(table: str, columns: tuple[str, ...]) -> str:
        marks = ", ".join(f"${n}" for n in range(1, len(columns) + 1))
        return f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({marks})"

    now = datetime.now(UTC)
    count = len(spec.rows)
    url = spec.database_url.replace("postgres://", "postgresql://", 1)
    connection = await asyncpg.connect(url)
    try:
        async with connection.transaction():
            await connection.executemany(
                insert("contacts", CONTACT_COLUMNS), contact_rows(spec, now)
            )
            await connection.executemany(
                insert("leads", LEAD_COLUMNS), lead_rows(count, spec.campaign_id, now)
            )
            await connection.executemany(
                insert("lead_events", EVENT_COLUMNS), event_rows(count, now)
            )
            for table in ("contacts", "leads", "lead_events"):
                await connection.execute(
                    f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), {max(count, 1)})"
                )
    finally:
        await connection.close()


def main() -> None:
    spec = Spec.read(Path(sys.argv[1]))
    if spec.database_url.startswith("sqlite://"):
        insert_sqlite(spec)
    else:
        asyncio.run(insert_postgres(spec))
    print(f"inserted {len(spec.rows)} contacts, leads and lead events")


if __name__ == "__main__":
    main()
