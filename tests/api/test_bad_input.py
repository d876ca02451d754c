"""Bad input through /graphql: every mutation answers with a specific user error (code and field
path) in its payload and changes nothing; bad query arguments are top-level errors with
extensions.code BAD_USER_INPUT or NOT_FOUND."""

from __future__ import annotations

import base64
from typing import Any

import pytest

from leadflow.api.ids import encode_id
from leadflow.api.pagination import encode_cursor
from leadflow.db.models import Contact, Lead
from tests.helpers import (
    Actor,
    Actors,
    data_of,
    error_codes,
    gql,
    mutate,
    mutate_ok,
    new_campaign,
    new_leads,
    snapshot,
)


async def refused(
    client,
    actor: Actor,
    manager: Actor,
    name: str,
    input: dict[str, Any],
    selection: str,
) -> list[dict[str, Any]]:
    """Run a mutation that must be refused: its result is null, it reports user errors and the
    state afterwards equals the state before. Returns the user errors."""
    before = await snapshot(client, manager)
    payload = await mutate(client, actor, name, input, selection)
    result_field = selection.split()[0]
    assert payload[result_field] is None
    assert payload["userErrors"], payload
    for error in payload["userErrors"]:
        assert error["message"].strip()
    assert await snapshot(client, manager) == before
    return payload["userErrors"]


def codes_and_fields(errors: list[dict[str, Any]]) -> list[tuple[str, list[str] | None]]:
    return [(error["code"], error["field"]) for error in errors]


def pk_of(global_id: str) -> int:
    return int(base64.b64decode(global_id).decode().partition(":")[2])


async def assign(client, actor: Actor, leads: list[dict], clerk: Actor) -> None:
    await mutate_ok(
        client,
        actor,
        "assignLeads",
        {"leadIds": [lead["id"] for lead in leads], "assigneeId": clerk.gid},
        "leads { id }",
    )


async def close_successfully(client, actor: Actor, lead: dict) -> str:
    payload = await mutate_ok(
        client,
        actor,
        "closeLead",
        {"leadId": lead["id"], "outcome": "SUCCESSFUL"},
        "opportunity { id }",
    )
    return payload["opportunity"]["id"]


async def top_level(client, actor: Actor, query: str, variables: dict[str, Any]) -> list[str]:
    """A query refused with top-level errors and no data; returns their codes."""
    body = await gql(client, query, variables, actor=actor)
    assert body["data"] is None, body
    for error in body["errors"]:
        assert error["message"].strip()
    return error_codes(body)


# --- campaigns -----------------------------------------------------------------------------------


async def test_campaign_name_must_not_be_empty(client, actors: Actors):
    manager = actors.manager
    for name in ("", "   "):
        errors = await refused(
            client, manager, manager, "createCampaign", {"name": name}, "campaign { id }"
        )
        assert codes_and_fields(errors) == [("REQUIRED", ["name"])]
        assert errors[0]["message"] == "Name must not be empty."


async def test_campaign_name_must_be_unique(client, actors: Actors):
    manager = actors.manager
    await new_campaign(client, manager, "Spring Fair")
    for name in ("Spring Fair", "  Spring Fair  "):
        errors = await refused(
            client, manager, manager, "createCampaign", {"name": name}, "campaign { id }"
        )
        assert codes_and_fields(errors) == [("DUPLICATE", ["name"])]
        assert "Spring Fair" in errors[0]["message"]


async def test_campaign_cannot_end_before_it_starts(client, actors: Actors):
    manager = actors.manager
    errors = await refused(
        client,
        manager,
        manager,
        "createCampaign",
        {"name": "Backwards", "startsOn": "2025-05-01", "endsOn": "2025-04-30"},
        "campaign { id }",
    )
    assert codes_and_fields(errors) == [("INVALID", ["endsOn"])]
    # One day is fine.
    payload = await mutate_ok(
        client,
        manager,
        "createCampaign",
        {"name": "One day", "startsOn": "2025-05-01", "endsOn": "2025-05-01"},
        "campaign { startsOn endsOn }",
    )
    assert payload["campaign"] == {"startsOn": "2025-05-01", "endsOn": "2025-05-01"}


