"""A page of leads reads only the columns its selection needs (`api/lead_columns.py`), and
answers as if it had read them all: every field the module maps, asked alone through
`leads`, equals the same field asked through `lead(id)` (which reads every column), for
leads in every state with every column filled; a field the module does not map reads all
its type's columns; the page's statement leaves out the columns nobody asked for."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
from graphql import parse
from strawberry.types.nodes import convert_selections

from leadflow.api import lead_columns
from leadflow.api.rows import LEAD_COLUMNS
from tests.helpers import Actor, Actors, QueryCounter, data_of, gql, mutate_ok, new_leads

PERSON = {
    "salutation": "Frau",
    "firstName": "Anna",
    "company": "Acme GmbH",
    "phone": "+49 511 123456",
    "street": "Hauptstr. 1",
    "postalCode": "30159",
    "city": "Hannover",
    "country": "DE",
}


def _mapped_fields(node: Any, path: str = "") -> list[str]:
    """Every field a node type maps, as a selection (`contact { firstName }`)."""
    fields = []
    for name, reads in node.by_field.items():
        if isinstance(reads, lead_columns._NodeColumns):
            fields.extend(f"{name} {{ {inner} }}" for inner in _mapped_fields(reads))
        else:
            fields.append(name)
    return fields


# The mapped fields whose answers are lists or objects: what to select below them.
BELOW = {
    "feedback": "feedback { channel note author { name } }",
    "opportunity": "opportunity { id title }",
    "closedBy": "closedBy { id name }",
    "contact { history }": "contact { history { field oldValue newValue } }",
}
FIELDS = [BELOW.get(field, field) for field in _mapped_fields(lead_columns._LEAD)]


async def _world(client: httpx.AsyncClient, actors: Actors) -> list[str]:
    """Leads in every state with every column filled: NEW; ACTIVE with feedback, a next step
    and an opted-out, corrected contact; DONE unsuccessful with reason and note; DONE
    successful with its opportunity; a NEW one whose person was erased."""
    manager, clerk = actors.manager, actors.clerk_a
    campaign = (
        await mutate_ok(
            client,
            manager,
            "createCampaign",
            {
                "name": "Herbstmesse",
                "description": "Besucher am Stand",
                "startsOn": "2026-09-01",
                "endsOn": "2026-09-30",
            },
            "campaign { id }",
        )
    )["campaign"]["id"]
    rows = [
        {**PERSON, "lastName": name, "email": f"{name}@Example.COM"}
        for name in ("Neu", "Aktiv", "Verloren", "Gewonnen", "Gelöscht")
    ]
    made = await new_leads(client, manager, campaign, rows)
    new, active, lost, won, erased = (lead["id"] for lead in made)
    await mutate_ok(
        client,
        actors.admin,
        "eraseContact",
        {"contactId": made[4]["contact"]["id"], "reason": "Antrag vom 1.12."},
    )
    await mutate_ok(
        client, manager, "assignLeads", {"leadIds": [active, lost, won], "assigneeId": clerk.gid}
    )
    await _work_on(client, clerk, manager, active, made[1]["contact"]["id"])
    await mutate_ok(
        client,
        clerk,
        "closeLead",
        {"leadId": lost, "outcome": "UNSUCCESSFUL", "reason": "UNREACHABLE", "note": "3x"},
    )
    await mutate_ok(client, clerk, "closeLead", {"leadId": won, "outcome": "SUCCESSFUL"})
    return [new, active, lost, won, erased]


async def _work_on(
    client: httpx.AsyncClient, clerk: Actor, manager: Actor, lead: str, contact: str
) -> None:
    await mutate_ok(
        client, clerk, "recordFeedback", {"leadId": lead, "channel": "PHONE", "note": "Call"}
    )
    due = (datetime.now(UTC) + timedelta(days=2)).isoformat()
    await mutate_ok(
        client, clerk, "scheduleActivity", {"subjectId": lead, "kind": "CALL", "dueAt": due}
    )
    await mutate_ok(client, manager, "updateContact", {"contactId": contact, "city": "Celle"})
    await mutate_ok(
        client,
        manager,
        "setContactOptOut",
        {"contactId": contact, "optedOut": True, "note": "per Telefon"},
    )


async def test_every_mapped_field_answers_as_with_all_columns(
    client: httpx.AsyncClient, actors: Actors
) -> None:
    lead_ids = await _world(client, actors)
    singles = " ".join(
        f'lead{n}: lead(id: "{lead_id}") {{ id FIELD }}' for n, lead_id in enumerate(lead_ids)
    )
    for field in FIELDS:
        query = f"{{ leads(first: 10) {{ edges {{ node {{ id {field} }} }} }} }}"
        listed = data_of(await gql(client, query, actor=actors.manager))["leads"]["edges"]
        by_id = {edge["node"]["id"]: edge["node"] for edge in listed}
        single = data_of(
            await gql(client, "{ " + singles.replace("FIELD", field) + " }", actor=actors.manager)
        )
        assert sorted(by_id) == sorted(lead_ids), field
        for node in single.values():
            assert by_id[node["id"]] == node, field


async def test_fragments_and_a_campaigns_leads_answer_as_with_all_columns(
    client: httpx.AsyncClient, actors: Actors
) -> None:
    lead_ids = await _world(client, actors)
    fragment = (
        "fragment Row on Lead { id ... on Lead { createdAt contact { ...Person } } "
        "campaign { name } }\n"
        "fragment Person on Contact { lastName email erasedAt optedOutNote }"
    )
    listed = data_of(
        await gql(
            client,
            "query($on: Boolean!) { campaigns(first: 1) { edges { node { leads(first: 10) { "
            "edges { node { ...Row outcome @include(if: $on) } } } } } } }\n" + fragment,
            {"on": True},
            actor=actors.manager,
        )
    )["campaigns"]["edges"][0]["node"]["leads"]["edges"]
    singles = " ".join(
        f'lead{n}: lead(id: "{lead_id}") {{ ...Row outcome }}' for n, lead_id in enumerate(lead_ids)
    )
    single = data_of(await gql(client, f"{{ {singles} }}\n{fragment}", actor=actors.manager))
    assert sorted(map(repr, (edge["node"] for edge in listed))) == sorted(
        map(repr, single.values())
    )
    assert any(node["contact"]["erasedAt"] for node in single.values())


def test_a_selection_reads_the_columns_its_fields_need() -> None:
    page = _selection("edges { cursor node { id status contact { firstName email } } }")
    assert set(lead_columns.lead_columns(page)) == {
        *lead_columns.ALWAYS_READ,
        "contact__first_name",
        "contact__email",
        "contact__email_key",
    }
    # A field a type does not map: that type's columns, all of them.
    page = _selection("edges { node { id campaign { name leads { totalCount } } } }")
    assert set(lead_columns.lead_columns(page)) == {
        *lead_columns.ALWAYS_READ,
        *(column for column in LEAD_COLUMNS if column.startswith("campaign__")),
    }
    page = _selection("edges { node { ... on Lead { activities { id } } } }")
    assert lead_columns.lead_columns(page) == LEAD_COLUMNS
    assert set(lead_columns.lead_columns(_selection("totalCount"))) == set(lead_columns.ALWAYS_READ)


async def test_the_page_reads_only_the_selected_columns(
    client: httpx.AsyncClient, actors: Actors
) -> None:
    await _world(client, actors)
    query = "{ leads(first: 10) { edges { node { id createdAt contact { lastName } } } } }"
    with QueryCounter() as counter:
        data_of(await gql(client, query, actor=actors.manager))
    page = [sql for sql in counter.statements if "contact__last_name" in sql]
    assert len(page) == 1, counter.statements
    assert "contact__street" not in page[0] and "close_note" not in page[0]


def _selection(text: str) -> list[Any]:
    """What strawberry's `info.selected_fields` gives for `{ leads { TEXT } }`, below
    `leads`."""
    document = parse(f"{{ leads {{ {text} }} }}")
    operation = document.definitions[0]
    leads = operation.selection_set.selections[0]  # type: ignore[attr-defined]
    info = _Info(fragments={})
    return convert_selections(info, leads.selection_set.selections)  # type: ignore[arg-type]


class _Info:
    def __init__(self, fragments: dict[str, Any]) -> None:
        self.fragments = fragments
        self.variable_values: dict[str, Any] = {}
