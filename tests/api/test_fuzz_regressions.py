"""Regression tests for the server errors the schema fuzzing (test_fuzz.py) found."""

from __future__ import annotations

import base64
import json
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import pytest
import pytest_asyncio
from tortoise import Tortoise

from leadflow.api.pagination import encode_cursor
from leadflow.auth.actors import OPERATOR
from leadflow.db.enums import ImportIssueCode
from leadflow.db.models import Lead, LeadImport, LoginFailure, LoginSession
from leadflow.errors import DomainError, ErrorCode
from leadflow.services import campaigns, imports
from leadflow.services.accounts import set_password
from leadflow.web.access import CSRF_HEADER
from tests.helpers import Actor, Actors, data_of, error_codes
from tests.live_server import MANAGER_EMAIL, live_server


def pk_of(global_id: str) -> int:
    return int(base64.b64decode(global_id).decode().partition(":")[2])


# JSON may spell a lone UTF-16 surrogate ("\ud800"); Python decodes it into a str that cannot be
# encoded as UTF-8, so neither database driver can store or compare it.
LONE_SURROGATE = "Fair \ud800"

CREATE_CAMPAIGN = """
mutation($input: CreateCampaignInput!) {
  createCampaign(input: $input) { campaign { id } userErrors { code field message } }
}
"""

CREATE_LEADS = """
mutation($input: CreateLeadsInput!) {
  createLeads(input: $input) { leads { id } userErrors { code field message } }
}
"""

CAMPAIGNS = "{ campaigns { totalCount } }"


async def post(
    client: httpx.AsyncClient, actor: Actor, query: str, variables: dict[str, Any] | None = None
) -> httpx.Response:
    """POST a GraphQL request serialised with ASCII escapes, so lone surrogates survive."""
    return await client.post(
        "/graphql",
        content=json.dumps({"query": query, "variables": variables or {}}),
        headers={"Authorization": f"Bearer {actor.token}", "Content-Type": "application/json"},
    )


async def campaign_count(client: httpx.AsyncClient, actor: Actor) -> int:
    response = await post(client, actor, CAMPAIGNS)
    return data_of(response.json())["campaigns"]["totalCount"]


async def test_lone_surrogate_in_a_campaign_name_is_a_user_error(client, actors: Actors):
    response = await post(client, actors.manager, CREATE_CAMPAIGN, {"input": {"name": "Fair"}})
    assert data_of(response.json())["createCampaign"]["userErrors"] == []

    response = await post(
        client, actors.manager, CREATE_CAMPAIGN, {"input": {"name": LONE_SURROGATE}}
    )

    assert response.status_code == 200
    payload = data_of(response.json())["createCampaign"]
    assert payload["campaign"] is None
    assert [(e["code"], e["field"]) for e in payload["userErrors"]] == [("INVALID", ["name"])]
    assert "invalid character" in payload["userErrors"][0]["message"]
    assert await campaign_count(client, actors.manager) == 1


async def test_lone_surrogate_in_a_lead_intake_is_a_user_error_and_nothing_is_stored(
    client, actors: Actors
):
    response = await post(client, actors.manager, CREATE_CAMPAIGN, {"input": {"name": "Fair"}})
    campaign_id = data_of(response.json())["createCampaign"]["campaign"]["id"]
    leads = [
        {"lastName": "Berg", "phone": "030 1234"},
        {"lastName": "Stein", "company": LONE_SURROGATE, "phone": "030 5678"},
    ]

    response = await post(
        client, actors.manager, CREATE_LEADS, {"input": {"campaignId": campaign_id, "leads": leads}}
    )

    payload = data_of(response.json())["createLeads"]
    assert payload["leads"] is None
    assert [(e["code"], e["field"]) for e in payload["userErrors"]] == [
        ("INVALID", ["leads", "1", "company"])
    ]
    response = await post(client, actors.manager, "{ leads { totalCount } }")
    assert data_of(response.json())["leads"]["totalCount"] == 0


