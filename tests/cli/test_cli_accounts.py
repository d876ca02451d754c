"""The account commands of `leadflow` against an SQLite file: users list/deactivate/set-password/
link, partners with campaigns, tokens list and revoke, their one-line errors (in this process),
a password prompt without a terminal (the real console script), and their effect on a served
instance."""

from __future__ import annotations

import re
import sqlite3
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager

import httpx
import pytest

from leadflow.auth.tokens import TOKEN_CACHE_SECONDS
from leadflow.services.campaigns import create_campaign
from leadflow.services.users import get_user_by_email
from tests.cli.runner import PASSWORD, failed_with, run_with_database, succeeded
from tests.live_server import start_server


async def _create_campaigns(manager_email: str, names: tuple[str, ...]) -> None:
    manager = await get_user_by_email(manager_email)
    for name in names:
        await create_campaign(manager, name)


def add(cli, email: str, role: str, name: str, *extra: str) -> str:
    return succeeded(
        cli("users", "add", email, "--name", name, "--role", role, "--password", PASSWORD, *extra)
    )


def seed_campaigns(cli, *names: str) -> None:
    """Campaigns come from managers in the web app; here a manager creates them directly
    through the services (the command line has no campaign commands)."""
    add(cli, "boss@example.com", "manager", "Bea Boss")
    run_with_database(
        cli.env["LEADFLOW_DATABASE_URL"], _create_campaigns, "boss@example.com", names
    )


def create_token(cli, email: str, *extra: str) -> tuple[int, str]:
    """`tokens create`: the token's number and its secret (the last line)."""
    out = succeeded(cli("tokens", "create", email, *extra))
    match = re.search(r"#(\d+)", out)
    assert match, out
    return int(match.group(1)), out.strip().splitlines()[-1]


def user_lines(cli) -> list[str]:
    return succeeded(cli("users", "list")).splitlines()


# --- users ---------------------------------------------------------------------------------------


def test_users_list_shows_every_user_with_role_and_state(cli):
    add(cli, "Zoe@Example.com", "clerk", "Zoe Zander")
    add(cli, "ada@example.com", "admin", "Ada Admin")
    add(cli, "paul@partner.example", "partner", "Paul Partner")
    succeeded(cli("users", "deactivate", "zoe@example.com"))
    assert user_lines(cli) == [
        "ada@example.com\tAda Admin\tadmin\tactive",
        "paul@partner.example\tPaul Partner\tpartner\tactive",
        "zoe@example.com\tZoe Zander\tclerk\tdeactivated",
    ]


def test_users_list_on_an_empty_database_prints_nothing(cli):
    assert succeeded(cli("users", "list")) == ""


def test_users_deactivate(cli):
    add(cli, "clara@example.com", "clerk", "Clara Clerk")
    add(cli, "bruno@example.com", "clerk", "Bruno Clerk")
    out = succeeded(cli("users", "deactivate", "  CLARA@example.com "))
    assert out.strip() == (
        "Deactivated clara@example.com; their sessions and tokens no longer work."
    )
    assert user_lines(cli) == [
        "bruno@example.com\tBruno Clerk\tclerk\tactive",
        "clara@example.com\tClara Clerk\tclerk\tdeactivated",
    ]
    failed_with(cli("users", "deactivate", "clara@example.com"), "deactivated already")
    failed_with(cli("users", "deactivate", "nobody@example.com"), "nobody@example.com")
    # A deactivated user gets no new token either.
    failed_with(cli("tokens", "create", "clara@example.com"), "clara@example.com", "deactivated")


def test_users_set_password(cli):
    add(cli, "clara@example.com", "clerk", "Clara Clerk")
    out = succeeded(cli("users", "set-password", "Clara@Example.com", "--password", "new-secret-1"))
    assert out.strip() == "Password of clara@example.com set; their browser sessions were ended."
    failed_with(
        cli("users", "set-password", "clara@example.com", "--password", "short"),
        "at least 8 characters",
    )
    failed_with(
        cli("users", "set-password", "nobody@example.com", "--password", "long enough"),
        "nobody@example.com",
    )


