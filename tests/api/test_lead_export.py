"""The export of exactly the current filter, over real HTTP: `GET /files/exports/leads.csv` with
the lead list's filter fields holds the leads the list shows under that filter (and the viewer
may see), with their feedback in a column, neutralised for Excel; bad parameters are 400s that
name the parameter; a large export goes out page by page. SQLite and PostgreSQL."""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import httpx
import pytest

from leadflow.api.ids import decode_id, encode_id
from leadflow.auth.actors import OPERATOR
from leadflow.db.enums import Channel, CloseReason, Outcome
from leadflow.db.models import Campaign, Feedback, Lead
from leadflow.errors import AccessDenied
from leadflow.services import campaigns, exports, leads
from leadflow.services.due import Today
from leadflow.services.lead_lists import LeadFilter, LeadOrder
from leadflow.services.leads import LeadIntake
from tests.helpers import Actor, Actors, QueryCounter, data_of, gql

EXPORT = "/files/exports/leads.csv"
# Creation days of the world's leads (UTC), by lead.
CREATED = {
    "anna": datetime(2026, 11, 2, 9, tzinfo=UTC),
    "ben": datetime(2026, 11, 10, 9, tzinfo=UTC),
    "carl": datetime(2026, 11, 15, 23, 30, tzinfo=UTC),
    "dora": datetime(2026, 11, 20, 9, tzinfo=UTC),
    "emil": datetime(2026, 11, 25, 9, tzinfo=UTC),
    "fini": datetime(2026, 11, 30, 9, tzinfo=UTC),
}


@dataclass
class World:
    messe: Campaign
    web: Campaign
    ids: dict[str, int]

    def names(self, lead_ids: list[int]) -> list[str]:
        by_id = {lead_id: name for name, lead_id in self.ids.items()}
        return [by_id[lead_id] for lead_id in lead_ids]


async def build_world(actors: Actors) -> World:
    """Six leads in two campaigns: anna NEW; ben ACTIVE (clerk A, overdue, two feedbacks); carl
    ACTIVE (clerk B, nothing scheduled); dora DONE successful (A); emil DONE not interested (B);
    fini DONE unreachable (A)."""
    manager, clerk_a, clerk_b = actors.manager.user, actors.clerk_a.user, actors.clerk_b.user
    messe = await campaigns.create_campaign(manager, "Messe Köln")
    web = await campaigns.create_campaign(manager, "Website")
    people = [
        (
            "anna",
            messe,
            LeadIntake(last_name="Berg", first_name="Anna", company="Acme GmbH", phone="0221 1"),
        ),
        ("ben", messe, LeadIntake(last_name="Kurz", first_name="Ben", email="ben@kurz.de")),
        (
            "carl",
            web,
            LeadIntake(last_name="Acker", first_name="Carl", company="Nordlicht", phone="0221 3"),
        ),
        (
            "dora",
            messe,
            LeadIntake(last_name="Dorn", first_name="Dora", company="Acme AG", phone="0221 4"),
        ),
        ("emil", web, LeadIntake(last_name="Ems", first_name="Emil", phone="0221 5")),
        ("fini", web, LeadIntake(last_name="Fink", first_name="Fini", phone="0221 6")),
    ]
    ids = {}
    for name, campaign, intake in people:
        (lead,) = await leads.create_leads(manager, campaign.id, [intake])
        ids[name] = lead.id
        await Lead.filter(id=lead.id).update(created_at=CREATED[name])
    await leads.assign_leads(manager, [ids["ben"], ids["dora"], ids["fini"]], clerk_a.id)
    await leads.assign_leads(manager, [ids["carl"], ids["emil"]], clerk_b.id)
    await leads.close_lead(clerk_a, ids["dora"], Outcome.SUCCESSFUL)
    await leads.close_lead(clerk_b, ids["emil"], Outcome.UNSUCCESSFUL, CloseReason.NOT_INTERESTED)
    await leads.close_lead(clerk_a, ids["fini"], Outcome.UNSUCCESSFUL, CloseReason.UNREACHABLE)
    await Lead.filter(id=ids["ben"]).update(next_due_at=Today.in_zone().starts - timedelta(days=2))
    return World(messe, web, ids)