@pytest.mark.parametrize(
    "query",
    [
        "query($filter: LeadFilter) { leads(filter: $filter) { totalCount } }",
        "query($filter: LeadFilter) { leadCounts(filter: $filter) { new active done } }",
    ],
)
@pytest.mark.parametrize("role", ["manager", "clerk_a"])
async def test_lone_surrogate_in_a_lead_search_is_refused_as_bad_input(
    client, actors: Actors, query: str, role: str
):
    response = await post(
        client, getattr(actors, role), query, {"filter": {"search": LONE_SURROGATE}}
    )

    assert response.status_code == 200
    body = response.json()
    assert error_codes(body) == ["BAD_USER_INPUT"]
    assert "invalid character" in body["errors"][0]["message"]


async def test_lone_surrogate_in_a_new_users_password_is_a_user_error(client, actors: Actors):
    query = """
    mutation($input: CreateUserInput!) {
      createUser(input: $input) { user { id } userErrors { code field message } }
    }
    """
    new_user = {"email": "new@test.example", "name": "Nina New", "role": "CLERK"}

    response = await post(
        client, actors.admin, query, {"input": {**new_user, "password": "secret \ud800 words"}}
    )

    payload = data_of(response.json())["createUser"]
    assert payload["user"] is None
    assert [(e["code"], e["field"]) for e in payload["userErrors"]] == [("INVALID", ["password"])]
    response = await post(client, actors.admin, "{ users { email } }")
    assert "new@test.example" not in [u["email"] for u in data_of(response.json())["users"]]


async def test_lone_surrogate_in_a_password_being_set_is_refused(actors: Actors):
    with pytest.raises(DomainError) as refused:
        await set_password(OPERATOR, actors.clerk_a.user, "secret \ud800 words")

    assert (refused.value.code, refused.value.field) == (ErrorCode.INVALID, ("password",))


@pytest.mark.parametrize(
    "credentials",
    [
        {"email": "clerk.a@test.example", "password": "secret \ud800 words"},
        {"email": "clerk.a\ud800@test.example", "password": "secret words"},
    ],
)
async def test_lone_surrogate_in_a_login_is_a_failed_login(
    client, actors: Actors, credentials: dict[str, str]
):
    await set_password(OPERATOR, actors.clerk_a.user, "secret words")

    response = await client.post(
        "/auth/login",
        content=json.dumps(credentials),
        headers={"Content-Type": "application/json", CSRF_HEADER: "1"},
    )

    assert response.status_code == 401
    assert response.json()["error"]["message"] == "Wrong email or password."


# Open: the /graphql endpoint (web/graphql.py) encodes its answer with
# ensure_ascii=False and then as UTF-8, so a GraphQL error message that quotes a client's lone
# surrogate (a bad enum or scalar variable, an unknown operationName) cannot be encoded and the
# client gets HTTP 500. Escaping non-ASCII (ensure_ascii=True) or falling back to it on
# UnicodeEncodeError fixes it. Strict xfail: when it is fixed these pass, and the marker goes.
@pytest.mark.parametrize(
    ("query", "variables"),
    [
        ("query($role: Role) { users(role: $role) { id } }", {"role": LONE_SURROGATE}),
        (
            'mutation($on: Date) { createCampaign(input: {name: "Fair", startsOn: $on}) '
            "{ userErrors { code } } }",
            {"on": LONE_SURROGATE},
        ),
    ],
)
async def test_lone_surrogate_quoted_in_a_variable_error_is_a_request_error(
    client, actors: Actors, query: str, variables: dict[str, Any]
):
    response = await post(client, actors.manager, query, variables)

    assert response.status_code < 500, response.text
    assert error_codes(response.json()) != ["INTERNAL_SERVER_ERROR"]


async def test_lone_surrogate_as_operation_name_is_a_request_error(client, actors: Actors):
    response = await client.post(
        "/graphql",
        content=json.dumps({"query": "query A { viewer { id } }", "operationName": "\ud800"}),
        headers={
            "Authorization": f"Bearer {actors.manager.token}",
            "Content-Type": "application/json",
        },
    )

    assert response.status_code < 500, response.text


# --- Finding 8: NUL in text, and dates at the ends of the calendar -------------------------------
#
# PostgreSQL refuses NUL in text and JSON (asyncpg fails the statement: a server error, and on
# /auth/login a plain-text 500); SQLite stores it. Date-times near 0001-01-01 and 9999-12-31 with
# an offset lie beyond the calendar in UTC, where Python's datetime overflows.