async def test_campaign_strings_have_limits(client, actors: Actors):
    manager = actors.manager
    errors = await refused(
        client, manager, manager, "createCampaign", {"name": "x" * 201}, "campaign { id }"
    )
    assert codes_and_fields(errors) == [("TOO_LONG", ["name"])]
    assert "201" in errors[0]["message"] and "200" in errors[0]["message"]
    errors = await refused(
        client,
        manager,
        manager,
        "createCampaign",
        {"name": "Long text", "description": "d" * 2001},
        "campaign { id }",
    )
    assert codes_and_fields(errors) == [("TOO_LONG", ["description"])]
    errors = await refused(
        client, manager, manager, "createCampaign", {"name": "Nul\x00"}, "campaign { id }"
    )
    assert codes_and_fields(errors) == [("INVALID", ["name"])]
    # Exactly at the limit is accepted.
    payload = await mutate_ok(
        client, manager, "createCampaign", {"name": "y" * 200}, "campaign { name }"
    )
    assert payload["campaign"]["name"] == "y" * 200


# --- intake --------------------------------------------------------------------------------------


def intake_rows(count: int) -> list[dict[str, Any]]:
    return [
        {"firstName": "Row", "lastName": f"Person{i}", "email": f"row{i}@example.com"}
        for i in range(count)
    ]


async def test_malformed_email_in_row_3_creates_nothing(client, actors: Actors):
    manager = actors.manager
    campaign = await new_campaign(client, manager, "Intake")
    rows = intake_rows(5)
    rows[3]["email"] = "not-an-email"
    errors = await refused(
        client,
        manager,
        manager,
        "createLeads",
        {"campaignId": campaign, "leads": rows},
        "leads { id }",
    )
    assert codes_and_fields(errors) == [("INVALID", ["leads", "3", "email"])]
    assert "not-an-email" in errors[0]["message"]
    assert await Lead.all().count() == 0
    assert await Contact.all().count() == 0


async def test_every_bad_row_is_reported(client, actors: Actors):
    manager = actors.manager
    campaign = await new_campaign(client, manager, "Intake")
    # A known contact must not be touched by a refused intake either.
    [known] = await new_leads(client, manager, campaign, ["Known"])
    rows = intake_rows(6)
    rows[0]["email"] = "KNOWN@example.com"
    rows[1]["lastName"] = "   "
    rows[2] = {"lastName": "Silent"}
    rows[3]["email"] = "two@@example.com"
    rows[4]["postalCode"] = "1" * 21
    rows[5]["firstName"] = "f" * 201
    errors = await refused(
        client,
        manager,
        manager,
        "createLeads",
        {"campaignId": campaign, "leads": rows},
        "leads { id }",
    )
    assert codes_and_fields(errors) == [
        ("REQUIRED", ["leads", "1", "lastName"]),
        ("REQUIRED", ["leads", "2", "email"]),
        ("INVALID", ["leads", "3", "email"]),
        ("TOO_LONG", ["leads", "4", "postalCode"]),
        ("TOO_LONG", ["leads", "5", "firstName"]),
    ]
    assert "email address or a phone number" in errors[1]["message"]
    body = await gql(
        client,
        "query($id: ID!) { contact(id: $id) { lastName email } }",
        {"id": known["contact"]["id"]},
        actor=manager,
    )
    assert data_of(body)["contact"] == {"lastName": "Known", "email": "known@example.com"}


@pytest.mark.parametrize(
    ("field", "value", "code", "path_field"),
    [
        ("lastName", "", "REQUIRED", "lastName"),
        ("lastName", "l" * 201, "TOO_LONG", "lastName"),
        ("salutation", "s" * 101, "TOO_LONG", "salutation"),
        ("company", "c" * 201, "TOO_LONG", "company"),
        ("email", "a" * 250 + "@x.de", "TOO_LONG", "email"),
        ("email", "two words@example.com", "INVALID", "email"),
        ("phone", "9" * 101, "TOO_LONG", "phone"),
        ("street", "s" * 201, "TOO_LONG", "street"),
        ("city", "c" * 201, "TOO_LONG", "city"),
        ("country", "c" * 101, "TOO_LONG", "country"),
    ],
)
async def test_one_bad_field_in_a_lead(client, actors: Actors, field, value, code, path_field):
    manager = actors.manager
    campaign = await new_campaign(client, manager, "Fields")
    rows = intake_rows(2)
    rows[1][field] = value
    errors = await refused(
        client,
        manager,
        manager,
        "createLeads",
        {"campaignId": campaign, "leads": rows},
        "leads { id }",
    )
    assert codes_and_fields(errors) == [(code, ["leads", "1", path_field])]


