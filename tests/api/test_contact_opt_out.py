"""Consent over HTTP: setContactOptOut (a clerk records it on their open lead's contact, only
managers and admins lift it, partners and read-only tokens never; the same value again changes
nothing; the history and the outbox tell), and the rule it carries: no new CALL or EMAIL for a
person who objected without a manager's override (audited), on every path that plans one
(SQLite and PostgreSQL)."""

from __future__ import annotations

import asyncio
import csv
import io
from datetime import timedelta
from typing import Any

from leadflow import clock
from leadflow.api.ids import decode_id
from leadflow.db.models import Activity, AuditEntry, Contact, ContactChange, OutboxEvent
from leadflow.services import audit, outbox
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
    pk,
)

CONTACT_FIELDS = "contact { id optedOut optedOutAt optedOutNote }"
HISTORY = (
    "query($id: ID!) { contact(id: $id) { history { field oldValue newValue actor { id } } } }"
)
_campaigns = iter(range(1_000_000))


def due(days: float = 1) -> str:
    return (clock.now() + timedelta(days=days)).isoformat()


async def lead_of(client, actors, clerk: Actor | None, name: str = "Widerspruch") -> dict:
    """A lead assigned to `clerk` (None: NEW); {"lead": id, "contact": id}."""
    campaign = await new_campaign(client, actors.manager, f"Consent {next(_campaigns)}")
    (lead,) = await new_leads(client, actors.manager, campaign, [name])
    if clerk is not None:
        await mutate_ok(
            client,
            actors.manager,
            "assignLeads",
            {"leadIds": [lead["id"]], "assigneeId": clerk.gid},
        )
    return {"lead": lead["id"], "contact": lead["contact"]["id"]}


async def set_opt_out(
    client, actor: Actor, contact_id: str, opted_out: bool, note: str | None = None
) -> dict[str, Any]:
    values: dict[str, Any] = {"contactId": contact_id, "optedOut": opted_out}
    if note is not None:
        values["note"] = note
    return await mutate(client, actor, "setContactOptOut", values, CONTACT_FIELDS)


async def raw_set_opt_out(client, actor: Actor, contact_id: str, opted_out: bool) -> dict:
    """The whole response (for top-level refusals)."""
    return await gql(
        client,
        "mutation($input: SetContactOptOutInput!) { setContactOptOut(input: $input) "
        "{ contact { id } userErrors { code field } } }",
        {"input": {"contactId": contact_id, "optedOut": opted_out}},
        actor=actor,
    )


async def mark(client, actor: Actor, contact_id: str, opted_out: bool = True) -> None:
    """setContactOptOut that must succeed (the setup of the tests about its effects)."""
    await mutate_ok(
        client, actor, "setContactOptOut", {"contactId": contact_id, "optedOut": opted_out}
    )


async def close_won(client, actor: Actor, lead_id: str) -> str:
    """Closes the lead SUCCESSFUL; the opportunity's id."""
    closed = await mutate_ok(
        client,
        actor,
        "closeLead",
        {"leadId": lead_id, "outcome": "SUCCESSFUL"},
        "opportunity { id }",
    )
    return closed["opportunity"]["id"]


async def query_counts(client, actor: Actor, query: str, sizes: tuple[int, ...]) -> tuple:
    """The number of queries for each page size, and the last page's data."""
    counts = []
    for size in sizes:
        with QueryCounter() as counter:
            body = await gql(client, query, {"n": size}, actor=actor)
        counts.append(counter.count)
    return counts, data_of(body)


async def history(client, actor: Actor, contact_id: str) -> list[tuple]:
    body = await gql(client, HISTORY, {"id": contact_id}, actor=actor)
    return [
        (change["field"], change["oldValue"], change["newValue"], change["actor"]["id"])
        for change in data_of(body)["contact"]["history"]
    ]


async def schedule(client, actor: Actor, subject: str, kind: str = "CALL", **fields: Any) -> dict:
    values = {"subjectId": subject, "kind": kind, "dueAt": due(), **fields}
    return await mutate(client, actor, "scheduleActivity", values, "activity { id kind }")