NUL = "Fair\x00 2025"
INVALID_NUL = ("INVALID", "contains a NUL character")
REPORT_RANGE = "must lie between 0001-01-01T00:00:00Z and 9999-12-31T23:59:59.999999Z in UTC"


async def mutation(
    client: httpx.AsyncClient, actor: Actor, name: str, input: dict[str, Any], selection: str
) -> dict[str, Any]:
    input_type = f"{name[0].upper()}{name[1:]}Input"
    query = (
        f"mutation($input: {input_type}!) {{ {name}(input: $input) "
        f"{{ {selection} userErrors {{ code field message }} }} }}"
    )
    response = await post(client, actor, query, {"input": input})
    assert response.status_code == 200, response.text
    return data_of(response.json())[name]


# The webhook fan-out's reading position: the app's background job moves it as it catches up
# with the scene's own events, whatever the request under test does (it moved between the two
# readings once in CI on PostgreSQL).
BACKGROUND_BOOKKEEPING = frozenset({"WebhookCursor"})


async def stored_rows() -> dict[str, list[dict[str, Any]]]:
    """Every row of every table but the background jobs' bookkeeping: what "nothing changed"
    compares."""
    return {
        name: await model.all().order_by(model._meta.pk_attr).values()
        for name, model in sorted(Tortoise.apps["models"].items())
        if name not in BACKGROUND_BOOKKEEPING
    }


@dataclass
class Scene:
    """A campaign with a NEW lead, an ACTIVE one of clerk A and an opportunity of clerk A."""

    campaign_id: str
    new_lead_id: str
    active_lead_id: str
    contact_id: str
    opportunity_id: str


@pytest_asyncio.fixture
async def scene(client: httpx.AsyncClient, actors: Actors) -> Scene:
    manager, clerk = actors.manager, actors.clerk_a
    campaign = await mutation(
        client, manager, "createCampaign", {"name": "Fair"}, "campaign { id }"
    )
    campaign_id = campaign["campaign"]["id"]
    rows = [{"lastName": name, "phone": f"030 {number}"} for number, name in enumerate("ABC")]
    created = await mutation(
        client,
        manager,
        "createLeads",
        {"campaignId": campaign_id, "leads": rows},
        "leads { id contact { id } }",
    )
    new, active, won = created["leads"]
    await mutation(
        client,
        manager,
        "assignLeads",
        {"leadIds": [active["id"], won["id"]], "assigneeId": clerk.gid},
        "leads { id }",
    )
    closed = await mutation(
        client,
        clerk,
        "closeLead",
        {"leadId": won["id"], "outcome": "SUCCESSFUL"},
        "opportunity { id }",
    )
    return Scene(
        campaign_id=campaign_id,
        new_lead_id=new["id"],
        active_lead_id=active["id"],
        contact_id=new["contact"]["id"],
        opportunity_id=closed["opportunity"]["id"],
    )


LEAD_TEXT_FIELDS = [
    "lastName",
    "firstName",
    "salutation",
    "company",
    "email",
    "phone",
    "street",
    "postalCode",
    "city",
    "country",
]


