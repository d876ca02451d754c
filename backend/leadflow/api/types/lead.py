"""The lead graph: campaigns, their leads and imports, and the opportunities leads turn into.

One module because each of these types builds the others (Campaign.leads and Lead.campaign,
Lead.opportunity and Opportunity.lead, Campaign.imports and LeadImport.campaign): split into
modules they would import each other. Everything they share with the rest (users, contacts,
history, figures, connections) lives in the modules below this one."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from datetime import date, datetime
from decimal import Decimal

import strawberry
from graphql import OperationType
from strawberry.types import Info
from strawberry.types.nodes import FragmentSpread, InlineFragment, SelectedField, Selection
from tortoise.queryset import QuerySet

from leadflow.api.context import Context
from leadflow.api.ids import encode_id
from leadflow.api.inputs.leads import LeadFilter
from leadflow.api.lead_columns import lead_columns, unread_columns
from leadflow.api.pagination import fetch_ordered_page, fetch_page
from leadflow.api.rows import (
    ACTIVITY_RELATIONS,
    LEAD_COLUMNS,
    OPPORTUNITY_RELATIONS,
    LeadRow,
    ModelValues,
    Values,
    lead_rows,
)
from leadflow.api.types.activity import ActivityNode
from leadflow.api.types.connection import Connection, CountAll
from leadflow.api.types.contact import ContactNode
from leadflow.api.types.distribution import CampaignDistributionNode
from leadflow.api.types.enums import (
    CloseReason,
    DueState,
    ImportStatus,
    LeadStatus,
    OpportunityLostReason,
    OpportunityStage,
    Outcome,
)
from leadflow.api.types.figures import CampaignStats
from leadflow.api.types.history import FeedbackNode, LeadEvent, OpportunityEvent
from leadflow.api.types.lists import LeadOrder
from leadflow.api.types.node import Node
from leadflow.api.types.user import UserNode
from leadflow.db import enums, models
from leadflow.db.lead_status import lead_status
from leadflow.services import lead_lists, leads
from leadflow.services.keyset import Ordering

# --- Campaign -------------------------------------------------------------------------------


@strawberry.type(name="Campaign", description="A marketing campaign that produces leads.")
class CampaignNode(Node):
    pk: strawberry.Private[int]
    name: str
    description: str
    starts_on: date | None
    ends_on: date | None
    created_at: datetime

    @strawberry.field(description="New/Active/Done and outcomes of this campaign's leads.")
    async def stats(self, info: Info[Context, None]) -> CampaignStats:
        return CampaignStats.from_stats(await info.context.loaders.campaign_stats.load(self.pk))

    @strawberry.field(description="This campaign's leads, newest first unless ordered otherwise.")
    async def leads(
        self,
        info: Info[Context, None],
        filter: LeadFilter | None = None,
        order_by: LeadOrder | None = LeadOrder.NEWEST,
        first: int | None = None,
        after: str | None = None,
    ) -> LeadConnection:
        return await resolve_leads(info, filter, order_by, first, after, campaign_pk=self.pk)

    @strawberry.field(
        description="The latest imports of lead files into this campaign, newest first (managers)."
    )
    async def imports(self, info: Info[Context, None], first: int = 10) -> list[LeadImportNode]:
        info.context.require_viewer()
        key = (self.pk, max(1, min(first, 50)))
        found = await info.context.loaders.campaign_imports.load(key)
        return [LeadImportNode.from_model(lead_import) for lead_import in found]

    @strawberry.field(
        description="How the campaign's leads are distributed (clerks, strategy, automatic at "
        "intake); managers only, null for others and before it was ever set or used."
    )
    async def distribution(self, info: Info[Context, None]) -> CampaignDistributionNode | None:
        info.context.require_viewer()
        found = await info.context.loaders.campaign_distribution.load(self.pk)
        return CampaignDistributionNode.from_model(found) if found is not None else None

    @strawberry.field(
        description="Hours a lead may wait before the clerk and the managers are reminded "
        "(null: no reminders); managers only, null for others."
    )
    async def waiting_limit_hours(self, info: Info[Context, None]) -> int | None:
        info.context.require_viewer()
        found = await info.context.loaders.managers_settings.load(self.pk)
        return found.waiting_limit_hours if found is not None else None

    @strawberry.field(
        description="Days after their close that unsuccessful leads keep their person's data "
        "(null: the instance's LEADFLOW_RETENTION_DAYS_UNSUCCESSFUL applies); managers only, "
        "null for others."
    )
    async def retention_days(self, info: Info[Context, None]) -> int | None:
        info.context.require_viewer()
        found = await info.context.loaders.managers_settings.load(self.pk)
        return found.retention_days if found is not None else None

    @classmethod
    def from_values(cls, row: Values, prefix: str = "") -> CampaignNode:
        return cls(
            id=encode_id("Campaign", row[f"{prefix}id"]),
            pk=row[f"{prefix}id"],
            name=row[f"{prefix}name"],
            description=row[f"{prefix}description"],
            starts_on=row[f"{prefix}starts_on"],
            ends_on=row[f"{prefix}ends_on"],
            created_at=row[f"{prefix}created_at"],
        )

    @classmethod
    def from_model(cls, campaign: models.Campaign) -> CampaignNode:
        return cls.from_values(ModelValues(campaign))


# --- Lead -----------------------------------------------------------------------------------


@strawberry.type(name="Lead", description="A contact from a campaign, to be worked by a clerk.")
class LeadNode(Node):
    pk: strawberry.Private[int]
    contact: ContactNode
    campaign: CampaignNode
    status: LeadStatus = strawberry.field(description="Derived from assignee and close.")
    assignee: UserNode | None = strawberry.field(description="The clerk working the lead.")
    assigned_at: datetime | None
    waiting_since: datetime | None = strawberry.field(
        description=(
            "ACTIVE leads: when the current wait for the clerk started, the later of the "
            "assignment to this clerk and the latest feedback (what the aging list "
            "ACTIVE_WITHOUT_FEEDBACK and each clerk's oldest waiting lead go by); null otherwise."
        )
    )
    assignment_reason: str | None = strawberry.field(
        description="Why the current clerk got the lead, in German as shown to users "
        '("manuell zugewiesen", "Anna Schmidt: 12 von 20 offen, am wenigsten ausgelastet", '
        '"automatisch: ...", "übertragen von Ben Meier"); null for NEW leads.'
    )
    outcome: Outcome | None
    close_reason: CloseReason | None = strawberry.field(description="Set for unsuccessful closes.")
    close_note: str
    closed_at: datetime | None
    created_at: datetime
    closed_by_pk: strawberry.Private[int | None]
    next_due_at: strawberry.Private[datetime | None]

    @strawberry.field(
        description="Where the next open activity falls by calendar day in the viewer's time "
        "zone (the Time-Zone header; UTC without one); NONE with nothing scheduled and for "
        "DONE leads."
    )
    def due_state(self, info: Info[Context, None]) -> DueState:
        # From the lead's row (next_due_at is kept by the activities service): no query.
        is_open = self.status is not enums.LeadStatus.DONE
        return info.context.today.state_of(self.next_due_at, is_open=is_open)

    @strawberry.field(description="The open activity due first; null when nothing is planned.")
    async def next_activity(self, info: Info[Context, None]) -> ActivityNode | None:
        if self.next_due_at is None:
            return None
        activity = await info.context.loaders.next_activity_by_lead.load(self.pk)
        return ActivityNode.from_model(activity, lead=self) if activity else None

    @strawberry.field(
        description="The lead's activities: the open ones by due time, then the done ones, "
        "the latest done first."
    )
    async def activities(self, info: Info[Context, None]) -> list[ActivityNode]:
        found = await info.context.loaders.activities_by_lead.load(self.pk)
        return [ActivityNode.from_model(activity, lead=self) for activity in found]

    @strawberry.field(description="Who closed the lead.")
    async def closed_by(self, info: Info[Context, None]) -> UserNode | None:
        if self.closed_by_pk is None:
            return None
        return UserNode.optional(await info.context.loaders.user.load(self.closed_by_pk))

    @strawberry.field(description="Feedback entries, oldest first.")
    async def feedback(self, info: Info[Context, None]) -> list[FeedbackNode]:
        entries = await info.context.loaders.feedback_by_lead.load(self.pk)
        return [FeedbackNode.from_model(entry) for entry in entries]

    @strawberry.field(description="Everything that happened to the lead, oldest first.")
    async def history(self, info: Info[Context, None]) -> list[LeadEvent]:
        events = await info.context.loaders.history_by_lead.load(self.pk)
        return [LeadEvent.from_model(event, self._event_activity(event)) for event in events]

    def _event_activity(self, event: models.LeadEvent) -> ActivityNode | None:
        if event.activity is None:
            return None
        return ActivityNode.from_model(event.activity, lead=self)

    @strawberry.field(description="The opportunity created when the lead was closed successfully.")
    async def opportunity(self, info: Info[Context, None]) -> OpportunityNode | None:
        opportunity = await info.context.loaders.opportunity_by_lead.load(self.pk)
        return OpportunityNode.from_model(opportunity) if opportunity else None

    @classmethod
    def identified(cls, pk: int, status: enums.LeadStatus) -> LeadNode:
        """A lead known by its id and status only, for an answer that selects nothing else
        (`load_assigned_lead_nodes` checks the selection): its other fields are not set."""
        lead = object.__new__(cls)
        lead.id, lead.pk, lead.status = strawberry.ID(encode_id("Lead", pk)), pk, status
        return lead

    @classmethod
    def from_values(cls, row: LeadRow) -> LeadNode:
        """`row` holds the columns of LEAD_COLUMNS: the lead with contact, campaign and
        assignee joined, as plain values (building ORM models costs more than the query)."""
        status = lead_status(row["closed_at"], row["assignee_id"])
        return cls(
            id=encode_id("Lead", row["id"]),
            pk=row["id"],
            contact=ContactNode.from_values(row, "contact__"),
            campaign=CampaignNode.from_values(row, "campaign__"),
            status=status,
            assignee=(
                UserNode.from_values(row, "assignee__") if row["assignee_id"] is not None else None
            ),
            assigned_at=row["assigned_at"],
            waiting_since=row["waiting_since"] if status is enums.LeadStatus.ACTIVE else None,
            assignment_reason=(
                row["assignment_reason"] if status is not enums.LeadStatus.NEW else None
            ),
            outcome=row["outcome"],
            close_reason=row["close_reason"],
            close_note=row["close_note"],
            closed_at=row["closed_at"],
            closed_by_pk=row["closed_by_id"],
            created_at=row["created_at"],
            next_due_at=row["next_due_at"],
        )


async def load_lead_nodes(lead_ids: list[int]) -> list[LeadNode]:
    """The leads of `lead_ids`, in that order (ids a service has just returned)."""
    if not lead_ids:
        return []
    rows = await lead_rows(lead_ids)
    return [LeadNode.from_values(rows[lead_id]) for lead_id in lead_ids]


# What an answer about leads a write has just changed can give without reading them again.
IDENTITY_FIELDS = frozenset({"id", "status", "__typename"})


async def load_assigned_lead_nodes(
    info: Info[Context, None], lead_ids: list[int], assignee_id: int
) -> list[LeadNode]:
    """The leads an assignment has just given to `assignee_id`, in that order. When the
    payload's `leads` select only IDENTITY_FIELDS (the web app's AssignLeads asks for `id` and
    `status`), the answer comes from the write: each lead is ACTIVE now (assigned, and only open
    leads are); reading back a thousand leads with their contacts would cost more than the
    write. Any other selection reads them (`load_lead_nodes`)."""
    if not _selects_only(info.selected_fields, "leads", IDENTITY_FIELDS):
        return await load_lead_nodes(lead_ids)
    status = lead_status(None, assignee_id)
    return [LeadNode.identified(lead_id, status) for lead_id in lead_ids]


def _selects_only(selections: list[Selection], field: str, allowed: frozenset[str]) -> bool:
    """Whether every selection of `field` among the payload's fields (through fragments)
    selects only `allowed` leaf fields. A directive anywhere (@include, @skip) answers no."""
    for selection in selections:
        if selection.directives:
            return False
        if isinstance(selection, FragmentSpread | InlineFragment) or selection.name != field:
            if not _selects_only(selection.selections, field, allowed):
                return False
        elif not _leaves_only(selection.selections, allowed):
            return False
    return True


def _leaves_only(selections: list[Selection], allowed: frozenset[str]) -> bool:
    for selection in selections:
        if selection.directives:
            return False
        if isinstance(selection, FragmentSpread | InlineFragment):
            if not _leaves_only(selection.selections, allowed):
                return False
        elif selection.name not in allowed or selection.selections:
            return False
    return True


async def load_lead_node(lead_id: int) -> LeadNode:
    return (await load_lead_nodes([lead_id]))[0]


async def resolve_leads(
    info: Info[Context, None],
    raw_filter: LeadFilter | None,
    order: LeadOrder | None,
    first: int | None,
    after: str | None,
    *,
    campaign_pk: int | None = None,
) -> LeadConnection:
    """The viewer's leads matching the filter, in `order` (`leads` and `Campaign.leads`)."""
    actor = info.context.require_viewer()
    lead_filter = LeadFilter.parse(raw_filter, campaign_pk=campaign_pk)
    today = info.context.today
    matching = lead_lists.filtered_leads(actor, lead_filter, today)
    ordering = lead_lists.lead_ordering(actor, order or LeadOrder.NEWEST)

    async def count_all() -> int:
        # From maintained counters for the common filters (no query over the leads).
        return await lead_lists.count_leads(actor, lead_filter, today)

    selected = [selection for field in info.selected_fields for selection in field.selections]
    return await ordered_lead_connection(
        matching,
        ordering,
        first,
        after,
        count_all=count_all,
        count_now=_asks_total_count(info, selected),
        columns=lead_columns(selected),
    )