def codes(payload: dict[str, Any]) -> list[tuple[str, list[str]]]:
    return [(error["code"], error["field"]) for error in payload["userErrors"]]


async def stored(contact_id: str) -> Contact:
    return await Contact.get(id=decode_id(contact_id, "Contact", ["id"]))


# --- setting and lifting -----------------------------------------------------------------------


async def test_a_clerk_records_the_objection_and_only_a_manager_lifts_it(client, actors):
    ids = await lead_of(client, actors, actors.clerk_a)

    payload = await set_opt_out(client, actors.clerk_a, ids["contact"], True, "  Am Telefon.  ")

    assert payload["userErrors"] == []
    contact = payload["contact"]
    assert (contact["optedOut"], contact["optedOutNote"]) == (True, "Am Telefon.")
    assert contact["optedOutAt"]
    # A clerk may not lift it: the person's new consent is a manager's decision.
    body = await raw_set_opt_out(client, actors.clerk_a, ids["contact"], False)
    assert error_codes(body) == ["FORBIDDEN"]
    assert (await stored(ids["contact"])).opted_out is True

    payload = await set_opt_out(client, actors.manager, ids["contact"], False, "Mail vom 6.12.")

    assert payload["userErrors"] == []
    assert payload["contact"] == {
        "id": ids["contact"],
        "optedOut": False,
        "optedOutAt": None,
        "optedOutNote": "Mail vom 6.12.",
    }
    # Newest first; of one change the note's row was written after the mark's.
    assert await history(client, actors.manager, ids["contact"]) == [
        ("optedOutNote", "Am Telefon.", "Mail vom 6.12.", actors.manager.gid),
        ("optedOut", "true", "false", actors.manager.gid),
        ("optedOutNote", None, "Am Telefon.", actors.clerk_a.gid),
        ("optedOut", "false", "true", actors.clerk_a.gid),
    ]


async def test_admins_lift_it_too_and_managers_set_it_on_any_contact(client, actors):
    ids = await lead_of(client, actors, None)

    await mark(client, actors.manager, ids["contact"])
    await mark(client, actors.admin, ids["contact"], False)

    assert (await stored(ids["contact"])).opted_out is False


async def test_partners_read_only_tokens_and_other_clerks_are_refused(client, actors):
    ids = await lead_of(client, actors, actors.clerk_a)

    # Another clerk, as with updateContact: FORBIDDEN (not their lead's contact).
    for actor in (actors.partner, actors.read_only_manager, actors.clerk_b):
        body = await raw_set_opt_out(client, actor, ids["contact"], True)
        assert error_codes(body) == ["FORBIDDEN"], body

    assert (await stored(ids["contact"])).opted_out is False
    assert await ContactChange.all().count() == 0


async def test_partners_cannot_read_the_mark(client, actors):
    body = await gql(
        client,
        "{ leads(first: 1) { edges { node { contact { optedOut } } } } }",
        actor=actors.partner,
    )
    assert error_codes(body) == ["FORBIDDEN"], body


async def test_a_long_note_is_refused_and_changes_nothing(client, actors):
    ids = await lead_of(client, actors, actors.clerk_a)

    payload = await set_opt_out(client, actors.clerk_a, ids["contact"], True, "x" * 2001)

    assert codes(payload) == [("TOO_LONG", ["note"])]
    assert (await stored(ids["contact"])).opted_out is False


async def test_the_same_value_again_changes_nothing(client, actors):
    ids = await lead_of(client, actors, actors.clerk_a)
    first = await set_opt_out(client, actors.clerk_a, ids["contact"], True, "erst")
    never = (await lead_of(client, actors, None, "Neu"))["contact"]
    events = await OutboxEvent.all().count()

    again = await set_opt_out(client, actors.manager, ids["contact"], True, "noch mal")
    not_yet = await set_opt_out(client, actors.manager, never, False)

    assert again["userErrors"] == [] and not_yet["userErrors"] == []
    assert again["contact"] == first["contact"]
    assert not_yet["contact"]["optedOut"] is False
    assert len(await history(client, actors.manager, ids["contact"])) == 2
    assert await history(client, actors.manager, never) == []
    assert await OutboxEvent.all().count() == events


