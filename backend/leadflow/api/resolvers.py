"""Shared read resolvers: turn GraphQL arguments into service calls and pages into connections."""

from __future__ import annotations

from datetime import datetime

from strawberry.types import Info

from leadflow.api.ids import decode_optional_id, parse_global_id
from leadflow.api.loaders import OPPORTUNITY_RELATIONS
from leadflow.api.pagination import fetch_page
from leadflow.api.types import inputs
from leadflow.api.types.admin import (
    ApiTokenNode,
    AuditEntry,
    AuditEntryConnection,
)
from leadflow.api.types.imports import LeadImportNode
from leadflow.api.types.nodes import (
    LEAD_COLUMNS,
    CampaignConnection,
    CampaignNode,
    ContactNode,
    LeadConnection,
    LeadNode,
    Node,
    OpportunityConnection,
    OpportunityNode,
    UserNode,
    connection,
)
from leadflow.api.types.reports import ClerkReport
from leadflow.auth import policy
from leadflow.db.models import ApiToken, Campaign, Contact, Lead, Opportunity, User
from leadflow.errors import DomainError, ErrorCode
from leadflow.services import audit, campaigns, imports, leads, opportunities, reports


def lead_filter(
    raw: inputs.LeadFilter | None, *, campaign_pk: int | None = None
) -> leads.LeadFilter:
    raw = raw or inputs.LeadFilter()
    campaign_id = decode_optional_id(raw.campaign_id, "Campaign", ["filter", "campaignId"])
    return leads.LeadFilter(
        status=raw.status,
        campaign_id=campaign_pk if campaign_pk is not None else campaign_id,
        assignee_id=decode_optional_id(raw.assignee_id, "User", ["filter", "assigneeId"]),
        search=raw.search,
    )


async def resolve_leads(
    info: Info,
    raw_filter: inputs.LeadFilter | None,
    first: int | None,
    after: str | None,
    *,
    campaign_pk: int | None = None,
) -> LeadConnection:
    actor = info.context.require_viewer()
    matching = leads.filtered_leads(actor, lead_filter(raw_filter, campaign_pk=campaign_pk))
    return await lead_connection(matching, first, after, newest_first=True)


async def lead_connection(
    matching,
    first: int | None,
    after: str | None,
    *,
    newest_first: bool,
    sort_column: str | None = None,
):
    page = await fetch_page(
        matching,
        first,
        after,
        newest_first=newest_first,
        columns=LEAD_COLUMNS,
        sort_column=sort_column,
    )
    return connection(page, LeadNode.from_values, matching)


async def resolve_campaigns(info: Info, first: int | None, after: str | None) -> CampaignConnection:
    actor = info.context.require_viewer()
    matching = campaigns.visible_campaigns(actor)
    page = await fetch_page(matching, first, after)
    return connection(page, CampaignNode.from_model, matching)


async def resolve_opportunities(
    info: Info, raw: inputs.OpportunityFilter | None, first: int | None, after: str | None
) -> OpportunityConnection:
    actor = info.context.require_viewer()
    raw = raw or inputs.OpportunityFilter()
    matching = opportunities.filtered_opportunities(
        actor,
        opportunities.OpportunityFilter(
            owner_id=decode_optional_id(raw.owner_id, "User", ["filter", "ownerId"]),
            stage=raw.stage,
        ),
    )
    page = await fetch_page(matching.select_related(*OPPORTUNITY_RELATIONS), first, after)
    return connection(page, OpportunityNode.from_model, matching)


async def load_lead_node(lead_id: int) -> LeadNode:
    return (await load_lead_nodes([lead_id]))[0]


async def load_lead_nodes(lead_ids: list[int]) -> list[LeadNode]:
    rows = await Lead.filter(id__in=lead_ids).values(*LEAD_COLUMNS)
    by_id = {row["id"]: row for row in rows}
    return [LeadNode.from_values(by_id[lead_id]) for lead_id in lead_ids]


async def load_opportunity_node(opportunity_id: int) -> OpportunityNode:
    opportunity = await Opportunity.get(id=opportunity_id).select_related(*OPPORTUNITY_RELATIONS)
    return OpportunityNode.from_model(opportunity)


async def resolve_node(info: Info, raw_id: str) -> Node:
    """Any object by its global ID, under the same visibility rules as the lists."""
    actor = info.context.require_viewer()
    type_name, pk = parse_global_id(raw_id, ["id"])
    if type_name == "Lead":
        lead = await leads.get_lead(actor, pk)
        return await load_lead_node(lead.id)
    if type_name == "Opportunity":
        opportunity = await opportunities.get_opportunity(actor, pk)
        return await load_opportunity_node(opportunity.id)
    if type_name == "Campaign":
        campaign = await _get_or_not_found(Campaign, pk, "campaign")
        await policy.require_campaign_visible(actor, campaign)
        return CampaignNode.from_model(campaign)
    if type_name == "Contact":
        contact = await _get_or_not_found(Contact, pk, "contact")
        await policy.require_contact_visible(actor, contact)
        return ContactNode.from_model(contact)
    if type_name == "LeadImport":
        return LeadImportNode.from_model(await imports.get_import(actor, pk))
    if type_name == "ApiToken":
        policy.require_admin(actor, "see API tokens")
        token = await _get_or_not_found(ApiToken, pk, "token")
        await token.fetch_related("user")
        return ApiTokenNode.from_model(token)
    user = await _get_or_not_found(User, pk, "user")
    if not await policy.visible_users(actor).filter(id=user.id).exists():
        raise policy.AccessDenied("Clerks see only themselves and the active clerks.")
    return UserNode.from_model(user)


async def _get_or_not_found(model, pk: int, label: str):
    found = await model.get_or_none(id=pk)
    if found is None:
        raise DomainError(ErrorCode.NOT_FOUND, f"This {label} does not exist.", ["id"])
    return found


async def resolve_audit_log(
    info: Info, first: int | None, after: str | None
) -> AuditEntryConnection:
    actor = info.context.require_viewer()
    matching = audit.audit_entries(actor)
    page = await fetch_page(matching.select_related("actor"), first, after)
    return connection(page, AuditEntry.from_model, matching)


async def resolve_clerk_reports(
    info: Info, start: datetime | None, end: datetime | None
) -> list[ClerkReport]:
    """The clerks' figures, their oldest waiting leads fetched in one query."""
    actor = info.context.require_viewer()
    found = await reports.clerk_reports(actor, start, end)
    waiting_ids = [r.oldest_waiting_lead_id for r in found if r.oldest_waiting_lead_id is not None]
    waiting = {node.pk: node for node in await load_lead_nodes(waiting_ids)} if waiting_ids else {}
    return [
        ClerkReport(
            clerk=UserNode.from_model(report.clerk),
            open_leads=report.open_leads,
            closed_in_period=report.closed_in_period,
            successful_in_period=report.successful_in_period,
            success_rate=report.success_rate,
            median_seconds_to_first_feedback=report.median_seconds_to_first_feedback,
            oldest_waiting_lead=waiting.get(report.oldest_waiting_lead_id),
            medians_estimated=report.medians_estimated,
        )
        for report in found
    ]
