"""Follow-ups over HTTP: scheduleActivity, completeActivity (with the next step) and
rescheduleActivity on leads and opportunities; Lead/Opportunity.nextActivity, activities and
dueState (by calendar day in the viewer's time zone); who may; bad input changes nothing;
next_due_at kept equal to the earliest open due time through every change, close,
reassignment, hand-over and reopen; of two completions at once one wins (SQLite and
PostgreSQL)."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from typing import Any

from leadflow import clock
from leadflow.api.ids import decode_id, encode_id
from leadflow.db.models import Activity, Lead, LeadEvent, Opportunity, OpportunityEvent
from tests.helpers import (
    Actor,
    data_of,
    error_codes,
    gql,
    mutate,
    mutate_ok,
    mutation_text,
    new_campaign,
    new_leads,
    snapshot,
)
from tests.services.test_rule_guards import between_read_and_write

ACTIVITY = (
    "id kind dueAt note assignee { id } createdBy { id } createdAt doneAt doneNote "
    "lead { id } opportunity { id }"
)
SUBJECT = """
  dueState nextActivity { id }
  activities { id kind dueAt doneAt doneNote assignee { id } }
  history { kind note actor { id } activity { id kind } }
"""
LEAD = f"query($id: ID!) {{ lead(id: $id) {{ id status {SUBJECT} }} }}"
OPPORTUNITY = f"query($id: ID!) {{ opportunity(id: $id) {{ id stage {SUBJECT} }} }}"


# Valid ISO moments whose UTC lies outside Python's years 1 to 9999.
BEFORE_YEAR_ONE = "0001-01-01T00:30:00+01:00"
AFTER_YEAR_9999 = "9999-12-31T23:30:00-01:00"


def due(days: float = 0, hours: float = 0) -> str:
    """A due time relative to now, with its offset."""
    return (clock.now() + timedelta(days=days, hours=hours)).isoformat()


def moment(text: str) -> datetime:
    return datetime.fromisoformat(text)


async def post(
    client, actor: Actor, query: str, variables: dict[str, Any], zone: str = ""
) -> dict[str, Any]:
    headers = {"Authorization": f"Bearer {actor.token}"}
    if zone:
        headers["Time-Zone"] = zone
    response = await client.post(
        "/graphql", json={"query": query, "variables": variables}, headers=headers
    )
    assert response.status_code in (200, 400), response.text
    return response.json()


async def active_lead(client, actors, clerk: Actor, name: str = "Follow") -> str:
    campaign = await new_campaign(client, actors.manager, f"Activities {name}")
    (lead,) = await new_leads(client, actors.manager, campaign, [name])
    await mutate_ok(
        client, actors.manager, "assignLeads", {"leadIds": [lead["id"]], "assigneeId": clerk.gid}
    )
    return lead["id"]


async def opportunity_of(client, actors, clerk: Actor, name: str = "Deal") -> str:
    lead_id = await active_lead(client, actors, clerk, name)
    payload = await mutate_ok(
        client,
        clerk,
        "closeLead",
        {"leadId": lead_id, "outcome": "SUCCESSFUL"},
        "opportunity { id }",
    )
    return payload["opportunity"]["id"]


async def schedule(client, actor: Actor, subject: str, **fields: Any) -> dict[str, Any]:
    values = {"subjectId": subject, "kind": "CALL", "dueAt": due(days=1), **fields}
    return await mutate(client, actor, "scheduleActivity", values, f"activity {{ {ACTIVITY} }}")


async def scheduled(client, actor: Actor, subject: str, **fields: Any) -> dict[str, Any]:
    payload = await schedule(client, actor, subject, **fields)
    assert payload["userErrors"] == [], payload
    return payload["activity"]


async def complete(client, actor: Actor, activity: str, **fields: Any) -> dict[str, Any]:
    return await mutate(
        client,
        actor,
        "completeActivity",
        {"activityId": activity, **fields},
        f"activity {{ {ACTIVITY} }} nextActivity {{ {ACTIVITY} }}",
    )


async def reschedule(client, actor: Actor, activity: str, when: str) -> dict[str, Any]:
    return await mutate(
        client,
        actor,
        "rescheduleActivity",
        {"activityId": activity, "dueAt": when},
        f"activity {{ {ACTIVITY} }}",
    )


async def read(client, actor: Actor, query: str, subject: str, zone: str = "") -> dict[str, Any]:
    data = data_of(await post(client, actor, query, {"id": subject}, zone))
    return data["lead"] if "lead" in data else data["opportunity"]


async def assert_next_due_kept() -> None:
    """Every lead's and opportunity's next_due_at is its earliest open activity's due time."""
    open_activities = await Activity.filter(done_at=None).values(
        "lead_id", "opportunity_id", "due_at"
    )
    earliest: dict[tuple[str, int], datetime] = {}
    for row in open_activities:
        key = ("lead", row["lead_id"]) if row["lead_id"] else ("opp", row["opportunity_id"])
        earliest[key] = min(earliest.get(key, row["due_at"]), row["due_at"])
    for lead_id, next_due in await Lead.all().values_list("id", "next_due_at"):
        assert next_due == earliest.get(("lead", lead_id)), ("lead", lead_id)
    for opportunity_id, next_due in await Opportunity.all().values_list("id", "next_due_at"):
        assert next_due == earliest.get(("opp", opportunity_id)), ("opportunity", opportunity_id)


