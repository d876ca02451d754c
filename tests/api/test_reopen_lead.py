"""reopenLead over HTTP: a DONE lead goes back to its last clerk (or to NEW), its opportunity
stays, the history says so; managers only; bad input changes nothing; two reopens at once leave
one winner and a CONFLICT; the report rollups stay equal to the figures from the leads."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from typing import Any

from leadflow import clock
from leadflow.api.ids import decode_id, encode_id
from leadflow.db.enums import CloseReason, Role
from leadflow.db.models import Lead, LeadEvent
from tests.helpers import (
    Actor,
    data_of,
    error_codes,
    gql,
    make_actor,
    mutate,
    mutate_ok,
    mutation_text,
    new_campaign,
    new_leads,
    snapshot,
)
from tests.rollups import expected_rollups, stored_rollups
from tests.services.test_report_rollups import figures_from_leads
from tests.services.test_rule_guards import between_read_and_write

LEAD = """
query($id: ID!) {
  lead(id: $id) {
    id status outcome closeReason closeNote closedAt closedBy { id }
    assignee { id } assignedAt waitingSince opportunity { id }
    history { kind actor { id } assignee { id } note }
  }
}"""


async def closed_leads(client, actors, clerk: Actor, count: int = 1, **close: Any) -> list[str]:
    """Leads of a new campaign, assigned to `clerk` and closed by them (SUCCESSFUL unless
    `close` says otherwise); returns their global IDs."""
    campaign = await new_campaign(client, actors.manager, f"Reopen {clerk.user.id} {count}")
    leads = await new_leads(
        client, actors.manager, campaign, [f"Closed{clerk.user.id}x{i}" for i in range(count)]
    )
    ids = [lead["id"] for lead in leads]
    await mutate_ok(
        client, actors.manager, "assignLeads", {"leadIds": ids, "assigneeId": clerk.gid}
    )
    for lead_id in ids:
        await mutate_ok(
            client, clerk, "closeLead", {"leadId": lead_id, "outcome": "SUCCESSFUL", **close}
        )
    return ids


async def read_lead(client, actor: Actor, lead_id: str) -> dict[str, Any]:
    return data_of(await gql(client, LEAD, {"id": lead_id}, actor=actor))["lead"]


async def reopen(client, actor: Actor, lead_id: str, note: str | None = None) -> dict[str, Any]:
    return await mutate(
        client, actor, "reopenLead", {"leadId": lead_id, "note": note}, "lead { id status }"
    )


async def test_a_lead_goes_back_to_its_last_clerk_with_its_opportunity(client, actors):
    (lead_id,) = await closed_leads(client, actors, actors.clerk_a)
    before = await read_lead(client, actors.manager, lead_id)
    assert before["status"] == "DONE" and before["opportunity"] is not None

    payload = await reopen(client, actors.manager, lead_id, "Closed by mistake.")
    assert payload == {"lead": {"id": lead_id, "status": "ACTIVE"}, "userErrors": []}
    lead = await read_lead(client, actors.manager, lead_id)
    assert lead["assignee"] == {"id": actors.clerk_a.gid}
    assert (lead["outcome"], lead["closeReason"], lead["closeNote"]) == (None, None, "")
    assert (lead["closedAt"], lead["closedBy"]) == (None, None)
    # The clerk's wait starts again now, as after an assignment.
    assert lead["waitingSince"] is not None and lead["waitingSince"] > before["assignedAt"]
    assert lead["assignedAt"] == lead["waitingSince"]
    # The opportunity stays, still linked to the lead.
    assert lead["opportunity"] == before["opportunity"]
    assert lead["history"][: len(before["history"])] == before["history"]
    assert lead["history"][-1] == {
        "kind": "REOPENED",
        "actor": {"id": actors.manager.gid},
        "assignee": {"id": actors.clerk_a.gid},
        "note": "Closed by mistake.",
    }
    # The clerk works on it again: feedback and a new close are accepted.
    await mutate_ok(
        client,
        actors.clerk_a,
        "recordFeedback",
        {"leadId": lead_id, "channel": "PHONE", "note": "Called again."},
    )
    await mutate_ok(
        client,
        actors.clerk_a,
        "closeLead",
        {"leadId": lead_id, "outcome": "UNSUCCESSFUL", "reason": "OTHER"},
    )
    # The firsts stay (reports measure the first assignment and the first feedback).
    stored = await Lead.get(id=decode_id(lead_id, "Lead", ["leadId"]))
    assert stored.first_assigned_at is not None and stored.first_assigned_at < stored.assigned_at


async def test_a_lead_whose_clerk_left_becomes_new(client, actors):
    leaver = await make_actor("leaver@test.example", "Lea Leaver", Role.CLERK)
    (lead_id,) = await closed_leads(client, actors, leaver)
    await mutate_ok(client, actors.admin, "deactivateUser", {"userId": leaver.gid})
    before = await read_lead(client, actors.manager, lead_id)

    payload = await reopen(client, actors.admin, lead_id)
    assert payload == {"lead": {"id": lead_id, "status": "NEW"}, "userErrors": []}
    lead = await read_lead(client, actors.manager, lead_id)
    assert (lead["assignee"], lead["assignedAt"], lead["waitingSince"]) == (None, None, None)
    assert (lead["outcome"], lead["closedAt"], lead["closedBy"]) == (None, None, None)
    assert lead["opportunity"] == before["opportunity"]
    assert lead["history"][-1] == {
        "kind": "REOPENED",
        "actor": {"id": actors.admin.gid},
        "assignee": None,
        "note": "",
    }
    # A NEW lead is distributed again like any other.
    await mutate_ok(
        client,
        actors.manager,
        "assignLeads",
        {"leadIds": [lead_id], "assigneeId": actors.clerk_b.gid},
    )


async def test_clerks_partners_and_read_only_tokens_are_refused(client, actors):
    (lead_id,) = await closed_leads(client, actors, actors.clerk_a)
    before = await snapshot(client, actors.manager)
    for actor in (actors.clerk_a, actors.clerk_b, actors.partner, actors.read_only_manager):
        body = await gql(
            client,
            mutation_text("reopenLead", "lead { id }"),
            {"input": {"leadId": lead_id}},
            actor=actor,
        )
        assert error_codes(body) == ["FORBIDDEN"], (actor.user.email, body)
        assert body["errors"][0]["message"]
    assert await snapshot(client, actors.manager) == before


async def test_bad_input_changes_nothing(client, actors):
    (done_id,) = await closed_leads(client, actors, actors.clerk_a)
    campaign = await new_campaign(client, actors.manager, "Open ones")
    new_lead, active_lead = (
        lead["id"] for lead in await new_leads(client, actors.manager, campaign, ["Nu", "Act"])
    )
    await mutate_ok(
        client,
        actors.manager,
        "assignLeads",
        {"leadIds": [active_lead], "assigneeId": actors.clerk_a.gid},
    )
    before = await snapshot(client, actors.manager)
    cases = [
        (encode_id("Lead", 999_999), "NOT_FOUND", "This lead does not exist."),
        (campaign, "INVALID", None),
        ("not an id", "INVALID", None),
        (new_lead, "INVALID_STATE", "Only closed leads can be reopened; this one is still open."),
        (
            active_lead,
            "INVALID_STATE",
            "Only closed leads can be reopened; this one is still open.",
        ),
    ]
    for lead_id, code, message in cases:
        payload = await reopen(client, actors.manager, lead_id)
        assert payload["lead"] is None
        (error,) = payload["userErrors"]
        assert (error["code"], error["field"]) == (code, ["leadId"]), (lead_id, payload)
        assert message is None or error["message"] == message
    payload = await reopen(client, actors.manager, done_id, "x" * 100_000)
    assert [error["field"] for error in payload["userErrors"]] == [["note"]]
    assert await snapshot(client, actors.manager) == before


REPORTS = """
query($from: DateTime, $to: DateTime) {
  campaignReports(from: $from, to: $to) {
    campaign { id } total new active done successful unsuccessful
    unsuccessfulByReason { reason count }
  }
  clerkReports(from: $from, to: $to) { clerk { id } closedInPeriod successfulInPeriod }
}"""


async def test_the_report_rollups_stay_exact(client, actors):
    await closed_leads(client, actors, actors.clerk_a, count=3)
    unsuccessful = await closed_leads(
        client, actors, actors.clerk_b, count=2, outcome="UNSUCCESSFUL", reason="DUPLICATE"
    )
    leaver = await make_actor("leaver@test.example", "Lea Leaver", Role.CLERK)
    left = await closed_leads(client, actors, leaver, count=2)
    await mutate_ok(client, actors.admin, "deactivateUser", {"userId": leaver.gid})
    successful = await Lead.filter(assignee_id=actors.clerk_a.user.id).values_list("id", flat=True)

    for lead_id in [encode_id("Lead", successful[0]), unsuccessful[0], left[0]]:
        assert (await reopen(client, actors.manager, lead_id))["userErrors"] == []
    assert await stored_rollups() == await expected_rollups()

    now = clock.now()
    midnight = now.replace(hour=0, minute=0, second=0, microsecond=0)
    # No period, whole days (read from the rollups) and a period cut inside today.
    periods = [
        (None, None),
        (midnight - timedelta(days=2), midnight + timedelta(days=2)),
        (midnight - timedelta(days=1), now + timedelta(hours=1)),
    ]
    for start, end in periods:
        variables = {
            "from": start.isoformat() if start else None,
            "to": end.isoformat() if end else None,
        }
        reports = data_of(await gql(client, REPORTS, variables, actor=actors.manager))
        counts, reasons, closes = await figures_from_leads(start, end)
        assert reports["campaignReports"]
        for report in reports["campaignReports"]:
            campaign_id = decode_id(report["campaign"]["id"], "Campaign", ["campaign"])
            names = ("total", "new", "active", "done", "successful", "unsuccessful")
            assert tuple(report[name] for name in names) == tuple(
                counts[(campaign_id, name)] for name in names
            ), (report, start, end)
            assert {
                entry["reason"]: entry["count"] for entry in report["unsuccessfulByReason"]
            } == {reason.value: reasons[(campaign_id, reason)] for reason in CloseReason}
        for report in reports["clerkReports"]:
            clerk_id = decode_id(report["clerk"]["id"], "User", ["clerk"])
            assert (report["closedInPeriod"], report["successfulInPeriod"]) == (
                closes[(clerk_id, "closed")],
                closes[(clerk_id, "successful")],
            ), (report, start, end)


async def test_of_two_reopens_at_once_one_wins_the_other_conflicts(client, actors):
    """Reached on purpose: the second reopen commits right after the first one read the lead."""
    (lead_id,) = await closed_leads(client, actors, actors.clerk_a)
    second: dict[str, Any] = {}

    async def other_manager() -> None:
        second.update(await reopen(client, actors.manager2, lead_id, "Second."))

    async with between_read_and_write(Lead, other_manager):
        first = await reopen(client, actors.manager, lead_id, "First.")
    assert second == {"lead": {"id": lead_id, "status": "ACTIVE"}, "userErrors": []}
    assert first["lead"] is None
    assert [error["code"] for error in first["userErrors"]] == ["CONFLICT"]
    lead = await read_lead(client, actors.manager, lead_id)
    reopened = [event for event in lead["history"] if event["kind"] == "REOPENED"]
    assert reopened == [
        {
            "kind": "REOPENED",
            "actor": {"id": actors.manager2.gid},
            "assignee": {"id": actors.clerk_a.gid},
            "note": "Second.",
        }
    ]


async def test_concurrent_reopens_over_http_leave_one_winner(client, actors):
    lead_ids = await closed_leads(client, actors, actors.clerk_a, count=3)
    for lead_id in lead_ids:
        first, second = await asyncio.gather(
            reopen(client, actors.manager, lead_id), reopen(client, actors.manager2, lead_id)
        )
        outcomes = sorted([first["userErrors"], second["userErrors"]], key=len)
        assert outcomes[0] == []
        # The loser either read the lead after the winner's commit or lost at the write.
        assert [error["code"] for error in outcomes[1]] in (["CONFLICT"], ["INVALID_STATE"])
    assert await LeadEvent.filter(kind="REOPENED").count() == len(lead_ids)
    assert await stored_rollups() == await expected_rollups()
