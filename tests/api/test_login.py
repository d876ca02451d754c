"""Browser logins over the real HTTP endpoints: POST /auth/login and /auth/logout, the session
cookie and what it unlocks in /graphql, throttling of failed logins, the end of sessions and
tokens (logout, deactivation, new password, expiry), and the audit log of all of it."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from datetime import timedelta
from typing import Any

import httpx
import pytest
import pytest_asyncio
from argon2 import PasswordHasher, profiles
from starlette.applications import Starlette

from leadflow.api.ids import encode_id
from leadflow.app import create_app
from leadflow.auth.actors import OPERATOR
from leadflow.auth.sessions import SESSION_COOKIE, open_session
from leadflow.db.enums import Role
from leadflow.db.models import Campaign, LoginSession, User
from leadflow.services import accounts
from leadflow.settings import Settings
from tests.helpers import Actor, Actors, data_of, error_codes, gql, make_actor, mutate_ok

PASSWORD = "correct-horse-battery"
# One hash for every user with a password, at argon2's cheapest like every hash in the tests
# (see tests/conftest.py): each login checks it, at the production cost 0.1-0.5 s a time.
PASSWORD_HASH = PasswordHasher.from_parameters(profiles.CHEAPEST).hash(PASSWORD)
HOME = "203.0.113.7"  # the address the tests log in from
ELSEWHERE = "198.51.100.9"
VIEWER = "{ viewer { email role } }"
AUDIT_QUERY = """query($first: Int) { auditLog(first: $first) {
  edges { node { action detail address at actor { email } } } } }"""


# --- helpers -------------------------------------------------------------------------------------


@pytest_asyncio.fixture
async def users(actors: Actors) -> Actors:
    """The actors, all with the password PASSWORD (the deactivated clerk too)."""
    await User.filter(id__not=actors.partner.user.id).update(password_hash=PASSWORD_HASH)
    return actors


def client_from(app: Starlette, address: str = HOME, base_url: str = "http://testserver"):
    """An HTTP client that reaches the app from the given network address."""
    transport = httpx.ASGITransport(app=app, client=(address, 50123))
    return httpx.AsyncClient(transport=transport, base_url=base_url)


@pytest_asyncio.fixture
async def web(app: Starlette) -> AsyncIterator[httpx.AsyncClient]:
    async with client_from(app) as http:
        yield http


async def log_in(
    http: httpx.AsyncClient, email: str, password: str = PASSWORD, **headers: str
) -> httpx.Response:
    response = await http.post(
        "/auth/login", json={"email": email, "password": password}, headers=headers
    )
    # Every test sends the cookie explicitly; the client's jar must not add it behind our back.
    http.cookies.clear()
    return response


def session_cookie(response: httpx.Response) -> tuple[str, dict[str, str]]:
    """The session cookie's value and its attributes (lower-case names) from Set-Cookie."""
    headers = [
        header
        for header in response.headers.get_list("set-cookie")
        if header.startswith(f"{SESSION_COOKIE}=")
    ]
    assert len(headers) == 1, response.headers
    name_value, *attributes = (part.strip() for part in headers[0].split(";"))
    parsed = {}
    for attribute in attributes:
        key, _, value = attribute.partition("=")
        parsed[key.lower()] = value
    return name_value.partition("=")[2].strip('"'), parsed


async def logged_in(http: httpx.AsyncClient, email: str, password: str = PASSWORD) -> str:
    """Log in and return the session secret."""
    response = await log_in(http, email, password)
    assert response.status_code == 200, response.text
    return session_cookie(response)[0]


async def with_cookie(
    http: httpx.AsyncClient,
    query: str,
    secret: str,
    variables: dict[str, Any] | None = None,
    *,
    csrf: bool = True,
) -> httpx.Response:
    headers = {"Cookie": f"{SESSION_COOKIE}={secret}"}
    if csrf:
        headers["X-Leadflow-CSRF"] = "1"
    return await http.post(
        "/graphql", json={"query": query, "variables": variables or {}}, headers=headers
    )


async def viewer_by_cookie(http: httpx.AsyncClient, secret: str) -> dict[str, Any]:
    """The whole response body of `{ viewer { email role } }` with the session cookie."""
    response = await with_cookie(http, VIEWER, secret)
    assert response.status_code in (200, 401), response.text
    return response.json()