async def test_lead_needs_email_or_phone(client, actors: Actors):
    manager = actors.manager
    campaign = await new_campaign(client, manager, "Reach")
    errors = await refused(
        client,
        manager,
        manager,
        "createLeads",
        {"campaignId": campaign, "leads": [{"lastName": "Nobody", "email": "  ", "phone": ""}]},
        "leads { id }",
    )
    assert codes_and_fields(errors) == [("REQUIRED", ["leads", "0", "email"])]


async def test_omitted_last_name_is_refused_by_the_schema(client, actors: Actors):
    manager = actors.manager
    campaign = await new_campaign(client, manager, "Schema")
    before = await snapshot(client, manager)
    body = await gql(
        client,
        "mutation($input: CreateLeadsInput!) { createLeads(input: $input) { leads { id } } }",
        {"input": {"campaignId": campaign, "leads": [{"firstName": "No", "phone": "1"}]}},
        actor=manager,
    )
    assert body.get("data") is None
    assert "lastName" in body["errors"][0]["message"]
    assert await snapshot(client, manager) == before


async def test_intake_batch_size(client, actors: Actors):
    manager = actors.manager
    campaign = await new_campaign(client, manager, "Batch")
    rows = [{"lastName": f"P{i}", "phone": str(i)} for i in range(1001)]
    errors = await refused(
        client,
        manager,
        manager,
        "createLeads",
        {"campaignId": campaign, "leads": rows},
        "leads { id }",
    )
    assert codes_and_fields(errors) == [("TOO_MANY", ["leads"])]
    assert "1000" in errors[0]["message"] and "1001" in errors[0]["message"]
    errors = await refused(
        client,
        manager,
        manager,
        "createLeads",
        {"campaignId": campaign, "leads": []},
        "leads { id }",
    )
    assert codes_and_fields(errors) == [("REQUIRED", ["leads"])]


async def test_intake_into_a_bad_campaign_id(client, actors: Actors):
    manager = actors.manager
    campaign = await new_campaign(client, manager, "Real")
    [lead] = await new_leads(client, manager, campaign, ["Existing"])
    cases = [
        (encode_id("Campaign", 9999), "NOT_FOUND"),
        ("not-an-id", "INVALID"),
        (encode_id("Campaign", 0), "INVALID"),
        (base64.b64encode(b"Campaign:abc").decode(), "INVALID"),
        (lead["id"], "INVALID"),  # a Lead ID where a Campaign ID belongs
        (encode_id("Campaign", 2**40), "INVALID"),  # beyond any primary key
    ]
    for campaign_id, code in cases:
        errors = await refused(
            client,
            manager,
            manager,
            "createLeads",
            {"campaignId": campaign_id, "leads": intake_rows(1)},
            "leads { id }",
        )
        assert codes_and_fields(errors) == [(code, ["campaignId"])], campaign_id
    assert "Expected a Campaign ID, got a Lead ID." in [
        error["message"]
        for error in await refused(
            client,
            manager,
            manager,
            "createLeads",
            {"campaignId": lead["id"], "leads": intake_rows(1)},
            "leads { id }",
        )
    ]


# --- distribution --------------------------------------------------------------------------------


async def test_assign_with_bad_ids(client, actors: Actors):
    manager = actors.manager
    campaign = await new_campaign(client, manager, "Assign")
    new_a, new_b = await new_leads(client, manager, campaign, ["Alpha", "Beta"])
    clerk = actors.clerk_a.gid
    cases = [
        ([new_a["id"], encode_id("Lead", 9999)], clerk, "NOT_FOUND", ["leadIds", "1"]),
        ([new_a["id"], "garbage!"], clerk, "INVALID", ["leadIds", "1"]),
        ([campaign, new_b["id"]], clerk, "INVALID", ["leadIds", "0"]),
        ([new_a["id"]], encode_id("User", 9999), "NOT_FOUND", ["assigneeId"]),
        ([new_a["id"]], "garbage!", "INVALID", ["assigneeId"]),
        ([new_a["id"]], new_b["id"], "INVALID", ["assigneeId"]),
        ([], clerk, "REQUIRED", ["leadIds"]),
    ]
    for lead_ids, assignee, code, field in cases:
        errors = await refused(
            client,
            manager,
            manager,
            "assignLeads",
            {"leadIds": lead_ids, "assigneeId": assignee},
            "leads { id }",
        )
        assert codes_and_fields(errors) == [(code, field)], (lead_ids, assignee)
    errors = await refused(
        client,
        manager,
        manager,
        "assignLeads",
        {"leadIds": [new_a["id"], encode_id("Lead", 9999)], "assigneeId": clerk},
        "leads { id }",
    )
    assert "#9999" in errors[0]["message"]


