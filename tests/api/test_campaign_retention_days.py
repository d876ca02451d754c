"""A campaign's retention (the retention job reads it): set at createCampaign, changed and
cleared by updateCampaign, checked (1 to 36500 days), and read by managers only."""

from __future__ import annotations

from leadflow.db.models import Campaign
from tests.helpers import data_of, error_codes, gql, mutate, mutate_ok

READ = "query($id: ID!) { campaign(id: $id) { retentionDays } }"
CAMPAIGN = "campaign { id retentionDays waitingLimitHours }"


async def retention_seen_by(client, actor, campaign_id: str) -> int | None:
    return data_of(await gql(client, READ, {"id": campaign_id}, actor=actor))["campaign"][
        "retentionDays"
    ]


async def test_set_at_creation_changed_and_cleared_by_managers(client, actors):
    created = await mutate_ok(
        client,
        actors.manager,
        "createCampaign",
        {"name": "Messe Süd", "retentionDays": 365},
        CAMPAIGN,
    )
    campaign_id = created["campaign"]["id"]
    assert created["campaign"]["retentionDays"] == 365
    assert await retention_seen_by(client, actors.manager, campaign_id) == 365
    assert await retention_seen_by(client, actors.admin, campaign_id) == 365
    assert await retention_seen_by(client, actors.clerk_a, campaign_id) is None

    changed = await mutate_ok(
        client,
        actors.admin,
        "updateCampaign",
        {"campaignId": campaign_id, "retentionDays": 36_500},
        CAMPAIGN,
    )
    assert changed["campaign"]["retentionDays"] == 36_500
    # Left out: unchanged, and changing the waiting limit leaves the retention alone.
    await mutate_ok(
        client,
        actors.manager,
        "updateCampaign",
        {"campaignId": campaign_id, "waitingLimitHours": 8},
    )
    campaign = await Campaign.get(name="Messe Süd")
    assert (campaign.retention_days, campaign.waiting_limit_hours) == (36_500, 8)
    # Null: the instance's setting applies again; the waiting limit stays.
    cleared = await mutate_ok(
        client,
        actors.manager,
        "updateCampaign",
        {"campaignId": campaign_id, "retentionDays": None},
        CAMPAIGN,
    )
    assert cleared["campaign"]["retentionDays"] is None
    campaign = await Campaign.get(name="Messe Süd")
    assert (campaign.retention_days, campaign.waiting_limit_hours) == (None, 8)


async def test_bad_retentions_and_clerks_are_refused(client, actors):
    for days in (0, -1, 36_501):
        payload = await mutate(
            client,
            actors.manager,
            "createCampaign",
            {"name": f"Falsch {days}", "retentionDays": days},
            "campaign { id }",
        )
        assert [(e["code"], e["field"]) for e in payload["userErrors"]] == [
            ("INVALID", ["retentionDays"])
        ]
        assert payload["campaign"] is None
    assert await Campaign.all().count() == 0

    created = await mutate_ok(
        client, actors.manager, "createCampaign", {"name": "Messe", "retentionDays": 90}, CAMPAIGN
    )
    campaign_id = created["campaign"]["id"]
    payload = await mutate(
        client,
        actors.manager,
        "updateCampaign",
        {"campaignId": campaign_id, "retentionDays": 0},
    )
    assert [(e["code"], e["field"]) for e in payload["userErrors"]] == [
        ("INVALID", ["retentionDays"])
    ]
    body = await gql(
        client,
        "mutation($input: UpdateCampaignInput!) { updateCampaign(input: $input) { "
        "campaign { id } } }",
        {"input": {"campaignId": campaign_id, "retentionDays": None}},
        actor=actors.clerk_a,
    )
    assert error_codes(body) == ["FORBIDDEN"]
    assert (await Campaign.get(name="Messe")).retention_days == 90
