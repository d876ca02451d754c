"""updateContact over HTTP: only the given fields change, validated like an intake, each changed
field in `Contact.history` (newest first); clerks for the contacts of their open leads, managers
for all, partners and read-only tokens never; bad input and a taken email change nothing;
concurrent corrections keep every field and every old value (SQLite and PostgreSQL)."""

from __future__ import annotations

import asyncio
import itertools
import re
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from typing import Any

import pytest
from tortoise import connections

from leadflow.api.ids import decode_id, encode_id
from leadflow.auth.actors import OPERATOR
from leadflow.db.models import Contact, ContactChange
from leadflow.errors import AccessDenied
from leadflow.services import contact_updates
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

CONTACT = """
query($id: ID!) {
  contact(id: $id) {
    id firstName lastName company email phone street postalCode city country
    history { field oldValue newValue actor { id } at }
  }
}"""
CONTACT_FIELDS = "contact { id firstName lastName company email phone street postalCode city }"
_CAMPAIGNS = itertools.count()
ANNA = {
    "firstName": "Anna",
    "lastName": "Berg",
    "company": "Berg AG",
    "email": "anna@berg.example",
    "phone": "+49 30 1111",
    "street": "Hauptstr. 1",
    "postalCode": "10115",
    "city": "Berlin",
}


async def lead_of(client, actors, clerk: Actor | None, row: dict[str, Any] | None = None) -> dict:
    """A lead with Anna (or `row`) as its contact, assigned to `clerk` (None: left NEW).
    Returns {"lead": id, "contact": id}."""
    campaign = await new_campaign(client, actors.manager, f"Corrections {next(_CAMPAIGNS)}")
    (lead,) = await new_leads(client, actors.manager, campaign, [row or ANNA])
    if clerk is not None:
        await mutate_ok(
            client,
            actors.manager,
            "assignLeads",
            {"leadIds": [lead["id"]], "assigneeId": clerk.gid},
        )
    return {"lead": lead["id"], "contact": lead["contact"]["id"]}


async def correct(client, actor: Actor, contact_id: str, **fields: Any) -> dict[str, Any]:
    return await mutate(
        client, actor, "updateContact", {"contactId": contact_id, **fields}, CONTACT_FIELDS
    )


async def read_contact(client, actor: Actor, contact_id: str) -> dict[str, Any]:
    return data_of(await gql(client, CONTACT, {"id": contact_id}, actor=actor))["contact"]


def changes(contact: dict[str, Any]) -> list[tuple[str, str | None, str | None, str]]:
    return [
        (change["field"], change["oldValue"], change["newValue"], change["actor"]["id"])
        for change in contact["history"]
    ]


def codes_and_fields(payload: dict[str, Any]) -> list[tuple[str, list[str]]]:
    return [(error["code"], error["field"]) for error in payload["userErrors"]]


# --- happy paths ---------------------------------------------------------------------------------


async def test_a_clerk_corrects_the_phone_of_their_lead_and_the_history_says_so(client, actors):
    ids = await lead_of(client, actors, actors.clerk_a)

    payload = await correct(
        client, actors.clerk_a, ids["contact"], phone="+49 30 2222", city="Potsdam"
    )

    assert payload["userErrors"] == []
    assert payload["contact"] == {
        **ANNA,
        "id": ids["contact"],
        "phone": "+49 30 2222",
        "city": "Potsdam",
    }
    contact = await read_contact(client, actors.manager, ids["contact"])
    assert sorted(changes(contact)) == [
        ("city", "Berlin", "Potsdam", actors.clerk_a.gid),
        ("phone", "+49 30 1111", "+49 30 2222", actors.clerk_a.gid),
    ]
    assert all(change["at"] for change in contact["history"])
    # The phone's key follows: the contact is recognised by its new number.
    stored = await Contact.get(id=decode_id(ids["contact"], "Contact", ["id"]))
    assert stored.phone_key == "+49302222"

    # A manager corrects again: newest first; the clerk's lead page shows the same history.
    await mutate_ok(
        client, actors.manager, "updateContact", {"contactId": ids["contact"], "phone": "0301"}
    )
    contact = await read_contact(client, actors.clerk_a, ids["contact"])
    assert changes(contact)[0] == ("phone", "+49 30 2222", "0301", actors.manager.gid)
    assert len(contact["history"]) == 3
    body = await gql(
        client,
        "query($id: ID!) { lead(id: $id) { contact { history { field newValue } } } }",
        {"id": ids["lead"]},
        actor=actors.clerk_a,
    )
    assert data_of(body)["lead"]["contact"]["history"][0] == {"field": "phone", "newValue": "0301"}