async def activity_state() -> list[tuple]:
    return [
        tuple(str(value) for value in row)
        for row in await Activity.all().order_by("id").values_list()
    ]


# --- happy paths ----------------------------------------------------------------------------


async def test_a_clerk_plans_moves_and_completes_with_the_next_step(client, actors):
    clerk = actors.clerk_a
    lead_id = await active_lead(client, actors, clerk)
    before = await read(client, clerk, LEAD, lead_id)
    assert (before["dueState"], before["nextActivity"], before["activities"]) == ("NONE", None, [])

    call = await scheduled(client, clerk, lead_id, dueAt=due(days=2), note="Rückruf Dienstag")
    assert call["kind"] == "CALL" and call["note"] == "Rückruf Dienstag"
    assert call["assignee"] == {"id": clerk.gid} and call["createdBy"] == {"id": clerk.gid}
    assert (call["lead"], call["opportunity"]) == ({"id": lead_id}, None)
    assert (call["doneAt"], call["doneNote"]) == (None, None)
    mail = await scheduled(client, clerk, lead_id, kind="EMAIL", dueAt=due(days=3))
    await assert_next_due_kept()
    lead = await read(client, clerk, LEAD, lead_id)
    assert lead["dueState"] == "UPCOMING"
    assert lead["nextActivity"] == {"id": call["id"]}
    assert [activity["id"] for activity in lead["activities"]] == [call["id"], mail["id"]]

    # Moving the call after the email makes the email the next step.
    later = due(days=4)
    moved = await reschedule(client, clerk, call["id"], later)
    assert moved["userErrors"] == [] and moment(moved["activity"]["dueAt"]) == moment(later)
    await assert_next_due_kept()
    assert (await read(client, clerk, LEAD, lead_id))["nextActivity"] == {"id": mail["id"]}

    # Completing the email plans the next step in the same go, for the lead's clerk.
    payload = await complete(
        client,
        clerk,
        mail["id"],
        note="Angebot geschickt",
        next={"kind": "MEETING", "dueAt": due(days=1), "note": "Termin vor Ort"},
    )
    assert payload["userErrors"] == [], payload
    done, following = payload["activity"], payload["nextActivity"]
    assert done["id"] == mail["id"] and done["doneAt"] and done["doneNote"] == "Angebot geschickt"
    assert following["kind"] == "MEETING" and following["note"] == "Termin vor Ort"
    assert following["assignee"] == {"id": clerk.gid} and following["lead"] == {"id": lead_id}
    await assert_next_due_kept()

    lead = await read(client, clerk, LEAD, lead_id)
    assert lead["nextActivity"] == {"id": following["id"]}
    # Open ones by due time, then the done ones.
    assert [(a["id"], a["doneAt"] is None) for a in lead["activities"]] == [
        (following["id"], True),
        (call["id"], True),
        (mail["id"], False),
    ]
    activity_events = [event for event in lead["history"] if event["activity"]]
    assert [(e["kind"], e["activity"]["id"], e["actor"]) for e in activity_events] == [
        ("ACTIVITY_SCHEDULED", call["id"], {"id": clerk.gid}),
        ("ACTIVITY_SCHEDULED", mail["id"], {"id": clerk.gid}),
        ("ACTIVITY_RESCHEDULED", call["id"], {"id": clerk.gid}),
        ("ACTIVITY_COMPLETED", mail["id"], {"id": clerk.gid}),
        ("ACTIVITY_SCHEDULED", following["id"], {"id": clerk.gid}),
    ]
    notes = [event["note"] for event in activity_events]
    assert notes[0] == "Rückruf Dienstag" and notes[3] == "Angebot geschickt"
    old, new = notes[2].split(" -> ")
    assert moment(old) == moment(call["dueAt"]) and moment(new) == moment(later)

    # node(id:) finds the activity, with its lead.
    body = await gql(
        client,
        "query($id: ID!) { node(id: $id) { ... on Activity { id kind lead { id } } } }",
        {"id": following["id"]},
        actor=clerk,
    )
    assert data_of(body)["node"] == {
        "id": following["id"],
        "kind": "MEETING",
        "lead": {"id": lead_id},
    }