def _asks_total_count(info: Info[Context, None], selected: list[Selection]) -> bool:
    """A query (not a mutation: a keyed mutation runs in one transaction, on one connection)
    that selects totalCount right on the connection; inside a fragment it is counted later."""
    if info.operation.operation is not OperationType.QUERY:
        return False
    return any(
        isinstance(selection, SelectedField) and selection.name == "totalCount"
        for selection in selected
    )


async def ordered_lead_connection(
    matching: QuerySet[models.Lead],
    ordering: Ordering,
    first: int | None,
    after: str | None,
    *,
    count_all: CountAll | None = None,
    count_now: bool = False,
    columns: tuple[str, ...] = LEAD_COLUMNS,
) -> LeadConnection:
    """A page of `matching` in `ordering` as value rows (one query with the joins) of
    `columns` (those the selection reads: `api.lead_columns`); totalCount by `count_all` when
    given, else by counting `matching`. With `count_now`, the count runs beside the page
    query (on PostgreSQL on a second pool connection: one round trip less to wait for), not
    after it."""
    to_node = _lead_node_of(columns)
    if count_now and count_all is not None:
        page, total = await asyncio.gather(
            fetch_ordered_page(matching, ordering, first, after, columns=columns),
            count_all(),
        )

        known = int(total)

        async def counted() -> int:
            return known

        return LeadConnection.from_page(page, to_node, counted)
    page = await fetch_ordered_page(matching, ordering, first, after, columns=columns)
    return LeadConnection.from_page(page, to_node, count_all or matching)