async def assert_session_works(http: httpx.AsyncClient, secret: str, email: str) -> None:
    body = await viewer_by_cookie(http, secret)
    assert data_of(body)["viewer"]["email"] == email


async def assert_session_refused(http: httpx.AsyncClient, secret: str) -> None:
    body = await viewer_by_cookie(http, secret)
    assert body.get("data") is None, body
    assert error_codes(body) == ["UNAUTHENTICATED"]


async def assert_token_refused(http: httpx.AsyncClient, actor: Actor) -> None:
    body = await gql(http, VIEWER, actor=actor)
    assert body.get("data") is None, body
    assert error_codes(body) == ["UNAUTHENTICATED"]


async def audit_log(http: httpx.AsyncClient, admin: Actor) -> list[dict[str, Any]]:
    """The audit log, newest first."""
    body = await gql(http, AUDIT_QUERY, {"first": 100}, actor=admin)
    return [edge["node"] for edge in data_of(body)["auditLog"]["edges"]]


def entries(log: list[dict[str, Any]], action: str) -> list[dict[str, Any]]:
    return [entry for entry in log if entry["action"] == action]


# --- the request format --------------------------------------------------------------------------


@pytest.mark.parametrize(
    "content_type, body",
    [
        ("application/x-www-form-urlencoded", "email=clara.a%40test.example&password=x"),
        ("multipart/form-data; boundary=x", "--x--"),
        ("text/plain", json.dumps({"email": "clerk.a@test.example", "password": PASSWORD})),
        (
            "Application/JSONP",
            json.dumps({"email": "clerk.a@test.example", "password": PASSWORD}),
        ),
        (None, json.dumps({"email": "clerk.a@test.example", "password": PASSWORD})),
    ],
)
async def test_login_takes_json_only(web, users: Actors, content_type: str | None, body: str):
    headers = {"Content-Type": content_type} if content_type else {}
    response = await web.post("/auth/login", content=body.encode(), headers=headers)
    assert response.status_code == 415, response.text
    assert response.json()["error"]["code"] == "UNSUPPORTED_MEDIA_TYPE"
    assert "set-cookie" not in response.headers
    assert await LoginSession.all().count() == 0


@pytest.mark.parametrize(
    "content_type",
    [
        "application/json; charset=utf-8",
        # Media types are case-insensitive (RFC 9110, 8.3.1).
        "Application/JSON",
        "APPLICATION/JSON; charset=UTF-8",
        " application/Json ;charset=utf-8",
    ],
)
async def test_login_accepts_json_with_a_charset_and_in_any_case(
    web, users: Actors, content_type: str
):
    body = json.dumps({"email": "clerk.a@test.example", "password": PASSWORD})
    response = await web.post(
        "/auth/login", content=body.encode(), headers={"Content-Type": content_type}
    )
    assert response.status_code == 200, response.text
    assert response.json()["user"]["email"] == "clerk.a@test.example"
    secret, _ = session_cookie(response)
    await assert_session_works(web, secret, "clerk.a@test.example")


@pytest.mark.parametrize(
    "body",
    [
        b"",
        b"{",
        b'{"email": "clerk.a@test.example", "password": ',
        b"\xff\xfe not utf-8",
        b"[]",
        b'"clerk.a@test.example"',
        b"null",
        json.dumps({"email": "clerk.a@test.example"}).encode(),
        json.dumps({"password": PASSWORD}).encode(),
        json.dumps({"email": 42, "password": PASSWORD}).encode(),
        json.dumps({"email": "clerk.a@test.example", "password": None}).encode(),
        json.dumps({"email": ["clerk.a@test.example"], "password": PASSWORD}).encode(),
        json.dumps({"email": "clerk.a@test.example", "password": 12345678}).encode(),
        json.dumps({"email": "clerk.a@test.example", "password": "x" * 1025}).encode(),
    ],
)
async def test_malformed_login_requests_are_bad_requests(web, users: Actors, body: bytes):
    response = await web.post(
        "/auth/login", content=body, headers={"Content-Type": "application/json"}
    )
    assert response.status_code == 400, response.text
    assert response.json()["error"]["code"] == "BAD_REQUEST"
    assert "set-cookie" not in response.headers
    assert await LoginSession.all().count() == 0