async def test_assign_to_someone_who_is_not_an_active_clerk(client, actors: Actors):
    manager = actors.manager
    campaign = await new_campaign(client, manager, "Assign")
    leads = await new_leads(client, manager, campaign, ["Alpha", "Beta"])
    lead_ids = [lead["id"] for lead in leads]
    for actor, word in (
        (actors.inactive_clerk, "deactivated"),
        (actors.manager2, "not a clerk"),
        (actors.partner, "not a clerk"),
        (actors.admin, "not a clerk"),
    ):
        errors = await refused(
            client,
            manager,
            manager,
            "assignLeads",
            {"leadIds": lead_ids, "assigneeId": actor.gid},
            "leads { id }",
        )
        assert codes_and_fields(errors) == [("INVALID", ["assigneeId"])]
        assert word in errors[0]["message"]
        assert actor.user.name in errors[0]["message"]


async def test_assign_batch_size(client, actors: Actors):
    manager = actors.manager
    lead_ids = [encode_id("Lead", pk) for pk in range(1, 1002)]
    errors = await refused(
        client,
        manager,
        manager,
        "assignLeads",
        {"leadIds": lead_ids, "assigneeId": actors.clerk_a.gid},
        "leads { id }",
    )
    assert codes_and_fields(errors) == [("TOO_MANY", ["leadIds"])]


async def test_assign_a_lead_that_is_no_longer_new(client, actors: Actors):
    manager = actors.manager
    campaign = await new_campaign(client, manager, "Race")
    first, taken, closed, last = await new_leads(
        client, manager, campaign, ["First", "Taken", "Closed", "Last"]
    )
    await assign(client, manager, [taken, closed], actors.clerk_b)
    await mutate_ok(
        client,
        actors.clerk_b,
        "closeLead",
        {"leadId": closed["id"], "outcome": "UNSUCCESSFUL", "reason": "UNREACHABLE"},
        "lead { id }",
    )
    errors = await refused(
        client,
        manager,
        manager,
        "assignLeads",
        {
            "leadIds": [first["id"], taken["id"], closed["id"], last["id"]],
            "assigneeId": actors.clerk_a.gid,
        },
        "leads { id }",
    )
    # One CONFLICT per lead that is no longer new, pointing at its position in the input.
    assert codes_and_fields(errors) == [
        ("CONFLICT", ["leadIds", "1"]),
        ("CONFLICT", ["leadIds", "2"]),
    ]
    taken_message, closed_message = (error["message"] for error in errors)
    assert f"#{pk_of(taken['id'])}" in taken_message
    assert actors.clerk_b.user.name in taken_message
    assert f"#{pk_of(closed['id'])}" in closed_message
    assert "closed" in closed_message
    assert all("Nothing was assigned" in error["message"] for error in errors)
    # None of the batch went to clerk A; the two new leads are still new.
    body = await gql(client, "{ leadCounts { new active done } }", actor=manager)
    assert data_of(body)["leadCounts"] == {"new": 2, "active": 1, "done": 1}
    tasks = data_of(await gql(client, "{ myTasks { totalCount } }", actor=actors.clerk_a))
    assert tasks["myTasks"]["totalCount"] == 0