async def test_it_is_announced_to_webhooks_and_the_open_leads_lists(client, actors):
    ids = await lead_of(client, actors, actors.clerk_a)
    before = await OutboxEvent.all().order_by("-id").first()
    since = before.id if before is not None else 0

    await set_opt_out(client, actors.clerk_a, ids["contact"], True)

    events = await OutboxEvent.filter(id__gt=since).order_by("id")
    contact_pk = pk(ids["contact"])
    assert [(event.topic, event.payload) for event in events] == [
        (outbox.CONTACT_UPDATED, {"contactId": contact_pk, "fields": ["optedOut"]}),
        (outbox.LEAD_CHANGED, {"change": "contact", "contactId": contact_pk}),
    ]
    assert events[1].lead_id == pk(ids["lead"])
    assert events[1].user_ids == [actors.clerk_a.user.id]


async def test_two_calls_at_once_record_it_once(client, actors):
    ids = await lead_of(client, actors, actors.clerk_a)

    payloads = await asyncio.gather(
        set_opt_out(client, actors.clerk_a, ids["contact"], True),
        set_opt_out(client, actors.manager, ids["contact"], True),
    )

    assert all(payload["userErrors"] == [] for payload in payloads)
    assert all(payload["contact"]["optedOut"] for payload in payloads)
    assert await ContactChange.filter(field="optedOut").count() == 1
    assert await OutboxEvent.filter(topic=outbox.CONTACT_UPDATED).count() == 1


# --- the rule: no new calls or e-mails ---------------------------------------------------------


async def opted_out_lead(client, actors) -> dict:
    """Clerk A's lead, its contact marked by a manager."""
    ids = await lead_of(client, actors, actors.clerk_a)
    await mark(client, actors.manager, ids["contact"])
    return ids


async def test_a_call_or_email_is_refused_for_a_person_who_objected(client, actors):
    ids = await opted_out_lead(client, actors)

    for actor in (actors.clerk_a, actors.manager):
        for kind in ("CALL", "EMAIL"):
            payload = await schedule(client, actor, ids["lead"], kind)
            assert codes(payload) == [("OPTED_OUT", ["kind"])], (actor, kind)
            assert "objected" in payload["userErrors"][0]["message"]
    assert await Activity.all().count() == 0


async def test_meetings_and_tasks_stay_allowed(client, actors):
    ids = await opted_out_lead(client, actors)

    for kind in ("MEETING", "TASK"):
        payload = await schedule(client, actors.clerk_a, ids["lead"], kind)
        assert payload["userErrors"] == [], payload


async def test_a_manager_overrides_it_and_the_audit_log_says_so(client, actors):
    ids = await opted_out_lead(client, actors)

    payload = await schedule(client, actors.manager, ids["lead"], "CALL", overrideOptOut=True)

    assert payload["userErrors"] == [], payload
    entries = await AuditEntry.filter(action=audit.AuditAction.OPT_OUT_OVERRIDDEN)
    assert len(entries) == 1
    assert entries[0].actor_id == actors.manager.user.id
    activity_pk = pk(payload["activity"]["id"])
    assert f"activity {activity_pk} on lead {pk(ids['lead'])}" in entries[0].detail
    # An override where none is needed is no override: nothing audited.
    await schedule(client, actors.manager, ids["lead"], "TASK", overrideOptOut=True)
    assert await AuditEntry.filter(action=audit.AuditAction.OPT_OUT_OVERRIDDEN).count() == 1


async def test_a_clerk_asking_for_the_override_is_refused(client, actors):
    ids = await opted_out_lead(client, actors)

    body = await gql(
        client,
        "mutation($input: ScheduleActivityInput!) { scheduleActivity(input: $input) "
        "{ activity { id } userErrors { code } } }",
        {
            "input": {
                "subjectId": ids["lead"],
                "kind": "CALL",
                "dueAt": due(),
                "overrideOptOut": True,
            }
        },
        actor=actors.clerk_a,
    )

    assert error_codes(body) == ["FORBIDDEN"]
    assert await Activity.all().count() == 0


