"""Fewer index entries per write of a lead (issue 16: `assignLeads` of 1,000 leads).

A write that changes an indexed column of a lead (an assignment, a feedback, a close) cannot be
a HOT update: PostgreSQL inserts an entry into every index of `leads` whose condition the new
row meets (SQLite likewise into every index). Before this migration an assignment of a NEW lead
inserted into 21 of the 29 indexes; the UPDATE of 1,000 leads spent most of its time there.

- Dropped: (assignee_id, closed_at), (assignee_id, closed_at, waiting_since) and (assignee_id,
  closed_at, next_due_at). Every query they served reads a later, narrower index: a clerk's
  open leads by due date and by waiting time (0012's `leads_open_by_assignee_due` and
  `_waiting`, which also answer `myTaskCounts` from the index alone), per clerk and status in
  created order (0020), the oldest waiting lead per clerk (0012's waiting index).
- Partial now (SQL here, not in the models): (campaign_id, closed_at), (closed_at) and
  (first_feedback_at) hold only the rows that have the date. They serve closes by period (reports, retention) and the leads first
  answered in a period (the clerks' medians): a range of dates never matches NULL, so both
  databases still use them (PostgreSQL and SQLite both infer `x IS NOT NULL` from `x < y`),
  and an open or unanswered lead (every lead an assignment touches) adds no entry to them.

After it, an assignment of a NEW lead inserts into 15 indexes (the rest are other statuses').
tests/db/test_query_plans.py checks the lists' plans; tests/db/test_migrations.py that the
models' indexes and these partial ones exist.

Also: the descriptions (PostgreSQL column comments) of `import_issues.code` and
`notifications.kind` follow the kinds 0016 and 0017 added (SUPPRESSED, WEBHOOK_DISABLED); on
SQLite only the migration state changes (0011's reasoning: no table rebuild). The closed sets
are copied as they are today (not imported from leadflow.db.enums).
"""

from enum import StrEnum

from tortoise import fields, migrations
from tortoise.migrations import operations as ops


class ImportIssueCode(StrEnum):
    REQUIRED = "REQUIRED"
    INVALID = "INVALID"
    TOO_LONG = "TOO_LONG"
    TOO_MANY_FIELDS = "TOO_MANY_FIELDS"
    DUPLICATE = "DUPLICATE"
    DUPLICATE_IN_FILE = "DUPLICATE_IN_FILE"
    SUPPRESSED = "SUPPRESSED"


class NotificationKind(StrEnum):
    LEAD_ASSIGNED = "LEAD_ASSIGNED"
    LEAD_REASSIGNED_AWAY = "LEAD_REASSIGNED_AWAY"
    OPPORTUNITY_HANDED_OVER = "OPPORTUNITY_HANDED_OVER"
    ACTIVITY_DUE = "ACTIVITY_DUE"
    LEADS_WAITING = "LEADS_WAITING"
    WEBHOOK_DISABLED = "WEBHOOK_DISABLED"


def _described(kinds: type[StrEnum]) -> str:
    return "\n".join(f"{kind.name}: {kind.value}" for kind in kinds)


class DescriptionOnlyAlterField(ops.AlterField):
    """0011's: PostgreSQL gets the new comment; on SQLite only the state changes (Tortoise would
    rebuild the table for a comment SQLite does not keep, losing its indexes)."""

    async def database_forward(self, app_label, old_state, new_state, state_editor=None):
        if state_editor is None or state_editor.client.capabilities.dialect == "sqlite":
            return
        await super().database_forward(app_label, old_state, new_state, state_editor)

    async def database_backward(self, app_label, old_state, new_state, state_editor=None):
        if state_editor is None or state_editor.client.capabilities.dialect == "sqlite":
            return
        await super().database_backward(app_label, old_state, new_state, state_editor)


# name: (columns, the condition). Same SQL on both databases; not in the models (Tortoise's
# PartialIndex knows only `column = value`), as 0020's.
PARTIAL_INDEXES = {
    "leads_closed_by_campaign": ("campaign_id, closed_at", "closed_at IS NOT NULL"),
    "leads_closed": ("closed_at", "closed_at IS NOT NULL"),
    "leads_answered": ("first_feedback_at", "first_feedback_at IS NOT NULL"),
}


async def _execute(client, statement: str) -> None:
    """One statement inside the migration's transaction (see 0006: not execute_script on
    SQLite, which commits first)."""
    if client.capabilities.dialect == "postgres":
        await client.execute_script(statement)
    else:
        await client.execute_query(statement)


async def create_partial_indexes(apps, schema_editor) -> None:
    for name, (columns, condition) in PARTIAL_INDEXES.items():
        await _execute(
            schema_editor.client, f"CREATE INDEX {name} ON leads ({columns}) WHERE {condition}"
        )


async def drop_partial_indexes(apps, schema_editor) -> None:
    for name in PARTIAL_INDEXES:
        await _execute(schema_editor.client, f"DROP INDEX IF EXISTS {name}")


class Migration(migrations.Migration):
    dependencies = [("models", "0023_lead_search_text")]

    initial = False

    operations = [
        ops.RemoveIndex(model_name="Lead", fields=["assignee_id", "closed_at"]),
        ops.RemoveIndex(model_name="Lead", fields=["assignee_id", "closed_at", "waiting_since"]),
        ops.RemoveIndex(model_name="Lead", fields=["assignee_id", "closed_at", "next_due_at"]),
        ops.RemoveIndex(model_name="Lead", fields=["campaign_id", "closed_at"]),
        ops.RemoveIndex(model_name="Lead", fields=["closed_at"]),
        ops.RemoveIndex(model_name="Lead", fields=["first_feedback_at"]),
        ops.RunPython(create_partial_indexes, drop_partial_indexes),
        DescriptionOnlyAlterField(
            model_name="ImportIssue",
            name="code",
            field=fields.CharEnumField(
                description=_described(ImportIssueCode),
                db_default=ImportIssueCode.INVALID,
                enum_type=ImportIssueCode,
                max_length=32,
            ),
        ),
        DescriptionOnlyAlterField(
            model_name="Notification",
            name="kind",
            field=fields.CharEnumField(
                description=_described(NotificationKind),
                enum_type=NotificationKind,
                max_length=32,
            ),
        ),
    ]