async def test_only_the_given_fields_change_and_unchanged_values_write_nothing(client, actors):
    ids = await lead_of(client, actors, actors.clerk_a)

    # Given again with their current values (the email in the same spelling): nothing to record.
    payload = await correct(
        client, actors.clerk_a, ids["contact"], firstName="Anna", email="anna@berg.example"
    )
    assert payload["userErrors"] == []
    assert await ContactChange.all().count() == 0

    # Null and empty clear a field; surrounding spaces are trimmed as at intake.
    payload = await correct(
        client, actors.clerk_a, ids["contact"], firstName=None, company="", street="  Ring 2 "
    )
    assert payload["userErrors"] == []
    contact = await read_contact(client, actors.manager, ids["contact"])
    expected = {**ANNA, "firstName": "", "company": "", "street": "Ring 2", "country": ""}
    assert {key: contact[key] for key in expected} == expected
    assert sorted(changes(contact)) == [
        ("company", "Berg AG", None, actors.clerk_a.gid),
        ("firstName", "Anna", None, actors.clerk_a.gid),
        ("street", "Hauptstr. 1", "Ring 2", actors.clerk_a.gid),
    ]

    # The email's spelling alone may change (same contact, same key): recorded.
    payload = await correct(client, actors.clerk_a, ids["contact"], email="Anna@Berg.example")
    assert payload["userErrors"] == []
    contact = await read_contact(client, actors.manager, ids["contact"])
    assert changes(contact)[0] == (
        "email",
        "anna@berg.example",
        "Anna@Berg.example",
        actors.clerk_a.gid,
    )

    # An email may be removed while a phone remains.
    payload = await correct(client, actors.clerk_a, ids["contact"], email=None)
    assert payload["userErrors"] == []
    stored = await Contact.get(id=decode_id(ids["contact"], "Contact", ["id"]))
    assert (stored.email, stored.email_key) == (None, None)


# --- refusals ------------------------------------------------------------------------------------


async def assert_refused(client, actor: Actor, contact_id: str, expected: str = "FORBIDDEN"):
    before = await Contact.all().order_by("id").values()
    changes_before = await ContactChange.all().count()
    body = await gql(
        client,
        "mutation($input: UpdateContactInput!) { updateContact(input: $input) { "
        + CONTACT_FIELDS
        + " userErrors { code } } }",
        {"input": {"contactId": contact_id, "phone": "+49 999"}},
        actor=actor,
    )
    assert error_codes(body) == [expected], body
    assert (body.get("data") or {}).get("updateContact") is None
    assert await Contact.all().order_by("id").values() == before
    assert await ContactChange.all().count() == changes_before


async def test_who_may_correct(client, actors):
    ids = await lead_of(client, actors, actors.clerk_a)
    # Another clerk's lead, a partner, the manager's read-only token.
    await assert_refused(client, actors.clerk_b, ids["contact"])
    await assert_refused(client, actors.partner, ids["contact"])
    await assert_refused(client, actors.read_only_manager, ids["contact"])
    # A contact of a NEW lead: no clerk's yet, so managers only.
    new = await lead_of(client, actors, None, {**ANNA, "email": "new@berg.example"})
    await assert_refused(client, actors.clerk_a, new["contact"])
    await mutate_ok(
        client, actors.admin, "updateContact", {"contactId": new["contact"], "city": "X"}
    )

    # Once the clerk closed the lead, its contact is no longer theirs to correct.
    await mutate_ok(
        client,
        actors.clerk_a,
        "closeLead",
        {"leadId": ids["lead"], "outcome": "UNSUCCESSFUL", "reason": "OTHER"},
    )
    await assert_refused(client, actors.clerk_a, ids["contact"])
    # Managers may correct any contact, also of a closed lead.
    payload = await correct(client, actors.manager, ids["contact"], phone="+49 30 3333")
    assert payload["userErrors"] == []


