"""Database-specific SQL, in one place: what Tortoise's querysets have no words for (medians,
UTC day and week buckets, the first row of each group, ids handed out before a bulk insert),
with one branch per dialect (SQLite, PostgreSQL). tests/db/test_sql.py holds the contract each
function keeps on both databases.

Statements are raw text with parts: querysets (the policy's visibility included) become
subqueries and values become parameters, so no input is ever spelled into the SQL (only the
code's own constants: enum values, column names, numbers). They are assembled with PyPika and
run with `tortoise.query_api.execute_pypika`, Tortoise's public API for such queries: no
private ORM internals (connection query classes, SQL contexts, parameterizers).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from enum import Enum
from functools import lru_cache, partial
from types import LambdaType
from typing import Any, Protocol, TypeVar

from pypika_tortoise.context import SqlContext
from pypika_tortoise.queries import Query, QueryBuilder, Selectable
from pypika_tortoise.terms import Term, ValueWrapper
from tortoise import Model, connections, timezone
from tortoise.expressions import Case, Q, RawSQL, Subquery, When
from tortoise.fields import DatetimeField, JSONField
from tortoise.fields.base import DatabaseDefault
from tortoise.fields.db_defaults import SqlDefault
from tortoise.query_api import execute_pypika
from tortoise.queryset import QuerySet, ValuesQuery

_Row = TypeVar("_Row", bound=Model)

# Separates the parts of a statement's text (a character SQL never holds).
_MARK = "\x1f"


def is_postgres() -> bool:
    return _dialect() == "postgres"


def nulls_last_natively(descending: bool) -> bool:
    """Whether the database puts NULL after every value when ordering in this direction
    without being told: PostgreSQL does when ascending, SQLite when descending."""
    return not descending if is_postgres() else descending


def blank_rank(blank: Q) -> Case:
    """1 for a row where `blank` holds, else 0: sorting by it first puts those rows last.
    Spelled `CASE WHEN <blank> THEN 1 ELSE 0 END` with the constants as SQL text (PostgreSQL
    cannot type CASE's bare parameters); migration 0012's SQLite indexes hold that spelling."""
    # Tortoise's hints leave RawSQL out, but When and Case take any expression.
    return Case(
        When(blank, then=RawSQL("1")),  # type: ignore[arg-type]
        default=RawSQL("0"),  # type: ignore[arg-type]
    )


def place_of_first_match(conditions: Sequence[Q]) -> Case:
    """The index of the first condition a row meets (len(conditions) when none), as SQL
    constants: e.g. a stage's place in the pipeline, to sort by an order no column holds."""
    # Tortoise's hints leave RawSQL out, but When and Case take any expression.
    return Case(
        *(
            When(condition, then=RawSQL(str(place)))  # type: ignore[arg-type]
            for place, condition in enumerate(conditions)
        ),
        default=RawSQL(str(len(conditions))),  # type: ignore[arg-type]
    )


def sortable_amount(table: str, column: str) -> RawSQL:
    """A decimal column as a number to sort and compare by: SQLite keeps Tortoise's decimals
    as text (VARCHAR), which would put "100.00" before "9.00"; PostgreSQL's numeric sorts."""
    quoted = f'"{table}"."{column}"'
    return RawSQL(quoted if is_postgres() else f"CAST({quoted} AS REAL)")


def json_text(column: str) -> RawSQL:
    """A JSON column as its text, to narrow rows by a substring before reading them (e.g. a
    person's rejected import rows). PostgreSQL writes jsonb's text with non-ASCII characters
    as they are; SQLite keeps the text Tortoise wrote (json.dumps: non-ASCII as \\uXXXX
    escapes), so a caller searches for ASCII parts only."""
    return RawSQL(f'CAST("{column}" AS TEXT)')


class _Text(Selectable):
    """A statement's text as the FROM item of `SELECT * FROM (...)`: its parts rendered in the
    order they appear, so that the parameters are numbered in the same order on either
    database (SQLite's `?` are positional)."""

    def __init__(self, text: str, parts: Sequence[Term]) -> None:
        super().__init__(alias="raw_statement")
        self._pieces = text.split(_MARK)
        self._parts = parts

    def get_sql(self, ctx: SqlContext) -> str:
        # Parts as the text places them: no parentheses or alias of their own (the same
        # parameterizer, so the parameters go into one list).
        part_ctx = ctx.copy(subquery=False, with_alias=False)
        rendered = [
            self._parts[int(piece)].get_sql(part_ctx) if index % 2 else piece
            for index, piece in enumerate(self._pieces)
        ]
        return f"({''.join(rendered)}) AS {self.alias}"


class Statement:
    """One raw statement for the current connection. `subquery` and `value` return the text
    to put where a queryset or a value belongs; `rows` runs the statement."""

    def __init__(self) -> None:
        self.postgres = is_postgres()
        self._parts: list[Term] = []

    def _part(self, term: Term) -> str:
        self._parts.append(term)
        return f"{_MARK}{len(self._parts) - 1}{_MARK}"

    def subquery(self, queryset: QuerySet[Any] | ValuesQuery[Any]) -> str:
        return self._part(Subquery(queryset))

    def value(self, value: int | str | date) -> str:
        return self._part(ValueWrapper(value))

    async def rows(self, text: str) -> list[dict[str, Any]]:
        # Wrapped as `SELECT * FROM (text)`: a statement PyPika can run; both planners see
        # through the wrapper.
        query = Query.from_(_Text(text, self._parts)).select("*")
        return (await execute_pypika(query)).rows

    def seconds(self, start: str, end: str) -> str:
        """`end - start` in seconds (medians are rounded to milliseconds afterwards)."""
        if self.postgres:
            # date_part, unlike EXTRACT, stays in double precision: a third of the cost.
            return f"date_part('epoch', {end} - {start})"
        # SQLite stores datetimes as ISO text; julianday() reads them, offset included. Its
        # double carries about 10 microseconds of noise, hence the rounding to milliseconds.
        return f"ROUND((julianday({end}) - julianday({start})) * 86400.0, 3)"

    def bucket(self, weekly: bool, column: str) -> str:
        """The UTC day, or the Monday of the UTC week, of `column`, as 'YYYY-MM-DD'."""
        if self.postgres:
            unit = "week" if weekly else "day"
            return f"to_char(date_trunc('{unit}', {column} AT TIME ZONE 'UTC'), 'YYYY-MM-DD')"
        if weekly:
            # 'weekday 0' moves forward to the next Sunday (or stays on one); 6 days before it
            # is the week's Monday.
            return f"date({column}, 'weekday 0', '-6 days')"
        return f"date({column})"


# ---------------------------------------------------------------------------------------------
# Medians


@dataclass(frozen=True, slots=True)
class Duration:
    """A duration of each row: `name` for the result, from column `start` to column `end`;
    rows where either is NULL are left out."""

    name: str
    start: str
    end: str


async def medians(
    per_row: ValuesQuery[Any],
    durations: Iterable[Duration],
    *,
    sample_every: int | None = None,
) -> dict[tuple[Any, str], float]:
    """Medians of durations per group, in seconds rounded to milliseconds. `per_row` selects
    `sample_key` (the row's id), `group_key` and the durations' columns. With `sample_every`,
    only the rows whose id is a multiple of it count (spelled `sample_key % N = 0`, as the
    partial indexes of migration 0006 spell their predicate, so the planner uses them).
    Of an even number of durations, the median is the mean of the middle two (PostgreSQL's
    `percentile_cont(0.5)`). Returns {(group_key, name): median}; a group without any
    duration has no entry."""
    durations = list(durations)
    sql = Statement()
    sample = f"sample_key % {int(sample_every)} = 0" if sample_every else "1 = 1"
    scope = sql.subquery(per_row)
    if sql.postgres:
        columns = ", ".join(
            "percentile_cont(0.5) WITHIN GROUP "
            f"(ORDER BY {sql.seconds(duration.start, duration.end)}) AS {duration.name}"
            for duration in durations
        )
        rows = await sql.rows(
            f"SELECT group_key, {columns} FROM ({scope}) AS per_lead "
            f"WHERE {sample} GROUP BY group_key"
        )
        found = {
            (row["group_key"], duration.name): row[duration.name]
            for row in rows
            for duration in durations
        }
    else:
        # SQLite has no percentile: number the durations per group and average the middle
        # one (odd count) or two (even count).
        unpivoted = " UNION ALL ".join(
            f"SELECT group_key, '{duration.name}' AS metric, "
            f"{sql.seconds(duration.start, duration.end)} AS seconds FROM per_lead "
            f"WHERE {duration.start} IS NOT NULL AND {duration.end} IS NOT NULL AND {sample}"
            for duration in durations
        )
        rows = await sql.rows(
            f"WITH per_lead AS ({scope}), "
            "ranked AS (SELECT group_key, metric, seconds, ROW_NUMBER() OVER ("
            "PARTITION BY group_key, metric ORDER BY seconds) AS position, "
            f"COUNT(*) OVER (PARTITION BY group_key, metric) AS total FROM ({unpivoted})) "
            "SELECT group_key, metric, AVG(seconds) AS median FROM ranked "
            "WHERE position IN ((total + 1) / 2, (total + 2) / 2) GROUP BY group_key, metric"
        )
        found = {(row["group_key"], row["metric"]): row["median"] for row in rows}
    return {key: round(float(value), 3) for key, value in found.items() if value is not None}


# ---------------------------------------------------------------------------------------------
# The first row of each group


async def first_of_each(
    per_row: ValuesQuery[Any], group_ids: Sequence[int], order_by: Sequence[str]
) -> dict[int, int]:
    """Per group id, the `id` of the first row of `per_row` (which selects `id`, `group_key`
    and the `order_by` columns) in that order, ties by id; groups without rows are left out.
    One statement: a correlated LIMIT 1 per group, so the database descends an index on
    (group_key, order_by...) once per group instead of ranking every row."""
    if not group_ids:
        return {}
    sql = Statement()
    scope = sql.subquery(per_row)
    groups = ", ".join(f"(CAST({sql.value(group_id)} AS INTEGER))" for group_id in group_ids)
    order = ", ".join(f"scoped.{column}" for column in [*order_by, "id"])
    rows = await sql.rows(
        "SELECT groups.column1 AS group_key, ("
        f"SELECT scoped.id FROM ({scope}) AS scoped WHERE scoped.group_key = groups.column1 "
        f"ORDER BY {order} LIMIT 1"
        f") AS id FROM (VALUES {groups}) AS groups"
    )
    return {row["group_key"]: row["id"] for row in rows if row["id"] is not None}


# ---------------------------------------------------------------------------------------------
# Day and week buckets


@dataclass(frozen=True, slots=True)
class BucketCounts:
    created: int = 0
    successful: int = 0
    unsuccessful: int = 0


async def counts_by_bucket(
    created: ValuesQuery[Any],
    closed: ValuesQuery[Any],
    *,
    weekly: bool,
    successful: str,
    unsuccessful: str,
) -> dict[date, BucketCounts]:
    """Rows created, and rows closed with the outcome `successful` or `unsuccessful`, per UTC
    day or week (weeks start on Monday). `created` selects `created_at`, `closed` selects
    `closed_at` and `outcome`. One statement; buckets without any row are left out."""
    sql = Statement()
    created_rows, closed_rows = sql.subquery(created), sql.subquery(closed)
    won = f"CASE WHEN closed.outcome = '{_literal(successful)}' THEN 1 ELSE 0 END"
    lost = f"CASE WHEN closed.outcome = '{_literal(unsuccessful)}' THEN 1 ELSE 0 END"
    rows = await sql.rows(
        f"WITH created AS ({created_rows}), closed AS ({closed_rows}) "
        "SELECT bucket, SUM(created) AS created, SUM(successful) AS successful, "
        "SUM(unsuccessful) AS unsuccessful FROM ("
        f"SELECT {sql.bucket(weekly, 'created.created_at')} AS bucket, COUNT(*) AS created, "
        "0 AS successful, 0 AS unsuccessful FROM created GROUP BY 1 "
        "UNION ALL "
        f"SELECT {sql.bucket(weekly, 'closed.closed_at')}, 0, SUM({won}), "
        f"SUM({lost}) FROM closed GROUP BY 1"
        ") AS events GROUP BY bucket"
    )
    return {
        date.fromisoformat(row["bucket"]): BucketCounts(
            int(row["created"]), int(row["successful"]), int(row["unsuccessful"])
        )
        for row in rows
    }


def _literal(constant: str) -> str:
    """A constant of the code (an enum value) checked before it is spelled into SQL."""
    if not constant.replace("_", "").isalnum():
        raise ValueError(f"not a plain constant: {constant!r}")
    return constant


# ---------------------------------------------------------------------------------------------
# Ids for bulk inserts


async def next_ids(model: type[Model], count: int) -> list[int]:
    """Primary keys for `count` rows of `model` about to be inserted in bulk. PostgreSQL hands
    them out from the table's sequence. SQLite has no sequence, but our transactions are
    IMMEDIATE (db/sqlite_engine.py): no other writer can insert until we commit, so the ids
    after the current maximum are ours. Call it inside the inserting transaction."""
    if count == 0:
        return []
    sql = Statement()
    table = model.get_table().get_table_name()
    if sql.postgres:
        rows = await sql.rows(
            f"SELECT nextval(pg_get_serial_sequence('{table}', 'id')) AS id "
            f"FROM generate_series(1, {sql.value(count)})"
        )
        return [row["id"] for row in rows]
    rows = await sql.rows(f'SELECT COALESCE(MAX(id), 0) AS top FROM "{table}"')
    top = int(rows[0]["top"])
    return list(range(top + 1, top + 1 + count))


# ---------------------------------------------------------------------------------------------
# Wake-ups of the event outbox

# The PostgreSQL channel on which a committed outbox write wakes every instance's listener.
OUTBOX_CHANNEL = "leadflow_outbox"


async def wake_outbox_listeners(last_event_id: int) -> None:
    """PostgreSQL: NOTIFY every listening instance that events up to `last_event_id` exist.
    Inside a transaction the notification is delivered only when it commits (and never when it
    rolls back), so a listener never reads ahead of the data. The payload is the id alone (a
    few bytes, far below NOTIFY's 8,000). SQLite: nothing here; one process, woken in-process
    (`leadflow.services.outbox`)."""
    if not is_postgres():
        return
    sql = Statement()
    await sql.rows(
        f"SELECT pg_notify('{OUTBOX_CHANNEL}', {sql.value(str(last_event_id))}) AS notified"
    )


async def take_transaction_id() -> None:
    """PostgreSQL: give the current transaction its id now (it would get one only at its first
    write). The outbox takes one before its event ids, so that a transaction holding an
    uncommitted event id has a transaction id below any handed out after that event id (see
    `fresh_transaction_id`), which is what the live reader's gap rule relies on. SQLite:
    nothing."""
    if is_postgres():
        await Statement().rows("SELECT pg_current_xact_id()::text AS xid")


async def fresh_transaction_id() -> int | None:
    """PostgreSQL: a new transaction id (this one statement's, committed at once): above every
    id handed out before it. Once a snapshot's `xmin` is above it, every transaction that had an
    id by then has ended. (A snapshot's `xmax` is no such bound: it is the last *completed* id
    plus one, and running transactions may hold ids at or above it.) SQLite: None."""
    if not is_postgres():
        return None
    rows = await Statement().rows("SELECT pg_current_xact_id()::text AS xid")
    return int(rows[0]["xid"])


@dataclass(frozen=True, slots=True)
class SnapshotBounds:
    """PostgreSQL's view of running transactions at a statement: every transaction id below
    `xmin` has ended (a running one is never below it); `xmax` is the last completed id plus
    one."""

    xmin: int
    xmax: int


async def snapshot_bounds() -> SnapshotBounds | None:
    """The bounds of this statement's snapshot (PostgreSQL; txid counters as plain integers).
    SQLite: None (one writer at a time, no transaction runs beside a reader)."""
    if not is_postgres():
        return None
    rows = await Statement().rows(
        "SELECT pg_snapshot_xmin(pg_current_snapshot())::text AS xmin, "
        "pg_snapshot_xmax(pg_current_snapshot())::text AS xmax"
    )
    return SnapshotBounds(xmin=int(rows[0]["xmin"]), xmax=int(rows[0]["xmax"]))


# ---------------------------------------------------------------------------------------------
# Jobs that run on one instance at a time (see leadflow/jobs.py)


async def try_job_lock(key: int) -> bool:
    """Whether this round of the job `key` may run: PostgreSQL takes the transaction-scoped
    advisory lock `key` when no other session holds it (`pg_try_advisory_xact_lock`, never
    waiting) and releases it when the caller's transaction ends; call it first inside
    `in_transaction()`. SQLite: True, one instance serves a SQLite database (the job keeps its
    rounds apart in-process)."""
    if not is_postgres():
        return True
    sql = Statement()
    rows = await sql.rows(f"SELECT pg_try_advisory_xact_lock({sql.value(key)}) AS taken")
    return bool(rows[0]["taken"])


# --- Writes in bulk (issue 16) ---
# Tortoise's `bulk_create` sends one INSERT per row (an executemany: on PostgreSQL 1,000
# executions of the statement for 1,000 rows), and an UPDATE can set only one value per column
# for all its rows. These write a batch with one statement on either database.

_BULK_ROWS = 1_000


class _TopLevel(QueryBuilder):
    """A statement's text run as it is (not wrapped in `SELECT * FROM (...)` as by
    `Statement.rows`): data-modifying statements, and `WITH ... UPDATE ... RETURNING`, which
    PostgreSQL allows only at the top level."""

    def __init__(self, text: _Text) -> None:
        super().__init__()
        self._text = text

    def get_sql(self, ctx: SqlContext, **kwargs: Any) -> str:  # type: ignore[override]
        wrapped = self._text.get_sql(ctx)
        return wrapped[1 : -len(f") AS {self._text.alias}")]


async def _run(sql: Statement, text: str) -> list[dict[str, Any]]:
    return (await execute_pypika(_TopLevel(_Text(text, sql._parts)))).rows


_Convert = Callable[[Any], Any]


def _plain(value: Any) -> Any:
    """A value as JSON holds it for PostgreSQL's json_populate_recordset (which reads each by
    its text form into the column's type)."""
    if isinstance(value, Enum):
        return value.value
    if value is None or isinstance(value, bool | int | float | str | list | dict):
        return value
    if isinstance(value, datetime | date):
        return value.isoformat()
    return str(value)  # Decimal, UUID


def _utc(value: datetime) -> datetime:
    """An aware datetime in UTC, as Tortoise hands datetimes to SQLite (where they are stored
    as text and compared as text: '12:30+02:00' would sort after '11:00+00:00'). A naive one
    as it is."""
    return value if value.tzinfo is None else value.astimezone(UTC)


def _sqlite_value(value: Any) -> Any:
    """A value as JSON holds it for SQLite's `json_each`, in the text sqlite3's adapters give
    (which Tortoise registers): datetimes in UTC as `isoformat(" ")`, so they are stored as
    Tortoise stores them; enums by their value."""
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, datetime):
        return _utc(value).isoformat(" ")
    return _plain(value)