NO_PASSWORD = "leadflow: error: no password given: pass --password or run in a terminal"
PROMPTING_COMMANDS = [
    ("users", "set-password", "clara@example.com"),
    ("users", "add", "bruno@example.com", "--name", "Bruno", "--role", "clerk"),
]


@pytest.mark.parametrize("command", PROMPTING_COMMANDS)
def test_a_password_prompt_without_a_terminal_fails_cleanly(cli, real_cli, command):
    add(cli, "clara@example.com", "clerk", "Clara Clerk")
    result = real_cli(*command)  # a real process without a controlling terminal
    assert result.returncode == 1, result
    assert "Traceback" not in result.stderr, result.stderr
    assert result.stderr.rstrip().endswith(NO_PASSWORD), result.stderr
    assert result.stdout == ""
    # Nothing was created or changed: no second user, no new password (nothing audited).
    assert user_lines(cli) == ["clara@example.com\tClara Clerk\tclerk\tactive"]
    with sqlite3.connect(cli.database) as database:
        actions = [row[0] for row in database.execute("SELECT action FROM audit_entries")]
    assert actions == ["user.created"]


@pytest.mark.parametrize("command", PROMPTING_COMMANDS)
def test_a_password_prompt_without_a_terminal_is_one_line(cli, real_cli, command):
    add(cli, "clara@example.com", "clerk", "Clara Clerk")
    assert failed_with(real_cli(*command), "password") == NO_PASSWORD


def test_users_link_lets_a_partner_feed_campaigns(cli):
    seed_campaigns(cli, "Fair 2026", "Webinar", "Mailing")
    add(cli, "paul@partner.example", "partner", "Paul Partner")
    out = succeeded(
        cli("users", "link", "Paul@Partner.example", "--campaigns", "Webinar, Fair 2026")
    )
    assert out.strip() == "paul@partner.example may feed: Fair 2026, Webinar"
    # Links add up, and linking one twice is harmless.
    out = succeeded(cli("users", "link", "paul@partner.example", "--campaigns", "Mailing,Webinar"))
    assert out.strip() == "paul@partner.example may feed: Fair 2026, Mailing, Webinar"


def test_users_link_refusals_are_one_clear_line(cli):
    seed_campaigns(cli, "Fair 2026")
    add(cli, "paul@partner.example", "partner", "Paul Partner")
    add(cli, "clara@example.com", "clerk", "Clara Clerk")
    failed_with(
        cli("users", "link", "clara@example.com", "--campaigns", "Fair 2026"), "not a partner"
    )
    failed_with(
        cli("users", "link", "paul@partner.example", "--campaigns", "Fair 2026,Nope"),
        "no campaign named 'Nope'",
    )
    failed_with(cli("users", "link", "paul@partner.example", "--campaigns", " , "), "at least one")
    failed_with(cli("users", "link", "nobody@example.com", "--campaigns", "Fair 2026"), "nobody")
    # Nothing was linked by the refused calls.
    out = succeeded(cli("users", "link", "paul@partner.example", "--campaigns", "Fair 2026"))
    assert out.strip() == "paul@partner.example may feed: Fair 2026"


def test_users_add_partner_with_campaigns(cli):
    seed_campaigns(cli, "Fair 2026", "Webinar")
    out = add(cli, "paul@partner.example", "Partner", "Paul Partner", "--campaigns", "Fair 2026")
    assert out.splitlines() == [
        "Created partner Paul Partner <paul@partner.example>.",
        "Linked to: Fair 2026",
    ]
    # Refused: nothing is created.
    result = cli(
        "users",
        "add",
        "pia@partner.example",
        "--name",
        "Pia",
        "--role",
        "partner",
        "--password",
        PASSWORD,
        "--campaigns",
        "Fair 2026,Unknown",
    )
    failed_with(result, "no campaign named 'Unknown'")
    result = cli(
        "users",
        "add",
        "carl@example.com",
        "--name",
        "Carl",
        "--role",
        "clerk",
        "--password",
        PASSWORD,
        "--campaigns",
        "Fair 2026",
    )
    failed_with(result, "--campaigns is only for partners")
    assert [line.split("\t")[0] for line in user_lines(cli)] == [
        "boss@example.com",
        "paul@partner.example",
    ]