# --- refusals look alike -------------------------------------------------------------------------


async def test_failed_logins_answer_the_same_whatever_was_wrong(web, users: Actors):
    await make_actor("nopass@test.example", "Nora Nopass", Role.CLERK)  # has no password
    attempts = {
        "unknown email": ("nobody@test.example", PASSWORD),
        "wrong password": ("clerk.a@test.example", PASSWORD + "!"),
        "empty password": ("clerk.a@test.example", ""),
        "deactivated user": ("gone@test.example", PASSWORD),
        "user without password": ("nopass@test.example", PASSWORD),
        "user without password, empty": ("nopass@test.example", ""),
        "partner without password": ("partner@test.example", PASSWORD),
    }
    answers = {}
    for case, (email, password) in attempts.items():
        response = await log_in(web, email, password)
        assert response.status_code == 401, (case, response.text)
        assert "set-cookie" not in response.headers, case
        answers[case] = (response.headers["content-type"], response.content)
    assert len(set(answers.values())) == 1, answers
    assert json.loads(next(iter(answers.values()))[1]) == {
        "error": {"code": "INVALID_CREDENTIALS", "message": "Wrong email or password."}
    }
    assert await LoginSession.all().count() == 0


# --- a successful login --------------------------------------------------------------------------


async def test_login_sets_a_session_cookie_that_authenticates_graphql(web, users: Actors):
    response = await log_in(web, "clerk.a@test.example")
    assert response.status_code == 200, response.text
    assert response.json() == {
        "user": {"name": "Clara Clerk", "email": "clerk.a@test.example", "role": "CLERK"}
    }
    secret, attributes = session_cookie(response)
    assert secret.startswith("lfs_") and len(secret) > 40
    assert "httponly" in attributes
    assert attributes["samesite"].lower() == "lax"
    assert attributes["path"] == "/"
    assert attributes["max-age"] == str(12 * 3600)
    assert "secure" not in attributes  # plain HTTP, no proxy says otherwise
    # Only a digest is stored.
    session = await LoginSession.get(user_id=users.clerk_a.user.id)
    assert secret not in (session.digest, session.address, session.user_agent)
    assert session.address == HOME

    body = await viewer_by_cookie(web, secret)
    assert data_of(body) == {"viewer": {"email": "clerk.a@test.example", "role": "CLERK"}}
    # The session is clerk A's: a clerk's view, not a manager's.
    response = await with_cookie(web, "{ myTasks { totalCount } users { name } }", secret)
    assert data_of(response.json())["myTasks"] == {"totalCount": 0}
    # Without the cookie, nobody is logged in.
    body = await gql(web, VIEWER)
    assert error_codes(body) == ["UNAUTHENTICATED"]
    # A made-up session secret is nobody.
    await assert_session_refused(web, "lfs_" + "x" * 43)


@pytest.mark.parametrize(
    "email", ["CLERK.A@TEST.EXAMPLE", "Clerk.A@Test.Example", "  clerk.a@test.example "]
)
async def test_login_email_is_case_insensitive(web, users: Actors, email: str):
    secret = await logged_in(web, email)
    await assert_session_works(web, secret, "clerk.a@test.example")


async def test_each_login_is_its_own_session(web, users: Actors):
    first = await logged_in(web, "clerk.a@test.example")
    second = await logged_in(web, "clerk.a@test.example")
    assert first != second
    await assert_session_works(web, first, "clerk.a@test.example")
    await assert_session_works(web, second, "clerk.a@test.example")