def _as_is(value: Any) -> Any:
    return value


def _encoded(field: JSONField[Any], model: type[Model], value: Any) -> Any:
    return field.to_db_value(value, model)


def _converters(model: type[Model], columns: Sequence[str], postgres: bool) -> list[_Convert]:
    """Per column, how a field's value becomes what the statement sends. JSON columns: the
    document itself in PostgreSQL's JSON, Tortoise's own encoding on SQLite (where the stored
    text is searched: see `json_text`)."""
    fields_map = model._meta.fields_map
    converters: list[_Convert] = []
    for name in columns:
        field = fields_map[name]
        if isinstance(field, JSONField):
            converters.append(_as_is if postgres else partial(_encoded, field, model))
        else:
            converters.append(_plain if postgres else _sqlite_value)
    return converters


def _default_of(field: Any) -> Any:
    """A field's default for a row that leaves it out: a datetime stamped on creation
    (`auto_now_add`) is now, as Tortoise stamps it; a field with only a database default
    (`db_default`, e.g. ImportIssue.code) that value, as the database would fill it in (the
    statement names every column, so the database's own DEFAULT never applies)."""
    if isinstance(field, DatetimeField) and (field.auto_now or field.auto_now_add):
        return timezone.now
    if field.default is None and field.has_db_default():
        if isinstance(field.db_default, SqlDefault):
            return partial(_no_sql_default, field)
        return field.db_default
    return field.default