async def test_reassign_with_bad_input(client, actors: Actors):
    manager, clerk_a = actors.manager, actors.clerk_a
    campaign = await new_campaign(client, manager, "Reassign")
    new, active, done = await new_leads(client, manager, campaign, ["New", "Active", "Done"])
    await assign(client, manager, [active, done], clerk_a)
    await close_successfully(client, clerk_a, done)
    cases = [
        (new["id"], actors.clerk_b.gid, "INVALID_STATE", ["leadId"], "still new"),
        (done["id"], actors.clerk_b.gid, "INVALID_STATE", ["leadId"], "closed"),
        (active["id"], clerk_a.gid, "INVALID", ["assigneeId"], "already assigned"),
        (active["id"], actors.inactive_clerk.gid, "INVALID", ["assigneeId"], "deactivated"),
        (active["id"], actors.manager2.gid, "INVALID", ["assigneeId"], "not a clerk"),
        (active["id"], encode_id("User", 9999), "NOT_FOUND", ["assigneeId"], "No such user"),
        (encode_id("Lead", 9999), actors.clerk_b.gid, "NOT_FOUND", ["leadId"], "does not exist"),
        (campaign, actors.clerk_b.gid, "INVALID", ["leadId"], "Expected a Lead ID"),
        ("%%%", actors.clerk_b.gid, "INVALID", ["leadId"], "not a valid ID"),
    ]
    for lead_id, assignee, code, field, words in cases:
        errors = await refused(
            client,
            manager,
            manager,
            "reassignLead",
            {"leadId": lead_id, "assigneeId": assignee},
            "lead { id }",
        )
        assert codes_and_fields(errors) == [(code, field)], (lead_id, assignee)
        assert words in errors[0]["message"]


# --- working a lead ------------------------------------------------------------------------------


async def test_feedback_with_bad_input(client, actors: Actors):
    manager, clerk_a = actors.manager, actors.clerk_a
    campaign = await new_campaign(client, manager, "Feedback")
    new, active, done = await new_leads(client, manager, campaign, ["New", "Active", "Done"])
    await assign(client, manager, [active, done], clerk_a)
    await close_successfully(client, clerk_a, done)
    cases = [
        (clerk_a, active["id"], "", "REQUIRED", ["note"]),
        (clerk_a, active["id"], "  \n ", "REQUIRED", ["note"]),
        (clerk_a, active["id"], "n" * 5001, "TOO_LONG", ["note"]),
        (clerk_a, active["id"], "bad\x00byte", "INVALID", ["note"]),
        (manager, active["id"], "", "REQUIRED", ["note"]),
        (manager, new["id"], "Called", "INVALID_STATE", ["leadId"]),
        (clerk_a, done["id"], "Called", "INVALID_STATE", ["leadId"]),
        (clerk_a, encode_id("Lead", 9999), "Called", "NOT_FOUND", ["leadId"]),
        (clerk_a, encode_id("Opportunity", 1), "Called", "INVALID", ["leadId"]),
    ]
    for actor, lead_id, note, code, field in cases:
        errors = await refused(
            client,
            actor,
            manager,
            "recordFeedback",
            {"leadId": lead_id, "channel": "EMAIL", "note": note},
            "feedback { id }",
        )
        assert codes_and_fields(errors) == [(code, field)], (lead_id, note[:10])


async def test_closing_a_new_lead(client, actors: Actors):
    manager = actors.manager
    campaign = await new_campaign(client, manager, "Close")
    [new] = await new_leads(client, manager, campaign, ["New"])
    for outcome in ("SUCCESSFUL", "UNSUCCESSFUL"):
        errors = await refused(
            client,
            manager,
            manager,
            "closeLead",
            {"leadId": new["id"], "outcome": outcome, "reason": None}
            if outcome == "SUCCESSFUL"
            else {"leadId": new["id"], "outcome": outcome, "reason": "OTHER"},
            "lead { id }",
        )
        assert codes_and_fields(errors) == [("INVALID_STATE", ["leadId"])]
        assert "still new" in errors[0]["message"]