def nul_cases() -> list[tuple[str, str, str, Callable[[Scene, Actors], dict], list[str]]]:
    """(actor, mutation, result field, input with NUL in one text field, its field path): every
    text input of every mutation."""
    lead = {"lastName": "Berg", "phone": "030 1"}
    cases: list[tuple[str, str, str, Callable[[Scene, Actors], dict], list[str]]] = [
        ("manager", "createCampaign", "campaign", lambda s, a: {"name": NUL}, ["name"]),
        (
            "manager",
            "createCampaign",
            "campaign",
            lambda s, a: {"name": "Spring", "description": NUL},
            ["description"],
        ),
        *(
            (
                "manager",
                "createLeads",
                "leads",
                lambda s, a, field=field: {
                    "campaignId": s.campaign_id,
                    "leads": [lead, {**lead, "lastName": "Stein", field: f"x{NUL}"}],
                },
                ["leads", "1", field],
            )
            for field in LEAD_TEXT_FIELDS
        ),
        (
            "clerk_a",
            "recordFeedback",
            "feedback",
            lambda s, a: {"leadId": s.active_lead_id, "channel": "PHONE", "note": NUL},
            ["note"],
        ),
        (
            "clerk_a",
            "closeLead",
            "lead",
            lambda s, a: {
                "leadId": s.active_lead_id,
                "outcome": "UNSUCCESSFUL",
                "reason": "OTHER",
                "note": NUL,
            },
            ["note"],
        ),
        (
            "clerk_a",
            "closeLead",
            "lead",
            lambda s, a: {
                "leadId": s.active_lead_id,
                "outcome": "SUCCESSFUL",
                "opportunity": {"title": NUL},
            },
            ["opportunity", "title"],
        ),
        (
            "manager",
            "createOpportunity",
            "opportunity",
            lambda s, a: {"contactId": s.contact_id, "title": NUL},
            ["title"],
        ),
        (
            "manager",
            "handOverOpportunity",
            "opportunity",
            lambda s, a: {"opportunityId": s.opportunity_id, "ownerId": a.clerk_b.gid, "note": NUL},
            ["note"],
        ),
        *(
            (
                "admin",
                "createUser",
                "user",
                lambda s, a, field=field: {
                    "email": "nina@test.example",
                    "name": "Nina New",
                    "role": "CLERK",
                    "password": "secret words",
                    field: f"nina{NUL}" if field != "email" else "ni\x00na@test.example",
                },
                [field],
            )
            for field in ("email", "name", "password")
        ),
        (
            "admin",
            "createApiToken",
            "token",
            lambda s, a: {"userId": a.clerk_a.gid, "name": NUL},
            ["name"],
        ),
    ]
    return cases


NUL_CASES = nul_cases()


@pytest.mark.parametrize(
    ("role", "name", "result", "make_input", "field"),
    NUL_CASES,
    ids=[f"{case[1]}.{'.'.join(case[4])}" for case in NUL_CASES],
)
async def test_nul_in_any_text_input_is_a_user_error_and_changes_nothing(
    client, actors: Actors, scene: Scene, role, name, result, make_input, field
):
    before = await stored_rows()

    payload = await mutation(
        client, getattr(actors, role), name, make_input(scene, actors), f"{result} {{ id }}"
    )

    assert payload[result] is None
    assert [(e["code"], e["field"]) for e in payload["userErrors"]] == [(INVALID_NUL[0], field)]
    assert INVALID_NUL[1] in payload["userErrors"][0]["message"]
    assert await stored_rows() == before


async def test_nul_in_a_literal_string_argument_is_a_user_error(client, actors: Actors):
    """The same through a literal in the document ("\\u0000"), not a variable."""
    query = (
        'mutation { createCampaign(input: {name: "Fair\\u0000"}) { userErrors { code field } } }'
    )

    response = await post(client, actors.manager, query)

    assert data_of(response.json())["createCampaign"]["userErrors"] == [
        {"code": "INVALID", "field": ["name"]}
    ]
    assert await campaign_count(client, actors.manager) == 0


@pytest.mark.parametrize(
    ("query", "variables", "message"),
    [
        (
            "query($f: LeadFilter) { leads(filter: $f) { totalCount } }",
            {"f": {"search": NUL}},
            "contains a NUL character",
        ),
        (
            "query($f: LeadFilter) { leadCounts(filter: $f) { new } }",
            {"f": {"search": NUL}},
            "contains a NUL character",
        ),
        (
            "query($a: String) { leads(after: $a) { totalCount } }",
            {"a": "Y3Vyc29yOjE\x00"},
            "not a valid cursor",
        ),
        (
            "query($a: String) { agingLeads(kind: NEW, olderThanDays: 1, after: $a) "
            "{ totalCount } }",
            {"a": encode_cursor(1) + "\x00"},
            "not a valid cursor",
        ),
        ("query($id: ID!) { lead(id: $id) { id } }", {"id": "TGVhZDox\x00"}, "not a valid ID"),
    ],
)
@pytest.mark.parametrize("role", ["manager", "clerk_a"])
async def test_nul_in_a_query_argument_is_bad_input(
    client, actors: Actors, scene: Scene, query: str, variables: dict, message: str, role: str
):
    response = await post(client, getattr(actors, role), query, variables)

    assert response.status_code == 200
    body = response.json()
    assert error_codes(body) == ["BAD_USER_INPUT"]
    assert message in body["errors"][0]["message"]