async def test_cookie_is_secure_when_configured_or_behind_https(app, users: Actors):
    settings = Settings.from_env(
        {"LEADFLOW_DATABASE_URL": "sqlite://unused.db", "LEADFLOW_COOKIE_SECURE": "1"}
    )
    # The ORM is already running (the `app` fixture); these apps only answer requests.
    forced = create_app(settings)
    async with client_from(forced) as http:
        _, attributes = session_cookie(await log_in(http, "clerk.a@test.example"))
        assert "secure" in attributes
        assert "httponly" in attributes

    # X-Forwarded-Proto counts only from a proxy named in LEADFLOW_FORWARDED_ALLOW_IPS.
    async with client_from(app) as http:
        response = await log_in(http, "clerk.a@test.example", **{"X-Forwarded-Proto": "https"})
        assert "secure" not in session_cookie(response)[1]
    behind_proxy = create_app(
        Settings.from_env(
            {
                "LEADFLOW_DATABASE_URL": "sqlite://unused.db",
                "LEADFLOW_FORWARDED_ALLOW_IPS": HOME,
            }
        )
    )
    async with client_from(behind_proxy) as http:
        response = await log_in(http, "clerk.a@test.example", **{"X-Forwarded-Proto": "https"})
        assert "secure" in session_cookie(response)[1]
        response = await log_in(http, "clerk.a@test.example", **{"X-Forwarded-Proto": "http"})
        assert "secure" not in session_cookie(response)[1]
    async with client_from(app, base_url="https://testserver") as http:
        assert "secure" in session_cookie(await log_in(http, "clerk.a@test.example"))[1]

    never = create_app(
        Settings.from_env(
            {"LEADFLOW_DATABASE_URL": "sqlite://unused.db", "LEADFLOW_COOKIE_SECURE": "0"}
        )
    )
    async with client_from(never) as http:
        response = await log_in(http, "clerk.a@test.example", **{"X-Forwarded-Proto": "https"})
        assert "secure" not in session_cookie(response)[1]


async def test_session_lifetime_is_configurable(app, users: Actors):
    short = create_app(
        Settings.from_env(
            {"LEADFLOW_DATABASE_URL": "sqlite://unused.db", "LEADFLOW_SESSION_HOURS": "0.5"}
        )
    )
    async with client_from(short) as http:
        _, attributes = session_cookie(await log_in(http, "clerk.a@test.example"))
    assert attributes["max-age"] == "1800"
    session = await LoginSession.get(user_id=users.clerk_a.user.id)
    lifetime = session.expires_at - session.created_at
    assert timedelta(minutes=29) < lifetime <= timedelta(minutes=30)


# --- throttling ----------------------------------------------------------------------------------


def assert_throttled(response: httpx.Response) -> int:
    assert response.status_code == 429, response.text
    assert response.json()["error"]["code"] == "TOO_MANY_ATTEMPTS"
    assert "set-cookie" not in response.headers
    retry_after = int(response.headers["retry-after"])
    assert 0 < retry_after <= 15 * 60
    return retry_after


async def test_sixth_failure_for_an_account_is_throttled(app, web, users: Actors):
    for _ in range(5):
        assert (await log_in(web, "clerk.a@test.example", "wrong password")).status_code == 401
    # Even the right password is not tried any more, from here or from anywhere else...
    assert_throttled(await log_in(web, "clerk.a@test.example"))
    assert_throttled(await log_in(web, "CLERK.A@test.example", "wrong password"))
    async with client_from(app, ELSEWHERE) as http:
        assert_throttled(await log_in(http, "clerk.a@test.example"))
    # ... while other accounts log in as usual from the same address.
    await logged_in(web, "clerk.b@test.example")
    assert await LoginSession.filter(user_id=users.clerk_a.user.id).count() == 0


async def test_failures_per_address_are_throttled_across_accounts(app, web, users: Actors):
    # Twenty different accounts, one failure each: no account reaches its own limit.
    for number in range(20):
        response = await log_in(web, f"guess{number}@test.example", "wrong password")
        assert response.status_code == 401, number
    assert_throttled(await log_in(web, "clerk.a@test.example"))
    assert_throttled(await log_in(web, "manager@test.example"))
    # The same accounts from another address are fine.
    async with client_from(app, ELSEWHERE) as http:
        await logged_in(http, "clerk.a@test.example")


async def test_a_successful_login_resets_the_accounts_failures(web, users: Actors):
    for _ in range(4):
        assert (await log_in(web, "clerk.a@test.example", "wrong")).status_code == 401
    await logged_in(web, "clerk.a@test.example")
    # Without the reset, the second of these would be the sixth failure in the window.
    for _ in range(4):
        assert (await log_in(web, "clerk.a@test.example", "wrong")).status_code == 401
    await logged_in(web, "clerk.a@test.example")