async def test_a_clerk_whose_lead_was_reassigned_meanwhile_writes_nothing(client, actors):
    """Reached on purpose: the reassignment commits right after the clerk's correction read the
    contact; the guarded write applies the editor rule again."""
    ids = await lead_of(client, actors, actors.clerk_a)

    async def reassign() -> None:
        await mutate_ok(
            client,
            actors.manager,
            "reassignLead",
            {"leadId": ids["lead"], "assigneeId": actors.clerk_b.gid},
        )

    async with after_query(lambda sql: _reads(sql, "contacts"), reassign):
        body = await gql(
            client,
            "mutation($input: UpdateContactInput!) { updateContact(input: $input) "
            "{ contact { id } userErrors { code } } }",
            {"input": {"contactId": ids["contact"], "phone": "+49 999"}},
            actor=actors.clerk_a,
        )
    assert error_codes(body) == ["FORBIDDEN"], body
    assert (await read_contact(client, actors.manager, ids["contact"]))["phone"] == ANNA["phone"]
    assert await ContactChange.all().count() == 0


# --- bad input -----------------------------------------------------------------------------------


async def test_bad_input_is_refused_field_by_field_and_changes_nothing(client, actors):
    ids = await lead_of(client, actors, actors.clerk_a)
    before = await read_contact(client, actors.manager, ids["contact"])
    cases = [
        ({"email": "anna@berg"}, [("INVALID", ["email"])]),
        ({"lastName": "  "}, [("REQUIRED", ["lastName"])]),
        ({"lastName": None}, [("REQUIRED", ["lastName"])]),
        ({"firstName": "x" * 201}, [("TOO_LONG", ["firstName"])]),
        ({"postalCode": "1" * 21}, [("TOO_LONG", ["postalCode"])]),
        ({"city": "Ber\x00lin"}, [("INVALID", ["city"])]),
        # Neither an email nor a phone left: nobody could contact the person.
        ({"email": None, "phone": ""}, [("REQUIRED", ["email"])]),
        # Every problem at once.
        (
            {"email": "nope", "lastName": "", "company": "c" * 201},
            [("REQUIRED", ["lastName"]), ("TOO_LONG", ["company"]), ("INVALID", ["email"])],
        ),
        ({}, [("REQUIRED", ["input"])]),
    ]
    for fields, expected in cases:
        payload = await correct(client, actors.clerk_a, ids["contact"], **fields)
        assert payload["contact"] is None, fields
        assert codes_and_fields(payload) == expected, fields
    assert await read_contact(client, actors.manager, ids["contact"]) == before
    assert await ContactChange.all().count() == 0


async def test_unknown_and_wrong_ids(client, actors):
    ids = await lead_of(client, actors, actors.clerk_a)

    payload = await correct(client, actors.manager, encode_id("Contact", 999999), city="X")
    assert codes_and_fields(payload) == [("NOT_FOUND", ["contactId"])]
    # A clerk gets NOT_FOUND too, not FORBIDDEN, for a contact that does not exist.
    payload = await correct(client, actors.clerk_a, encode_id("Contact", 999999), city="X")
    assert codes_and_fields(payload) == [("NOT_FOUND", ["contactId"])]
    payload = await correct(client, actors.manager, ids["lead"], city="X")
    assert codes_and_fields(payload) == [("INVALID", ["contactId"])]
    payload = await correct(client, actors.manager, "garbage", city="X")
    assert codes_and_fields(payload) == [("INVALID", ["contactId"])]
    assert await ContactChange.all().count() == 0