def _no_sql_default(field: Any) -> Any:
    raise ValueError(
        f"insert_rows cannot compute {field.model_field_name}'s SQL default: give its value"
    )


def _row_reader(
    model: type[Model], columns: Sequence[str], postgres: bool
) -> Callable[[Model | Mapping[str, Any]], list[Any]]:
    """Reads a row's values for `columns` (field names): an instance's attributes, or a mapping
    of field names whose missing ones get the field's default."""
    fields_map = model._meta.fields_map
    converters = _converters(model, columns, postgres)
    defaults = {name: _default_of(fields_map[name]) for name in columns}
    known = set(columns)

    def value_of(row: Mapping[str, Any], name: str) -> Any:
        if name in row:
            return row[name]
        default = defaults[name]
        return default() if callable(default) else default

    stamped = [name for name in columns if defaults[name] is timezone.now]

    def read(row: Model | Mapping[str, Any]) -> list[Any]:
        if isinstance(row, Model):
            for name in stamped:  # as Tortoise stamps an instance it saves
                if getattr(row, name) is None:
                    setattr(row, name, timezone.now())
            values = [getattr(row, name) for name in columns]
            for index, value in enumerate(values):  # a db_default field left unset
                if isinstance(value, DatabaseDefault):
                    default = defaults[columns[index]]
                    values[index] = default() if callable(default) else default
        else:
            if not known.issuperset(row):
                raise ValueError(f"{model.__name__} has no columns {sorted(set(row) - known)}")
            values = [value_of(row, name) for name in columns]
        return [convert(value) for convert, value in zip(converters, values, strict=True)]

    return read