def _lead_node_of(columns: tuple[str, ...]) -> Callable[[LeadRow], LeadNode]:
    """`LeadNode.from_values` for rows of `columns`: the unread ones completed with None."""
    unread = unread_columns(columns)
    if not unread:
        return LeadNode.from_values
    return lambda row: LeadNode.from_values({**unread, **row})


async def lead_connection(
    matching: QuerySet[models.Lead],
    first: int | None,
    after: str | None,
    *,
    newest_first: bool,
    sort_column: str | None = None,
) -> LeadConnection:
    """A page of `matching` as value rows (one query with the joins), as a connection."""
    page = await fetch_page(
        matching,
        first,
        after,
        newest_first=newest_first,
        columns=LEAD_COLUMNS,
        sort_column=sort_column,
    )
    return LeadConnection.from_page(page, LeadNode.from_values, matching)


# --- Opportunity ----------------------------------------------------------------------------


@strawberry.type(name="Opportunity", description="A sales opportunity (Verkaufschance).")
class OpportunityNode(Node):
    pk: strawberry.Private[int]
    lead_pk: strawberry.Private[int | None]
    title: str
    contact: ContactNode
    owner: UserNode = strawberry.field(description="The clerk responsible for it.")
    stage: OpportunityStage
    expected_value: Decimal | None
    expected_close_date: date | None = strawberry.field(
        description="When the owner expects it to close."
    )
    closed_at: datetime | None = strawberry.field(
        description="When it was won or lost; null while open."
    )
    lost_reason: OpportunityLostReason | None = strawberry.field(
        description="LOST: why it was lost."
    )
    created_at: datetime
    next_due_at: strawberry.Private[datetime | None]

    @strawberry.field(
        description="Where the next open activity falls by calendar day in the viewer's time "
        "zone (the Time-Zone header; UTC without one); NONE with nothing scheduled and once "
        "won or lost."
    )
    def due_state(self, info: Info[Context, None]) -> DueState:
        return info.context.today.state_of(self.next_due_at, is_open=self.closed_at is None)

    @strawberry.field(description="The open activity due first; null when nothing is planned.")
    async def next_activity(self, info: Info[Context, None]) -> ActivityNode | None:
        if self.next_due_at is None:
            return None
        activity = await info.context.loaders.next_activity_by_opportunity.load(self.pk)
        return ActivityNode.from_model(activity, opportunity=self) if activity else None

    @strawberry.field(
        description="The opportunity's activities: the open ones by due time, then the done "
        "ones, the latest done first."
    )
    async def activities(self, info: Info[Context, None]) -> list[ActivityNode]:
        found = await info.context.loaders.activities_by_opportunity.load(self.pk)
        return [ActivityNode.from_model(activity, opportunity=self) for activity in found]

    @strawberry.field(description="The lead it came from, if any.")
    async def lead(self, info: Info[Context, None]) -> LeadNode | None:
        if self.lead_pk is None:
            return None
        row = await info.context.loaders.lead.load(self.lead_pk)
        if row is None:
            return None
        # The owner of a handed-over opportunity may see it, but not the other clerk's lead.
        leads.require_lead_visible(info.context.require_viewer(), row)
        return LeadNode.from_values(row)

    @strawberry.field(description="Creation and hand-overs, oldest first.")
    async def history(self, info: Info[Context, None]) -> list[OpportunityEvent]:
        events = await info.context.loaders.history_by_opportunity.load(self.pk)
        return [OpportunityEvent.from_model(event, self._event_activity(event)) for event in events]

    def _event_activity(self, event: models.OpportunityEvent) -> ActivityNode | None:
        if event.activity is None:
            return None
        return ActivityNode.from_model(event.activity, opportunity=self)

    @classmethod
    def from_values(cls, row: LeadRow) -> OpportunityNode:
        """`row` holds the columns of OPPORTUNITY_COLUMNS (the list's value rows)."""
        return cls(
            id=encode_id("Opportunity", row["id"]),
            pk=row["id"],
            lead_pk=row["lead_id"],
            title=row["title"],
            contact=ContactNode.from_values(row, "contact__"),
            owner=UserNode.from_values(row, "owner__"),
            stage=row["stage"],
            expected_value=row["expected_value"],
            expected_close_date=row["expected_close_date"],
            closed_at=row["closed_at"],
            lost_reason=row["lost_reason"],
            created_at=row["created_at"],
            next_due_at=row["next_due_at"],
        )

    @classmethod
    def from_model(cls, opportunity: models.Opportunity) -> OpportunityNode:
        """`opportunity` must come with OPPORTUNITY_RELATIONS joined."""
        return cls(
            id=encode_id("Opportunity", opportunity.id),
            pk=opportunity.id,
            lead_pk=opportunity.lead_id,
            title=opportunity.title,
            contact=ContactNode.from_model(opportunity.contact),
            owner=UserNode.from_model(opportunity.owner),
            stage=opportunity.stage,
            expected_value=opportunity.expected_value,
            expected_close_date=opportunity.expected_close_date,
            closed_at=opportunity.closed_at,
            lost_reason=opportunity.lost_reason,
            created_at=opportunity.created_at,
            next_due_at=opportunity.next_due_at,
        )