async def test_a_manager_plans_on_a_new_lead_with_an_assignee(client, actors):
    manager = actors.manager
    campaign = await new_campaign(client, manager, "Fresh")
    (lead,) = await new_leads(client, manager, campaign, ["Fresh"])
    lead_id = lead["id"]
    # A NEW lead has no clerk to default to.
    payload = await schedule(client, manager, lead_id)
    assert [(e["code"], e["field"]) for e in payload["userErrors"]] == [
        ("REQUIRED", ["assigneeId"])
    ]
    mine = await scheduled(client, manager, lead_id, assigneeId=manager.gid)
    assert mine["assignee"] == {"id": manager.gid}
    await mutate_ok(
        client, manager, "assignLeads", {"leadIds": [lead_id], "assigneeId": actors.clerk_a.gid}
    )
    # The lead's clerk now works on it: completes the manager's step and plans the next one,
    # which goes to the clerk.
    payload = await complete(
        client, actors.clerk_a, mine["id"], next={"kind": "TASK", "dueAt": due(days=5)}
    )
    assert payload["userErrors"] == []
    assert payload["nextActivity"]["assignee"] == {"id": actors.clerk_a.gid}
    await assert_next_due_kept()


async def test_a_step_goes_only_to_someone_who_may_work_on_its_subject(client, actors):
    """The assignee is the lead's clerk (the opportunity's owner) or a manager. Another clerk
    could not open the step (FORBIDDEN on node) nor count it, and no clerk sees a NEW lead; an
    opportunity's originating clerk sees it but may not work on its steps."""
    clerk_a, clerk_b, manager = actors.clerk_a, actors.clerk_b, actors.manager
    lead_id = await active_lead(client, actors, clerk_a, "Own")
    opportunity_id = await opportunity_of(client, actors, clerk_a, "Owned")
    handed_over = await opportunity_of(client, actors, clerk_a, "Handed")
    await mutate_ok(
        client,
        manager,
        "handOverOpportunity",
        {"opportunityId": handed_over, "ownerId": clerk_b.gid},
    )
    campaign = await new_campaign(client, manager, "Unassigned")
    (new_lead,) = await new_leads(client, manager, campaign, ["Unassigned"])
    before = (await snapshot(client, manager), await activity_state())
    refused = [
        (clerk_a, lead_id, clerk_b),
        (manager, lead_id, clerk_b),
        (manager, opportunity_id, clerk_b),
        (manager, handed_over, clerk_a),
        (manager, new_lead["id"], clerk_a),
    ]
    for actor, subject, assignee in refused:
        payload = await schedule(client, actor, subject, assigneeId=assignee.gid)
        assert codes(payload) == [("INVALID", ["assigneeId"])], (actor.user.email, payload)
        assert "cannot work on this" in payload["userErrors"][0]["message"], payload
    assert (await snapshot(client, manager), await activity_state()) == before
    # Who may work on it is a valid choice: the clerk (named or by default) or a manager.
    for actor, subject, assignee in [
        (clerk_a, lead_id, clerk_a),
        (manager, lead_id, manager),
        (manager, handed_over, clerk_b),
        (manager, new_lead["id"], manager),
    ]:
        step = await scheduled(client, actor, subject, assigneeId=assignee.gid)
        assert step["assignee"] == {"id": assignee.gid}
        body = await gql(
            client, "query($id: ID!) { node(id: $id) { id } }", {"id": step["id"]}, actor=assignee
        )
        assert data_of(body)["node"] == {"id": step["id"]}
    await assert_next_due_kept()