async def insert_rows(model: type[Model], rows: Sequence[Model | Mapping[str, Any]]) -> None:
    """Insert new rows of `model` with one statement per 1,000 rows, each row an unsaved
    instance or, cheaper (a Tortoise instance costs tens of microseconds to build), a mapping of
    field names (foreign keys by their `..._id`; left out: the field's default). The fields do
    not validate the values (callers store what the services cleaned); the database's
    constraints hold. The primary keys are written when every row has one (taken with
    `next_ids`), else the database numbers them (and instances do not learn their ids).
    PostgreSQL: `INSERT ... SELECT FROM json_populate_recordset(NULL::table, $1)` (one
    parameter, typed by the table's own row type: the statement and its prepared plan are the
    same whatever the row count); SQLite: `INSERT ... SELECT value ->> '$.column' ... FROM
    json_each(?)` likewise."""
    if not rows:
        return
    meta = model._meta
    with_pk = all(
        (row.pk if isinstance(row, Model) else row.get(meta.pk_attr)) is not None for row in rows
    )
    fields = [
        (name, column)
        for name, column in meta.fields_db_projection.items()
        if with_pk or name != meta.pk_attr
    ]
    columns = [name for name, _ in fields]
    table = meta.db_table
    names = ", ".join(f'"{column}"' for _, column in fields)
    postgres = is_postgres()
    read = _row_reader(model, columns, postgres)
    if postgres:
        keys = [column for _, column in fields]
        for start in range(0, len(rows), _BULK_ROWS):
            document = [
                dict(zip(keys, read(row), strict=True)) for row in rows[start : start + _BULK_ROWS]
            ]
            sql = Statement()
            await _run(
                sql,
                f'INSERT INTO "{table}" ({names}) SELECT {names} FROM json_populate_recordset('
                f'NULL::"{table}", CAST({sql.value(json.dumps(document))} AS json))',
            )
        return
    # SQLite: the same with json_each and ->> (a JSON number, text or null as that SQL value, a
    # boolean as 1 or 0): one parameter too, so the statement is prepared (and cached) once.
    keys = [column for _, column in fields]
    extracted = ", ".join(f"value ->> '$.{column}'" for column in keys)
    for start in range(0, len(rows), _BULK_ROWS):
        document = [
            dict(zip(keys, read(row), strict=True)) for row in rows[start : start + _BULK_ROWS]
        ]
        sql = Statement()
        await _run(
            sql,
            f'INSERT INTO "{table}" ({names}) SELECT {extracted} '
            f"FROM json_each({sql.value(json.dumps(document))})",
        )