def bearer(actor: Actor) -> dict[str, str]:
    return {"Authorization": f"Bearer {actor.token}"}


async def download(
    client: httpx.AsyncClient, actor: Actor, headers: dict[str, str] | None = None, **params: Any
) -> httpx.Response:
    return await client.get(EXPORT, params=params, headers={**bearer(actor), **(headers or {})})


def rows_of(response: httpx.Response, separator: str = ",") -> list[dict[str, str]]:
    assert response.status_code == 200, response.text
    assert response.content.startswith(b"\xef\xbb\xbf")  # Excel's UTF-8 mark
    text = response.content.decode("utf-8-sig")
    return list(csv.DictReader(io.StringIO(text), delimiter=separator))


def exported(response: httpx.Response, world: World) -> list[str]:
    return world.names([int(row["Lead"]) for row in rows_of(response)])


async def test_each_filter_exports_exactly_its_leads(client, actors):
    world = await build_world(actors)
    messe, web = encode_id("Campaign", world.messe.id), encode_id("Campaign", world.web.id)
    cases: list[tuple[dict[str, str], list[str]]] = [
        ({}, ["anna", "ben", "carl", "dora", "emil", "fini"]),
        ({"status": "NEW"}, ["anna"]),
        ({"status": "active,Erledigt"}, ["ben", "carl", "dora", "emil", "fini"]),
        ({"campaign": messe}, ["anna", "ben", "dora"]),
        ({"campaignId": web}, ["carl", "emil", "fini"]),
        ({"campaign": messe, "status": "DONE"}, ["dora"]),
        ({"assignee": actors.clerk_a.gid}, ["ben", "dora", "fini"]),
        ({"assigneeId": actors.clerk_b.gid, "status": "ACTIVE"}, ["carl"]),
        ({"search": "acme"}, ["anna", "dora"]),
        ({"search": "acme gmbh"}, ["anna"]),
        ({"search": "kurz.de"}, ["ben"]),
        ({"outcome": "UNSUCCESSFUL"}, ["emil", "fini"]),
        ({"outcome": "erfolgreich"}, ["dora"]),
        ({"reason": "UNREACHABLE"}, ["fini"]),
        ({"closeReason": "NOT_INTERESTED", "campaign": web}, ["emil"]),
        ({"reason": "kein Interesse"}, ["emil"]),
        ({"createdAfter": "2026-11-15"}, ["carl", "dora", "emil", "fini"]),
        ({"createdBefore": "2026-11-15"}, ["anna", "ben"]),
        (
            {"createdAfter": "2026-11-10T09:00:00Z", "createdBefore": "2026-11-20T09:00:00Z"},
            ["ben", "carl"],
        ),
        # A date without an offset is UTC's midnight, as in the lead list; the zone decides only
        # which day is today. With an offset, 16 Nov in Berlin starts at 15 Nov 23:00 UTC.
        ({"createdAfter": "2026-11-16", "timeZone": "Europe/Berlin"}, ["dora", "emil", "fini"]),
        ({"createdAfter": "2026-11-16"}, ["dora", "emil", "fini"]),
        ({"createdAfter": "2026-11-16T00:00:00+01:00"}, ["carl", "dora", "emil", "fini"]),
        ({"due": "OVERDUE"}, ["ben"]),
        ({"due": "NONE"}, ["anna", "carl"]),  # open leads only
        ({"due": "TODAY"}, []),
        (
            {"status": "", "campaign": "", "search": " "},
            ["anna", "ben", "carl", "dora", "emil", "fini"],
        ),
    ]
    for params, expected in cases:
        response = await download(client, actors.manager, **params)
        assert exported(response, world) == expected, params


LIST = """
query($filter: LeadFilter, $orderBy: LeadOrder, $after: String) {
  leads(filter: $filter, orderBy: $orderBy, first: 2, after: $after) {
    edges { node { id } } pageInfo { hasNextPage endCursor }
  }
}"""