async def test_activities_on_an_opportunity_follow_its_owner_and_end_with_it(client, actors):
    clerk_a, clerk_b, manager = actors.clerk_a, actors.clerk_b, actors.manager
    opportunity_id = await opportunity_of(client, actors, clerk_a)
    first = await scheduled(client, clerk_a, opportunity_id, dueAt=due(days=1))
    assert (first["opportunity"], first["lead"]) == ({"id": opportunity_id}, None)
    managers_own = await scheduled(
        client, manager, opportunity_id, dueAt=due(days=2), assigneeId=manager.gid
    )
    await assert_next_due_kept()
    opportunity = await read(client, clerk_a, OPPORTUNITY, opportunity_id)
    assert opportunity["dueState"] == "UPCOMING"
    assert opportunity["nextActivity"] == {"id": first["id"]}

    # A hand-over gives the previous owner's open steps to the new owner, not the manager's.
    await mutate_ok(
        client,
        manager,
        "handOverOpportunity",
        {"opportunityId": opportunity_id, "ownerId": clerk_b.gid},
    )
    opportunity = await read(client, clerk_b, OPPORTUNITY, opportunity_id)
    assert {a["id"]: a["assignee"]["id"] for a in opportunity["activities"]} == {
        first["id"]: clerk_b.gid,
        managers_own["id"]: manager.gid,
    }
    # The new owner works on them; the previous one may not any more.
    assert (await reschedule(client, clerk_b, first["id"], due(days=3)))["userErrors"] == []
    body = await gql(
        client,
        mutation_text("rescheduleActivity", "activity { id }"),
        {"input": {"activityId": first["id"], "dueAt": due(days=4)}},
        actor=clerk_a,
    )
    assert error_codes(body) == ["FORBIDDEN"]
    await assert_next_due_kept()

    # Won: nothing is left to do.
    await mutate_ok(
        client, clerk_b, "moveOpportunity", {"opportunityId": opportunity_id, "stage": "WON"}
    )
    opportunity = await read(client, manager, OPPORTUNITY, opportunity_id)
    assert (opportunity["dueState"], opportunity["nextActivity"]) == ("NONE", None)
    assert all(activity["doneAt"] for activity in opportunity["activities"])
    await assert_next_due_kept()
    payload = await schedule(client, manager, opportunity_id)
    assert [(e["code"], e["field"]) for e in payload["userErrors"]] == [
        ("INVALID_STATE", ["subjectId"])
    ]
    # Every change of a step is in the history: the hand-over's move (by the manager, the
    # due time unchanged, the two owners in the note and on the entry) and the completion by
    # the win (by whoever won it).
    steps = [
        (e["kind"], e["activity"]["id"], e["actor"]["id"])
        for e in opportunity["history"]
        if e["activity"]
    ]
    assert steps[:4] == [
        ("ACTIVITY_SCHEDULED", first["id"], clerk_a.gid),
        ("ACTIVITY_SCHEDULED", managers_own["id"], manager.gid),
        ("ACTIVITY_RESCHEDULED", first["id"], manager.gid),
        ("ACTIVITY_RESCHEDULED", first["id"], clerk_b.gid),
    ]
    assert sorted(steps[4:]) == sorted(
        [
            ("ACTIVITY_COMPLETED", first["id"], clerk_b.gid),
            ("ACTIVITY_COMPLETED", managers_own["id"], clerk_b.gid),
        ]
    )
    handed = (
        await OpportunityEvent.filter(
            kind="ACTIVITY_RESCHEDULED", activity_id=decode_id(first["id"], "Activity", ["id"])
        )
        .order_by("id")
        .first()
    )
    assert handed is not None
    assert handed.note == f"{clerk_a.user.name} -> {clerk_b.user.name}"
    assert (handed.previous_owner_id, handed.owner_id) == (clerk_a.user.id, clerk_b.user.id)
    # Moved back by a manager: still nothing scheduled.
    await mutate_ok(
        client, manager, "moveOpportunity", {"opportunityId": opportunity_id, "stage": "OPEN"}
    )
    assert (await read(client, manager, OPPORTUNITY, opportunity_id))["dueState"] == "NONE"
    await assert_next_due_kept()


