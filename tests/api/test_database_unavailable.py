"""A database that cannot be reached answers 503 with Retry-After and code UNAVAILABLE, never
500: when the token lookup fails, when a query's statement fails, on the other routes; and
the app recovers by itself once the database is back. PostgreSQL, through a proxy the test
cuts (tests/db_proxy.py), as a restart looks to the app: connections closed, then refused."""

from __future__ import annotations

from collections.abc import AsyncIterator

import asyncpg
import httpx
import pytest
import pytest_asyncio
from starlette.applications import Starlette
from tortoise.backends.base.executor import EXECUTOR_CACHE

from leadflow.app import create_app
from leadflow.db.availability import database_unavailable
from leadflow.db.deadline import StatementDeadlineExceeded
from leadflow.db.enums import Role
from leadflow.settings import Settings
from tests.db_proxy import DatabaseProxy
from tests.helpers import Actor, make_actor

LEADS = "{ leads(first: 5) { totalCount edges { node { id } } } }"
ME = "{ viewer { email } }"


@pytest_asyncio.fixture
async def proxied_app(database_proxy: DatabaseProxy) -> AsyncIterator[Starlette]:
    EXECUTOR_CACHE.clear()
    application = create_app(Settings(database_url=database_proxy.url, request_timeout_seconds=10))
    async with application.router.lifespan_context(application):
        yield application


@pytest_asyncio.fixture
async def http(proxied_app: Starlette) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=proxied_app)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
        yield client


@pytest_asyncio.fixture
async def manager(proxied_app: Starlette) -> Actor:
    return await make_actor("manager@test.example", "Mona Manager", Role.MANAGER)


async def _post(http: httpx.AsyncClient, query: str, token: str) -> httpx.Response:
    return await http.post(
        "/graphql", json={"query": query}, headers={"Authorization": f"Bearer {token}"}
    )


def _assert_unavailable(response: httpx.Response) -> None:
    assert response.status_code == 503, response.text
    assert response.headers["retry-after"] == "1"
    codes = [error["extensions"]["code"] for error in response.json()["errors"]]
    assert "UNAVAILABLE" in codes and "INTERNAL_SERVER_ERROR" not in codes
    assert "Idempotency-Key" in response.json()["errors"][0]["message"]


async def test_the_token_lookup_answers_503_while_the_database_is_away(
    http: httpx.AsyncClient, database_proxy: DatabaseProxy, manager: Actor
):
    assert (await _post(http, ME, manager.token)).status_code == 200
    await database_proxy.cut()
    # A token this process never looked up: the lookup needs the database.
    _assert_unavailable(await _post(http, ME, "lf_" + "x" * 40))
    _assert_unavailable(await _post(http, ME, manager.token))
    await database_proxy.restore()
    response = await _post(http, ME, manager.token)
    assert response.status_code == 200
    assert response.json() == {"data": {"viewer": {"email": "manager@test.example"}}}


async def test_a_query_whose_statement_fails_answers_503(
    http: httpx.AsyncClient, database_proxy: DatabaseProxy, manager: Actor
):
    # The token is looked up, then the connection goes while the page's statement is sent.
    database_proxy.cut_when_sent(b'"leads"')
    _assert_unavailable(await _post(http, LEADS, manager.token))
    await database_proxy.restore()
    response = await _post(http, LEADS, manager.token)
    assert response.status_code == 200, response.text
    assert response.json()["data"]["leads"]["totalCount"] == 0


async def test_a_mutation_whose_write_fails_answers_503_and_changes_nothing(
    http: httpx.AsyncClient, database_proxy: DatabaseProxy, manager: Actor
):
    create = (
        'mutation { createCampaign(input: {name: "Herbst"}) '
        "{ campaign { name } userErrors { code } } }"
    )
    database_proxy.cut_when_sent(b'INSERT INTO "campaigns"')
    _assert_unavailable(await _post(http, create, manager.token))
    await database_proxy.restore()
    listed = await _post(http, "{ campaigns(first: 10) { totalCount } }", manager.token)
    assert listed.json() == {"data": {"campaigns": {"totalCount": 0}}}
    created = await _post(http, create, manager.token)
    assert created.json()["data"]["createCampaign"]["campaign"] == {"name": "Herbst"}


async def test_other_routes_answer_503_in_their_error_shape(
    http: httpx.AsyncClient, database_proxy: DatabaseProxy, manager: Actor
):
    await database_proxy.cut()
    login = await http.post(
        "/auth/login", json={"email": "manager@test.example", "password": "whatever-it-is"}
    )
    assert login.status_code == 503, login.text
    assert login.headers["retry-after"] == "1"
    assert login.json()["error"]["code"] == "UNAVAILABLE"
    files = await http.get(
        "/files/exports/leads.csv", headers={"Authorization": f"Bearer {manager.token}"}
    )
    assert files.status_code == 503, files.text
    assert files.json()["error"]["code"] == "UNAVAILABLE"


@pytest.mark.parametrize(
    ("error", "unavailable"),
    [
        (ConnectionRefusedError(111, "Connect call failed ('127.0.0.1', 5432)"), True),
        (ConnectionResetError(104, "Connection reset by peer"), True),
        (OSError("Multiple exceptions: [Errno 111] Connect call failed ('::1', 5432)"), True),
        (asyncpg.CannotConnectNowError("the database system is shutting down"), True),
        (asyncpg.AdminShutdownError("terminating connection due to administrator command"), True),
        (asyncpg.ConnectionDoesNotExistError("connection was closed in the middle"), True),
        (asyncpg.TooManyConnectionsError("sorry, too many clients already"), True),
        (asyncpg.InterfaceError("cannot perform operation: connection is closed"), True),
        (
            asyncpg.InterfaceError("cannot perform operation: another operation is in progress"),
            False,
        ),
        (
            asyncpg.exceptions._base.InternalClientError(
                "cannot switch to state 12; another operation (2) is in progress"
            ),
            True,
        ),
        (asyncpg.QueryCanceledError("canceling statement due to statement timeout"), False),
        (asyncpg.UniqueViolationError("duplicate key value"), False),
        (StatementDeadlineExceeded("The request ran out of time."), False),
        (FileNotFoundError(2, "No such file"), False),
        (ValueError("connection is closed"), False),
    ],
)
def test_which_failures_mean_the_database_is_away(error: BaseException, unavailable: bool):
    assert database_unavailable(error) is unavailable


def test_a_failure_raised_from_a_lost_connection_counts():
    try:
        try:
            raise ConnectionResetError(104, "Connection reset by peer")
        except ConnectionResetError:
            raise RuntimeError("rollback failed") from None
    except RuntimeError as error:
        # `from None` hides the cause from tracebacks, not from __context__.
        assert database_unavailable(error)