async def test_closing_twice(client, actors: Actors):
    manager, clerk_a = actors.manager, actors.clerk_a
    campaign = await new_campaign(client, manager, "Twice")
    won, lost = await new_leads(client, manager, campaign, ["Won", "Lost"])
    await assign(client, manager, [won, lost], clerk_a)
    await close_successfully(client, clerk_a, won)
    await mutate_ok(
        client,
        clerk_a,
        "closeLead",
        {"leadId": lost["id"], "outcome": "UNSUCCESSFUL", "reason": "UNREACHABLE"},
        "lead { id }",
    )
    for lead in (won, lost):
        for input in (
            {"outcome": "SUCCESSFUL"},
            {"outcome": "UNSUCCESSFUL", "reason": "NOT_INTERESTED"},
        ):
            errors = await refused(
                client,
                clerk_a,
                manager,
                "closeLead",
                {"leadId": lead["id"], **input},
                "lead { id }",
            )
            assert codes_and_fields(errors) == [("INVALID_STATE", ["leadId"])]
            assert "closed" in errors[0]["message"]
    # Still exactly one opportunity, from the first close.
    assert data_of(await gql(client, "{ opportunities { totalCount } }", actor=manager)) == {
        "opportunities": {"totalCount": 1}
    }


async def test_close_with_bad_input(client, actors: Actors):
    manager, clerk_a = actors.manager, actors.clerk_a
    campaign = await new_campaign(client, manager, "Close")
    [lead] = await new_leads(client, manager, campaign, ["Active"])
    await assign(client, manager, [lead], clerk_a)
    cases = [
        ({"outcome": "UNSUCCESSFUL"}, "REQUIRED", ["reason"]),
        ({"outcome": "UNSUCCESSFUL", "note": "No reason given"}, "REQUIRED", ["reason"]),
        ({"outcome": "SUCCESSFUL", "reason": "OTHER"}, "INVALID", ["reason"]),
        (
            {"outcome": "UNSUCCESSFUL", "reason": "OTHER", "opportunity": {"title": "x"}},
            "INVALID",
            ["opportunity"],
        ),
        ({"outcome": "UNSUCCESSFUL", "reason": "OTHER", "note": "n" * 5001}, "TOO_LONG", ["note"]),
        (
            {"outcome": "SUCCESSFUL", "opportunity": {"title": "t" * 201}},
            "TOO_LONG",
            ["opportunity", "title"],
        ),
        (
            {"outcome": "SUCCESSFUL", "opportunity": {"expectedValue": "-1"}},
            "INVALID",
            ["opportunity", "expectedValue"],
        ),
        (
            {"outcome": "SUCCESSFUL", "opportunity": {"expectedValue": "1000000000000"}},
            "INVALID",
            ["opportunity", "expectedValue"],
        ),
        (
            {"outcome": "SUCCESSFUL", "opportunity": {"ownerId": actors.inactive_clerk.gid}},
            "INVALID",
            ["opportunity", "ownerId"],
        ),
        (
            {"outcome": "SUCCESSFUL", "opportunity": {"ownerId": manager.gid}},
            "INVALID",
            ["opportunity", "ownerId"],
        ),
        (
            # A clerk closes: an unknown user is just "not one of the active clerks" for them.
            {"outcome": "SUCCESSFUL", "opportunity": {"ownerId": encode_id("User", 9999)}},
            "INVALID",
            ["opportunity", "ownerId"],
        ),
        (
            {"outcome": "SUCCESSFUL", "opportunity": {"ownerId": lead["id"]}},
            "INVALID",
            ["opportunity", "ownerId"],
        ),
    ]
    for input, code, field in cases:
        errors = await refused(
            client,
            clerk_a,
            manager,
            "closeLead",
            {"leadId": lead["id"], **input},
            "lead { id }",
        )
        assert codes_and_fields(errors) == [(code, field)], input
    for lead_id, code in (
        (encode_id("Lead", 9999), "NOT_FOUND"),
        (campaign, "INVALID"),
        ("", "INVALID"),
    ):
        errors = await refused(
            client,
            manager,
            manager,
            "closeLead",
            {"leadId": lead_id, "outcome": "UNSUCCESSFUL", "reason": "OTHER"},
            "lead { id }",
        )
        assert codes_and_fields(errors) == [(code, ["leadId"])], lead_id


# --- opportunities -------------------------------------------------------------------------------