async def test_a_close_completes_the_open_steps_and_a_reassignment_moves_them(client, actors):
    clerk_a, clerk_b, manager = actors.clerk_a, actors.clerk_b, actors.manager
    lead_id = await active_lead(client, actors, clerk_a)
    clerks = await scheduled(client, clerk_a, lead_id, dueAt=due(days=-1, hours=-2))
    managers = await scheduled(client, manager, lead_id, assigneeId=manager.gid)
    assert (await read(client, clerk_a, LEAD, lead_id))["dueState"] == "OVERDUE"

    await mutate_ok(client, manager, "reassignLead", {"leadId": lead_id, "assigneeId": clerk_b.gid})
    lead = await read(client, clerk_b, LEAD, lead_id)
    assert {a["id"]: a["assignee"]["id"] for a in lead["activities"]} == {
        clerks["id"]: clerk_b.gid,
        managers["id"]: manager.gid,
    }
    assert lead["dueState"] == "OVERDUE"
    await assert_next_due_kept()
    # The move is in the history: by the manager, the two clerks in the note and on the entry.
    moved = [e for e in lead["history"] if e["kind"] == "ACTIVITY_RESCHEDULED"]
    assert [(e["activity"]["id"], e["actor"], e["note"]) for e in moved] == [
        (clerks["id"], {"id": manager.gid}, f"{clerk_a.user.name} -> {clerk_b.user.name}")
    ]
    entry = await LeadEvent.get(
        kind="ACTIVITY_RESCHEDULED", lead_id=decode_id(lead_id, "Lead", ["id"])
    )
    assert (entry.previous_assignee_id, entry.assignee_id) == (clerk_a.user.id, clerk_b.user.id)

    with clock.frozen_at(clock.now() + timedelta(minutes=5)) as closed_at:
        payload = await mutate_ok(
            client,
            clerk_b,
            "closeLead",
            {"leadId": lead_id, "outcome": "UNSUCCESSFUL", "reason": "UNREACHABLE"},
            "lead { closedAt }",
        )
    assert moment(payload["lead"]["closedAt"]) == closed_at
    lead = await read(client, clerk_b, LEAD, lead_id)
    assert (lead["dueState"], lead["nextActivity"]) == ("NONE", None)
    assert {moment(a["doneAt"]) for a in lead["activities"]} == {closed_at}
    stored = await Activity.filter(lead_id=decode_id(lead_id, "Lead", ["id"]))
    assert {activity.done_by_id for activity in stored} == {clerk_b.user.id}
    # Each step the close completed is in the history, by the closer, at the close.
    completed = [e for e in lead["history"] if e["kind"] == "ACTIVITY_COMPLETED"]
    assert sorted((e["activity"]["id"], e["actor"]["id"]) for e in completed) == sorted(
        [(clerks["id"], clerk_b.gid), (managers["id"], clerk_b.gid)]
    )
    await assert_next_due_kept()
    payload = await schedule(client, manager, lead_id)
    assert [(e["code"], e["field"]) for e in payload["userErrors"]] == [
        ("INVALID_STATE", ["subjectId"])
    ]
    payload = await complete(client, manager, clerks["id"])
    assert [(e["code"], e["field"]) for e in payload["userErrors"]] == [
        ("INVALID_STATE", ["activityId"])
    ]

    # Reopening changes nothing about the steps: still done, nothing scheduled.
    await mutate_ok(client, manager, "reopenLead", {"leadId": lead_id})
    lead = await read(client, manager, LEAD, lead_id)
    assert (lead["status"], lead["dueState"], lead["nextActivity"]) == ("ACTIVE", "NONE", None)
    assert all(activity["doneAt"] for activity in lead["activities"])
    await assert_next_due_kept()


# --- due state by the viewer's calendar day ------------------------------------------------


async def test_due_state_goes_by_the_calendar_day_in_the_viewers_time_zone(client, actors):
    """At 23:30 UTC it is already 00:30 the next day in Berlin: a step due at 22:30 UTC is
    today in UTC and overdue in Berlin; one due at 00:30 UTC tomorrow is upcoming in UTC and
    today in Berlin. Without the header: UTC."""
    clerk = actors.clerk_a
    now = datetime(2026, 3, 10, 23, 30, tzinfo=UTC)
    with clock.frozen_at(now):
        late = await active_lead(client, actors, clerk, "Late")
        early = await active_lead(client, actors, clerk, "Early")
        none = await active_lead(client, actors, clerk, "Nothing")
        await scheduled(client, clerk, late, dueAt="2026-03-10T22:30:00Z")
        await scheduled(client, clerk, early, dueAt="2026-03-11T00:30:00+00:00")
        expected = {
            "": {late: "TODAY", early: "UPCOMING", none: "NONE"},
            "UTC": {late: "TODAY", early: "UPCOMING", none: "NONE"},
            "Europe/Berlin": {late: "OVERDUE", early: "TODAY", none: "NONE"},
            # 19:30 on the 10th (daylight saving time since March 8): both are today.
            "America/New_York": {late: "TODAY", early: "TODAY", none: "NONE"},
        }
        for zone, states in expected.items():
            for lead_id, state in states.items():
                lead = await read(client, clerk, LEAD, lead_id, zone)
                assert lead["dueState"] == state, (zone, lead_id)
    # Two days later both are overdue.
    with clock.frozen_at(now + timedelta(days=2)):
        for lead_id in (late, early):
            assert (await read(client, clerk, LEAD, lead_id))["dueState"] == "OVERDUE"