async def listed(
    client: httpx.AsyncClient, actor: Actor, lead_filter: dict[str, str], order: str = "OLDEST"
) -> list[int]:
    """The lead list's leads under the filter in its order, page by page (GraphQL's `leads`)."""
    ids: list[int] = []
    after = None
    while True:
        variables = {"filter": lead_filter, "orderBy": order, "after": after}
        page = data_of(await gql(client, LIST, variables, actor=actor))["leads"]
        ids += [decode_id(edge["node"]["id"], "Lead", ["id"]) for edge in page["edges"]]
        if not page["pageInfo"]["hasNextPage"]:
            return ids
        after = page["pageInfo"]["endCursor"]


async def test_the_export_holds_what_the_lead_list_shows_under_its_own_filter(client, actors):
    """The web app passes the list's filter as it has it (GraphQL's names): the file holds the
    same leads as the list."""
    world = await build_world(actors)
    filters = [
        {"campaignId": encode_id("Campaign", world.messe.id), "status": "ACTIVE"},
        {"assigneeId": actors.clerk_a.gid, "outcome": "UNSUCCESSFUL"},
        {"closeReason": "NOT_INTERESTED"},
        {"search": "acme", "createdAfter": "2026-11-10T00:00:00+00:00"},
        {"createdBefore": "2026-11-20T09:00:00Z", "due": "NONE"},
        {"status": "DONE", "createdAfter": "2026-11-21T00:00:00Z"},
    ]
    for lead_filter in filters:
        response = await download(client, actors.manager, **lead_filter)
        in_file = [int(row["Lead"]) for row in rows_of(response)]
        assert in_file, lead_filter  # each case holds something
        assert set(in_file) == set(await listed(client, actors.manager, lead_filter)), lead_filter
        assert len(in_file) == len(set(in_file))


async def test_dates_without_an_offset_read_as_the_list_reads_them_whatever_the_zone(
    client, actors
):
    """The same text in the list's filter and in the export's URL: UTC without an offset, in
    the file as in the list, with or without a zone (carl was created 23:30 UTC on 15 Nov:
    16 Nov in Berlin, 15 Nov in UTC)."""
    world = await build_world(actors)
    bounds = [
        {"createdAfter": "2026-11-16"},
        {"createdBefore": "2026-11-16"},
        {"createdAfter": "2026-11-15T23:00:00", "createdBefore": "2026-11-20T09:00:00"},
    ]
    for lead_filter in bounds:
        in_list = await listed(client, actors.manager, lead_filter)
        assert ("carl" in world.names(in_list)) == ("createdBefore" in lead_filter), lead_filter
        for zone in ({}, {"timeZone": "Europe/Berlin"}, {"timeZone": "Pacific/Kiritimati"}):
            response = await download(client, actors.manager, **lead_filter, **zone)
            assert [int(row["Lead"]) for row in rows_of(response)] == in_list, (lead_filter, zone)
        header = await download(
            client, actors.manager, {"Time-Zone": "Europe/Berlin"}, **lead_filter
        )
        assert [int(row["Lead"]) for row in rows_of(header)] == in_list, lead_filter


@pytest.mark.parametrize("order", [order.value for order in LeadOrder])
async def test_the_file_is_sorted_as_the_list_is(client, actors, monkeypatch, order):
    """Across the export's own pages (two leads each here), with ties and blank values."""
    world = await build_world(actors)
    twins = await leads.create_leads(
        actors.manager.user,
        world.web.id,
        [LeadIntake(last_name="Berg", company="Acme GmbH", phone=f"0228 {i}") for i in range(3)],
    )
    for twin in twins:  # the same moment as anna: only the id tells them apart
        await Lead.filter(id=twin.id).update(created_at=CREATED["anna"])
    await leads.assign_leads(actors.manager.user, [twins[0].id], actors.clerk_b.user.id)
    await Lead.filter(id=twins[0].id).update(next_due_at=Today.in_zone().ends)
    monkeypatch.setattr(exports, "PAGE_SIZE", 2)

    response = await download(client, actors.manager, orderBy=order.lower())
    in_file = [int(row["Lead"]) for row in rows_of(response)]
    assert in_file == await listed(client, actors.manager, {}, order)
    assert len(in_file) == 9
    narrowed = await download(client, actors.manager, orderBy=order, status="ACTIVE")
    in_file = [int(row["Lead"]) for row in rows_of(narrowed)]
    assert in_file == await listed(client, actors.manager, {"status": "ACTIVE"}, order)


