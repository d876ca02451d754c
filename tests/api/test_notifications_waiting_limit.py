"""A campaign's waiting limit (the reminders job reads it): set at createCampaign, changed by
updateCampaign, checked, and read by managers only."""

from __future__ import annotations

from leadflow.db.models import Campaign
from tests.helpers import data_of, error_codes, gql, mutate, mutate_ok

READ = "query($id: ID!) { campaign(id: $id) { waitingLimitHours } }"
CAMPAIGN = "campaign { id waitingLimitHours }"


async def limit_seen_by(client, actor, campaign_id: str) -> int | None:
    return data_of(await gql(client, READ, {"id": campaign_id}, actor=actor))["campaign"][
        "waitingLimitHours"
    ]


async def test_set_at_creation_changed_and_cleared_by_managers(client, actors):
    created = await mutate_ok(
        client,
        actors.manager,
        "createCampaign",
        {"name": "Messe Süd", "waitingLimitHours": 48},
        CAMPAIGN,
    )
    campaign_id = created["campaign"]["id"]
    assert created["campaign"]["waitingLimitHours"] == 48
    assert await limit_seen_by(client, actors.manager, campaign_id) == 48
    assert await limit_seen_by(client, actors.clerk_a, campaign_id) is None

    changed = await mutate_ok(
        client,
        actors.admin,
        "updateCampaign",
        {"campaignId": campaign_id, "waitingLimitHours": 4},
        CAMPAIGN,
    )
    assert changed["campaign"]["waitingLimitHours"] == 4
    # Left out: unchanged; null: no reminders.
    await mutate_ok(client, actors.manager, "updateCampaign", {"campaignId": campaign_id})
    assert (await Campaign.get(name="Messe Süd")).waiting_limit_hours == 4
    await mutate_ok(
        client,
        actors.manager,
        "updateCampaign",
        {"campaignId": campaign_id, "waitingLimitHours": None},
    )
    assert (await Campaign.get(name="Messe Süd")).waiting_limit_hours is None


async def test_bad_limits_and_clerks_are_refused(client, actors):
    for hours in (0, -1, 24 * 366 + 1):
        payload = await mutate(
            client,
            actors.manager,
            "createCampaign",
            {"name": f"Falsch {hours}", "waitingLimitHours": hours},
            "campaign { id }",
        )
        assert [(e["code"], e["field"]) for e in payload["userErrors"]] == [
            ("INVALID", ["waitingLimitHours"])
        ]
    assert await Campaign.all().count() == 0

    created = await mutate_ok(client, actors.manager, "createCampaign", {"name": "Messe"}, CAMPAIGN)
    campaign_id = created["campaign"]["id"]
    assert created["campaign"]["waitingLimitHours"] is None
    payload = await mutate(
        client,
        actors.manager,
        "updateCampaign",
        {"campaignId": campaign_id, "waitingLimitHours": 0},
    )
    assert [e["field"] for e in payload["userErrors"]] == [["waitingLimitHours"]]
    body = await gql(
        client,
        "mutation($input: UpdateCampaignInput!) { updateCampaign(input: $input) { "
        "campaign { id } } }",
        {"input": {"campaignId": campaign_id, "waitingLimitHours": 2}},
        actor=actors.clerk_a,
    )
    assert error_codes(body) == ["FORBIDDEN"]
    assert (await Campaign.get(name="Messe")).waiting_limit_hours is None
