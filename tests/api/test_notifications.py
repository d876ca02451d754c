"""Notifications over the API: the viewer's own list (newest first, paged, unread only), the
unread count, markNotificationsRead (ids, all, foreign ids refused with nothing changed),
`node(id:)` only for the recipient, and links that follow the viewer's visibility."""

from __future__ import annotations

from typing import Any

from tortoise.transactions import in_transaction

from leadflow.api.ids import decode_id, encode_id
from leadflow.db.enums import NotificationKind
from leadflow.db.models import Lead, Notification, OutboxEvent
from leadflow.services import notifications, outbox
from leadflow.services.notifications import NewNotification
from tests.helpers import (
    Actor,
    QueryCounter,
    data_of,
    error_codes,
    gql,
    mutate,
    mutate_ok,
    new_campaign,
    new_leads,
)

LIST = """
query($unreadOnly: Boolean, $first: Int, $after: String) {
  notifications(unreadOnly: $unreadOnly, first: $first, after: $after) {
    totalCount
    pageInfo { hasNextPage endCursor }
    edges { node { id kind message createdAt readAt lead { id } opportunity { id } } }
  }
  unreadNotificationCount
}
"""
MARKED = "notifications { id readAt } unreadNotificationCount"


async def notify(user_id: int, *messages: str, lead_id: int | None = None) -> list[str]:
    """Notifications for `user_id`, in order; their global IDs."""
    async with in_transaction():
        created = await notifications.create_notifications(
            [
                NewNotification(user_id, NotificationKind.LEAD_ASSIGNED, text, lead_id)
                for text in messages
            ]
        )
    return [encode_id("Notification", row.id) for row in created]


async def listed(client, actor: Actor, **variables: Any) -> dict[str, Any]:
    return data_of(await gql(client, LIST, variables, actor=actor))


def messages(page: dict[str, Any]) -> list[str]:
    return [edge["node"]["message"] for edge in page["notifications"]["edges"]]


async def read_states() -> list[tuple[int, bool]]:
    rows = await Notification.all().order_by("id")
    return [(row.id, row.read_at is not None) for row in rows]


async def test_the_viewer_lists_their_own_newest_first_page_by_page(client, actors):
    await notify(actors.clerk_a.user.id, "eins", "zwei", "drei")
    await notify(actors.clerk_b.user.id, "fremd")

    first = await listed(client, actors.clerk_a, first=2)
    assert messages(first) == ["drei", "zwei"]
    assert first["notifications"]["totalCount"] == 3
    assert first["unreadNotificationCount"] == 3
    assert first["notifications"]["pageInfo"]["hasNextPage"] is True
    node = first["notifications"]["edges"][0]["node"]
    assert node["kind"] == "LEAD_ASSIGNED" and node["readAt"] is None

    after = first["notifications"]["pageInfo"]["endCursor"]
    rest = await listed(client, actors.clerk_a, first=2, after=after)
    assert messages(rest) == ["eins"]
    assert rest["notifications"]["pageInfo"]["hasNextPage"] is False

    # Clerk B sees only their own; the manager none of the clerks'.
    assert messages(await listed(client, actors.clerk_b)) == ["fremd"]
    manager = await listed(client, actors.manager)
    assert messages(manager) == [] and manager["unreadNotificationCount"] == 0


async def test_mark_read_by_ids_then_all_and_unread_only(client, actors):
    ids = await notify(actors.clerk_a.user.id, "eins", "zwei", "drei")
    [foreign] = await notify(actors.clerk_b.user.id, "fremd")

    payload = await mutate_ok(
        client, actors.clerk_a, "markNotificationsRead", {"ids": [ids[0]]}, MARKED
    )
    assert [row["id"] for row in payload["notifications"]] == [ids[0]]
    first_read_at = payload["notifications"][0]["readAt"]
    assert first_read_at is not None
    assert payload["unreadNotificationCount"] == 2
    unread = await listed(client, actors.clerk_a, unreadOnly=True)
    assert messages(unread) == ["drei", "zwei"]
    assert unread["notifications"]["totalCount"] == 2

    payload = await mutate_ok(
        client, actors.clerk_a, "markNotificationsRead", {"all": True}, MARKED
    )
    assert sorted(row["id"] for row in payload["notifications"]) == sorted(ids[1:])
    assert payload["unreadNotificationCount"] == 0
    # Read stays read at its first time; clerk B's is untouched.
    again = await mutate_ok(
        client, actors.clerk_a, "markNotificationsRead", {"ids": [ids[0]]}, MARKED
    )
    assert again["notifications"][0]["readAt"] == first_read_at
    states = dict(await read_states())
    assert states[decode_id(foreign, "Notification", ["id"])] is False