def _array(values: list[Any]) -> Any:
    """A list as one parameter (PostgreSQL arrays; `Statement.value`'s hints name scalars)."""
    return values


class Assignment(Protocol):
    """One lead to one clerk, with the reason (services.distribution.NewAssignment)."""

    @property
    def lead_id(self) -> int: ...

    @property
    def clerk_id(self) -> int: ...

    @property
    def reason(self) -> str: ...


async def write_assignments(
    assignments: Sequence[Assignment], at: datetime
) -> list[dict[str, Any]]:
    """Assign each lead to its clerk with its reason, in ONE statement per 1,000 leads, and
    only a lead still NEW (no assignee, not closed): assignee, `assigned_at` and
    `waiting_since` = `at`, `first_assigned_at` = `at` unless set (a reassignment keeps the
    first), the reason. Each lead is written once (one dead tuple; PostgreSQL's statement
    triggers run once). Returns the changed leads' `id`, `campaign_id` and `contact_id`; a lead
    no longer NEW is missing.

    The "still NEW" condition is on the UPDATE's target row itself (not a subquery over
    `leads`): PostgreSQL re-checks a target row's own conditions on the row's newest version
    when a concurrent transaction changed it (EvalPlanQual), but not a subquery's, which reads
    the statement's snapshot; so of two concurrent assignments of a lead one wins, with or
    without the caller's FOR UPDATE. The condition is `lead_status.status_condition(NEW)`
    spelled in SQL. Needs SQLite >= 3.35 (UPDATE ... FROM, RETURNING)."""
    changed: list[dict[str, Any]] = []
    at = _utc(at)  # SQLite compares the stored text
    for start in range(0, len(assignments), _BULK_ROWS):
        batch = assignments[start : start + _BULK_ROWS]
        sql = Statement()
        if sql.postgres:
            ids = sql.value(_array([a.lead_id for a in batch]))
            clerks = sql.value(_array([a.clerk_id for a in batch]))
            reasons = sql.value(_array([a.reason for a in batch]))
            rows = (
                f"SELECT * FROM unnest(CAST({ids} AS bigint[]), CAST({clerks} AS bigint[]), "
                f"CAST({reasons} AS text[])) AS given (id, clerk_id, reason)"
            )
        else:
            rows = "VALUES " + ", ".join(
                f"({sql.value(a.lead_id)}, {sql.value(a.clerk_id)}, {sql.value(a.reason)})"
                for a in batch
            )
        stamp = sql.value(at)
        changed += await _run(
            sql,
            f"WITH given (id, clerk_id, reason) AS ({rows}) "
            f'UPDATE "leads" SET assignee_id = given.clerk_id, assigned_at = {stamp}, '
            f'waiting_since = {stamp}, first_assigned_at = COALESCE("leads".first_assigned_at, '
            f"{stamp}), assignment_reason = given.reason FROM given "
            f'WHERE "leads".id = given.id '
            f'AND "leads".assignee_id IS NULL AND "leads".closed_at IS NULL '
            f'RETURNING "leads".id AS id, "leads".campaign_id AS campaign_id, '
            f'"leads".contact_id AS contact_id',
        )
    return changed


@dataclass(frozen=True, slots=True)
class RecordedAssignments:
    """What `write_recorded_assignments` wrote: the changed leads (`id`, `campaign_id`,
    `contact_id`) and the id of the last outbox event (None when no lead changed)."""

    changed: list[dict[str, Any]]
    last_event_id: int | None