async def load_opportunity_node(opportunity_id: int) -> OpportunityNode:
    """An opportunity a service has just returned, with what it is shown with."""
    opportunity = await models.Opportunity.get(id=opportunity_id).select_related(
        *OPPORTUNITY_RELATIONS
    )
    return OpportunityNode.from_model(opportunity)


async def load_activity_node(activity_id: int) -> ActivityNode:
    """An activity a service has just returned (or `node(id:)` found), with its subject; the
    viewer sees the subject whenever it may see the activity (policy.activity_scope)."""
    activity = await models.Activity.get(id=activity_id).select_related(*ACTIVITY_RELATIONS)
    if activity.lead_id is not None:
        return ActivityNode.from_model(activity, lead=await load_lead_node(activity.lead_id))
    assert activity.opportunity_id is not None
    opportunity = await load_opportunity_node(activity.opportunity_id)
    return ActivityNode.from_model(activity, opportunity=opportunity)


# --- Lead import ----------------------------------------------------------------------------


@strawberry.type(
    name="LeadImport",
    description="One import of a lead file into a campaign: who started it, how far it got, "
    "what it found. Files are uploaded with POST /files/imports (see the README).",
)
class LeadImportNode(Node):
    pk: strawberry.Private[int]
    campaign_pk: strawberry.Private[int]
    file_name: str = strawberry.field(description="The name of the imported file.")
    status: ImportStatus = strawberry.field(description="Where the import stands.")
    started_at: datetime = strawberry.field(description="When it started.")
    finished_at: datetime | None = strawberry.field(description="When it completed.")
    rows_expected: int | None = strawberry.field(
        description="About how many rows the file has (counted from its lines), for progress."
    )
    rows_processed: int = strawberry.field(description="Rows handled so far, of every kind.")
    leads_created: int = strawberry.field(description="New leads created.")
    contacts_reused: int = strawberry.field(
        description="Of the new leads, how many belong to a contact that was known already."
    )
    duplicates_skipped: int = strawberry.field(
        description="Rows skipped because the contact already has an open lead in the campaign."
    )
    rows_rejected: int = strawberry.field(
        description="Rows not imported because of a mistake (see rejectedRowsUrl)."
    )
    empty_rows: int = strawberry.field(description="Empty rows, ignored.")
    unknown_columns: list[str] = strawberry.field(
        description="Columns of the file that were not imported."
    )
    failure: str | None = strawberry.field(description="Why the import stopped, if it failed.")
    rejected_rows_url: str | None = strawberry.field(
        description="Download of the rejected rows with their reasons (CSV), to fix and import "
        "again; null when no row was rejected."
    )
    created_by: UserNode | None = strawberry.field(
        description="The manager who started it; null for the command line."
    )

    @strawberry.field(description="The campaign the leads went into.")
    async def campaign(self, info: Info[Context, None]) -> CampaignNode:
        return CampaignNode.from_model(await models.Campaign.get(id=self.campaign_pk))

    @classmethod
    def from_model(cls, lead_import: models.LeadImport) -> LeadImportNode:
        """`created_by` must be fetched (select_related)."""
        global_id = encode_id("LeadImport", lead_import.id)
        return cls(
            id=global_id,
            pk=lead_import.id,
            campaign_pk=lead_import.campaign_id,
            file_name=lead_import.file_name,
            status=lead_import.status,
            started_at=lead_import.started_at,
            finished_at=lead_import.finished_at,
            rows_expected=lead_import.rows_total,
            rows_processed=lead_import.rows_processed,
            leads_created=lead_import.leads_created,
            contacts_reused=lead_import.contacts_reused,
            duplicates_skipped=lead_import.duplicates_skipped,
            rows_rejected=lead_import.rows_rejected,
            empty_rows=lead_import.empty_rows,
            unknown_columns=list(lead_import.unknown_columns),
            failure=lead_import.failure or None,
            rejected_rows_url=(
                f"/files/imports/{global_id}/rejected.csv" if lead_import.rows_rejected else None
            ),
            created_by=UserNode.optional(lead_import.created_by),
        )


LeadConnection = Connection[LeadNode]
OpportunityConnection = Connection[OpportunityNode]
CampaignConnection = Connection[CampaignNode]