async def test_moving_or_completing_a_planned_call_stays_allowed_but_no_new_next_call(
    client, actors
):
    ids = await lead_of(client, actors, actors.clerk_a)
    planned = await schedule(client, actors.clerk_a, ids["lead"], "CALL")
    activity_id = planned["activity"]["id"]
    await mark(client, actors.clerk_a, ids["contact"])

    await mutate_ok(
        client,
        actors.clerk_a,
        "rescheduleActivity",
        {"activityId": activity_id, "dueAt": due(days=2)},
    )
    refused = await mutate(
        client,
        actors.clerk_a,
        "completeActivity",
        {"activityId": activity_id, "next": {"kind": "EMAIL", "dueAt": due(days=3)}},
        "activity { id doneAt }",
    )
    assert codes(refused) == [("OPTED_OUT", ["next", "kind"])]
    assert (await Activity.get(id=pk(activity_id))).done_at is None
    done = await mutate_ok(
        client,
        actors.clerk_a,
        "completeActivity",
        {"activityId": activity_id, "next": {"kind": "MEETING", "dueAt": due(days=3)}},
        "activity { id doneAt }",
    )
    assert done["activity"]["doneAt"]


async def test_the_rule_holds_on_opportunities(client, actors):
    ids = await lead_of(client, actors, actors.clerk_a)
    opportunity = await close_won(client, actors.clerk_a, ids["lead"])
    await mark(client, actors.manager, ids["contact"])

    payload = await schedule(client, actors.clerk_a, opportunity, "EMAIL")

    assert codes(payload) == [("OPTED_OUT", ["kind"])]


# --- lists -------------------------------------------------------------------------------------


async def test_the_lead_list_reads_the_mark_without_a_query_per_row(client, actors):
    campaign = await new_campaign(client, actors.manager, "Consent list")
    leads = await new_leads(client, actors.manager, campaign, [f"Liste{i}" for i in range(6)])
    await mark(client, actors.manager, leads[0]["contact"]["id"])
    query = "query($n: Int!) { leads(first: $n) { edges { node { contact { id optedOut } } } } }"

    counts, data = await query_counts(client, actors.manager, query, (1, 6))
    marks = [edge["node"]["contact"]["optedOut"] for edge in data["leads"]["edges"]]

    assert counts[0] == counts[1]
    assert sorted(marks) == [False] * 5 + [True]


async def test_the_opportunity_list_reads_the_mark_without_a_query_per_row(client, actors):
    for name in ("Erste", "Zweite", "Dritte"):
        ids = await lead_of(client, actors, actors.clerk_a, name)
        await close_won(client, actors.clerk_a, ids["lead"])
    await mark(client, actors.manager, ids["contact"])
    query = (
        "query($n: Int!) { opportunities(first: $n) "
        "{ edges { node { contact { id optedOut } } } } }"
    )

    counts, data = await query_counts(client, actors.manager, query, (1, 3))
    edges = data["opportunities"]["edges"]

    assert counts[0] == counts[1]
    assert sorted(edge["node"]["contact"]["optedOut"] for edge in edges) == [False, False, True]


async def test_the_lead_export_has_a_column_for_it(client, actors):
    campaign = await new_campaign(client, actors.manager, "Consent export")
    leads = await new_leads(client, actors.manager, campaign, ["Offen", "Gesperrt"])
    await mark(client, actors.manager, leads[1]["contact"]["id"])
    headers = {"Authorization": f"Bearer {actors.manager.token}"}

    marks = {}
    for language, separator, last_name, column in (
        ("de", ";", "Nachname", "Widerspruch"),
        ("en", ",", "Last name", "Opted out"),
    ):
        response = await client.get(
            "/files/exports/leads.csv",
            params={"campaign": campaign, "lang": language},
            headers=headers,
        )
        assert response.status_code == 200, response.text
        text = response.content.decode("utf-8-sig")
        rows = csv.DictReader(io.StringIO(text), delimiter=separator)
        marks[language] = {row[last_name]: row[column] for row in rows}

    assert marks == {"de": {"Offen": "", "Gesperrt": "ja"}, "en": {"Offen": "", "Gesperrt": "yes"}}
