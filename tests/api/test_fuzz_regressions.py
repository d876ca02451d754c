"""Regression tests for the server errors the schema fuzzing (test_fuzz.py) found."""

from __future__ import annotations

import json
from typing import Any

import httpx
import pytest

from leadflow.auth.csrf import CSRF_HEADER
from leadflow.services.accounts import set_password
from leadflow.services.errors import DomainError, ErrorCode
from tests.helpers import Actor, Actors, data_of, error_codes

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
        await set_password(None, actors.clerk_a.user, "secret \ud800 words")

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
    await set_password(None, actors.clerk_a.user, "secret words")

    response = await client.post(
        "/auth/login",
        content=json.dumps(credentials),
        headers={"Content-Type": "application/json", CSRF_HEADER: "1"},
    )

    assert response.status_code == 401
    assert response.json()["error"]["message"] == "Wrong email or password."


# Open: the /graphql endpoint (api/http.py, json_response) encodes its answer with
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
