"""The endpoint answers, authenticates and reports the viewer."""

from tests.helpers import data_of, error_codes, gql


async def test_healthz_reports_database(client):
    response = await client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok", "database": "ok"}


async def test_viewer_requires_a_token(client, actors):
    body = await gql(client, "{ viewer { name } }")
    assert error_codes(body) == ["UNAUTHENTICATED"]


async def test_viewer_with_token(client, actors):
    body = await gql(client, "{ viewer { name role } }", actor=actors.clerk_a)
    assert data_of(body)["viewer"] == {"name": "Clara Clerk", "role": "CLERK"}


async def test_unknown_token_is_refused(client, actors):
    response = await client.post(
        "/graphql",
        json={"query": "{ viewer { name } }"},
        headers={"Authorization": "Bearer lf_nope"},
    )
    assert response.json()["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"