async def test_another_contacts_email_is_a_duplicate_in_any_letter_case(client, actors):
    ids = await lead_of(client, actors, actors.clerk_a)
    other = await lead_of(
        client, actors, actors.clerk_a, {"lastName": "Kurz", "email": "k@x.example"}
    )
    before = await read_contact(client, actors.manager, ids["contact"])

    for taken in ("k@x.example", "K@X.Example", " k@x.EXAMPLE "):
        payload = await correct(client, actors.clerk_a, ids["contact"], email=taken, city="Bonn")
        assert payload["contact"] is None
        assert codes_and_fields(payload) == [("DUPLICATE", ["email"])], taken
    assert await read_contact(client, actors.manager, ids["contact"]) == before
    assert (await read_contact(client, actors.manager, other["contact"]))["history"] == []


async def test_an_email_taken_between_the_check_and_the_write_is_a_duplicate(client, actors):
    """Reached on purpose: another contact gets the email right after this correction checked
    that it is free; the unique index refuses the write, and the user gets DUPLICATE."""
    ids = await lead_of(client, actors, actors.clerk_a)
    other = await lead_of(client, actors, actors.clerk_b, {"lastName": "Kurz", "phone": "0301"})

    async def take_the_email() -> None:
        await mutate_ok(
            client,
            actors.manager2,
            "updateContact",
            {"contactId": other["contact"], "email": "Shared@X.example"},
        )

    async with after_query(_checks_an_email, take_the_email):
        payload = await correct(client, actors.clerk_a, ids["contact"], email="shared@x.example")
    assert codes_and_fields(payload) == [("DUPLICATE", ["email"])]
    assert (await read_contact(client, actors.manager, ids["contact"]))["email"] == ANNA["email"]
    assert (await read_contact(client, actors.manager, ids["contact"]))["history"] == []
    assert (await read_contact(client, actors.manager, other["contact"]))[
        "email"
    ] == "Shared@X.example"


# --- concurrent corrections ----------------------------------------------------------------------


async def test_corrections_of_different_fields_at_once_both_stay(client, actors):
    ids = await lead_of(client, actors, actors.clerk_a)
    for round_ in range(3):
        first, second = await asyncio.gather(
            correct(client, actors.clerk_a, ids["contact"], phone=f"+49 {round_}"),
            correct(client, actors.manager, ids["contact"], city=f"Stadt {round_}"),
        )
        assert first["userErrors"] == second["userErrors"] == []
        contact = await read_contact(client, actors.manager, ids["contact"])
        assert (contact["phone"], contact["city"]) == (f"+49 {round_}", f"Stadt {round_}")
    assert len(contact["history"]) == 6


async def test_a_correction_read_before_another_of_the_same_field_records_its_value(client, actors):
    """Reached on purpose: the manager's correction commits right after the clerk's read the
    contact. The clerk's compare-and-set fails, it reads again and wins as the later one, with
    the manager's value as its old value; the city the manager changed too stays."""
    ids = await lead_of(client, actors, actors.clerk_a)

    async def manager_corrects() -> None:
        await mutate_ok(
            client,
            actors.manager,
            "updateContact",
            {"contactId": ids["contact"], "phone": "+49 MANAGER", "city": "Köln"},
        )

    async with after_query(lambda sql: _reads(sql, "contacts"), manager_corrects):
        payload = await correct(client, actors.clerk_a, ids["contact"], phone="+49 CLERK")
    assert payload["userErrors"] == []
    contact = await read_contact(client, actors.manager, ids["contact"])
    assert (contact["phone"], contact["city"]) == ("+49 CLERK", "Köln")
    newest, *earlier = changes(contact)
    assert newest == ("phone", "+49 MANAGER", "+49 CLERK", actors.clerk_a.gid)
    assert sorted(earlier) == [
        ("city", "Berlin", "Köln", actors.manager.gid),
        ("phone", ANNA["phone"], "+49 MANAGER", actors.manager.gid),
    ]


async def test_concurrent_corrections_of_the_same_field_keep_a_consistent_history(client, actors):
    ids = await lead_of(client, actors, actors.clerk_a)
    writers = [actors.clerk_a, actors.manager, actors.manager2, actors.admin]
    for round_ in range(3):
        payloads = await asyncio.gather(
            *(
                correct(client, writer, ids["contact"], phone=f"+49 {round_} {index}")
                for index, writer in enumerate(writers)
            )
        )
        assert all(payload["userErrors"] == [] for payload in payloads)
    contact = await read_contact(client, actors.manager, ids["contact"])
    history = list(reversed(contact["history"]))  # oldest first
    # A chain: each change starts from the value the one before it left, and the last one's
    # value is the contact's.
    assert history[0]["oldValue"] == ANNA["phone"]
    for before, after in itertools.pairwise(history):
        assert after["oldValue"] == before["newValue"]
    assert history[-1]["newValue"] == contact["phone"]
    assert len(history) == 12