async def write_recorded_assignments(
    assignments: Sequence[Assignment],
    at: datetime,
    *,
    actor_id: int | None,
    history_kind: str,
    topic: str,
) -> RecordedAssignments:
    """PostgreSQL only: `write_assignments` with its records, ONE statement per 1,000 leads
    (the whole write of `assignLeads`, where separate statements and rows built in Python cost
    more than the write itself): the leads locked in id order, the guarded UPDATE, and for each
    changed lead its history row (`history_kind`, by `actor_id`, to its clerk, at `at`) and its
    outbox event (`topic`; the clerk in `user_ids`; payload `leadId`, `campaignId`,
    `assigneeId`: what services.distribution builds for SQLite), both in the order given.

    Locking: `locked` takes the row locks in id order, so that overlapping assignments and
    distributions cannot deadlock, and the UPDATE changes only rows locked there; the "still
    NEW" condition is on the UPDATE's target row, which PostgreSQL re-checks on the newest
    version of a row changed meanwhile (see `write_assignments`). The events' ids (the
    sequence) are taken as their rows are inserted, after the UPDATE wrote the leads they
    come from, so this transaction has its id before it holds an event id (what
    `outbox.publish` ensures with `take_transaction_id`). A batch with a lead not changed
    writes no history and no event at all, and the later batches are not run: the caller
    compares the counts and rolls back, and a refused assignment must take no event ids (the
    outbox readers would wait for the holes as gaps, see live/cursor.py)."""
    assert is_postgres()
    changed: list[dict[str, Any]] = []
    last_event_id: int | None = None
    at = _utc(at)
    for start in range(0, len(assignments), _BULK_ROWS):
        batch = assignments[start : start + _BULK_ROWS]
        sql = Statement()
        ids = sql.value(_array([a.lead_id for a in batch]))
        clerks = sql.value(_array([a.clerk_id for a in batch]))
        reasons = sql.value(_array([a.reason for a in batch]))
        stamp, actor = sql.value(at), sql.value(actor_id)  # type: ignore[arg-type]
        kind, event_topic = sql.value(history_kind), sql.value(topic)
        # Records only when every lead of the batch changed (a count, not a parameter: fixed).
        whole = f"(SELECT count(*) FROM assigned) = {len(batch)}"
        rows = await _run(
            sql,
            "WITH given (id, clerk_id, reason, place) AS (SELECT * FROM unnest("
            f"CAST({ids} AS bigint[]), CAST({clerks} AS bigint[]), CAST({reasons} AS text[])) "
            "WITH ORDINALITY), "
            'locked AS MATERIALIZED (SELECT id FROM "leads" WHERE id IN (SELECT id FROM given) '
            "ORDER BY id FOR UPDATE), "
            f'assigned AS (UPDATE "leads" SET assignee_id = given.clerk_id, assigned_at = {stamp}, '
            f'waiting_since = {stamp}, first_assigned_at = COALESCE("leads".first_assigned_at, '
            f"{stamp}), assignment_reason = given.reason FROM given "
            f'WHERE "leads".id = given.id AND "leads".id IN (SELECT id FROM locked) '
            f'AND "leads".assignee_id IS NULL AND "leads".closed_at IS NULL '
            f'RETURNING "leads".id, "leads".campaign_id, "leads".contact_id, given.clerk_id, '
            "given.place), "
            'history AS (INSERT INTO "lead_events" '
            "(lead_id, kind, actor_id, assignee_id, note, at) "
            f"SELECT id, {kind}, CAST({actor} AS integer), clerk_id, '', {stamp} "
            f"FROM assigned WHERE {whole} ORDER BY place), "
            'events AS (INSERT INTO "outbox_events" '
            "(topic, lead_id, opportunity_id, campaign_id, user_ids, payload, created_at) "
            f"SELECT {event_topic}, id, NULL, campaign_id, jsonb_build_array(clerk_id), "
            "jsonb_build_object('leadId', id, 'campaignId', campaign_id, 'assigneeId', clerk_id), "
            f"{stamp} FROM assigned WHERE {whole} ORDER BY place RETURNING id) "
            "SELECT assigned.id, assigned.campaign_id, assigned.contact_id, "
            "(SELECT max(id) FROM events) AS last_event_id FROM assigned",
        )
        for row in rows:
            last_event = row.pop("last_event_id")
            if last_event is not None:
                last_event_id = max(last_event_id or 0, last_event)
        changed += rows
        if len(rows) != len(batch):
            break  # refused: the caller rolls back; nothing more to write
    return RecordedAssignments(changed, last_event_id)


# --- Search (issue 16) ---
# The lead search's rule and its query are in services/lead_search.py; this is the one piece of
# it Tortoise has no words for: SQLite's FTS5 table of migration 0019.


class _ContactSearchIds(Term):
    """`(SELECT rowid FROM contact_search WHERE contact_search MATCH ?)`, the query a
    parameter."""

    def __init__(self, query: str) -> None:
        super().__init__()
        self._query = ValueWrapper(query)

    def get_sql(self, ctx: SqlContext) -> str:
        query = self._query.get_sql(ctx.copy(subquery=False, with_alias=False))
        return f"(SELECT rowid FROM contact_search WHERE contact_search MATCH {query})"


class _DrivingIds(Term):
    """`(SELECT unnest(ARRAY(<subquery>)))`: see `driving_ids`."""

    def __init__(self, ids: ValuesQuery[Any]) -> None:
        super().__init__()
        self._ids = Subquery(ids)

    def get_sql(self, ctx: SqlContext) -> str:
        ids = self._ids.get_sql(ctx.copy(subquery=False, with_alias=False))
        return f"(SELECT unnest(ARRAY({ids})))"


def driving_ids(ids: ValuesQuery[Any]) -> Term:
    """The ids a subquery returns, for `filter(x__in=...)`, computed first and then looked up by
    an index on x. PostgreSQL: the subquery runs once as an InitPlan and the planner, which
    cannot see into the array, expects a few ids and reads the rows by x's index. It would
    otherwise often walk an index in the list's order instead and test every row against the
    subquery: when the matches are few (a search) and not among the newest, that reads the
    whole table (1.1-1.5 s for 200,000 leads, against 25 ms). SQLite: the subquery as it is."""
    if not is_postgres():
        return Subquery(ids)
    return _DrivingIds(ids)


# Migration 0023's copy of the contact's searched text on each lead (PostgreSQL only; no model
# declares it), and its trigram index over the NEW leads.
LEAD_SEARCH_TEXT = "search_text"


def with_lead_search_text(leads: QuerySet[_Row]) -> QuerySet[_Row]:
    """PostgreSQL only: `leads` with the annotation `search_text` (migration 0023: the lead's
    contact's first name, last name, company and email key, joined by line feeds), to filter
    by as `search_text__icontains`, which spells `UPPER(CAST(search_text AS VARCHAR)) LIKE
    UPPER(?)`, the expression of the index `leads_new_search`."""
    if not is_postgres():
        raise ValueError("leads.search_text exists on PostgreSQL only")
    return leads.annotate(**{LEAD_SEARCH_TEXT: RawSQL(f'"leads"."{LEAD_SEARCH_TEXT}"')})


def contact_search_ids(query: str) -> Term:
    """SQLite only: the ids of the contacts whose FTS5 trigram index (migration 0019) matches
    `query`, an FTS5 query (phrases of three or more characters, column filters, AND/OR), for
    `Contact.filter(id__in=...)`."""
    if is_postgres():
        raise ValueError("contact_search exists on SQLite only")
    return _ContactSearchIds(query)