# --- tokens --------------------------------------------------------------------------------------


def test_tokens_list_never_shows_secrets(cli):
    add(cli, "clara@example.com", "clerk", "Clara Clerk")
    add(cli, "bruno@example.com", "clerk", "Bruno Clerk")
    first, first_secret = create_token(cli, "clara@example.com", "--read-only", "--name", "dash")
    second, second_secret = create_token(cli, "clara@example.com")
    create_token(cli, "bruno@example.com", "--name", "bruno's")
    succeeded(cli("tokens", "revoke", str(second)))

    out = succeeded(cli("tokens", "list", "CLARA@example.com"))
    lines = [line.split("\t") for line in out.splitlines()]
    assert [line[:2] for line in lines] == [
        [f"#{first}", "read-only"],
        [f"#{second}", "read-write"],
    ]
    assert lines[0][2] == "active"
    assert re.fullmatch(r"revoked \d{4}-\d\d-\d\d \d\d:\d\d", lines[1][2]), lines[1]
    assert re.fullmatch(r"\d{4}-\d\d-\d\d \d\d:\d\d", lines[0][3]), lines[0]
    assert [line[4] for line in lines] == ["dash", ""]
    for secret in (first_secret, second_secret):
        assert secret not in out
        assert secret[3:20] not in out
    assert "lf_" not in out
    assert "bruno" not in out
    assert succeeded(cli("tokens", "list", "bruno@example.com")).count("\n") == 1
    failed_with(cli("tokens", "list", "nobody@example.com"), "nobody@example.com")


def test_tokens_list_of_a_user_without_tokens_is_empty(cli):
    add(cli, "clara@example.com", "clerk", "Clara Clerk")
    assert succeeded(cli("tokens", "list", "clara@example.com")) == ""


def test_tokens_revoke_refusals_are_one_clear_line(cli):
    add(cli, "clara@example.com", "clerk", "Clara Clerk")
    number, _ = create_token(cli, "clara@example.com")
    out = succeeded(cli("tokens", "revoke", str(number)))
    assert out.strip() == f"Revoked token #{number} of clara@example.com."
    failed_with(cli("tokens", "revoke", str(number)), f"#{number}", "revoked already")
    failed_with(cli("tokens", "revoke", "999"), "#999", "does not exist")
    # Beyond the database's integers: missing too, not an OverflowError from SQLite.
    failed_with(cli("tokens", "revoke", str(2**70)), f"#{2**70}", "does not exist")
    # Not a number at all is a usage error: non-zero, no traceback.
    result = cli("tokens", "revoke", "abc")
    assert result.returncode != 0
    assert "Traceback" not in result.stderr
    assert "invalid int value" in result.stderr


def test_every_account_change_on_the_command_line_is_audited(cli):
    add(cli, "clara@example.com", "clerk", "Clara Clerk")
    number, secret = create_token(cli, "clara@example.com", "--read-only")
    succeeded(cli("tokens", "revoke", str(number)))
    succeeded(cli("users", "set-password", "clara@example.com", "--password", "new-secret-1"))
    succeeded(cli("users", "deactivate", "clara@example.com"))
    with sqlite3.connect(cli.database) as database:
        rows = database.execute(
            "SELECT action, actor_id, detail FROM audit_entries ORDER BY id"
        ).fetchall()
    assert [action for action, _, _ in rows] == [
        "user.created",
        "token.created",
        "token.revoked",
        "user.password_set",
        "user.deactivated",
    ]
    # The operator at the command line is nobody in the database.
    assert {actor for _, actor, _ in rows} == {None}
    details = {action: detail for action, _, detail in rows}
    assert "clara@example.com" in details["user.created"]
    assert "clara@example.com" in details["token.created"]
    assert f"#{number}" in details["token.created"]
    assert "read-only" in details["token.created"]
    assert not any(secret in detail or PASSWORD in detail for _, _, detail in rows)


# --- against a served instance -------------------------------------------------------------------


@contextmanager
def served(cli) -> Iterator[httpx.Client]:
    """`leadflow serve` on a free port, with an HTTP client for it."""
    server, url = start_server(cli.env, cli.directory, cli.directory / "server.log")
    try:
        with httpx.Client(base_url=url, timeout=5) as http:
            yield http
    finally:
        server.terminate()
        try:
            server.wait(timeout=10)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()