async def test_an_offset_typed_into_the_url_counts_as_one(client, actors):
    """In a URL a "+" is a space: "2026-11-10T10:00:00+01:00" arrives as "...00 01:00"."""
    world = await build_world(actors)
    url = f"{EXPORT}?createdAfter=2026-11-10T10:00:00+01:00&createdBefore=2026-11-15T00:00:00Z"
    response = await client.get(url, headers=bearer(actors.manager))
    assert exported(response, world) == ["ben"]


async def test_the_columns_hold_status_outcome_and_the_file_is_named_after_its_campaign(
    client, actors
):
    world = await build_world(actors)
    response = await download(client, actors.manager, campaign=encode_id("Campaign", world.web.id))
    assert "filename*=UTF-8''Website.csv" in response.headers["content-disposition"]
    rows = {row["Last name"]: row for row in rows_of(response)}
    assert (rows["Acker"]["Status"], rows["Acker"]["Assignee"]) == ("Active", "Bruno Clerk")
    assert (rows["Ems"]["Outcome"], rows["Ems"]["Reason"]) == ("unsuccessful", "not interested")
    assert rows["Ems"]["Created at (UTC)"] == "2026-11-25 09:00:00"

    everything = await download(client, actors.manager, status="NEW")
    assert "filename*=UTF-8''leads.csv" in everything.headers["content-disposition"]

    german = await download(client, actors.manager, lang="de", status="DONE")
    rows = rows_of(german, ";")
    assert [(row["Nachname"], row["Status"], row["Grund"]) for row in rows] == [
        ("Dorn", "Erledigt", ""),
        ("Ems", "Erledigt", "kein Interesse"),
        ("Fink", "Erledigt", "nicht erreichbar"),
    ]


async def test_the_feedback_notes_are_one_readable_cell_that_runs_no_formula(client, actors):
    world = await build_world(actors)
    ben = world.ids["ben"]
    clerk = actors.clerk_a.user
    await leads.record_feedback(clerk, ben, Channel.PHONE, "Rückruf Dienstag\nab 10 Uhr")
    await leads.record_feedback(clerk, ben, Channel.EMAIL, '=HYPERLINK("http://x")')
    first, second = await Feedback.filter(lead_id=ben).order_by("id")
    await Feedback.filter(id=first.id).update(created_at=datetime(2026, 12, 1, 14, 5, tzinfo=UTC))
    await Feedback.filter(id=second.id).update(created_at=datetime(2026, 12, 2, 8, 0, tzinfo=UTC))

    rows = {row["Last name"]: row for row in rows_of(await download(client, actors.manager))}
    assert rows["Kurz"]["Feedback (UTC)"] == (
        "2026-12-01 14:05 Phone, Clara Clerk: Rückruf Dienstag ab 10 Uhr"
        ' | 2026-12-02 08:00 Email, Clara Clerk: =HYPERLINK("http://x")'
    )
    assert rows["Berg"]["Feedback (UTC)"] == ""

    german = await download(client, actors.manager, lang="de", search="Kurz")
    raw = german.content.decode("utf-8-sig")
    # Every cell quoted; the formula inside the cell is marked wherever Excel could start one.
    cell = next(csv.DictReader(io.StringIO(raw), delimiter=";"))["Rückmeldungen (UTC)"]
    assert cell.startswith("2026-12-01 14:05 Telefon, Clara Clerk: Rückruf Dienstag")
    assert "E-Mail, Clara Clerk: =HYPERLINK" in cell  # not at a cell's start in either separator
    hostile = await leads.create_leads(
        actors.manager.user, world.messe.id, [LeadIntake(last_name="Zorn", phone="0221 7")]
    )
    await leads.assign_leads(actors.manager.user, [hostile[0].id], clerk.id)
    await leads.record_feedback(clerk, hostile[0].id, Channel.OTHER, "x;=1+1")
    rows = rows_of(await download(client, actors.manager, search="Zorn"))
    assert rows[0]["Feedback (UTC)"].endswith("Other, Clara Clerk: x;'=1+1")