async def test_foreign_ids_are_refused_and_nothing_changes(client, actors):
    own = await notify(actors.clerk_a.user.id, "eins")
    [foreign] = await notify(actors.clerk_b.user.id, "fremd")
    before = await read_states()

    payload = await mutate(
        client, actors.clerk_a, "markNotificationsRead", {"ids": [*own, foreign]}, MARKED
    )
    assert payload["notifications"] is None
    assert [(e["code"], e["field"]) for e in payload["userErrors"]] == [("NOT_FOUND", ["ids", "1"])]
    # Neither ids nor all, both, or an empty list: refused too.
    for refused in ({}, {"ids": own, "all": True}, {"all": False}, {"ids": []}):
        payload = await mutate(client, actors.clerk_a, "markNotificationsRead", refused, MARKED)
        assert payload["userErrors"], refused
    assert await read_states() == before


async def test_a_read_only_token_reads_but_does_not_mark(client, actors):
    await notify(actors.manager.user.id, "eins")
    page = await listed(client, actors.read_only_manager)
    assert messages(page) == ["eins"] and page["unreadNotificationCount"] == 1
    body = await gql(
        client,
        "mutation { markNotificationsRead(input: {all: true}) { unreadNotificationCount } }",
        actor=actors.read_only_manager,
    )
    assert error_codes(body) == ["FORBIDDEN"]
    assert await read_states() == [(page_id, False) for page_id, _ in await read_states()]


async def test_node_only_for_the_recipient(client, actors):
    [mine] = await notify(actors.clerk_a.user.id, "eins")
    query = "query($id: ID!) { node(id: $id) { id ... on Notification { message } } }"
    own = data_of(await gql(client, query, {"id": mine}, actor=actors.clerk_a))
    assert own["node"] == {"id": mine, "message": "eins"}
    for other in (actors.clerk_b, actors.manager, actors.admin):
        body = await gql(client, query, {"id": mine}, actor=other)
        assert error_codes(body) == ["FORBIDDEN"], body
    missing = encode_id("Notification", 999_999)
    body = await gql(client, query, {"id": missing}, actor=actors.clerk_a)
    assert error_codes(body) == ["NOT_FOUND"], body
    partner = await gql(client, LIST, {}, actor=actors.partner)
    assert error_codes(partner) == ["FORBIDDEN"]


async def test_a_lead_taken_away_is_no_longer_linked(client, actors):
    campaign = await new_campaign(client, actors.manager, "Messe Süd")
    [lead] = await new_leads(client, actors.manager, campaign, ["Müller"])
    await mutate_ok(
        client,
        actors.manager,
        "assignLeads",
        {"leadIds": [lead["id"]], "assigneeId": actors.clerk_a.gid},
    )
    await Notification.all().delete()  # whatever the assignment announced: this test's own
    lead_pk = decode_id(lead["id"], "Lead", ["id"])
    await notify(actors.clerk_a.user.id, "Neuer Lead: Müller AG", lead_id=lead_pk)
    page = await listed(client, actors.clerk_a)
    assert page["notifications"]["edges"][0]["node"]["lead"] == {"id": lead["id"]}

    await mutate_ok(
        client,
        actors.manager,
        "reassignLead",
        {"leadId": lead["id"], "assigneeId": actors.clerk_b.gid},
    )
    page = await listed(client, actors.clerk_a)
    linked = [edge["node"]["lead"] for edge in page["notifications"]["edges"]]
    assert linked and all(link is None for link in linked)
    assert (await Lead.get(id=lead_pk)).assignee_id == actors.clerk_b.user.id


async def test_each_notification_is_an_outbox_event_for_its_recipient(client, actors):
    ids = await notify(actors.clerk_a.user.id, "eins", "zwei")
    events = await OutboxEvent.filter(topic=outbox.NOTIFICATION_ADDED).order_by("id")
    assert [(event.user_ids, event.payload["notificationId"]) for event in events] == [
        ([actors.clerk_a.user.id], decode_id(notification_id, "Notification", ["id"]))
        for notification_id in ids
    ]