async def test_create_opportunity_with_bad_input(client, actors: Actors):
    manager, clerk_a = actors.manager, actors.clerk_a
    campaign = await new_campaign(client, manager, "Opportunities")
    first, other = await new_leads(client, manager, campaign, ["First", "Other"])
    await assign(client, manager, [first, other], clerk_a)
    contact = first["contact"]["id"]
    cases = [
        (clerk_a, {"contactId": encode_id("Contact", 9999)}, "NOT_FOUND", ["contactId"]),
        (clerk_a, {"contactId": first["id"]}, "INVALID", ["contactId"]),
        (clerk_a, {"contactId": contact, "title": " "}, "REQUIRED", ["title"]),
        (clerk_a, {"contactId": contact, "title": "t" * 201}, "TOO_LONG", ["title"]),
        (clerk_a, {"contactId": contact, "expectedValue": "-0.01"}, "INVALID", ["expectedValue"]),
        (clerk_a, {"contactId": contact, "expectedValue": "NaN"}, "INVALID", ["expectedValue"]),
        (manager, {"contactId": contact}, "REQUIRED", ["ownerId"]),
        (manager, {"contactId": contact, "ownerId": manager.gid}, "INVALID", ["ownerId"]),
        (
            clerk_a,
            {"contactId": contact, "ownerId": actors.inactive_clerk.gid},
            "INVALID",
            ["ownerId"],
        ),
        (clerk_a, {"contactId": contact, "leadId": other["id"]}, "INVALID", ["leadId"]),
        (
            clerk_a,
            {"contactId": contact, "leadId": encode_id("Lead", 9999)},
            "NOT_FOUND",
            ["leadId"],
        ),
    ]
    for actor, input, code, field in cases:
        errors = await refused(
            client,
            actor,
            manager,
            "createOpportunity",
            {"title": "Deal", **input},
            "opportunity { id }",
        )
        assert codes_and_fields(errors) == [(code, field)], input


async def test_hand_over_with_bad_input(client, actors: Actors):
    manager, clerk_a = actors.manager, actors.clerk_a
    campaign = await new_campaign(client, manager, "Hand-over")
    [lead] = await new_leads(client, manager, campaign, ["Deal"])
    await assign(client, manager, [lead], clerk_a)
    opportunity = await close_successfully(client, clerk_a, lead)
    cases = [
        (opportunity, clerk_a.gid, None, "INVALID", ["ownerId"], "owns this opportunity"),
        # The acting clerk learns nothing about users it may not list (names, roles, existence).
        (opportunity, actors.inactive_clerk.gid, None, "INVALID", ["ownerId"], "active clerks"),
        (opportunity, actors.manager2.gid, None, "INVALID", ["ownerId"], "active clerks"),
        (opportunity, encode_id("User", 9999), None, "INVALID", ["ownerId"], "active clerks"),
        (opportunity, actors.clerk_b.gid, "n" * 5001, "TOO_LONG", ["note"], "too long"),
        (
            encode_id("Opportunity", 9999),
            actors.clerk_b.gid,
            None,
            "NOT_FOUND",
            ["opportunityId"],
            "does not exist",
        ),
        (lead["id"], actors.clerk_b.gid, None, "INVALID", ["opportunityId"], "Expected"),
    ]
    for opportunity_id, owner, note, code, field, words in cases:
        errors = await refused(
            client,
            clerk_a,
            manager,
            "handOverOpportunity",
            {"opportunityId": opportunity_id, "ownerId": owner, "note": note},
            "opportunity { id }",
        )
        assert codes_and_fields(errors) == [(code, field)], (opportunity_id, owner)
        assert words in errors[0]["message"]


# --- query arguments -----------------------------------------------------------------------------


LEADS_PAGE = """query($first: Int, $after: String, $filter: LeadFilter) {
  leads(first: $first, after: $after, filter: $filter) { totalCount edges { node { id } } } }"""


async def test_page_size_is_limited(client, actors: Actors):
    manager = actors.manager
    campaign = await new_campaign(client, manager, "Paging")
    await new_leads(client, manager, campaign, ["One"])
    for first in (101, -1, 1000):
        assert await top_level(client, manager, LEADS_PAGE, {"first": first}) == ["BAD_USER_INPUT"]
    for query in (
        "query($first: Int) { opportunities(first: $first) { totalCount } }",
        "query($first: Int) { campaigns(first: $first) { totalCount } }",
        "query($first: Int) { myTasks(first: $first) { totalCount } }",
    ):
        assert await top_level(client, manager, query, {"first": 101}) == ["BAD_USER_INPUT"]
    body = await gql(client, LEADS_PAGE, {"first": 101}, actor=manager)
    assert "between 0 and 100" in body["errors"][0]["message"]
    # The limit itself is fine.
    body = await gql(client, LEADS_PAGE, {"first": 100}, actor=manager)
    assert data_of(body)["leads"]["totalCount"] == 1