async def purge_contact_search() -> None:
    """SQLite: rewrite the FTS5 index of migration 0019 as one segment (FTS5's 'optimize'), so
    that the trigrams of values changed or blanked since (an erasure) leave its shadow tables;
    until segments are merged FTS5 keeps them beside a delete marker. It rewrites the whole
    index: about 1.5 s for 100,000 contacts (27 MB), holding the write lock. SQLite 3.44's
    'secure-delete' option would purge at each write instead. PostgreSQL: nothing (a GIN
    index entry goes with its row version at VACUUM)."""
    if is_postgres():
        return
    await _run(Statement(), "INSERT INTO contact_search (contact_search) VALUES ('optimize')")


# --- Lead counts (issue 16) ---
# Migration 0021's counters: how many leads are NEW, ACTIVE and DONE per campaign, assignee and
# creator (a NULL assignee or creator stored as 0), kept exact by triggers on `leads` inside
# each writing statement. PostgreSQL: insert-only (a row of deltas per key and statement; a
# count sums its keys' rows), folded periodically (`fold_lead_counts`); SQLite: one row per
# key, updated in place.

# The columns a counter row is keyed by: the conditions `lead_tally` can answer.
LEAD_TALLY_KEYS = frozenset({"campaign_id", "assignee_id", "created_by_id"})


@dataclass(frozen=True, slots=True)
class LeadTally:
    new: int = 0
    active: int = 0
    done: int = 0


async def lead_tally(alternatives: Sequence[dict[str, int | None]]) -> LeadTally:
    """The NEW, ACTIVE and DONE leads matching one of `alternatives` (each: key columns of
    LEAD_TALLY_KEYS and the value each must have, None for NULL; an empty one matches every
    lead; no alternative matches none), summed from the counters: one statement over the rows
    of the wanted keys (a few hundred, plus the deltas since the last fold), none over `leads`.
    Exact, since every counter row holds leads (or deltas of leads) that agree on all three
    keys: a row matches an alternative exactly when all of its leads do."""
    sql = Statement()
    conditions = []
    for columns in alternatives:
        unknown = set(columns) - LEAD_TALLY_KEYS
        if unknown:
            raise ValueError(f"no lead counters by {sorted(unknown)}")
        conditions.append(
            " AND ".join(
                f"{column} = {sql.value(int(value or 0))}"
                for column, value in sorted(columns.items())
            )
            or "1 = 1"
        )
    where = " OR ".join(f"({condition})" for condition in conditions) or "1 = 0"
    rows = await sql.rows(
        "SELECT COALESCE(SUM(new), 0) AS new, COALESCE(SUM(active), 0) AS active, "
        f"COALESCE(SUM(done), 0) AS done FROM lead_counts WHERE {where}"
    )
    row = rows[0]
    return LeadTally(new=int(row["new"]), active=int(row["active"]), done=int(row["done"]))


async def active_leads_per_assignee(assignee_ids: Sequence[int]) -> dict[int, int]:
    """The ACTIVE leads of each of `assignee_ids` (their load), summed from the counters: one
    statement over the assignees' rows (index lead_counts_by_assignee), none over `leads`.
    An assignee without any is left out."""
    if not assignee_ids:
        return {}
    sql = Statement()
    listed = ", ".join(sql.value(int(assignee_id)) for assignee_id in assignee_ids)
    rows = await sql.rows(
        "SELECT assignee_id, COALESCE(SUM(active), 0) AS active FROM lead_counts "
        f"WHERE assignee_id IN ({listed}) GROUP BY assignee_id"
    )
    return {int(row["assignee_id"]): int(row["active"]) for row in rows if row["active"]}


@dataclass(frozen=True, slots=True)
class CountsFold:
    removed: int = 0  # counter rows taken out
    written: int = 0  # rows written in their place (one per key whose sums are not all zero)


# The keys worth folding: several rows, or sums that are all zero.
_FOLDABLE = (
    "SELECT campaign_id, assignee_id, created_by_id FROM lead_counts "
    "GROUP BY campaign_id, assignee_id, created_by_id "
    "HAVING COUNT(*) > 1 OR (SUM(new) = 0 AND SUM(active) = 0 AND SUM(done) = 0)"
)


async def fold_lead_counts() -> CountsFold:
    """Folds the counters' rows (PostgreSQL: the triggers add a row of deltas per key and
    statement) into one per key, in one statement; keys whose sums are all zero keep no row.
    The counts stay exact for every reader: a reader's snapshot has the rows before the fold
    or after it, and rows of writers that commit after the fold's snapshot are not touched.
    Needs no lock against writers (they only insert); two folds at once stay exact too (a row
    the other deleted first is skipped, and summed only by the other). SQLite, with one row
    per key already: drops the all-zero rows."""
    sql = Statement()
    if not sql.postgres:
        rows = await _run(
            sql,
            "DELETE FROM lead_counts WHERE new = 0 AND active = 0 AND done = 0 RETURNING 1 AS one",
        )
        return CountsFold(removed=len(rows))
    keys = "campaign_id, assignee_id, created_by_id"
    rows = await _run(
        sql,
        f"WITH foldable AS ({_FOLDABLE}), "
        "gone AS (DELETE FROM lead_counts AS counts USING foldable "
        "WHERE counts.campaign_id = foldable.campaign_id "
        "AND counts.assignee_id = foldable.assignee_id "
        "AND counts.created_by_id = foldable.created_by_id "
        f"RETURNING counts.campaign_id, counts.assignee_id, counts.created_by_id, "
        "counts.new, counts.active, counts.done), "
        f"written AS (INSERT INTO lead_counts ({keys}, new, active, done) "
        f"SELECT {keys}, SUM(new), SUM(active), SUM(done) FROM gone GROUP BY {keys} "
        "HAVING SUM(new) <> 0 OR SUM(active) <> 0 OR SUM(done) <> 0 RETURNING 1) "
        "SELECT (SELECT COUNT(*) FROM gone) AS removed, "
        "(SELECT COUNT(*) FROM written) AS written",
    )
    return CountsFold(removed=int(rows[0]["removed"]), written=int(rows[0]["written"]))