def ask(http: httpx.Client, query: str, secret: str) -> dict:
    response = http.post(
        "/graphql", json={"query": query}, headers={"Authorization": f"Bearer {secret}"}
    )
    assert response.status_code in (200, 401), response.text
    return response.json()


def refused_within(http: httpx.Client, query: str, secret: str, seconds: float) -> bool:
    """Whether the server refuses `secret` as UNAUTHENTICATED within `seconds`."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if code_of(ask(http, query, secret)) == "UNAUTHENTICATED":
            return True
        time.sleep(0.1)
    return code_of(ask(http, query, secret)) == "UNAUTHENTICATED"


def code_of(body: dict) -> str | None:
    errors = body.get("errors") or [{}]
    return errors[0].get("extensions", {}).get("code")


def log_in(http: httpx.Client, email: str, password: str) -> httpx.Response:
    response = http.post("/auth/login", json={"email": email, "password": password})
    http.cookies.clear()
    return response


def test_account_commands_take_effect_on_a_running_server(cli):
    seed_campaigns(cli, "Fair 2026", "Webinar")
    add(cli, "clara@example.com", "clerk", "Clara Clerk")
    add(cli, "paul@partner.example", "partner", "Paul Partner", "--campaigns", "Fair 2026")
    kept_number, kept = create_token(cli, "clara@example.com", "--name", "laptop")
    revoked_number, revoked = create_token(cli, "clara@example.com", "--name", "old phone")
    _, partner_token = create_token(cli, "paul@partner.example")
    viewer = "{ viewer { email } }"

    with served(cli) as http:
        for secret in (kept, revoked):
            assert ask(http, viewer, secret)["data"]["viewer"]["email"] == "clara@example.com"
        # The partner sees only the campaign it was linked to on the command line.
        body = ask(http, "{ campaigns { edges { node { name } } } }", partner_token)
        assert body["data"]["campaigns"]["edges"] == [{"node": {"name": "Fair 2026"}}]

        # Revoked on the command line (another process): refused by the running server once
        # its kept lookup of the token has run out (auth/tokens.py).
        succeeded(cli("tokens", "revoke", str(revoked_number)))
        assert refused_within(http, viewer, revoked, TOKEN_CACHE_SECONDS + 1)
        assert ask(http, viewer, kept)["data"]["viewer"]["email"] == "clara@example.com"
        assert kept_number != revoked_number

        # A new password: the old one stops working, browser sessions end.
        response = log_in(http, "clara@example.com", PASSWORD)
        assert response.status_code == 200, response.text
        session = response.cookies["leadflow_session"]
        cookie = {"Cookie": f"leadflow_session={session}", "X-Leadflow-CSRF": "1"}
        body = http.post("/graphql", json={"query": viewer}, headers=cookie).json()
        assert body["data"]["viewer"]["email"] == "clara@example.com"
        succeeded(cli("users", "set-password", "clara@example.com", "--password", "new-secret-1"))
        body = http.post("/graphql", json={"query": viewer}, headers=cookie).json()
        assert code_of(body) == "UNAUTHENTICATED"
        assert log_in(http, "clara@example.com", PASSWORD).status_code == 401
        response = log_in(http, "clara@example.com", "new-secret-1")
        assert response.status_code == 200, response.text
        session = response.cookies["leadflow_session"]
        cookie = {"Cookie": f"leadflow_session={session}", "X-Leadflow-CSRF": "1"}

        # Deactivated: sessions stop at once, tokens once their kept lookup has run out, and no
        # new login.
        succeeded(cli("users", "deactivate", "clara@example.com"))
        body = http.post("/graphql", json={"query": viewer}, headers=cookie).json()
        assert code_of(body) == "UNAUTHENTICATED"
        assert refused_within(http, viewer, kept, TOKEN_CACHE_SECONDS + 1)
        assert log_in(http, "clara@example.com", "new-secret-1").status_code == 401
        # Others carry on.
        body = ask(http, viewer, partner_token)
        assert body["data"]["viewer"]["email"] == "paul@partner.example"