async def test_due_follows_the_viewers_time_zone(client, actors):
    world = await build_world(actors)
    zone = "Etc/GMT-14"  # UTC+14: its today is never UTC's
    # Open leads due on every hour from a day and a half ago to a day and a half ahead.
    now = datetime.now(UTC).replace(minute=30, second=0, microsecond=0)
    moments = [now + timedelta(hours=hours) for hours in range(-36, 37, 3)]
    made = await leads.create_leads(
        actors.manager.user,
        world.web.id,
        [
            LeadIntake(last_name=f"Due{index}", phone=f"030 {index}")
            for index in range(len(moments))
        ],
    )
    due_at = {lead.id: moment for lead, moment in zip(made, moments, strict=True)}
    for lead_id, moment in due_at.items():
        await Lead.filter(id=lead_id).update(next_due_at=moment)

    def today_in(zone_name: str | None) -> set[int]:
        today = Today.in_zone() if zone_name is None else Today.in_zone(_zone(zone_name))
        return {lead for lead, moment in due_at.items() if today.starts <= moment < today.ends}

    def ids(response: httpx.Response) -> set[int]:
        return {int(row["Lead"]) for row in rows_of(response)}

    in_utc = ids(await download(client, actors.manager, due="TODAY"))
    by_parameter = ids(await download(client, actors.manager, due="today", timeZone=zone))
    by_header = ids(await download(client, actors.manager, {"Time-Zone": zone}, due="TODAY"))
    assert in_utc == today_in(None) and by_parameter == by_header == today_in(zone)
    assert in_utc != by_parameter


def _zone(name: str) -> ZoneInfo:
    return ZoneInfo(name)


@pytest.mark.parametrize(
    ("params", "field", "words"),
    [
        ({"status": "OPEN"}, "status", "NEW, ACTIVE or DONE"),
        ({"campaign": "garbage"}, "campaign", ""),
        ({"campaign": "USER"}, "campaign", ""),
        ({"assigneeId": "CAMPAIGN"}, "assigneeId", ""),  # named as the request spelled it
        ({"assignee": "CAMPAIGN"}, "assignee", ""),
        ({"closeReason": "BORED"}, "closeReason", "NOT_INTERESTED"),
        ({"outcome": "MAYBE"}, "outcome", "SUCCESSFUL or UNSUCCESSFUL"),
        ({"reason": "BORED"}, "reason", "NOT_INTERESTED"),
        ({"createdAfter": "yesterday"}, "createdAfter", "ISO 8601"),
        ({"createdBefore": "2026-13-01"}, "createdBefore", "ISO 8601"),
        ({"due": "SOON"}, "due", "OVERDUE, TODAY, UPCOMING or NONE"),
        ({"timeZone": "Mars/Olympus"}, "timeZone", "IANA"),
        ({"lang": "fr"}, "lang", "en or de"),
        ({"stauts": "DONE"}, "stauts", "Unknown parameter"),
        ({"campaign": "C1", "campaignId": "C1"}, "campaignId", "same filter"),
        ({"reason": ["OTHER", "DUPLICATE"]}, "reason", "given twice"),
        ({"search": "x" * 201}, "search", "200"),
        ({"orderBy": "FUNNIEST"}, "orderBy", "LAST_NAME"),
    ],
)
async def test_a_bad_parameter_is_a_400_that_names_it(client, actors, params, field, words):
    ids = {
        "USER": actors.clerk_a.gid,
        "CAMPAIGN": encode_id("Campaign", 1),
        "C1": encode_id("Campaign", 1),
    }
    params = {
        name: ids.get(value, value) if isinstance(value, str) else value
        for name, value in params.items()
    }
    response = await download(client, actors.manager, **params)
    assert response.status_code == 400, response.text
    error = response.json()["error"]
    assert error["field"][-1] == field, error
    assert words in error["message"], error