async def test_a_page_of_linked_notifications_costs_a_fixed_number_of_statements(client, actors):
    campaign = await new_campaign(client, actors.manager, "Messe Süd")
    rows = await new_leads(client, actors.manager, campaign, [f"L{i}" for i in range(20)])
    await mutate_ok(
        client,
        actors.manager,
        "assignLeads",
        {"leadIds": [row["id"] for row in rows], "assigneeId": actors.clerk_a.gid},
    )
    for row in rows:
        await notify(
            actors.clerk_a.user.id, "Neuer Lead", lead_id=decode_id(row["id"], "Lead", ["id"])
        )
    counts = {}
    for size in (2, 20):
        with QueryCounter() as counter:
            page = await listed(client, actors.clerk_a, first=size)
        assert all(edge["node"]["lead"] for edge in page["notifications"]["edges"])
        counts[size] = counter.count
    assert counts[2] == counts[20], counts


async def test_an_activity_that_went_with_its_lead_is_no_longer_linked(client, actors):
    campaign = await new_campaign(client, actors.manager, "Messe Süd")
    [lead] = await new_leads(client, actors.manager, campaign, ["Müller"])
    await mutate_ok(
        client,
        actors.manager,
        "assignLeads",
        {"leadIds": [lead["id"]], "assigneeId": actors.clerk_a.gid},
    )
    planned = await mutate_ok(
        client,
        actors.clerk_a,
        "scheduleActivity",
        {"subjectId": lead["id"], "kind": "CALL", "dueAt": "2030-01-07T09:00:00+00:00"},
        "activity { id }",
    )
    activity_id = planned["activity"]["id"]
    await Notification.all().delete()
    async with in_transaction():
        await notifications.create_notifications(
            [
                NewNotification(
                    actors.clerk_a.user.id,
                    NotificationKind.ACTIVITY_DUE,
                    "Anruf fällig",
                    activity_id=decode_id(activity_id, "Activity", ["id"]),
                )
            ]
        )
    query = "{ notifications { edges { node { kind activity { id } } } } }"
    seen = data_of(await gql(client, query, actor=actors.clerk_a))
    assert seen["notifications"]["edges"][0]["node"] == {
        "kind": "ACTIVITY_DUE",
        "activity": {"id": activity_id},
    }
    await mutate_ok(
        client,
        actors.manager,
        "reassignLead",
        {"leadId": lead["id"], "assigneeId": actors.clerk_b.gid},
    )
    seen = data_of(await gql(client, query, actor=actors.clerk_a))
    kinds = {
        edge["node"]["kind"]: edge["node"]["activity"] for edge in seen["notifications"]["edges"]
    }
    assert kinds["ACTIVITY_DUE"] is None


async def test_opportunity_links_of_a_page_cost_a_fixed_number_of_statements(client, actors):
    campaign = await new_campaign(client, actors.manager, "Messe Süd")
    rows = await new_leads(client, actors.manager, campaign, [f"L{i}" for i in range(12)])
    opportunities = []
    for row in rows:
        created = await mutate_ok(
            client,
            actors.manager,
            "createOpportunity",
            {"contactId": row["contact"]["id"], "title": "Ausbau", "ownerId": actors.clerk_a.gid},
            "opportunity { id }",
        )
        opportunities.append(created["opportunity"]["id"])
    foreign = await mutate_ok(
        client,
        actors.manager,
        "createOpportunity",
        {"contactId": rows[0]["contact"]["id"], "title": "Fremd", "ownerId": actors.clerk_b.gid},
        "opportunity { id }",
    )
    async with in_transaction():
        await notifications.create_notifications(
            [
                NewNotification(
                    actors.clerk_a.user.id,
                    NotificationKind.OPPORTUNITY_HANDED_OVER,
                    "Verkaufschance",
                    opportunity_id=decode_id(gid, "Opportunity", ["id"]),
                )
                for gid in [foreign["opportunity"]["id"], *opportunities]
            ]
        )
    counts = {}
    for size in (2, 12):
        with QueryCounter() as counter:
            page = await listed(client, actors.clerk_a, first=size)
        linked = [edge["node"]["opportunity"] for edge in page["notifications"]["edges"]]
        assert linked == [{"id": gid} for gid in reversed(opportunities)][:size]
        counts[size] = counter.count
    assert counts[2] == counts[12], counts
    # Clerk B's opportunity is not clerk A's to see: the oldest notification links nothing.
    last = await listed(client, actors.clerk_a, first=13)
    assert last["notifications"]["edges"][-1]["node"]["opportunity"] is None
