"""The `leadflow` command against an SQLite file: set-up commands, their one-line errors, the
schema (in this process), and tokens made by the real console script that work against a
served instance."""

from __future__ import annotations

import subprocess
import time
from pathlib import Path

import httpx

from tests.cli.runner import COMMAND, PASSWORD, cli_in_process, failed_with, succeeded
from tests.helpers import free_port

ROOT = Path(__file__).resolve().parents[2]


def add_user(cli, email: str, role: str, name: str = "Clara Clerk") -> subprocess.CompletedProcess:
    return cli("users", "add", email, "--name", name, "--role", role, "--password", PASSWORD)


def test_migrate_is_idempotent(tmp_path):
    cli = cli_in_process(tmp_path)  # no database yet: the first migrate creates it
    assert "up to date" in succeeded(cli("migrate"))
    assert (tmp_path / "cli.db").exists()
    assert "up to date" in succeeded(cli("migrate"))


def test_users_add_takes_the_role_in_any_case(cli):
    roles = {"clara": "Clerk", "mona": "MANAGER", "ada": " admin ", "paul": "pArTnEr"}
    for name, role in roles.items():
        out = succeeded(add_user(cli, f"{name.title()}@Example.com", role, name=name.title()))
        assert f"Created {role.strip().lower()} {name.title()} <{name}@example.com>." in out
    listing = succeeded(cli("users", "list"))
    assert listing.splitlines() == [
        f"{name}@example.com\t{name.title()}\t{roles[name].strip().lower()}\tactive"
        for name in sorted(roles)
    ]


def test_users_add_refusals_are_one_clear_line(cli):
    succeeded(add_user(cli, "clara@example.com", "clerk"))

    failed_with(add_user(cli, "CLARA@example.com", "manager"), "clara@example.com", "exists")
    failed_with(add_user(cli, "bob@example.com", "boss"), "'boss'", "admin, manager, clerk")
    failed_with(add_user(cli, "not-an-email", "clerk"), "not a valid email")
    failed_with(
        cli(
            "users", "add", "bob@example.com", "--name", "Bob", "--role", "clerk", "--password", "x"
        ),
        "at least 8 characters",
    )
    failed_with(add_user(cli, "bob@example.com", "clerk", name="   "), "name must not be empty")
    # Nothing of it was stored.
    assert succeeded(cli("users", "list")).splitlines() == [
        "clara@example.com\tClara Clerk\tclerk\tactive"
    ]


def test_tokens_create_for_an_unknown_email_is_a_clear_error(cli):
    succeeded(cli("migrate"))
    failed_with(cli("tokens", "create", "nobody@example.com"), "nobody@example.com")


def test_invalid_port_setting_is_a_clear_error(cli):
    failed_with(cli("migrate", LEADFLOW_PORT="eighty"), "LEADFLOW_PORT", "'eighty'")
    failed_with(cli("serve", LEADFLOW_PORT="70000"), "LEADFLOW_PORT", "65535")


def test_unusable_database_is_a_clear_error(cli, tmp_path):
    missing = tmp_path / "no" / "such" / "dir" / "x.db"
    failed_with(
        cli("migrate", timeout=20, LEADFLOW_DATABASE_URL=f"sqlite://{missing}"), str(missing)
    )
    failed_with(cli("migrate", LEADFLOW_DATABASE_URL="nonsense://x"), "nonsense")


def test_export_schema_prints_the_committed_schema(cli):
    assert succeeded(cli("export-schema")) == (ROOT / "schema.graphql").read_text(encoding="utf-8")


def test_token_from_the_command_line_works_against_the_server(real_cli, tmp_path):
    """The real console script from the first command on (a new database) to the server."""
    cli = real_cli
    succeeded(cli("migrate"))
    succeeded(add_user(cli, "clara@example.com", "Clerk"))
    created = succeeded(cli("tokens", "create", "Clara@example.com", "--read-only", "--name", "x"))
    token = created.strip().splitlines()[-1]
    assert token.startswith("lf_") and " " not in token and len(token) > 30, created
    other = succeeded(cli("tokens", "create", "clara@example.com")).strip().splitlines()[-1]
    assert other != token

    port = free_port()
    server = subprocess.Popen(
        [*COMMAND, "serve", "--port", str(port)],
        cwd=tmp_path,
        env=cli.env,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        with httpx.Client(base_url=base, timeout=5) as http:
            deadline = time.monotonic() + 30
            while True:
                assert server.poll() is None, server.communicate()[0]
                try:
                    health = http.get("/healthz")
                    break
                except httpx.TransportError:
                    assert time.monotonic() < deadline, "the server did not come up"
                    time.sleep(0.1)
            assert health.status_code == 200
            assert health.json()["status"] == "ok"

            def ask(query: str, secret: str) -> dict:
                response = http.post(
                    "/graphql",
                    json={"query": query},
                    headers={"Authorization": f"Bearer {secret}"},
                )
                assert response.status_code == 200, response.text
                return response.json()

            body = ask("{ viewer { email role } }", token)
            assert body == {"data": {"viewer": {"email": "clara@example.com", "role": "CLERK"}}}
            # --read-only made it a read-only token; the other one may write.
            mutation = 'mutation { createCampaign(input: {name: "X"}) { userErrors { code } } }'
            refused = ask(mutation, token)
            assert refused["errors"][0]["extensions"]["code"] == "FORBIDDEN"
            assert (
                ask("{ viewer { email } }", "lf_" + "x" * 43)["errors"][0]["extensions"]["code"]
                == "UNAUTHENTICATED"
            )
            assert ask("{ viewer { email } }", other)["data"]["viewer"]["email"] == (
                "clara@example.com"
            )
    finally:
        server.terminate()
        try:
            server.wait(timeout=10)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()