async def test_parallel_guesses_are_throttled_too(app, users: Actors):
    """Many wrong passwords sent at once get no more tries than sent one by one."""
    async with client_from(app) as http:
        responses = await asyncio.gather(
            *(log_in(http, "clerk.a@test.example", f"guess {n}") for n in range(12))
        )
    statuses = sorted(response.status_code for response in responses)
    assert statuses.count(401) <= 5, statuses
    assert set(statuses) <= {401, 429}, statuses


# --- the end of a session ------------------------------------------------------------------------


async def test_logout_needs_csrf_proof_and_ends_the_session(web, users: Actors):
    secret = await logged_in(web, "clerk.a@test.example")
    other = await logged_in(web, "clerk.a@test.example")
    cookie = {"Cookie": f"{SESSION_COOKIE}={secret}"}

    # A cross-site form could post here with the cookie attached; without the header it fails.
    response = await web.post("/auth/logout", headers=cookie)
    assert response.status_code == 403, response.text
    assert response.json()["error"]["code"] == "CSRF"
    response = await web.post("/auth/logout", headers={**cookie, "X-Leadflow-CSRF": "yes"})
    assert response.status_code == 403
    await assert_session_works(web, secret, "clerk.a@test.example")

    response = await web.post("/auth/logout", headers={**cookie, "X-Leadflow-CSRF": "1"})
    assert response.status_code == 204, response.text
    value, attributes = session_cookie(response)
    assert value == ""
    assert attributes.get("max-age") == "0" or "1970" in attributes.get("expires", "")
    await assert_session_refused(web, secret)
    # Logging out twice is harmless; the other session (another browser) lives on.
    response = await web.post("/auth/logout", headers={**cookie, "X-Leadflow-CSRF": "1"})
    assert response.status_code == 204
    await assert_session_works(web, other, "clerk.a@test.example")


async def test_logout_ends_the_cookies_session_even_beside_a_bearer_token(web, users: Actors):
    secret = await logged_in(web, "clerk.a@test.example")
    both = {
        "Cookie": f"{SESSION_COOKIE}={secret}",
        "Authorization": f"Bearer {users.clerk_b.token}",
    }
    response = await web.post("/auth/logout", headers=both)
    assert response.status_code == 403, response.text
    await assert_session_works(web, secret, "clerk.a@test.example")
    response = await web.post("/auth/logout", headers={**both, "X-Leadflow-CSRF": "1"})
    assert response.status_code == 204, response.text
    await assert_session_refused(web, secret)


async def test_logout_without_a_cookie_needs_no_csrf_proof(web, users: Actors):
    response = await web.post("/auth/logout")
    assert response.status_code == 204, response.text


async def test_deactivation_by_an_admin_ends_sessions_and_tokens_at_once(web, users: Actors):
    clerk = users.clerk_a
    secret = await logged_in(web, "clerk.a@test.example")
    await assert_session_works(web, secret, "clerk.a@test.example")
    body = await gql(
        web,
        """mutation($input: DeactivateUserInput!) { deactivateUser(input: $input) {
          user { email active } userErrors { code } } }""",
        {"input": {"userId": clerk.gid}},
        actor=users.admin,
    )
    assert data_of(body)["deactivateUser"] == {
        "user": {"email": "clerk.a@test.example", "active": False},
        "userErrors": [],
    }
    await assert_session_refused(web, secret)
    await assert_token_refused(web, clerk)
    assert (await log_in(web, "clerk.a@test.example")).status_code == 401


async def test_deactivation_through_the_service_ends_sessions_and_tokens(web, users: Actors):
    clerk = users.clerk_b
    secret = await logged_in(web, "clerk.b@test.example")
    await assert_session_works(web, secret, "clerk.b@test.example")
    await accounts.deactivate_user(OPERATOR, clerk.user.id)
    await assert_session_refused(web, secret)
    await assert_token_refused(web, clerk)
    assert await LoginSession.filter(user_id=clerk.user.id, revoked_at=None).count() == 0
    # Others are not affected.
    body = await gql(web, VIEWER, actor=users.clerk_a)
    assert data_of(body)["viewer"]["email"] == "clerk.a@test.example"


