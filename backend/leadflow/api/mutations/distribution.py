"""Distribution mutations: distributeLeads, updateClerkSettings, setCampaignDistribution."""

from __future__ import annotations

from typing import Self

import strawberry
from strawberry.types import Info

from leadflow.api.context import Context
from leadflow.api.errors import UserError, user_errors
from leadflow.api.ids import decode_id, decode_ids
from leadflow.api.inputs.distribution import (
    DistributeLeadsInput,
    SetCampaignDistributionInput,
    UpdateClerkSettingsInput,
)
from leadflow.api.inputs.leads import LeadFilter
from leadflow.api.mutations.payload import Payload, payload_mutation
from leadflow.api.types.lead import CampaignNode, LeadNode, load_lead_nodes
from leadflow.api.types.user import UserNode
from leadflow.errors import DomainError
from leadflow.services import clerk_settings, distribution


@strawberry.type(description="One lead and the clerk it goes (or went) to, with the reason.")
class Assignment:
    lead: LeadNode
    assignee: UserNode
    reason: str


@strawberry.type(description="A lead the run left alone, and why.")
class SkippedLead:
    lead: LeadNode
    reason: str


@strawberry.type
class DistributeLeadsPayload(Payload):
    assignments: list[Assignment] = strawberry.field(
        default_factory=list,
        description="In lead id order. With preview: what the call would do now. Empty with "
        "userErrors.",
    )
    skipped: list[SkippedLead] = strawberry.field(default_factory=list)
    user_errors: list[UserError] = strawberry.field(default_factory=list)

    @classmethod
    def refused(cls, error: DomainError) -> Self:
        # The contract's lists are non-null: a refused call assigned and skipped nothing.
        return cls(assignments=[], skipped=[], user_errors=user_errors(error))


@strawberry.type
class UpdateClerkSettingsPayload(Payload):
    user: UserNode | None
    user_errors: list[UserError] = strawberry.field(default_factory=list)


@strawberry.type
class SetCampaignDistributionPayload(Payload):
    campaign: CampaignNode | None
    user_errors: list[UserError] = strawberry.field(default_factory=list)


@strawberry.type
class DistributionMutations:
    @payload_mutation(
        description="Distribute NEW leads over several active clerks by a strategy, each with "
        "a reason (managers). Atomic: leads taken meanwhile are skipped with a reason."
    )
    async def distribute_leads(
        self, info: Info[Context, None], input: DistributeLeadsInput
    ) -> DistributeLeadsPayload:
        actor = info.context.require_writer()
        request = distribution.DistributionRequest(
            clerk_ids=decode_ids(input.clerk_ids, "User", "clerkIds"),
            strategy=input.strategy,
            lead_ids=(
                decode_ids(input.lead_ids, "Lead", "leadIds")
                if input.lead_ids is not None
                else None
            ),
            lead_filter=LeadFilter.parse(input.filter) if input.filter is not None else None,
            preview=bool(input.preview),
        )
        result = await distribution.distribute(actor, request)
        return await _payload(info, result)

    @payload_mutation(
        description="A clerk's capacity and absences (managers; a clerk their own absences)."
    )
    async def update_clerk_settings(
        self, info: Info[Context, None], input: UpdateClerkSettingsInput
    ) -> UpdateClerkSettingsPayload:
        actor = info.context.require_writer()
        user_id = decode_id(input.user_id, "User", ["userId"])
        capacity: int | clerk_settings.Keep | None = (
            clerk_settings.KEEP if input.capacity is strawberry.UNSET else input.capacity
        )
        absences: list[clerk_settings.Period] | clerk_settings.Keep = clerk_settings.KEEP
        if input.absences is not strawberry.UNSET:
            absences = [absence.period() for absence in input.absences or []]
        user = await clerk_settings.update_clerk_settings(actor, user_id, capacity, absences)
        return UpdateClerkSettingsPayload(user=UserNode.from_model(user))

    @payload_mutation(
        description="Set a campaign's distribution; with automatic, its new leads are "
        "distributed as they arrive (managers)."
    )
    async def set_campaign_distribution(
        self, info: Info[Context, None], input: SetCampaignDistributionInput
    ) -> SetCampaignDistributionPayload:
        actor = info.context.require_writer()
        campaign = await distribution.set_campaign_distribution(
            actor,
            decode_id(input.campaign_id, "Campaign", ["campaignId"]),
            decode_ids(input.clerk_ids, "User", "clerkIds"),
            input.strategy,
            input.automatic,
        )
        return SetCampaignDistributionPayload(campaign=CampaignNode.from_model(campaign))


async def _payload(info: Info[Context, None], result: distribution.Plan) -> DistributeLeadsPayload:
    lead_ids = [a.lead_id for a in result.assignments] + [s.lead_id for s in result.skipped]
    nodes = {node.pk: node for node in await load_lead_nodes(lead_ids)}
    clerk_ids = list({a.clerk_id for a in result.assignments})
    users = await info.context.loaders.user.load_many(clerk_ids)
    clerks = {user.id: UserNode.from_model(user) for user in users if user is not None}
    return DistributeLeadsPayload(
        assignments=[
            Assignment(lead=nodes[a.lead_id], assignee=clerks[a.clerk_id], reason=a.reason)
            for a in result.assignments
        ],
        skipped=[SkippedLead(lead=nodes[s.lead_id], reason=s.reason) for s in result.skipped],
    )
