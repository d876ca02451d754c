"""A web import whose server is killed (SIGKILL) halfway is finished by the next server
instance on the same database, from the file the upload stored there: every good row exactly
once, on SQLite and PostgreSQL. Real `leadflow serve` processes, real HTTP."""

from __future__ import annotations

import signal
import subprocess
import time
from pathlib import Path

import httpx

from tests.cli.runner import PASSWORD, succeeded
from tests.cli.test_import_cli import ROWS, big_file, progress, totals
from tests.live_server import start_server

MANAGER = "web.manager@test.example"


def serve(env: dict[str, str], directory: Path, name: str) -> tuple[subprocess.Popen, str]:
    return start_server(env, directory, directory / f"{name}.log")


def wait_for(condition, seconds: float, what: str) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, what
        time.sleep(0.05)


def test_a_web_import_whose_server_is_killed_is_finished_by_the_next_instance(
    cli, tmp_path, database_url
):
    env = {
        **cli.env,
        "LEADFLOW_DATABASE_URL": database_url,
        "LEADFLOW_IMPORT_WATCHDOG_SECONDS": "1",
    }
    on_database = {"LEADFLOW_DATABASE_URL": database_url}
    succeeded(
        cli("users", "add", MANAGER, "--name", "Web Manager", "--role", "manager",
            "--password", PASSWORD, **on_database)
    )  # fmt: skip
    token = succeeded(cli("tokens", "create", MANAGER, **on_database)).strip().splitlines()[-1]
    headers = {"Authorization": f"Bearer {token}"}
    source = tmp_path / "big.csv"
    good, _bad = big_file(source)

    first, url = serve(env, tmp_path, "first")
    try:
        created = httpx.post(
            f"{url}/graphql",
            json={"query": 'mutation { createCampaign(input: {name: "Messe"}) '
                  "{ campaign { id } userErrors { code } } }"},
            headers=headers,
        ).json()["data"]["createCampaign"]  # fmt: skip
        assert created["userErrors"] == []
        response = httpx.post(
            f"{url}/files/imports",
            params={"campaign": created["campaign"]["id"], "fileName": "big.csv"},
            content=source.read_bytes(),
            headers=headers,
            timeout=60,
        )
        assert response.status_code == 202, response.text
        wait_for(
            lambda: (progress(database_url) or (0, ""))[0] >= 1000,
            120,
            "the import did not get going",
        )
        first.send_signal(signal.SIGKILL)
        first.wait()
    finally:
        first.kill()
        first.wait()
    processed, status = progress(database_url)
    assert 1000 <= processed < ROWS and status == "RUNNING", "killed halfway"
    assert totals(database_url)[0] < good

    # The next instance finds the import abandoned (its process is gone) and finishes it.
    second, _ = serve(env, tmp_path, "second")
    try:
        wait_for(
            lambda: progress(database_url)[1] == "COMPLETED",
            240,
            f"not resumed:\n{(tmp_path / 'second.log').read_text()}",
        )
    finally:
        second.terminate()
        second.wait(timeout=30)
    assert progress(database_url) == (ROWS, "COMPLETED")
    assert totals(database_url) == (good, good, good, good)
    assert "Resuming abandoned import #1 of big.csv" in (tmp_path / "second.log").read_text()