async def test_a_new_password_ends_the_sessions(web, users: Actors):
    clerk = users.clerk_a
    laptop = await logged_in(web, "clerk.a@test.example")
    phone = await logged_in(web, "clerk.a@test.example")
    other_user = await logged_in(web, "clerk.b@test.example")
    await accounts.set_password(OPERATOR, clerk.user, "a brand new password")
    await assert_session_refused(web, laptop)
    await assert_session_refused(web, phone)
    await assert_session_works(web, other_user, "clerk.b@test.example")
    assert (await log_in(web, "clerk.a@test.example")).status_code == 401
    fresh = await logged_in(web, "clerk.a@test.example", "a brand new password")
    await assert_session_works(web, fresh, "clerk.a@test.example")
    # API tokens are not tied to the password (deactivate or revoke them instead).
    body = await gql(web, VIEWER, actor=clerk)
    assert data_of(body)["viewer"]["email"] == "clerk.a@test.example"


async def test_an_expired_session_is_refused(web, users: Actors):
    _, secret = await open_session(users.clerk_a.user, lifetime=timedelta(seconds=1))
    await assert_session_works(web, secret, "clerk.a@test.example")
    await asyncio.sleep(1.2)
    await assert_session_refused(web, secret)
    _, already_over = await open_session(users.clerk_a.user, lifetime=timedelta(seconds=-1))
    await assert_session_refused(web, already_over)


async def test_a_bearer_token_wins_over_the_cookie(web, users: Actors):
    secret = await logged_in(web, "clerk.a@test.example")
    response = await web.post(
        "/graphql",
        json={"query": VIEWER},
        headers={
            "Cookie": f"{SESSION_COOKIE}={secret}",
            "Authorization": f"Bearer {users.manager.token}",
        },
    )
    assert data_of(response.json())["viewer"]["email"] == "manager@test.example"


# --- CSRF on /graphql ----------------------------------------------------------------------------

CREATE_CAMPAIGN = """mutation($input: CreateCampaignInput!) {
  createCampaign(input: $input) { campaign { name } userErrors { code } } }"""


async def test_cookie_mutation_on_graphql_needs_the_csrf_header(web, users: Actors):
    secret = await logged_in(web, "manager@test.example")
    variables = {"input": {"name": "Forged"}}
    response = await with_cookie(web, CREATE_CAMPAIGN, secret, variables, csrf=False)
    assert response.status_code == 403, response.text
    assert await Campaign.all().count() == 0
    # The SPA's own request (with the header) works.
    response = await with_cookie(web, CREATE_CAMPAIGN, secret, {"input": {"name": "Real"}})
    assert response.status_code == 200, response.text
    assert data_of(response.json())["createCampaign"] == {
        "campaign": {"name": "Real"},
        "userErrors": [],
    }
    # Bearer tokens carry no ambient credentials and need no header.
    body = await gql(web, CREATE_CAMPAIGN, {"input": {"name": "Token"}}, actor=users.manager)
    assert data_of(body)["createCampaign"]["userErrors"] == []
    assert sorted(await Campaign.all().values_list("name", flat=True)) == ["Real", "Token"]


# --- the audit log -------------------------------------------------------------------------------


async def test_logins_and_logouts_are_audited(app, web, users: Actors):
    assert (await log_in(web, "clerk.a@test.example", "wrong")).status_code == 401
    assert (await log_in(web, "nobody@test.example", "wrong")).status_code == 401
    secret = await logged_in(web, "Clerk.A@test.example")
    response = await web.post(
        "/auth/logout", headers={"Cookie": f"{SESSION_COOKIE}={secret}", "X-Leadflow-CSRF": "1"}
    )
    assert response.status_code == 204
    async with client_from(app, ELSEWHERE) as http:
        for _ in range(5):
            await log_in(http, "clerk.b@test.example", "wrong")
        assert_throttled(await log_in(http, "clerk.b@test.example"))

    log = await audit_log(web, users.admin)
    failed = entries(log, "login.failed")
    assert [(e["actor"], e["detail"], e["address"]) for e in failed[-2:]] == [
        (None, "nobody@test.example", HOME),
        ({"email": "clerk.a@test.example"}, "clerk.a@test.example", HOME),
    ]
    assert len(failed) == 7
    assert [(e["actor"], e["address"]) for e in entries(log, "login.succeeded")] == [
        ({"email": "clerk.a@test.example"}, HOME)
    ]
    assert [(e["actor"], e["address"]) for e in entries(log, "logout")] == [
        ({"email": "clerk.a@test.example"}, HOME)
    ]
    throttled = entries(log, "login.throttled")
    assert len(throttled) == 1
    assert throttled[0]["address"] == ELSEWHERE
    assert "clerk.b@test.example" in throttled[0]["detail"]
    # Newest first, and no password ever lands in the log.
    assert [entry["at"] for entry in log] == sorted((entry["at"] for entry in log), reverse=True)
    assert log[0]["action"] == "login.throttled"
    assert not any("wrong" in entry["detail"] or PASSWORD in entry["detail"] for entry in log)