# --- refusals -------------------------------------------------------------------------------


async def test_others_partners_and_read_only_tokens_are_refused(client, actors):
    lead_id = await active_lead(client, actors, actors.clerk_a)
    activity = await scheduled(client, actors.clerk_a, lead_id)
    opportunity_id = await opportunity_of(client, actors, actors.clerk_a, "Refused")
    before = (await snapshot(client, actors.manager), await activity_state())
    operations = [
        ("scheduleActivity", {"subjectId": lead_id, "kind": "CALL", "dueAt": due(days=1)}),
        ("scheduleActivity", {"subjectId": opportunity_id, "kind": "CALL", "dueAt": due(days=1)}),
        ("completeActivity", {"activityId": activity["id"], "note": "No"}),
        ("rescheduleActivity", {"activityId": activity["id"], "dueAt": due(days=9)}),
    ]
    for actor in (actors.clerk_b, actors.partner, actors.read_only_manager):
        for name, values in operations:
            body = await gql(
                client, mutation_text(name, "activity { id }"), {"input": values}, actor=actor
            )
            assert error_codes(body) == ["FORBIDDEN"], (actor.user.email, name, body)
            assert (body.get("data") or {}).get(name) is None
    # Nor do they read it.
    for actor in (actors.clerk_b, actors.partner):
        body = await gql(
            client, "query($id: ID!) { node(id: $id) { id } }", {"id": activity["id"]}, actor=actor
        )
        assert error_codes(body) == ["FORBIDDEN"], (actor.user.email, body)
    assert (await snapshot(client, actors.manager), await activity_state()) == before


# --- bad input ------------------------------------------------------------------------------


def codes(payload: dict[str, Any]) -> list[tuple[str, list[str]]]:
    """The user errors' codes and fields; a payload with errors carries nothing else."""
    if payload["userErrors"]:
        assert all(value is None for key, value in payload.items() if key != "userErrors")
    return [(error["code"], error["field"]) for error in payload["userErrors"]]