@pytest.mark.parametrize(
    "credentials",
    [
        {"email": "a\x00@x.test", "password": "secret words"},
        {"email": "clerk.a@test.example\x00", "password": "secret words"},
        {"email": "clerk.a@test.example", "password": "secret\x00 words"},
    ],
)
async def test_nul_in_a_login_is_a_failed_login(
    client, actors: Actors, credentials: dict[str, str]
):
    await set_password(OPERATOR, actors.clerk_a.user, "secret words")
    sessions = await LoginSession.all().count()

    response = await client.post(
        "/auth/login",
        content=json.dumps(credentials),
        headers={"Content-Type": "application/json", CSRF_HEADER: "1"},
    )

    assert response.status_code == 401
    assert response.json()["error"] == {
        "code": "INVALID_CREDENTIALS",
        "message": "Wrong email or password.",
    }
    assert await LoginSession.all().count() == sessions
    # Counted against the address as given (escaped): throttling sees it like any failure.
    failures = await LoginFailure.all().values_list("email", flat=True)
    assert failures == [credentials["email"].lower().replace("\x00", "\\x00")]


def test_nul_in_a_login_over_http_is_a_json_401_and_the_server_keeps_serving(
    tmp_path: Path, database_url: str
):
    """A real `leadflow serve` on each database: the review saw PostgreSQL answer a plain-text
    500 and reset the connection."""
    with live_server(tmp_path, LEADFLOW_DATABASE_URL=database_url) as server:
        with httpx.Client(base_url=server.url, timeout=10) as http:
            headers = {"Content-Type": "application/json", CSRF_HEADER: "1"}
            refused = http.post(
                "/auth/login",
                content=json.dumps({"email": "a\u0000@x.test", "password": "x"}),
                headers=headers,
            )
            # The same connection still serves: a wrong and a right login after it.
            wrong = http.post(
                "/auth/login",
                json={"email": MANAGER_EMAIL, "password": "wrong password"},
                headers=headers,
            )
            right = http.post(
                "/auth/login",
                json={"email": MANAGER_EMAIL, "password": "live-password-1"},
                headers=headers,
            )
        log = server.log()

    assert refused.status_code == 401, refused.text
    assert refused.headers["content-type"] == "application/json"
    assert refused.json()["error"]["code"] == "INVALID_CREDENTIALS"
    assert wrong.status_code == 401
    assert right.status_code == 200, right.text
    assert "Traceback" not in log


async def test_rows_with_nul_in_an_import_are_row_issues(actors: Actors, tmp_path: Path):
    """`leadflow import` on PostgreSQL: a rejected row keeps its values, and JSON there cannot
    hold NUL; nor can the header (kept with the import) or the file name."""
    await campaigns.create_campaign(actors.manager.user, "Fair")
    source = tmp_path / "fair.csv"
    source.write_text(
        "Vorname;Nachname;Telefon;No\x00tiz\n"
        "An\x00na;Berg;0301;\n"
        "Ben;Stein;0302;x\x00y\n"
        "Carl;Lang;0303;;x\x00y\n",
        encoding="utf-8",
    )

    report = await imports.import_by_name(
        actors.manager.user, "Fair", imports.ImportFile(source, "fair\x00.csv")
    )

    assert (report.counts.leads_created, report.counts.rows_rejected) == (1, 2)
    issues = await imports.import_issues(report.import_id)
    assert [(issue.row_number, issue.code, issue.field) for issue in issues] == [
        (2, ImportIssueCode.INVALID, "firstName"),
        (4, ImportIssueCode.TOO_MANY_FIELDS, ""),
    ]
    assert "contains a NUL character" in issues[0].message
    assert issues[0].values == ("An\\x00na", "Berg", "0301", "")
    stored = await LeadImport.get(id=report.import_id)
    assert (stored.file_name, stored.header[3]) == ("fair\\x00.csv", "No\\x00tiz")


