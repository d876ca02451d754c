"""The GraphQL schema: root types, node types and extensions."""

from __future__ import annotations

import strawberry

from leadflow.api.errors import ErrorTranslation
from leadflow.api.field_policy import FieldPolicy
from leadflow.api.mutations.admin import AdminMutations
from leadflow.api.mutations.campaigns import CampaignMutations
from leadflow.api.mutations.leads import LeadMutations
from leadflow.api.mutations.opportunities import OpportunityMutations
from leadflow.api.queries import Query
from leadflow.api.types.admin import ApiTokenNode
from leadflow.api.types.nodes import CampaignNode, ContactNode, LeadNode, OpportunityNode, UserNode


@strawberry.type
class Mutation(CampaignMutations, LeadMutations, OpportunityMutations, AdminMutations):
    pass


schema = strawberry.Schema(
    query=Query,
    mutation=Mutation,
    types=[LeadNode, CampaignNode, ContactNode, OpportunityNode, UserNode, ApiTokenNode],
    extensions=[ErrorTranslation, FieldPolicy],
)


def export_sdl() -> str:
    return schema.as_str() + "\n"