async def test_bad_input_changes_nothing(client, actors):
    clerk, manager = actors.clerk_a, actors.manager
    lead_id = await active_lead(client, actors, clerk)
    open_step = await scheduled(client, clerk, lead_id, dueAt=due(days=1))
    done_step = await scheduled(client, clerk, lead_id, dueAt=due(days=2))
    assert (await complete(client, clerk, done_step["id"]))["userErrors"] == []
    closed_lead = await active_lead(client, actors, clerk, "Closed")
    await mutate_ok(
        client,
        clerk,
        "closeLead",
        {"leadId": closed_lead, "outcome": "UNSUCCESSFUL", "reason": "OTHER"},
    )
    campaign = await new_campaign(client, manager, "Not a subject")
    before = (await snapshot(client, manager), await activity_state())

    naive = (clock.now() + timedelta(days=1)).replace(tzinfo=None).isoformat()
    schedule_cases = [
        ({"subjectId": "garbage"}, ("INVALID", ["subjectId"])),
        ({"subjectId": campaign}, ("INVALID", ["subjectId"])),
        ({"subjectId": encode_id("Lead", 999_999)}, ("NOT_FOUND", ["subjectId"])),
        ({"subjectId": encode_id("Opportunity", 999_999)}, ("NOT_FOUND", ["subjectId"])),
        ({"subjectId": closed_lead}, ("INVALID_STATE", ["subjectId"])),
        ({"dueAt": naive}, ("INVALID", ["dueAt"])),
        ({"dueAt": due(days=5000)}, ("INVALID", ["dueAt"])),
        ({"dueAt": due(days=-400)}, ("INVALID", ["dueAt"])),
        # Before year 1 and after 9999 in UTC: no moment Python can hold (was a 500).
        ({"dueAt": BEFORE_YEAR_ONE}, ("INVALID", ["dueAt"])),
        ({"dueAt": AFTER_YEAR_9999}, ("INVALID", ["dueAt"])),
        ({"note": "x" * 5001}, ("TOO_LONG", ["note"])),
        ({"note": "nul \x00"}, ("INVALID", ["note"])),
        ({"assigneeId": "garbage"}, ("INVALID", ["assigneeId"])),
        ({"assigneeId": encode_id("User", 999_999)}, ("NOT_FOUND", ["assigneeId"])),
        ({"assigneeId": actors.inactive_clerk.gid}, ("INVALID", ["assigneeId"])),
        ({"assigneeId": actors.partner.gid}, ("INVALID", ["assigneeId"])),
    ]
    for fields, expected in schedule_cases:
        payload = await schedule(client, manager, lead_id, **fields)
        assert codes(payload) == [expected], (fields, payload)
    # A clerk learns no more than that the choice is wrong.
    payload = await schedule(client, clerk, lead_id, assigneeId=manager.gid)
    assert codes(payload) == [("INVALID", ["assigneeId"])]
    assert payload["userErrors"][0]["message"] == "Choose one of the active clerks."

    complete_cases = [
        ({"activityId": lead_id}, ("INVALID", ["activityId"])),
        ({"activityId": encode_id("Activity", 999_999)}, ("NOT_FOUND", ["activityId"])),
        ({"activityId": done_step["id"]}, ("INVALID_STATE", ["activityId"])),
        ({"note": "x" * 5001}, ("TOO_LONG", ["note"])),
        ({"next": {"kind": "CALL", "dueAt": naive}}, ("INVALID", ["next", "dueAt"])),
        ({"next": {"kind": "CALL", "dueAt": BEFORE_YEAR_ONE}}, ("INVALID", ["next", "dueAt"])),
        ({"next": {"kind": "CALL", "dueAt": AFTER_YEAR_9999}}, ("INVALID", ["next", "dueAt"])),
        (
            {"next": {"kind": "CALL", "dueAt": due(days=1), "note": "x" * 5001}},
            ("TOO_LONG", ["next", "note"]),
        ),
    ]
    for fields, expected in complete_cases:
        payload = await complete(client, clerk, **{"activity": open_step["id"], **fields})
        assert codes(payload) == [expected], (fields, payload)

    reschedule_cases = [
        (open_step["id"], naive, ("INVALID", ["dueAt"])),
        (open_step["id"], BEFORE_YEAR_ONE, ("INVALID", ["dueAt"])),
        (open_step["id"], AFTER_YEAR_9999, ("INVALID", ["dueAt"])),
        (open_step["id"], open_step["dueAt"], ("INVALID", ["dueAt"])),
        (done_step["id"], due(days=3), ("INVALID_STATE", ["activityId"])),
        (campaign, due(days=3), ("INVALID", ["activityId"])),
    ]
    for activity_id, when, expected in reschedule_cases:
        payload = await reschedule(client, clerk, activity_id, when)
        assert codes(payload) == [expected], (activity_id, when, payload)

    # Absent or unreadable required values are refused before anything runs.
    for values in (
        {"subjectId": lead_id, "kind": "CALL"},
        {"subjectId": lead_id, "kind": "CALL", "dueAt": "next Tuesday"},
        {"subjectId": lead_id, "kind": "LUNCH", "dueAt": due(days=1)},
    ):
        body = await gql(
            client,
            mutation_text("scheduleActivity", "activity { id }"),
            {"input": values},
            actor=clerk,
        )
        assert body.get("errors") and not body.get("data"), body
    assert (await snapshot(client, manager), await activity_state()) == before
    await assert_next_due_kept()


# --- races ----------------------------------------------------------------------------------


async def test_of_two_completions_at_once_one_wins_the_other_conflicts(client, actors):
    """Reached on purpose: the other completion commits right after the first one read the
    activity."""
    lead_id = await active_lead(client, actors, actors.clerk_a)
    step = await scheduled(client, actors.clerk_a, lead_id)
    second: dict[str, Any] = {}

    async def other_manager() -> None:
        second.update(await complete(client, actors.manager2, step["id"], note="Second."))

    async with between_read_and_write(Activity, other_manager):
        first = await complete(
            client,
            actors.manager,
            step["id"],
            note="First.",
            next={"kind": "CALL", "dueAt": due(days=1)},
        )
    assert second["userErrors"] == [] and second["activity"]["doneNote"] == "Second."
    assert codes(first) == [("CONFLICT", ["activityId"])]
    completions = await LeadEvent.filter(kind="ACTIVITY_COMPLETED").values_list("note", flat=True)
    assert completions == ["Second."]
    # The loser's next step was not stored either.
    assert await Activity.filter(lead_id=decode_id(lead_id, "Lead", ["id"])).count() == 1
    await assert_next_due_kept()


