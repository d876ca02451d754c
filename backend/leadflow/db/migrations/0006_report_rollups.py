"""Report rollups: per campaign and UTC day, per clerk and UTC day, kept by triggers on `leads`.

The triggers are the rollups' only writers, so every way a lead changes (the services, bulk
imports, a plain UPDATE by an operator, a deletion) keeps them exact. Each change is applied as
"minus the old row, plus the new row" to the rows of the days it touches.

PostgreSQL: one trigger per statement with transition tables, so a statement changing 500 leads
makes one upsert per table; the upserts go in key order, so two transactions touching the same
days lock them in the same order and cannot deadlock each other. SQLite: one trigger per row
(it has no statement triggers); SQLite writers never run concurrently.

The SQL is spelled out here, not imported, so that this migration keeps doing what it did when a
later one changes the triggers.
"""

from tortoise import migrations
from tortoise.migrations import operations as ops
from tortoise import fields

# The lead columns a rollup depends on. A change to any other column (a note, waiting_since)
# changes no figure.
COLUMNS = ("campaign_id", "created_at", "assignee_id", "closed_at", "outcome", "close_reason")
TRIGGERS = ("insert", "update", "delete")
# The close reasons of this migration's time, one column each (`reason_<name>`).
REASONS = ("NOT_INTERESTED", "UNREACHABLE", "WRONG_CONTACT_DATA", "DUPLICATE", "OTHER")
# Partial indexes (name: columns, predicate). A fixed sample of the leads (every 16th id) for
# medians over long periods: the reports' `SAMPLE_EVERY`, spelled as the reports spell it so
# the planner matches the predicate. And each clerk's open leads by how long they have waited:
# one descent per clerk finds the oldest (the planner cannot order by waiting_since on the
# (assignee_id, closed_at, waiting_since) index of 0005, since `closed_at IS NULL` is no
# equality to it).
PARTIAL_INDEXES = {
    "leads_sample_campaign_created": (
        "campaign_id, created_at, first_assigned_at, first_feedback_at, closed_at, id",
        "id % 16 = 0",
    ),
    "leads_sample_first_feedback": (
        "first_feedback_at, assignee_id, first_assigned_at, id",
        "id % 16 = 0",
    ),
    "leads_open_by_assignee_waiting": ("assignee_id, waiting_since, id", "closed_at IS NULL"),
}


def _day(dialect: str, column: str) -> str:
    if dialect == "postgres":
        return f"(({column}) AT TIME ZONE 'UTC')::date"
    return f"date({column})"


def _when(sign: str, condition: str) -> str:
    return f"CASE WHEN {condition} THEN {sign} ELSE 0 END"