async def latest_of_each(per_row: ValuesQuery[Any], limit: int) -> list[int]:
    """The ids of the `limit` rows with the highest ids in each group of `per_row` (which
    selects `id` and `group_key`): the latest few of each parent (a campaign's imports) for
    any number of parents in one statement, each group ranked on its own."""
    sql = Statement()
    scope = sql.subquery(per_row)
    rows = await sql.rows(
        "SELECT ranked.id AS id FROM (SELECT scoped.id AS id, ROW_NUMBER() OVER ("
        "PARTITION BY scoped.group_key ORDER BY scoped.id DESC) AS place "
        f"FROM ({scope}) AS scoped) AS ranked WHERE ranked.place <= {sql.value(limit)}"
    )
    return [int(row["id"]) for row in rows]


# ---------------------------------------------------------------------------------------------
# A page's columns, joined to the query that picks it


async def joined_rows(
    page: ValuesQuery[Any],
    order: Sequence[str],
    columns: Sequence[str],
    from_page: Sequence[str] = (),
) -> list[dict[str, Any]]:
    """The rows `page` picks (a query of its model that selects `id` and every name of
    `order`, ordered by them and limited), each with `columns` of the model (field names and
    `relation__field` of a foreign key, joined LEFT OUTER as Tortoise joins them) and the
    names of `from_page` as `page` selected them, in `page`'s order (`order`: its `order_by`
    terms, a leading `-` for descending), converted as `values()` converts them. One
    statement: it orders by `page`'s own values, so the order is the one `page` picked by.

    The text around `page` and the columns' conversions are built once per model, columns
    and order (`joined_text`): Tortoise builds a select anew for every query, and with
    dozens of joined columns (a page of leads) that cost more than running it."""
    model = page.model
    sql = Statement()
    # A model class is hashable (by identity), which mypy does not know of Tortoise's metaclass.
    text = joined_text(
        model,  # type: ignore[arg-type]
        tuple(columns),
        tuple(order),
        tuple(from_page),
        sql.subquery(page),
    )
    rows = await _run(sql, text)
    converters = [
        *_joined_converters(model, tuple(columns), _dialect()),  # type: ignore[arg-type]
        *_python_values(page, model, from_page),
    ]
    for row in rows:
        for name, convert in converters:
            row[name] = convert(row[name])
    return rows


@lru_cache(maxsize=256)
def joined_text(
    model: type[Model],
    columns: tuple[str, ...],
    order: tuple[str, ...],
    from_page: tuple[str, ...],
    page: str,
) -> str:
    """The statement of `joined_rows` around the text `page` stands for (a part's mark)."""
    table = _quoted(model._meta.db_table)
    key = f"{table}.{_quoted(model._meta.db_pk_column)}"
    selects: list[str] = []
    joins: dict[str, str] = {}
    for column in columns:
        relation, _, name = column.partition("__")
        if not name:
            selects.append(f"{table}.{_db_column(model, column)} AS {_quoted(column)}")
            continue
        field = model._meta.fields_map.get(relation)
        source = getattr(field, "source_field", None)
        if relation not in model._meta.fk_fields or source is None or "__" in name:
            raise ValueError(f"{column!r} is no column of a foreign key of {model.__name__}")
        related: type[Model] = field.related_model  # type: ignore[union-attr]
        target = field.to_field_instance.model_field_name  # type: ignore[union-attr]
        alias = _quoted(f"{model._meta.db_table}__{relation}")
        joins.setdefault(
            relation,
            f"LEFT OUTER JOIN {_quoted(related._meta.db_table)} {alias} ON "
            f"{alias}.{_db_column(related, target)} = {table}.{_db_column(model, source)}",
        )
        selects.append(f"{alias}.{_db_column(related, name)} AS {_quoted(column)}")
    selects.extend(f"page.{_quoted(name)} AS {_quoted(name)}" for name in from_page)
    ordering = ", ".join(
        f"page.{_quoted(term.removeprefix('-'))} {'DESC' if term.startswith('-') else 'ASC'}"
        for term in order
    )
    return (
        f'SELECT {", ".join(selects)} FROM ({page}) AS page JOIN {table} ON {key} = page."id" '
        f"{' '.join(joins.values())} ORDER BY {ordering}"
    )


def _quoted(name: str) -> str:
    """An identifier of the code or the models (never input), quoted for either database."""
    if '"' in name or _MARK in name:
        raise ValueError(f"not a plain identifier: {name!r}")
    return f'"{name}"'


def _db_column(model: type[Model], field_name: str) -> str:
    try:
        return _quoted(model._meta.fields_db_projection[field_name])
    except KeyError:
        raise ValueError(f"{model.__name__} has no column {field_name!r}") from None


# As many as `joined_text`'s: the columns of a page follow its selection (api/lead_columns.py).
@lru_cache(maxsize=256)
def _joined_converters(
    model: type[Model], columns: tuple[str, ...], dialect: str
) -> tuple[tuple[str, _Convert], ...]:
    # `dialect` is part of the key: what needs converting depends on the database (SQLite
    # returns booleans, dates and decimals as plain values, PostgreSQL's driver ready to use),
    # and one process may talk to both (the tests do).
    return tuple(_python_values(model.all().values(*columns), model, columns))


def _dialect() -> str:
    return str(connections.get("default").capabilities.dialect)


def _python_values(
    query: ValuesQuery[Any], model: type[Model], names: Sequence[str]
) -> list[tuple[str, _Convert]]:
    """How `values()` converts each of `names` that it converts (Tortoise's own choice: the
    fields' `to_python_value`; a plain function stands for "as the driver returns it")."""
    converters = ((name, query.resolve_to_python_value(model, name)) for name in names)
    return [(name, convert) for name, convert in converters if not isinstance(convert, LambdaType)]
