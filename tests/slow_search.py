"""A search that keeps the database busy for seconds, for tests and benchmarks of what happens
when a request runs out of time: many contacts (each with a lead) and a search of 42 words that
each match every contact's email and nothing else, plus one that matches nobody.

Every word is compared with four columns of every contact, through UPPER: about 2 s for 20,000
contacts on SQLite (our UPPER is a Python function) and 60,000 on PostgreSQL (on the test
machine, 2 cores). The rows are written with raw SQL, in about 0.1 s and 2 s.
"""

from __future__ import annotations

import sqlite3

import asyncpg

SLOW_CONTACTS = {"sqlite": 20_000, "postgres": 60_000}


def _search_words() -> str:
    email = "@example.com"
    pieces = {email[i:j] for i in range(len(email)) for j in range(i + 2, len(email) + 1)}
    words: list[str] = []
    for piece in sorted(pieces, key=lambda piece: (len(piece), piece)):
        if len(" ".join([*words, piece, "zz"])) > 200:  # services.leads.SEARCH_MAX
            break
        words.append(piece)
    return " ".join([*words, "zz"])


SLOW_SEARCH = _search_words()
SLOW_SEARCH_QUERY = (
    "query($search: String!) { leads(first: 1, filter: {search: $search}) "
    "{ edges { node { id } } } }"
)
SLOW_SEARCH_BODY = {"query": SLOW_SEARCH_QUERY, "variables": {"search": SLOW_SEARCH}}

_CONTACT_COLUMNS = (
    "salutation, first_name, last_name, company, email, email_key, phone, phone_key, street, "
    "postal_code, city, country, created_at"
)
_CONTACT_VALUES = (
    "'', 'Anna' || i, 'Schmidt' || i, 'Acme GmbH ' || i, 'anna' || i || '@example.com', "
    "'anna' || i || '@example.com', '', '', '', '', '', '', {now}"
)
_CAMPAIGN = (
    "INSERT INTO campaigns (name, description, created_at) VALUES ('Slow search', '', {now})"
)
_LEADS = (
    "INSERT INTO leads (close_note, created_at, campaign_id, contact_id) "
    "SELECT '', {now}, (SELECT MAX(id) FROM campaigns), id FROM contacts"
)


async def insert_slow_search(backend: str, database_url: str, contacts: int | None = None) -> None:
    """`contacts` contacts (default `SLOW_CONTACTS`) with one lead each, in a new campaign."""
    count = contacts or SLOW_CONTACTS[backend]
    if backend == "sqlite":
        _insert_sqlite(database_url.removeprefix("sqlite://"), count)
    else:
        await _insert_postgres(database_url, count)


def _insert_sqlite(path: str, contacts: int) -> None:
    now = "'2024-01-01 00:00:00+00:00'"
    with sqlite3.connect(path) as connection:
        connection.execute(
            "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < ?) "
            f"INSERT INTO contacts ({_CONTACT_COLUMNS}) "
            f"SELECT {_CONTACT_VALUES.format(now=now)} FROM n",
            [contacts],
        )
        connection.execute(_CAMPAIGN.format(now=now))
        connection.execute(_LEADS.format(now=now))
    connection.close()


async def _insert_postgres(database_url: str, contacts: int) -> None:
    connection = await asyncpg.connect(database_url.replace("postgres://", "postgresql://", 1))
    try:
        await connection.execute(
            f"INSERT INTO contacts ({_CONTACT_COLUMNS}) "
            f"SELECT {_CONTACT_VALUES.format(now='now()')} FROM generate_series(1, $1) AS i",
            contacts,
        )
        await connection.execute(_CAMPAIGN.format(now="now()"))
        await connection.execute(_LEADS.format(now="now()"))
        await connection.execute("ANALYZE contacts, leads")
    finally:
        await connection.close()


async def active_statements(database_url: str) -> list[str]:
    """The statements PostgreSQL is running for other sessions of the test's database."""
    connection = await asyncpg.connect(database_url.replace("postgres://", "postgresql://", 1))
    try:
        rows = await connection.fetch(
            "SELECT query FROM pg_stat_activity WHERE datname = current_database() "
            "AND pid <> pg_backend_pid() AND state = 'active'"
        )
    finally:
        await connection.close()
    return [row["query"] for row in rows]
