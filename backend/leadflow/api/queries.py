"""The root Query type: thin resolvers over the services."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, TypeVar

import strawberry
from strawberry.types import Info

from leadflow.api.context import Context
from leadflow.api.ids import decode_id, decode_optional_id
from leadflow.api.inputs.leads import LeadFilter, TaskFilter
from leadflow.api.inputs.opportunities import OpportunityFilter, PipelineFilter
from leadflow.api.node_lookup import resolve_node
from leadflow.api.pagination import fetch_ordered_page, fetch_page
from leadflow.api.rows import OPPORTUNITY_COLUMNS
from leadflow.api.types.admin import ApiTokenNode, AuditEntry, AuditEntryConnection
from leadflow.api.types.contact import ContactNode
from leadflow.api.types.enums import Role
from leadflow.api.types.figures import LeadCounts, PipelineStage
from leadflow.api.types.lead import (
    CampaignConnection,
    CampaignNode,
    LeadConnection,
    LeadImportNode,
    LeadNode,
    OpportunityConnection,
    OpportunityNode,
    lead_connection,
    load_lead_node,
    load_lead_nodes,
    ordered_lead_connection,
    resolve_leads,
)
from leadflow.api.types.lists import LeadOrder, MyTaskCounts, OpportunityOrder, TaskOrder
from leadflow.api.types.node import Node
from leadflow.api.types.notification import NotificationConnection, NotificationNode
from leadflow.api.types.reports import (
    AgingKind,
    CampaignReport,
    ClerkReport,
    ReportInterval,
    TimeSeriesPoint,
)
from leadflow.api.types.user import UserNode
from leadflow.api.types.webhook import WebhookNode
from leadflow.services import (
    accounts,
    audit,
    campaigns,
    lead_lists,
    leads,
    notifications,
    opportunities,
    opportunity_orders,
    reports,
    users,
)
from leadflow.services.privacy import export as contact_export
from leadflow.services.webhooks import manage as webhooks

NodeT = TypeVar("NodeT", bound=Node)

# Report arguments, the same on every report field.
_FROM = "Start of the period, included (UTC when no offset is given)."
_TO = "End of the period, excluded."
From = Annotated[datetime, strawberry.argument(name="from", description=_FROM)]
To = Annotated[datetime, strawberry.argument(description=_TO)]
OptionalFrom = Annotated[datetime | None, strawberry.argument(name="from", description=_FROM)]
OptionalTo = Annotated[datetime | None, strawberry.argument(description=_TO)]
OnlyCampaign = Annotated[
    strawberry.ID | None, strawberry.argument(description="Only this campaign.")
]


@strawberry.type
class Query:
    @strawberry.field(description="The user the request is authenticated as.")
    async def viewer(self, info: Info[Context, None]) -> UserNode:
        return UserNode.from_model(info.context.require_viewer())

    @strawberry.field(description="Any object by its global ID.")
    async def node(self, info: Info[Context, None], id: strawberry.ID) -> Node:
        return await resolve_node(info.context.require_viewer(), id)

    @strawberry.field(
        description="Leads the viewer may see, newest first unless ordered otherwise; cursors "
        "belong to their order."
    )
    async def leads(
        self,
        info: Info[Context, None],
        filter: LeadFilter | None = None,
        order_by: LeadOrder | None = LeadOrder.NEWEST,
        first: int | None = None,
        after: str | None = None,
    ) -> LeadConnection:
        return await resolve_leads(info, filter, order_by, first, after)

    @strawberry.field(description="One lead by ID.")
    async def lead(self, info: Info[Context, None], id: strawberry.ID) -> LeadNode:
        actor = info.context.require_viewer()
        lead = await leads.get_lead(actor, decode_id(id, "Lead", ["id"]))
        return await load_lead_node(lead.id)

    @strawberry.field(
        description="New/Active/Done counts for the overview; filter.status is ignored."
    )
    async def lead_counts(
        self, info: Info[Context, None], filter: LeadFilter | None = None
    ) -> LeadCounts:
        actor = info.context.require_viewer()
        counts = await lead_lists.lead_counts(actor, LeadFilter.parse(filter), info.context.today)
        return LeadCounts.from_counts(counts)

    @strawberry.field(
        description="The viewer's ACTIVE leads (their task list), by default what is due first "
        "(see TaskOrder); cursors belong to their order."
    )
    async def my_tasks(
        self,
        info: Info[Context, None],
        filter: TaskFilter | None = None,
        order_by: TaskOrder | None = TaskOrder.NEXT_DUE,
        first: int | None = None,
        after: str | None = None,
    ) -> LeadConnection:
        actor = info.context.require_viewer()
        today = info.context.today
        task_filter = TaskFilter.parse(filter)
        matching = lead_lists.my_tasks(actor, task_filter, today)
        ordering = lead_lists.TASK_ORDERINGS[order_by or TaskOrder.NEXT_DUE]

        async def count_all() -> int:
            return await lead_lists.count_tasks(actor, task_filter, today)

        return await ordered_lead_connection(matching, ordering, first, after, count_all=count_all)

    @strawberry.field(
        description="How many of the viewer's ACTIVE leads are overdue, due today, upcoming or "
        "have nothing scheduled (today in the viewer's time zone)."
    )
    async def my_task_counts(self, info: Info[Context, None]) -> MyTaskCounts:
        actor = info.context.require_viewer()
        counts = await lead_lists.my_task_counts(actor, info.context.today)
        return MyTaskCounts.from_counts(counts)

    @strawberry.field(description="The viewer's own notifications, newest first.")
    async def notifications(
        self,
        info: Info[Context, None],
        unread_only: bool | None = False,
        first: int | None = None,
        after: str | None = None,
    ) -> NotificationConnection:
        matching = notifications.own_notifications(info.context.require_viewer())
        if unread_only:
            matching = matching.filter(read_at=None)
        page = await fetch_page(matching, first, after)
        return NotificationConnection.from_page(page, NotificationNode.from_model, matching)

    @strawberry.field(description="How many of the viewer's notifications are unread.")
    async def unread_notification_count(self, info: Info[Context, None]) -> int:
        return await notifications.unread_count(info.context.require_viewer())

    @strawberry.field(description="Campaigns, newest first.")
    async def campaigns(
        self, info: Info[Context, None], first: int | None = None, after: str | None = None
    ) -> CampaignConnection:
        matching = campaigns.visible_campaigns(info.context.require_viewer())
        page = await fetch_page(matching, first, after)
        return CampaignConnection.from_page(page, CampaignNode.from_model, matching)

    @strawberry.field(
        description="Opportunities the viewer may see, newest first unless ordered otherwise; "
        "cursors belong to their order."
    )
    async def opportunities(
        self,
        info: Info[Context, None],
        filter: OpportunityFilter | None = None,
        order_by: OpportunityOrder | None = OpportunityOrder.NEWEST,
        first: int | None = None,
        after: str | None = None,
    ) -> OpportunityConnection:
        actor = info.context.require_viewer()
        matching = opportunities.filtered_opportunities(actor, OpportunityFilter.parse(filter))
        in_order, ordering = opportunity_orders.opportunities_in_order(
            matching, order_by or OpportunityOrder.NEWEST
        )
        page = await fetch_ordered_page(
            in_order, ordering, first, after, columns=OPPORTUNITY_COLUMNS
        )
        return OpportunityConnection.from_page(page, OpportunityNode.from_values, matching)

    @strawberry.field(
        description="The opportunity pipeline: per stage, in stage order (zeros included), how "
        "many of the opportunities the viewer may see are in it and their expected value."
    )
    async def pipeline(
        self, info: Info[Context, None], filter: PipelineFilter | None = None
    ) -> list[PipelineStage]:
        actor = info.context.require_viewer()
        figures = await opportunities.pipeline(actor, PipelineFilter.parse(filter))
        return [PipelineStage.from_figures(stage) for stage in figures]

    @strawberry.field(description="Users, by name; e.g. role: CLERK for the assignment dialog.")
    async def users(self, info: Info[Context, None], role: Role | None = None) -> list[UserNode]:
        actor = info.context.require_viewer()
        return [UserNode.from_model(user) for user in await users.list_users(actor, role)]

    @strawberry.field(description="One campaign by ID.")
    async def campaign(self, info: Info[Context, None], id: strawberry.ID) -> CampaignNode:
        return await _node_of(info, id, "Campaign", CampaignNode)

    @strawberry.field(description="One contact by ID.")
    async def contact(self, info: Info[Context, None], id: strawberry.ID) -> ContactNode:
        return await _node_of(info, id, "Contact", ContactNode)

    @strawberry.field(description="One opportunity by ID.")
    async def opportunity(self, info: Info[Context, None], id: strawberry.ID) -> OpportunityNode:
        return await _node_of(info, id, "Opportunity", OpportunityNode)

    @strawberry.field(
        description="One import of a lead file by ID (managers): poll it for the progress of an "
        "import started with POST /files/imports."
    )
    async def lead_import(self, info: Info[Context, None], id: strawberry.ID) -> LeadImportNode:
        return await _node_of(info, id, "LeadImport", LeadImportNode)

    @strawberry.field(description="Security-relevant events, newest first (admins).")
    async def audit_log(
        self, info: Info[Context, None], first: int | None = None, after: str | None = None
    ) -> AuditEntryConnection:
        matching = audit.audit_entries(info.context.require_viewer())
        page = await fetch_page(matching.select_related("actor"), first, after)
        return AuditEntryConnection.from_page(page, AuditEntry.from_model, matching)

    @strawberry.field(
        description="Everything stored about one person (DSGVO Art. 15), as a JSON document "
        '(format "leadflow.contact-export/1"): the contact, its corrections, its leads with '
        "their source (import, partner or by hand), feedback, activities and history, its "
        "opportunities, the notifications naming it, the webhooks its data was sent to, the "
        "import rows rejected that are the person's (by the erasure's rule) and the failed "
        "logins with their email. Admins, and managers when "
        "LEADFLOW_CONTACT_EXPORT_MANAGERS is set; every export is recorded in the audit log. "
        "The same document as GET /files/contacts/<id>/export.json."
    )
    async def contact_data_export(
        self, info: Info[Context, None], contact_id: strawberry.ID
    ) -> str:
        document = await contact_export.contact_data_export(
            info.context.require_viewer(),
            decode_id(contact_id, "Contact", ["contactId"]),
            address=info.context.address,
        )
        return contact_export.as_json(document)

    @strawberry.field(description="A user's API tokens, without their secrets (admins).")
    async def api_tokens(
        self, info: Info[Context, None], user_id: strawberry.ID
    ) -> list[ApiTokenNode]:
        actor = info.context.require_viewer()
        accounts.require_admin_for(actor, accounts.AdminAction.LIST_API_TOKENS)
        tokens = await accounts.tokens_of(actor, decode_id(user_id, "User", ["userId"]))
        return [ApiTokenNode.from_model(token) for token in tokens]

    # --- Webhooks (managers and admins all, a partner its own) ---------------------------------

    @strawberry.field(description="The webhooks the viewer manages, oldest first.")
    async def webhooks(self, info: Info[Context, None]) -> list[WebhookNode]:
        found = await webhooks.webhooks_of(info.context.require_viewer())
        return [WebhookNode.from_model(webhook) for webhook in found]

    @strawberry.field(description="One webhook by ID, with its delivery log.")
    async def webhook(self, info: Info[Context, None], id: strawberry.ID) -> WebhookNode | None:
        return await _node_of(info, id, "Webhook", WebhookNode)

    @strawberry.field(
        description="The event types the viewer's webhooks may subscribe to (a partner's: lead "
        "events only), in the order the web app lists them."
    )
    async def webhook_event_types(self, info: Info[Context, None]) -> list[str]:
        return webhooks.event_types_for(info.context.require_viewer())

    # --- Reports (read-only tokens included: dashboards read them) --------------------------

    @strawberry.field(
        description=(
            "Figures per campaign (by name) over the leads the viewer may read: one report per "
            "visible campaign, or only the one asked for. With a period, over the leads created "
            "in [from, to)."
        )
    )
    async def campaign_reports(
        self,
        info: Info[Context, None],
        campaign_id: OnlyCampaign = None,
        from_: OptionalFrom = None,
        to: OptionalTo = None,
    ) -> list[CampaignReport]:
        actor = info.context.require_viewer()
        campaign_pk = decode_optional_id(campaign_id, "Campaign", ["campaignId"])
        found = await reports.campaign_reports(actor, campaign_pk, from_, to)
        return [CampaignReport.from_report(report) for report in found]

    @strawberry.field(
        description=(
            "Figures per clerk (by name): every clerk for managers, only themselves for a "
            "clerk; not for partners. Closes and first feedback count within [from, to)."
        )
    )
    async def clerk_reports(
        self,
        info: Info[Context, None],
        from_: OptionalFrom = None,
        to: OptionalTo = None,
    ) -> list[ClerkReport]:
        actor = info.context.require_viewer()
        found = await reports.clerk_reports(actor, from_, to)
        # The clerks' oldest waiting leads, fetched in one query.
        waiting_ids = [r.oldest_waiting_lead_id for r in found if r.oldest_waiting_lead_id]
        waiting: dict[int | None, LeadNode] = {
            node.pk: node for node in await load_lead_nodes(waiting_ids)
        }
        return [
            ClerkReport.from_report(report, waiting.get(report.oldest_waiting_lead_id))
            for report in found
        ]

    @strawberry.field(
        description=(
            "Leads waiting too long, as a lead list to act on (distribute, reassign), longest "
            "waiting first: NEW leads by creation, ACTIVE ones by the start of their current "
            "wait (ties by ID; paged by cursor). Managers see all, a clerk their own; not for "
            "partners."
        )
    )
    async def aging_leads(
        self,
        info: Info[Context, None],
        kind: Annotated[AgingKind, strawberry.argument(description="Which wait to list.")],
        older_than_days: Annotated[
            int, strawberry.argument(description="N: waiting longer than N days (1 to 3650).")
        ],
        campaign_id: OnlyCampaign = None,
        first: int | None = None,
        after: str | None = None,
    ) -> LeadConnection:
        actor = info.context.require_viewer()
        campaign_pk = decode_optional_id(campaign_id, "Campaign", ["campaignId"])
        matching = reports.aging_leads(actor, kind, older_than_days, campaign_pk)
        return await lead_connection(
            matching, first, after, newest_first=False, sort_column=reports.aging_order(kind)
        )

    @strawberry.field(
        description=(
            "Leads created, closed successfully and closed unsuccessfully per day or week "
            "(UTC, weeks from Monday) within [from, to), overall or for one campaign, over the "
            "leads the viewer may read. Every bucket is listed, empty ones with zeros; at most "
            "1100 buckets."
        )
    )
    async def lead_time_series(
        self,
        info: Info[Context, None],
        interval: Annotated[
            ReportInterval, strawberry.argument(description="Days or weeks per point.")
        ],
        from_: From,
        to: To,
        campaign_id: OnlyCampaign = None,
    ) -> list[TimeSeriesPoint]:
        actor = info.context.require_viewer()
        campaign_pk = decode_optional_id(campaign_id, "Campaign", ["campaignId"])
        points = await reports.lead_time_series(actor, interval, from_, to, campaign_pk)
        return [TimeSeriesPoint.from_point(point) for point in points]


async def _node_of(
    info: Info[Context, None], raw_id: str, type_name: str, node_type: type[NodeT]
) -> NodeT:
    """The single-object queries: `node(id:)` for IDs of one type only."""
    decode_id(raw_id, type_name, ["id"])
    node = await resolve_node(info.context.require_viewer(), raw_id)
    assert isinstance(node, node_type)
    return node