# --- helpers -------------------------------------------------------------------------------------


def _checks_an_email(sql: str) -> bool:
    """The query that looks for another contact with the email (not a read of the columns)."""
    return _reads(sql, "contacts") and re.search(r'"email_key"\s*=', sql) is not None


def _reads(sql: str, table: str) -> bool:
    return sql.lstrip().upper().startswith("SELECT") and f'FROM "{table}"' in sql


@asynccontextmanager
async def after_query(
    matches: Callable[[str], bool], other_writer: Callable[[], Awaitable[object]]
) -> AsyncIterator[None]:
    """Run `other_writer` once, right after the first statement outside a transaction that
    `matches` (like tests/services/test_rule_guards.between_read_and_write, for a chosen read)."""
    client = connections.get("default")
    originals = {name: getattr(client, name) for name in ("execute_query", "execute_query_dict")}
    ran = False

    def hooked(name: str) -> Callable[..., Awaitable[object]]:
        async def execute(query: str, values: list | None = None) -> object:
            nonlocal ran
            result = await originals[name](query, values)
            if not ran and matches(query):
                ran = True
                await other_writer()
            return result

        return execute

    for name in originals:
        setattr(client, name, hooked(name))
    try:
        yield
    finally:
        for name in originals:
            delattr(client, name)
    assert ran, "the race was not reached"


# --- reading the history -------------------------------------------------------------------------


async def test_partners_never_read_a_contacts_history(client, actors):
    ids = await lead_of(client, actors, actors.clerk_a)
    await mutate_ok(
        client, actors.manager, "updateContact", {"contactId": ids["contact"], "city": "Köln"}
    )
    body = await gql(
        client,
        "query($id: ID!) { lead(id: $id) { contact { email history { field } } } }",
        {"id": ids["lead"]},
        actor=actors.partner,
    )
    assert error_codes(body) == ["FORBIDDEN"]
    assert "Contact.history" in body["errors"][0]["message"]


async def test_the_history_of_a_page_of_leads_is_read_in_one_query(client, actors):
    """A DataLoader: the statements for a page do not grow with the number of contacts."""
    campaign = await new_campaign(client, actors.manager, "History page")
    rows = [{**ANNA, "email": f"p{i}@berg.example"} for i in range(6)]
    created = await new_leads(client, actors.manager, campaign, rows)
    for lead in created:
        for city in ("A", "B"):
            await mutate_ok(
                client,
                actors.manager,
                "updateContact",
                {"contactId": lead["contact"]["id"], "city": city},
            )
    query = (
        "query($first: Int!) { leads(first: $first) { edges { node { contact { "
        "history { field oldValue newValue actor { name } at } } } } } }"
    )
    counts = []
    for first in (2, 6):
        with QueryCounter() as counter:
            data = data_of(await gql(client, query, {"first": first}, actor=actors.manager))
        assert all(
            [change["newValue"] for change in edge["node"]["contact"]["history"]] == ["B", "A"]
            for edge in data["leads"]["edges"]
        )
        counts.append(counter.count)
    assert counts[0] == counts[1], counts


async def test_the_system_corrects_nobodys_contact(client, actors):
    """Every correction names the person who made it; the command line and jobs have none."""
    ids = await lead_of(client, actors, actors.clerk_a)
    contact_id = decode_id(ids["contact"], "Contact", ["id"])
    correction = contact_updates.ContactCorrection(given=frozenset({"city"}), city="Köln")
    with pytest.raises(AccessDenied):
        await contact_updates.update_contact(OPERATOR, contact_id, correction)
    assert (await Contact.get(id=contact_id)).city == ANNA["city"]
    assert await ContactChange.all().count() == 0