def _upserts(dialect: str, changes: str) -> list[str]:
    """The two statements applying `changes` (a subquery of COLUMNS plus `sign`: 1 for a row
    that now exists, -1 for one that no longer does) to the rollup tables."""
    created_day, closed_day = _day(dialect, "created_at"), _day(dialect, "closed_at")
    successful, unsuccessful = "outcome = 'SUCCESSFUL'", "outcome = 'UNSUCCESSFUL'"
    # The cohort of the creation day: (column, condition on the lead).
    cohort = [
        ("created", "1 = 1"),
        ("new", "closed_at IS NULL AND assignee_id IS NULL"),
        ("active", "closed_at IS NULL AND assignee_id IS NOT NULL"),
        ("done", "closed_at IS NOT NULL"),
        ("successful", successful),
        ("unsuccessful", unsuccessful),
    ] + [
        (f"reason_{reason.lower()}", f"{unsuccessful} AND close_reason = '{reason}'")
        for reason in REASONS
    ]
    # The closes of the closing day.
    closes = [("closed_successful", successful), ("closed_unsuccessful", unsuccessful)]
    columns = [name for name, _ in cohort + closes]
    cohort_values = ", ".join(
        [f"{_when('sign', condition)} AS {name}" for name, condition in cohort]
        + [f"0 AS {name}" for name, _ in closes]
    )
    close_values = ", ".join(
        ["0"] * len(cohort) + [_when("sign", condition) for _, condition in closes]
    )
    campaign_days = (
        f"INSERT INTO report_campaign_days (campaign_id, day, {', '.join(columns)}) "
        f"SELECT campaign_id, day, {', '.join(f'SUM({name})' for name in columns)} FROM ("
        f"SELECT campaign_id, {created_day} AS day, {cohort_values} "
        f"FROM ({changes}) AS changes "
        "UNION ALL "
        f"SELECT campaign_id, {closed_day}, {close_values} "
        f"FROM ({changes}) AS changes WHERE closed_at IS NOT NULL"
        ") AS deltas WHERE true GROUP BY campaign_id, day ORDER BY campaign_id, day "
        "ON CONFLICT (campaign_id, day) DO UPDATE SET "
        + ", ".join(f"{name} = report_campaign_days.{name} + excluded.{name}" for name in columns)
    )
    clerk_days = (
        "INSERT INTO report_clerk_days (assignee_id, day, closed, successful) "
        f"SELECT assignee_id, {closed_day}, SUM(sign), SUM({_when('sign', successful)}) "
        f"FROM ({changes}) AS changes "
        "WHERE closed_at IS NOT NULL AND assignee_id IS NOT NULL "
        f"GROUP BY assignee_id, {closed_day} ORDER BY assignee_id, {closed_day} "
        "ON CONFLICT (assignee_id, day) DO UPDATE SET "
        "closed = report_clerk_days.closed + excluded.closed, "
        "successful = report_clerk_days.successful + excluded.successful"
    )
    return [campaign_days, clerk_days]


def _rows(source: str, sign: int, where: str = "") -> str:
    columns = ", ".join(f"{source}.{column} AS {column}" for column in COLUMNS)
    return f"SELECT {columns}, {sign} AS sign{where}"


def _postgres_statements() -> list[str]:
    changed = " OR ".join(
        f"old_rows.{column} IS DISTINCT FROM new_rows.{column}" for column in COLUMNS
    )
    joined = f" FROM old_rows JOIN new_rows ON new_rows.id = old_rows.id WHERE {changed}"
    changes = {
        "insert": _rows("new_rows", 1, " FROM new_rows"),
        "delete": _rows("old_rows", -1, " FROM old_rows"),
        "update": f"{_rows('old_rows', -1, joined)} UNION ALL {_rows('new_rows', 1, joined)}",
    }
    transition = {
        "insert": "NEW TABLE AS new_rows",
        "delete": "OLD TABLE AS old_rows",
        "update": "OLD TABLE AS old_rows NEW TABLE AS new_rows",
    }
    statements = []
    for event in TRIGGERS:
        body = ";\n".join(_upserts("postgres", changes[event]))
        statements.append(
            # The column `new` would otherwise clash with PL/pgSQL's NEW record.
            f"CREATE FUNCTION report_rollups_{event}() RETURNS trigger LANGUAGE plpgsql AS $$\n"
            f"#variable_conflict use_column\nBEGIN {body}; RETURN NULL; END $$"
        )
        statements.append(
            f"CREATE TRIGGER report_rollups_{event} AFTER {event.upper()} ON leads "
            f"REFERENCING {transition[event]} FOR EACH STATEMENT "
            f"EXECUTE FUNCTION report_rollups_{event}()"
        )
    return statements


def _sqlite_statements() -> list[str]:
    changed = " OR ".join(f"OLD.{column} IS NOT NEW.{column}" for column in COLUMNS)
    changes = {
        "insert": _rows("NEW", 1),
        "delete": _rows("OLD", -1),
        "update": f"{_rows('OLD', -1)} UNION ALL {_rows('NEW', 1)}",
    }
    statements = []
    for event in TRIGGERS:
        when = f" WHEN {changed}" if event == "update" else ""
        body = "; ".join(_upserts("sqlite", changes[event]))
        statements.append(
            f"CREATE TRIGGER report_rollups_{event} AFTER {event.upper()} ON leads "
            f"FOR EACH ROW{when} BEGIN {body}; END"
        )
    return statements


