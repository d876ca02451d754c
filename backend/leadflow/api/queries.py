"""The root Query type: thin resolvers over the services."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

import strawberry
from strawberry.types import Info

from leadflow.api import resolvers
from leadflow.api.ids import decode_id, decode_optional_id
from leadflow.api.types.admin import ApiTokenNode, AuditEntryConnection
from leadflow.api.types.enums import Role
from leadflow.api.types.imports import LeadImportNode
from leadflow.api.types.inputs import LeadFilter, OpportunityFilter
from leadflow.api.types.nodes import (
    CampaignConnection,
    CampaignNode,
    ContactNode,
    LeadConnection,
    LeadCounts,
    LeadNode,
    Node,
    OpportunityConnection,
    OpportunityNode,
    UserNode,
)
from leadflow.api.types.reports import (
    AgingKind,
    CampaignReport,
    ClerkReport,
    ReportInterval,
    TimeSeriesPoint,
)
from leadflow.auth import policy
from leadflow.db.models import User
from leadflow.errors import DomainError, ErrorCode
from leadflow.services import accounts, leads, reports, users

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
    async def viewer(self, info: Info) -> UserNode:
        return UserNode.from_model(info.context.require_viewer())

    @strawberry.field(description="Any object by its global ID.")
    async def node(self, info: Info, id: strawberry.ID) -> Node:
        return await resolvers.resolve_node(info, id)

    @strawberry.field(description="Leads the viewer may see, newest first.")
    async def leads(
        self,
        info: Info,
        filter: LeadFilter | None = None,
        first: int | None = None,
        after: str | None = None,
    ) -> LeadConnection:
        return await resolvers.resolve_leads(info, filter, first, after)

    @strawberry.field(description="One lead by ID.")
    async def lead(self, info: Info, id: strawberry.ID) -> LeadNode:
        actor = info.context.require_viewer()
        lead = await leads.get_lead(actor, decode_id(id, "Lead", ["id"]))
        return await resolvers.load_lead_node(lead.id)

    @strawberry.field(
        description="New/Active/Done counts for the overview; filter.status is ignored."
    )
    async def lead_counts(self, info: Info, filter: LeadFilter | None = None) -> LeadCounts:
        actor = info.context.require_viewer()
        counts = await leads.lead_counts(actor, resolvers.lead_filter(filter))
        return LeadCounts(new=counts.new, active=counts.active, done=counts.done)

    @strawberry.field(description="The viewer's ACTIVE leads (their task list), oldest first.")
    async def my_tasks(
        self, info: Info, first: int | None = None, after: str | None = None
    ) -> LeadConnection:
        actor = info.context.require_viewer()
        return await resolvers.lead_connection(
            leads.my_tasks(actor), first, after, newest_first=False
        )

    @strawberry.field(description="Campaigns, newest first.")
    async def campaigns(
        self, info: Info, first: int | None = None, after: str | None = None
    ) -> CampaignConnection:
        return await resolvers.resolve_campaigns(info, first, after)

    @strawberry.field(description="Opportunities the viewer may see, newest first.")
    async def opportunities(
        self,
        info: Info,
        filter: OpportunityFilter | None = None,
        first: int | None = None,
        after: str | None = None,
    ) -> OpportunityConnection:
        return await resolvers.resolve_opportunities(info, filter, first, after)

    @strawberry.field(description="Users, by name; e.g. role: CLERK for the assignment dialog.")
    async def users(self, info: Info, role: Role | None = None) -> list[UserNode]:
        actor = info.context.require_viewer()
        return [UserNode.from_model(user) for user in await users.list_users(actor, role)]

    @strawberry.field(description="One campaign by ID.")
    async def campaign(self, info: Info, id: strawberry.ID) -> CampaignNode:
        node = await resolvers.resolve_node(info, _expect(id, "Campaign"))
        assert isinstance(node, CampaignNode)
        return node

    @strawberry.field(description="One contact by ID.")
    async def contact(self, info: Info, id: strawberry.ID) -> ContactNode:
        node = await resolvers.resolve_node(info, _expect(id, "Contact"))
        assert isinstance(node, ContactNode)
        return node

    @strawberry.field(description="One opportunity by ID.")
    async def opportunity(self, info: Info, id: strawberry.ID) -> OpportunityNode:
        node = await resolvers.resolve_node(info, _expect(id, "Opportunity"))
        assert isinstance(node, OpportunityNode)
        return node

    @strawberry.field(
        description="One import of a lead file by ID (managers): poll it for the progress of an "
        "import started with POST /files/imports."
    )
    async def lead_import(self, info: Info, id: strawberry.ID) -> LeadImportNode:
        node = await resolvers.resolve_node(info, _expect(id, "LeadImport"))
        assert isinstance(node, LeadImportNode)
        return node

    @strawberry.field(description="Security-relevant events, newest first (admins).")
    async def audit_log(
        self, info: Info, first: int | None = None, after: str | None = None
    ) -> AuditEntryConnection:
        return await resolvers.resolve_audit_log(info, first, after)

    @strawberry.field(description="A user's API tokens, without their secrets (admins).")
    async def api_tokens(self, info: Info, user_id: strawberry.ID) -> list[ApiTokenNode]:
        actor = info.context.require_viewer()
        policy.require_admin(actor, "list API tokens")
        user = await User.get_or_none(id=decode_id(user_id, "User", ["userId"]))
        if user is None:
            raise DomainError(ErrorCode.NOT_FOUND, "This user does not exist.", ["userId"])
        tokens = await accounts.tokens_of(actor, user)
        for token in tokens:
            token.user = user
        return [ApiTokenNode.from_model(token) for token in tokens]

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
        info: Info,
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
        info: Info,
        from_: OptionalFrom = None,
        to: OptionalTo = None,
    ) -> list[ClerkReport]:
        return await resolvers.resolve_clerk_reports(info, from_, to)

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
        info: Info,
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
        return await resolvers.lead_connection(
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
        info: Info,
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


def _expect(raw_id: str, type_name: str) -> str:
    decode_id(raw_id, type_name, ["id"])
    return raw_id
