"""Notifications on the paths that assign over the API: a bulk assignment is one notification
for its clerk, a distribution over two clerks one each, a reassignment tells both clerks, a
hand-over the new owner; and each clerk reads only their own."""

from __future__ import annotations

from typing import Any

from leadflow.db.models import Notification
from tests.helpers import data_of, gql, mutate_ok, new_campaign, new_leads

MINE = """
{
  notifications { edges { node { kind message lead { id } opportunity { id } } } }
  unreadNotificationCount
}
"""


async def mine(client, actor) -> list[dict[str, Any]]:
    body = data_of(await gql(client, MINE, actor=actor))
    return [edge["node"] for edge in body["notifications"]["edges"]]


async def test_a_bulk_assignment_is_one_notification(client, actors):
    campaign = await new_campaign(client, actors.manager, "Messe Süd")
    leads = await new_leads(client, actors.manager, campaign, [f"L{i}" for i in range(30)])
    await mutate_ok(
        client,
        actors.manager,
        "assignLeads",
        {"leadIds": [lead["id"] for lead in leads], "assigneeId": actors.clerk_a.gid},
    )
    assert await mine(client, actors.clerk_a) == [
        {
            "kind": "LEAD_ASSIGNED",
            "message": "30 neue Leads aus Messe Süd",
            "lead": None,
            "opportunity": None,
        }
    ]
    assert await mine(client, actors.clerk_b) == []
    assert await mine(client, actors.manager) == []


async def test_a_distribution_over_two_clerks_is_one_notification_each(client, actors):
    campaign = await new_campaign(client, actors.manager, "Messe Süd")
    leads = await new_leads(client, actors.manager, campaign, [f"L{i}" for i in range(10)])
    await mutate_ok(
        client,
        actors.manager,
        "distributeLeads",
        {
            "leadIds": [lead["id"] for lead in leads],
            "clerkIds": [actors.clerk_a.gid, actors.clerk_b.gid],
            "strategy": "ROUND_ROBIN",
        },
        "assignments { lead { id } }",
    )
    assert [n["message"] for n in await mine(client, actors.clerk_a)] == [
        "5 neue Leads aus Messe Süd"
    ]
    assert [n["message"] for n in await mine(client, actors.clerk_b)] == [
        "5 neue Leads aus Messe Süd"
    ]
    assert await Notification.all().count() == 2


async def test_a_reassignment_tells_both_clerks(client, actors):
    campaign = await new_campaign(client, actors.manager, "Messe Süd")
    [lead] = await new_leads(client, actors.manager, campaign, ["Müller"])
    await mutate_ok(
        client,
        actors.manager,
        "assignLeads",
        {"leadIds": [lead["id"]], "assigneeId": actors.clerk_a.gid},
    )
    await mutate_ok(
        client,
        actors.manager,
        "reassignLead",
        {"leadId": lead["id"], "assigneeId": actors.clerk_b.gid},
    )
    away, assigned = await mine(client, actors.clerk_a)
    assert away["kind"] == "LEAD_REASSIGNED_AWAY"
    assert away["message"] == "Lead Müller AG wurde an Bruno Clerk übertragen"
    assert away["lead"] is None, "the lead is no longer clerk A's: not linked"
    assert assigned["message"] == "Neuer Lead: Müller AG"
    [new] = await mine(client, actors.clerk_b)
    assert (new["kind"], new["message"], new["lead"]) == (
        "LEAD_ASSIGNED",
        "Neuer Lead: Müller AG",
        {"id": lead["id"]},
    )


async def test_a_hand_over_tells_the_new_owner(client, actors):
    campaign = await new_campaign(client, actors.manager, "Messe Süd")
    [lead] = await new_leads(client, actors.manager, campaign, ["Müller"])
    await mutate_ok(
        client,
        actors.manager,
        "assignLeads",
        {"leadIds": [lead["id"]], "assigneeId": actors.clerk_a.gid},
    )
    await Notification.all().delete()  # the assignment's: not this test's
    created = await mutate_ok(
        client,
        actors.clerk_a,
        "createOpportunity",
        {"contactId": lead["contact"]["id"], "title": "Ausbau", "ownerId": actors.clerk_a.gid},
        "opportunity { id }",
    )
    opportunity = created["opportunity"]["id"]
    await mutate_ok(
        client,
        actors.clerk_a,
        "handOverOpportunity",
        {"opportunityId": opportunity, "ownerId": actors.clerk_b.gid},
    )
    assert await mine(client, actors.clerk_b) == [
        {
            "kind": "OPPORTUNITY_HANDED_OVER",
            "message": "Verkaufschance Ausbau von Clara Clerk übergeben",
            "lead": None,
            "opportunity": {"id": opportunity},
        }
    ]
    assert await mine(client, actors.clerk_a) == []


async def test_automatic_distribution_at_intake_is_one_notification_per_clerk(client, actors):
    campaign = await new_campaign(client, actors.manager, "Messe Süd")
    await mutate_ok(
        client,
        actors.manager,
        "setCampaignDistribution",
        {
            "campaignId": campaign,
            "clerkIds": [actors.clerk_a.gid, actors.clerk_b.gid],
            "strategy": "ROUND_ROBIN",
            "automatic": True,
        },
    )
    # createLeads (imports and partners go through the same intake): distributed at once.
    await new_leads(client, actors.manager, campaign, [f"L{i}" for i in range(6)])
    assert [n["message"] for n in await mine(client, actors.clerk_a)] == [
        "3 neue Leads aus Messe Süd"
    ]
    assert [n["message"] for n in await mine(client, actors.clerk_b)] == [
        "3 neue Leads aus Messe Süd"
    ]
