"""Distribution types: the strategy enum and a campaign's distribution settings (the
results of a distribution run, which name leads, are in `api.mutations.distribution`)."""

from __future__ import annotations

import strawberry
from strawberry.types import Info

from leadflow.api.context import Context
from leadflow.api.types.user import UserNode
from leadflow.db import enums, models

DistributionStrategy = enums.DistributionStrategy
strawberry.enum(
    DistributionStrategy,
    description="ROUND_ROBIN: the chosen clerks in turn (ascending id), continuing after the "
    "clerk who got the campaign's last lead; LEAST_LOADED: the clerk with the fewest open "
    "leads (ties in turn). Absent clerks and clerks at capacity get nothing.",
)


@strawberry.type(
    name="CampaignDistribution",
    description="A campaign's distribution: with automatic, new leads (createLeads, imports, "
    "partners) go to these clerks by this strategy in the transaction that creates them.",
)
class CampaignDistributionNode:
    clerk_ids: strawberry.Private[list[int]]
    strategy: DistributionStrategy
    automatic: bool

    @strawberry.field(description="The clerks, in the order the manager gave them.")
    async def clerks(self, info: Info[Context, None]) -> list[UserNode]:
        found = await info.context.loaders.user.load_many(self.clerk_ids)
        return [UserNode.from_model(user) for user in found if user is not None]

    @classmethod
    def from_model(cls, row: models.CampaignDistribution) -> CampaignDistributionNode:
        return cls(
            clerk_ids=list(row.clerk_ids),
            strategy=enums.DistributionStrategy(row.strategy),
            automatic=row.automatic,
        )