async def test_user_and_token_changes_are_audited_with_who_and_where(web, users: Actors):
    admin = users.admin
    campaign = await Campaign.create(name="Fair")

    async def mutate(name: str, input: dict[str, Any], selection: str) -> dict[str, Any]:
        return await mutate_ok(web, admin, name, input, selection)

    created = await mutate(
        "createUser",
        {"email": "Pia@Partner.example", "name": "Pia", "role": "PARTNER", "password": PASSWORD},
        "user { id }",
    )
    partner_id = created["user"]["id"]
    await mutate(
        "linkPartnerCampaigns",
        {"userId": partner_id, "campaignIds": [encode_id("Campaign", campaign.id)]},
        "campaigns { name }",
    )
    token = await mutate(
        "createApiToken", {"userId": partner_id, "readOnly": True}, "token { id } secret"
    )
    await mutate("revokeApiToken", {"tokenId": token["token"]["id"]}, "token { revokedAt }")
    await mutate("deactivateUser", {"userId": partner_id}, "user { active }")

    log = await audit_log(web, admin)
    changes = [
        (entry["action"], entry["actor"], entry["address"])
        for entry in log
        if entry["action"] not in {"login.failed", "login.succeeded"}
    ]
    actor = {"email": "admin@test.example"}
    assert changes == [
        ("user.deactivated", actor, HOME),
        ("token.revoked", actor, HOME),
        ("token.created", actor, HOME),
        ("partner.campaigns_linked", actor, HOME),
        ("user.created", actor, HOME),
    ]
    details = {entry["action"]: entry["detail"] for entry in log}
    assert "pia@partner.example" in details["user.created"]
    assert "pia@partner.example" in details["user.deactivated"]
    assert "pia@partner.example" in details["token.created"]
    assert "read-only" in details["token.created"]
    assert "Fair" in details["partner.campaigns_linked"]
    assert token["secret"] not in " ".join(entry["detail"] for entry in log)


async def test_permission_refusals_are_audited_with_who_and_where(web, users: Actors):
    refusals = [
        (users.clerk_a, "query Figures { auditLog { totalCount } }"),
        (users.partner, "query Colleagues { users { email } }"),
        (
            users.read_only_manager,
            'mutation { createCampaign(input: {name: "RO"}) { __typename } }',
        ),
    ]
    for actor, query in refusals:
        body = await gql(web, query, actor=actor)
        assert error_codes(body) == ["FORBIDDEN"], body
    # Not being logged in is no permission refusal.
    assert error_codes(await gql(web, VIEWER)) == ["UNAUTHENTICATED"]

    denied = entries(await audit_log(web, users.admin), "access.denied")
    assert [(entry["actor"]["email"], entry["address"]) for entry in denied] == [
        ("manager@test.example", HOME),
        ("partner@test.example", HOME),
        ("clerk.a@test.example", HOME),
    ]
    read_only, partner, clerk = (entry["detail"] for entry in denied)
    assert "read-only" in read_only
    assert "Colleagues" in partner and "Query.users" in partner
    assert "Figures" in clerk and "admins" in clerk


async def test_a_refusal_through_a_session_is_audited_too(web, users: Actors):
    secret = await logged_in(web, "clerk.b@test.example")
    response = await with_cookie(web, "{ auditLog { totalCount } }", secret)
    assert error_codes(response.json()) == ["FORBIDDEN"]
    denied = entries(await audit_log(web, users.admin), "access.denied")
    assert [(entry["actor"]["email"], entry["address"]) for entry in denied] == [
        ("clerk.b@test.example", HOME)
    ]