async def test_concurrent_changes_over_http_keep_one_winner_and_next_due(client, actors):
    lead_id = await active_lead(client, actors, actors.clerk_a)
    steps = [await scheduled(client, actors.clerk_a, lead_id, dueAt=due(days=d)) for d in (1, 2)]
    for step in steps:
        first, second = await asyncio.gather(
            complete(client, actors.manager, step["id"], next={"kind": "TASK", "dueAt": due(3)}),
            complete(client, actors.clerk_a, step["id"], next={"kind": "TASK", "dueAt": due(4)}),
        )
        outcomes = sorted([codes(first), codes(second)], key=len)
        assert outcomes[0] == []
        assert outcomes[1] in ([("CONFLICT", ["activityId"])], [("INVALID_STATE", ["activityId"])])
    # Schedules at once all land, and next_due_at is the earliest of them.
    await asyncio.gather(
        *(scheduled(client, actors.clerk_a, lead_id, dueAt=due(hours=h)) for h in (9, 5, 7, 6))
    )
    await assert_next_due_kept()
    assert await LeadEvent.filter(kind="ACTIVITY_COMPLETED").count() == 2
    assert await OpportunityEvent.filter(kind="ACTIVITY_COMPLETED").count() == 0
    lead = await read(client, actors.clerk_a, LEAD, lead_id)
    open_dues = [moment(a["dueAt"]) for a in lead["activities"] if a["doneAt"] is None]
    assert open_dues == sorted(open_dues) and len(open_dues) == 6


async def test_a_reassignment_between_check_and_write_wins_over_scheduling(client, actors):
    """The clerk's right was checked on the lead as read; the manager hands the lead to clerk
    B right after that read: the clerk's step must not land on clerk B's lead."""
    lead_id = await active_lead(client, actors, actors.clerk_a)
    before = await activity_state()

    async def reassign() -> None:
        await mutate_ok(
            client,
            actors.manager,
            "reassignLead",
            {"leadId": lead_id, "assigneeId": actors.clerk_b.gid},
        )

    async with between_read_and_write(Lead, reassign):
        payload = await schedule(client, actors.clerk_a, lead_id)
    assert codes(payload) == [("CONFLICT", ["subjectId"])]
    assert await activity_state() == before
    await assert_next_due_kept()


async def test_a_close_between_read_and_write_wins_over_completing(client, actors):
    """The close completes the open step first; the clerk's completion, which read it open,
    gets CONFLICT and plans no next step on the closed lead."""
    lead_id = await active_lead(client, actors, actors.clerk_a)
    step = await scheduled(client, actors.clerk_a, lead_id)

    async def close() -> None:
        await mutate_ok(
            client,
            actors.manager,
            "closeLead",
            {"leadId": lead_id, "outcome": "UNSUCCESSFUL", "reason": "OTHER"},
        )

    async with between_read_and_write(Activity, close):
        payload = await complete(
            client, actors.clerk_a, step["id"], next={"kind": "CALL", "dueAt": due(days=1)}
        )
    assert codes(payload) == [("CONFLICT", ["activityId"])]
    (stored,) = await Activity.filter(lead_id=decode_id(lead_id, "Lead", ["id"]))
    assert stored.done_at is not None and stored.done_by_id == actors.manager.user.id
    await assert_next_due_kept()


async def test_a_hand_over_between_check_and_write_wins_over_the_former_owner(client, actors):
    opportunity_id = await opportunity_of(client, actors, actors.clerk_a, "Handed")
    step = await scheduled(client, actors.clerk_a, opportunity_id)
    before = await activity_state()

    async def hand_over() -> None:
        await mutate_ok(
            client,
            actors.manager,
            "handOverOpportunity",
            {"opportunityId": opportunity_id, "ownerId": actors.clerk_b.gid},
        )

    async with between_read_and_write(Opportunity, hand_over):
        payload = await reschedule(client, actors.clerk_a, step["id"], due(days=6))
    assert codes(payload) == [("CONFLICT", ["activityId"])]
    # Only the hand-over's change: the step is clerk B's now, still due when it was.
    (stored,) = await Activity.filter(opportunity_id=decode_id(opportunity_id, "Opportunity", []))
    assert stored.assignee_id == actors.clerk_b.user.id
    assert stored.due_at == moment(step["dueAt"])
    assert len(await activity_state()) == len(before)
    await assert_next_due_kept()