async def test_nul_in_an_import_mapping_is_refused(actors: Actors, tmp_path: Path):
    await campaigns.create_campaign(actors.manager.user, "Fair")
    source = tmp_path / "fair.csv"
    source.write_text("Nachname;Telefon\nBerg;0301\n", encoding="utf-8")

    with pytest.raises(DomainError) as refused:
        mapping = {"Tele\x00fon": "phone"}
        await imports.import_by_name(
            actors.manager.user, "Fair", imports.ImportFile(source, mapping=mapping)
        )

    assert (refused.value.code, refused.value.field) == (ErrorCode.INVALID, ("mapping",))
    assert await LeadImport.all().count() == 0


# Report periods beyond the calendar in UTC: each argument is named with the range.
OUT_OF_RANGE_REPORTS = [
    (
        'campaignReports(from: "0001-01-01T00:00:00+10:00", to: "9999-12-31T23:59:59-10:00") '
        "{ total }",
        "from",
    ),
    ('campaignReports(to: "9999-12-31T23:59:59-10:00") { total }', "to"),
    ('clerkReports(from: "9999-12-31T23:59:59-14:00") { openLeads }', "from"),
    ('clerkReports(to: "0001-01-01T00:00:00+00:01") { openLeads }', "to"),
    (
        'leadTimeSeries(interval: WEEK, from: "0001-01-01T00:00:00+14:00", '
        'to: "0001-03-01T00:00:00Z") { start }',
        "from",
    ),
    (
        'leadTimeSeries(interval: DAY, from: "9999-12-30T00:00:00Z", '
        'to: "9999-12-31T23:59:59-14:00") { start }',
        "to",
    ),
]


@pytest.mark.parametrize(("selection", "argument"), OUT_OF_RANGE_REPORTS)
@pytest.mark.parametrize("role", ["manager", "clerk_a"])
async def test_report_periods_beyond_the_calendar_are_bad_input(
    client, actors: Actors, scene: Scene, selection: str, argument: str, role: str
):
    before = await stored_rows()

    response = await post(client, getattr(actors, role), f"{{ {selection} }}")

    assert response.status_code == 200
    body = response.json()
    assert error_codes(body) == ["BAD_USER_INPUT"], body
    message = body["errors"][0]["message"]
    assert message.startswith(f"'{argument}' {REPORT_RANGE}"), message
    assert await stored_rows() == before


@pytest.mark.parametrize(
    "period",
    [
        {"from": "0001-01-01T00:00:00Z", "to": "9999-12-31T23:59:59.999999Z"},
        {"from": "0001-01-01T00:00:00-14:00"},
        {"to": "9999-12-31T23:59:59+14:00"},
    ],
)
@pytest.mark.parametrize("role", ["manager", "clerk_a"])
async def test_report_periods_at_the_ends_of_the_calendar_count_everything(
    client, actors: Actors, scene: Scene, period: dict[str, str], role: str
):
    """Within the calendar in UTC the extremes just work, and exactly: a period from the first
    to the last moment counts what no period counts (managers' figures come from the rollups
    and the partial last day, a clerk's from the leads)."""
    query = """query($from: DateTime, $to: DateTime) {
      campaignReports(from: $from, to: $to) { total new active done successful }
      clerkReports(from: $from, to: $to) { clerk { name } closedInPeriod successfulInPeriod }
    }"""
    actor = getattr(actors, role)
    unbounded = data_of((await post(client, actor, query)).json())

    bounded = data_of((await post(client, actor, query, period)).json())

    assert bounded == unbounded
    assert unbounded["campaignReports"][0]["total"] == (3 if role == "manager" else 2)


@pytest.mark.parametrize("start", ["9999-12-31T12:00:00Z", "9999-12-31T23:59:59.999999Z"])
async def test_a_period_starting_on_the_last_day_of_the_calendar_is_empty(
    client, actors: Actors, scene: Scene, start: str
):
    """No midnight follows 9999-12-31: the rollups' whole days end before it."""
    query = """query($from: DateTime) {
      campaignReports(from: $from) { total }
      clerkReports(from: $from) { closedInPeriod }
    }"""

    data = data_of((await post(client, actors.manager, query, {"from": start})).json())

    assert [report["total"] for report in data["campaignReports"]] == [0]
    assert {report["closedInPeriod"] for report in data["clerkReports"]} == {0}


