"""Several mutations in one document: each payload reads what the mutations before it wrote.
The request's DataLoaders cache what they read; the loaders are dropped after every mutation
field, so a later payload does not answer with an earlier payload's reads (reviewer D)."""

from __future__ import annotations

from leadflow.api.ids import encode_id
from leadflow.services import campaigns
from tests.helpers import Actors, gql

DOCUMENT = """
mutation Settings($c: ID!, $clerks: [ID!]!) {
  a: setCampaignDistribution(input: {campaignId: $c, clerkIds: $clerks, strategy: LEAST_LOADED,
                                     automatic: false}) {
    campaign { distribution { strategy } waitingLimitHours }
    userErrors { code }
  }
  b: updateCampaign(input: {campaignId: $c, waitingLimitHours: 7}) {
    campaign { waitingLimitHours } userErrors { code }
  }
  c: setCampaignDistribution(input: {campaignId: $c, clerkIds: $clerks, strategy: ROUND_ROBIN,
                                     automatic: false}) {
    campaign { distribution { strategy } waitingLimitHours } userErrors { code }
  }
}"""


async def test_a_later_payload_reads_what_the_earlier_mutations_wrote(client, actors: Actors):
    campaign = await campaigns.create_campaign(actors.manager.user, "Stale")
    body = await gql(
        client,
        DOCUMENT,
        {"c": encode_id("Campaign", campaign.id), "clerks": [actors.clerk_a.gid]},
        actor=actors.manager,
    )
    assert "errors" not in body, body
    data = body["data"]
    assert data["a"]["campaign"]["distribution"]["strategy"] == "LEAST_LOADED"
    assert data["b"]["campaign"] == {"waitingLimitHours": 7}
    assert data["c"]["campaign"] == {
        "distribution": {"strategy": "ROUND_ROBIN"},
        "waitingLimitHours": 7,
    }