async def test_bad_cursor(client, actors: Actors):
    manager = actors.manager
    campaign = await new_campaign(client, manager, "Cursor")
    await new_leads(client, manager, campaign, ["One"])
    for cursor in (
        "garbage",
        "!!!",
        base64.b64encode(b"something:12").decode(),
        base64.b64encode(b"cursor:twelve").decode(),
        encode_id("Lead", 1),
        encode_cursor(2**40),
        encode_cursor(-5),
    ):
        codes = await top_level(client, manager, LEADS_PAGE, {"after": cursor})
        assert codes == ["BAD_USER_INPUT"], cursor
    body = await gql(client, LEADS_PAGE, {"after": "garbage"}, actor=manager)
    assert "not a valid cursor" in body["errors"][0]["message"]


async def test_lookups_by_bad_ids(client, actors: Actors):
    manager = actors.manager
    campaign = await new_campaign(client, manager, "Lookups")
    [lead] = await new_leads(client, manager, campaign, ["Lookup"])
    cases = [
        ("lead", encode_id("Lead", 9999), "NOT_FOUND"),
        ("lead", "nope", "BAD_USER_INPUT"),
        ("lead", campaign, "BAD_USER_INPUT"),
        ("lead", encode_id("Lead", 2**40), "BAD_USER_INPUT"),
        ("campaign", encode_id("Campaign", 9999), "NOT_FOUND"),
        ("campaign", lead["id"], "BAD_USER_INPUT"),
        ("contact", encode_id("Contact", 9999), "NOT_FOUND"),
        ("contact", lead["id"], "BAD_USER_INPUT"),
        ("opportunity", encode_id("Opportunity", 9999), "NOT_FOUND"),
        ("opportunity", "", "BAD_USER_INPUT"),
        ("node", encode_id("Lead", 9999), "NOT_FOUND"),
        ("node", encode_id("Campaign", 9999), "NOT_FOUND"),
        ("node", encode_id("Contact", 9999), "NOT_FOUND"),
        ("node", encode_id("Opportunity", 9999), "NOT_FOUND"),
        ("node", encode_id("User", 9999), "NOT_FOUND"),
        ("node", encode_id("Feedback", 1), "BAD_USER_INPUT"),
        ("node", encode_id("Contact", 2**40), "BAD_USER_INPUT"),
        ("node", base64.b64encode(b"Lead:-3").decode(), "BAD_USER_INPUT"),
        ("node", "TGVhZ", "BAD_USER_INPUT"),
    ]
    for field, raw_id, code in cases:
        query = f"query($id: ID!) {{ {field}(id: $id) {{ id }} }}"
        assert await top_level(client, manager, query, {"id": raw_id}) == [code], (field, raw_id)


async def test_bad_filters(client, actors: Actors):
    manager = actors.manager
    campaign = await new_campaign(client, manager, "Filters")
    [lead] = await new_leads(client, manager, campaign, ["Filter"])
    for filter in (
        {"campaignId": lead["id"]},
        {"campaignId": "nope"},
        {"assigneeId": campaign},
        {"search": "s" * 201},
        {"search": "nul\x00"},
    ):
        assert await top_level(client, manager, LEADS_PAGE, {"filter": filter}) == [
            "BAD_USER_INPUT"
        ], filter
        query = "query($filter: LeadFilter) { leadCounts(filter: $filter) { new } }"
        assert await top_level(client, manager, query, {"filter": filter}) == ["BAD_USER_INPUT"], (
            filter
        )
    query = """query($filter: OpportunityFilter) {
      opportunities(filter: $filter) { totalCount } }"""
    assert await top_level(client, manager, query, {"filter": {"ownerId": lead["id"]}}) == [
        "BAD_USER_INPUT"
    ]
    # An unknown campaign is not an error for a filter: nothing matches.
    body = await gql(
        client, LEADS_PAGE, {"filter": {"campaignId": encode_id("Campaign", 9999)}}, actor=manager
    )
    assert data_of(body)["leads"] == {"totalCount": 0, "edges": []}