async def _execute(client, statement: str) -> None:
    """One statement inside the migration's transaction. Not `execute_script` on SQLite:
    sqlite3's executescript commits the open transaction first, so a later failure would
    leave this migration half applied and unrecorded."""
    if client.capabilities.dialect == "postgres":
        await client.execute_script(statement)
    else:
        await client.execute_query(statement)


async def install_rollups(apps, schema_editor) -> None:
    """Fill the rollups from the leads stored so far, then keep them by triggers. Writers
    wait meanwhile (PostgreSQL: the lock below; SQLite: the migration's write transaction),
    so no lead changes between the backfill's snapshot and the triggers (other app instances
    keep running during a rolling deploy)."""
    client = schema_editor.client
    dialect = client.capabilities.dialect
    if dialect == "postgres":
        await _execute(client, "LOCK TABLE leads IN SHARE ROW EXCLUSIVE MODE")
    everything = _rows("leads", 1, " FROM leads")
    for statement in _upserts(dialect, everything):
        await _execute(client, statement)
    statements = _postgres_statements() if dialect == "postgres" else _sqlite_statements()
    for statement in statements:
        await _execute(client, statement)
    for name, (columns, predicate) in PARTIAL_INDEXES.items():
        await _execute(client, f"CREATE INDEX {name} ON leads ({columns}) WHERE {predicate}")


async def remove_rollups(apps, schema_editor) -> None:
    client = schema_editor.client
    postgres = client.capabilities.dialect == "postgres"
    for name in PARTIAL_INDEXES:
        await _execute(client, f"DROP INDEX IF EXISTS {name}")
    for event in TRIGGERS:
        on_table = " ON leads" if postgres else ""
        await _execute(client, f"DROP TRIGGER IF EXISTS report_rollups_{event}{on_table}")
        if postgres:
            await _execute(client, f"DROP FUNCTION IF EXISTS report_rollups_{event}()")


class Migration(migrations.Migration):
    dependencies = [("models", "0005_lead_firsts")]

    initial = False

    operations = [
        ops.CreateModel(
            name="CampaignDayFigures",
            fields=[
                (
                    "id",
                    fields.IntField(generated=True, primary_key=True, unique=True, db_index=True),
                ),
                ("campaign_id", fields.IntField()),
                ("day", fields.DateField()),
                ("created", fields.IntField(default=0)),
                ("new", fields.IntField(default=0)),
                ("active", fields.IntField(default=0)),
                ("done", fields.IntField(default=0)),
                ("successful", fields.IntField(default=0)),
                ("unsuccessful", fields.IntField(default=0)),
                ("closed_successful", fields.IntField(default=0)),
                ("closed_unsuccessful", fields.IntField(default=0)),
                ("reason_not_interested", fields.IntField(default=0)),
                ("reason_unreachable", fields.IntField(default=0)),
                ("reason_wrong_contact_data", fields.IntField(default=0)),
                ("reason_duplicate", fields.IntField(default=0)),
                ("reason_other", fields.IntField(default=0)),
            ],
            options={
                "table": "report_campaign_days",
                "app": "models",
                "unique_together": (("campaign_id", "day"),),
                "pk_attr": "id",
                "table_description": "One campaign's figures for one UTC day: the leads created that day and how they stand",
            },
            bases=["Model"],
        ),
        ops.CreateModel(
            name="ClerkDayFigures",
            fields=[
                (
                    "id",
                    fields.IntField(generated=True, primary_key=True, unique=True, db_index=True),
                ),
                ("assignee_id", fields.IntField()),
                ("day", fields.DateField()),
                ("closed", fields.IntField(default=0)),
                ("successful", fields.IntField(default=0)),
            ],
            options={
                "table": "report_clerk_days",
                "app": "models",
                "unique_together": (("assignee_id", "day"),),
                "pk_attr": "id",
                "table_description": "Of the leads assigned to one clerk now, how many were closed on one UTC day and how",
            },
            bases=["Model"],
        ),
        ops.RunPython(install_rollups, remove_rollups),
    ]