async def test_a_bad_time_zone_header_and_a_backwards_range_are_400s(client, actors):
    response = await download(client, actors.manager, {"Time-Zone": "Nowhere/City"})
    assert response.status_code == 400
    assert response.json()["error"]["field"] == ["timeZone"]
    backwards = await download(
        client, actors.manager, createdAfter="2026-12-02", createdBefore="2026-12-01"
    )
    assert backwards.status_code == 400
    assert "createdBefore" in backwards.json()["error"]["message"]


async def test_lead_files_are_for_managers_and_a_read_only_token_may_export(client, actors):
    world = await build_world(actors)
    for refused in (actors.clerk_a, actors.partner):
        response = await download(client, refused, status="DONE")
        assert response.status_code == 403, refused.user.email
        assert response.json()["error"]["code"] == "FORBIDDEN"
    assert (await client.get(EXPORT)).status_code == 401
    # Downloads change nothing: a read-only token may take one.
    read_only = await download(client, actors.read_only_manager, status="NEW")
    assert exported(read_only, world) == ["anna"]


async def test_the_export_service_holds_what_the_actor_sees_under_the_filter(actors):
    world = await build_world(actors)

    async def names(actor, **conditions) -> list[str]:
        target = io.StringIO()
        export_filter = exports.ExportFilter(LeadFilter(**conditions))
        await exports.export_leads(actor, export_filter, target)
        return world.names(
            [int(row["Lead"]) for row in csv.DictReader(io.StringIO(target.getvalue()))]
        )

    clerk = actors.clerk_a.user
    assert await names(clerk) == ["ben", "dora", "fini"]
    assert await names(clerk, outcome=Outcome.UNSUCCESSFUL) == ["fini"]
    assert await names(OPERATOR, outcome=Outcome.UNSUCCESSFUL) == ["emil", "fini"]
    with pytest.raises(AccessDenied):
        await names(clerk, assignee_id=actors.clerk_b.user.id)


async def test_the_export_service_keeps_the_lists_rule_on_partners_orders(actors):
    """Partners may not sort by what they cannot read (a name, a wait): not in a file either."""
    await build_world(actors)
    partner = actors.partner.user

    async def export(order: LeadOrder) -> str:
        target = io.StringIO()
        await exports.export_leads(partner, exports.ExportFilter(order=order), target)
        return target.getvalue()

    for hidden in (LeadOrder.LAST_NAME, LeadOrder.COMPANY, LeadOrder.WAITING_LONGEST):
        with pytest.raises(AccessDenied):
            await export(hidden)
    assert (await export(LeadOrder.NEWEST)).startswith('"Lead"')


async def test_a_large_export_goes_out_page_by_page(client, actors, monkeypatch):
    manager = actors.manager.user
    messe = await campaigns.create_campaign(manager, "Messe")
    for batch in range(3):
        intakes = [
            LeadIntake(last_name=f"P{batch}-{i}", phone=f"030 {batch} {i}") for i in range(1000)
        ]
        made = await leads.create_leads(manager, messe.id, intakes)
        if batch == 0:
            await leads.assign_leads(
                manager, [lead.id for lead in made[:500]], actors.clerk_a.user.id
            )
    monkeypatch.setattr(exports, "PAGE_SIZE", 250)

    # Each page one statement for its leads and one for their feedback, whatever the size.
    chunks = []
    with QueryCounter() as counter:
        async for chunk, count in exports.export_chunks(
            OPERATOR, exports.ExportFilter(LeadFilter(campaign_id=messe.id))
        ):
            chunks.append((chunk, count))
    assert [count for _chunk, count in chunks] == [0] + [250] * 12
    assert counter.count <= 2 * 12 + 1

    response = await download(client, actors.manager, campaign=encode_id("Campaign", messe.id))
    rows = rows_of(response)
    assert len(rows) == 3000
    assert [row["Last name"] for row in rows[:2]] == ["P0-0", "P0-1"]
    assert sum(row["Status"] == "Active" for row in rows) == 500