async def test_a_time_series_at_the_end_of_the_calendar(client, actors: Actors, scene: Scene):
    query = """{ leadTimeSeries(interval: WEEK, from: "9999-12-20T00:00:00Z",
      to: "9999-12-31T23:59:59.999999Z") { start created } }"""

    data = data_of((await post(client, actors.manager, query)).json())

    assert data["leadTimeSeries"] == [
        {"start": "9999-12-20", "created": 0},
        {"start": "9999-12-27", "created": 0},
    ]


AGING = """query($after: String) {
  agingLeads(kind: NEW, olderThanDays: 1, after: $after) { totalCount edges { node { id } } }
}"""


@pytest.mark.parametrize(
    "sort_value",
    [
        "9999-12-31T23:59:59-14:00",
        "9999-12-31T23:59:59.999999-00:01",
        "0001-01-01T00:00:00+14:00",
    ],
)
async def test_an_aging_cursor_beyond_the_calendar_is_bad_input(
    client, actors: Actors, sort_value: str
):
    cursor = base64.b64encode(f"cursor:5@{sort_value}".encode()).decode()

    response = await post(client, actors.manager, AGING, {"after": cursor})

    body = response.json()
    assert error_codes(body) == ["BAD_USER_INPUT"], body
    assert "not a valid cursor" in body["errors"][0]["message"]
    assert body["errors"][0]["path"] == ["agingLeads"]


async def test_aging_cursors_at_the_ends_of_the_calendar_page_exactly(
    client, actors: Actors, scene: Scene
):
    """A NEW lead created long ago (rewritten in the database): a cursor at the calendar's
    first moment lists it, one at its last moment lists nothing after it."""
    old = datetime(2020, 1, 1, tzinfo=UTC)
    await Lead.filter(id=pk_of(scene.new_lead_id)).update(created_at=old)

    def cursor(sort_value: str) -> str:
        return base64.b64encode(f"cursor:1@{sort_value}".encode()).decode()

    first = await post(client, actors.manager, AGING, {"after": cursor("0001-01-01T00:00:00Z")})
    last = await post(
        client, actors.manager, AGING, {"after": cursor("9999-12-31T23:59:59.999999+00:00")}
    )
    offset = await post(
        client, actors.manager, AGING, {"after": cursor("0001-01-01T00:00:00-14:00")}
    )

    ids = [edge["node"]["id"] for edge in data_of(first.json())["agingLeads"]["edges"]]
    assert ids == [scene.new_lead_id]
    assert data_of(last.json())["agingLeads"]["edges"] == []
    assert (
        data_of(offset.json())["agingLeads"]["edges"]
        == data_of(first.json())["agingLeads"]["edges"]
    )


@pytest.mark.parametrize("as_variable", [False, True])
async def test_a_date_time_that_overflows_while_parsed_is_a_request_error(
    client, actors: Actors, as_variable: bool
):
    """ISO 8601's T24:00 is the next midnight: on 9999-12-31 there is none (isoparse raised
    OverflowError, which a literal argument turned into a server error)."""
    if as_variable:
        query, variables = (
            "query($f: DateTime) { campaignReports(from: $f) { total } }",
            {"f": "9999-12-31T24:00:00Z"},
        )
    else:
        query, variables = '{ campaignReports(from: "9999-12-31T24:00:00Z") { total } }', {}

    response = await post(client, actors.manager, query, variables)

    assert response.status_code < 500
    body = response.json()
    assert "INTERNAL_SERVER_ERROR" not in error_codes(body)
    assert "Value cannot represent a DateTime" in body["errors"][0]["message"]


async def test_campaign_dates_at_the_ends_of_the_calendar_are_stored(client, actors: Actors):
    payload = await mutation(
        client,
        actors.manager,
        "createCampaign",
        {"name": "Forever", "startsOn": "0001-01-01", "endsOn": "9999-12-31"},
        "campaign { startsOn endsOn }",
    )

    assert payload == {
        "campaign": {"startsOn": "0001-01-01", "endsOn": "9999-12-31"},
        "userErrors": [],
    }
