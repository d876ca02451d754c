"""A campaign's retention (the retention job reads it): set at createCampaign, changed and
cleared by updateCampaign, checked (1 to 36500 days), read by managers, and set by admins
only (it decides when people are erased, which only admins may); every change is audited."""

from __future__ import annotations

from leadflow import clock
from leadflow.api.ids import encode_id
from leadflow.db.models import AuditEntry, Campaign, Contact
from leadflow.services.audit import AuditAction
from leadflow.services.privacy import retention
from tests.helpers import data_of, error_codes, gql, mutate, mutate_ok
from tests.services.test_retention import T0, lost, person

READ = "query($id: ID!) { campaign(id: $id) { retentionDays } }"
CAMPAIGN = "campaign { id retentionDays waitingLimitHours }"
UPDATE = (
    "mutation($input: UpdateCampaignInput!) { updateCampaign(input: $input) { campaign { id } } }"
)
CREATE = (
    "mutation($input: CreateCampaignInput!) { createCampaign(input: $input) { campaign { id } } }"
)


async def retention_seen_by(client, actor, campaign_id: str) -> int | None:
    return data_of(await gql(client, READ, {"id": campaign_id}, actor=actor))["campaign"][
        "retentionDays"
    ]


async def retention_audit() -> list[tuple[int | None, str]]:
    entries = await AuditEntry.filter(action=AuditAction.CAMPAIGN_RETENTION_CHANGED).order_by("id")
    return [(entry.actor_id, entry.detail) for entry in entries]  # type: ignore[attr-defined]


async def test_set_at_creation_changed_and_cleared_by_admins_read_by_managers(client, actors):
    created = await mutate_ok(
        client,
        actors.admin,
        "createCampaign",
        {"name": "Messe Süd", "retentionDays": 365},
        CAMPAIGN,
    )
    campaign_id = created["campaign"]["id"]
    number = (await Campaign.get(name="Messe Süd")).id
    assert created["campaign"]["retentionDays"] == 365
    assert await retention_seen_by(client, actors.manager, campaign_id) == 365
    assert await retention_seen_by(client, actors.admin, campaign_id) == 365
    assert await retention_seen_by(client, actors.clerk_a, campaign_id) is None

    changed = await mutate_ok(
        client,
        actors.admin,
        "updateCampaign",
        {"campaignId": campaign_id, "retentionDays": 1},
        CAMPAIGN,
    )
    assert changed["campaign"]["retentionDays"] == 1
    # Left out: unchanged, and a manager changing the waiting limit leaves the retention alone.
    await mutate_ok(
        client,
        actors.manager,
        "updateCampaign",
        {"campaignId": campaign_id, "waitingLimitHours": 8},
    )
    campaign = await Campaign.get(name="Messe Süd")
    assert (campaign.retention_days, campaign.waiting_limit_hours) == (1, 8)
    # Null: the instance's setting applies again; the waiting limit stays.
    cleared = await mutate_ok(
        client,
        actors.admin,
        "updateCampaign",
        {"campaignId": campaign_id, "retentionDays": None},
        CAMPAIGN,
    )
    assert cleared["campaign"]["retentionDays"] is None
    campaign = await Campaign.get(name="Messe Süd")
    assert (campaign.retention_days, campaign.waiting_limit_hours) == (None, 8)
    # The same value again is no change and no entry.
    await mutate_ok(
        client, actors.admin, "updateCampaign", {"campaignId": campaign_id, "retentionDays": None}
    )
    admin = actors.admin.user.id
    assert await retention_audit() == [
        (admin, f"campaign {number}: retention none -> 365 days"),
        (admin, f"campaign {number}: retention 365 days -> 1 day"),
        (admin, f"campaign {number}: retention 1 day -> none"),
    ]


async def test_managers_may_not_set_clear_or_create_with_a_retention(client, actors):
    """Found in review: a manager, refused eraseContact, set retentionDays 1 and the next
    retention round erased the campaign's lost prospects."""
    messe = await Campaign.create(name="Messe", retention_days=90)
    anna = await person("Anna")
    await lost(anna, messe, 3)
    campaign_id = encode_id("Campaign", messe.id)
    for days in (1, None):
        body = await gql(
            client,
            UPDATE,
            {"input": {"campaignId": campaign_id, "retentionDays": days}},
            actor=actors.manager,
        )
        assert error_codes(body) == ["FORBIDDEN"]
    body = await gql(
        client, CREATE, {"input": {"name": "Neu", "retentionDays": 1}}, actor=actors.manager
    )
    assert error_codes(body) == ["FORBIDDEN"]
    # Without a retention a manager still creates and changes campaigns.
    await mutate_ok(client, actors.manager, "createCampaign", {"name": "Ohne"})
    await mutate_ok(
        client,
        actors.manager,
        "updateCampaign",
        {"campaignId": campaign_id, "waitingLimitHours": 4},
    )

    with clock.frozen_at(T0):
        await retention.run_round()  # the scheduled job; the instance's setting is off
    assert (await Contact.get(id=anna.id)).erased_at is None
    assert [c.name for c in await Campaign.all().order_by("name")] == ["Messe", "Ohne"]
    messe = await Campaign.get(id=messe.id)
    assert (messe.retention_days, messe.waiting_limit_hours) == (90, 4)
    assert await retention_audit() == []


async def test_bad_retentions_and_clerks_are_refused(client, actors):
    for days in (0, -1, 36_501):
        payload = await mutate(
            client,
            actors.admin,
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
        client, actors.admin, "createCampaign", {"name": "Messe", "retentionDays": 90}, CAMPAIGN
    )
    campaign_id = created["campaign"]["id"]
    payload = await mutate(
        client,
        actors.admin,
        "updateCampaign",
        {"campaignId": campaign_id, "retentionDays": 0},
    )
    assert [(e["code"], e["field"]) for e in payload["userErrors"]] == [
        ("INVALID", ["retentionDays"])
    ]
    body = await gql(
        client,
        UPDATE,
        {"input": {"campaignId": campaign_id, "retentionDays": None}},
        actor=actors.clerk_a,
    )
    assert error_codes(body) == ["FORBIDDEN"]
    assert (await Campaign.get(name="Messe")).retention_days == 90
    assert len(await retention_audit()) == 1
