"""The opportunity list's campaign filter over HTTP: the campaign of the originating lead, as the
pipeline counts, combined with the owner and stage filters, for managers and clerks; a wrong ID
type is refused."""

from __future__ import annotations

from tests.api.test_opportunity_pipeline import move, pipeline, won_opportunities
from tests.helpers import data_of, gql

OPPORTUNITIES = """
query($filter: OpportunityFilter) {
  opportunities(filter: $filter, first: 50) { totalCount edges { node { id stage } } }
}"""


async def listed(client, actor, **opportunity_filter) -> list[str]:
    result = data_of(await gql(client, OPPORTUNITIES, {"filter": opportunity_filter}, actor=actor))
    connection = result["opportunities"]
    ids = [edge["node"]["id"] for edge in connection["edges"]]
    assert connection["totalCount"] == len(ids)
    return sorted(ids)


async def test_the_list_narrows_to_the_campaign_of_the_originating_lead(client, actors):
    north, (a1, a2) = await won_opportunities(
        client, actors, actors.clerk_a, ["10", "20"], "Filter North"
    )
    south, (b1,) = await won_opportunities(client, actors, actors.clerk_b, ["30"], "Filter South")
    await move(client, actors.clerk_a, a2, "QUALIFIED")

    assert await listed(client, actors.manager, campaignId=north) == sorted([a1, a2])
    assert await listed(client, actors.manager, campaignId=south) == [b1]
    assert await listed(client, actors.manager, campaignId=north, stage="QUALIFIED") == [a2]
    assert await listed(client, actors.manager, campaignId=south, ownerId=actors.clerk_a.gid) == []
    # A clerk sees only their own, whichever campaign they pick.
    assert await listed(client, actors.clerk_a, campaignId=north) == sorted([a1, a2])
    assert await listed(client, actors.clerk_a, campaignId=south) == []
    # The board's columns and its figures agree.
    figures = await pipeline(client, actors.manager, campaignId=north)
    counts = {row["stage"]: row["count"] for row in figures}
    assert counts["OPEN"] == 1 and counts["QUALIFIED"] == 1 and sum(counts.values()) == 2


async def test_a_campaign_filter_with_another_type_of_id_is_refused(client, actors):
    _, (a1,) = await won_opportunities(client, actors, actors.clerk_a, ["10"], "Filter Type")
    result = await gql(client, OPPORTUNITIES, {"filter": {"campaignId": a1}}, actor=actors.manager)
    assert result.get("errors"), result
