"""`leadflow serve --workers N`: several processes serving one port (PostgreSQL), each with its
own pool, all stopped by SIGTERM; the refusals (SQLite, a bad count, a bad pool size) before
anything starts."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import time
from pathlib import Path

import asyncpg
import httpx
import pytest

from tests.cli.runner import COMMAND, Runner
from tests.databases import asyncpg_dsn
from tests.helpers import free_port

LEADS = "{ leads(first: 5) { totalCount } }"


def _children(pid: int) -> set[int]:
    """The processes whose parent is `pid` (Linux /proc)."""
    found = set()
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        # pid (comm) state ppid ...: comm may hold spaces, so split after its ')'.
        if int(stat.rpartition(")")[2].split()[1]) == pid:
            found.add(int(entry.name))
    return found


async def _app_backends(database_url: str) -> dict[int, str]:
    """The app's connections to the test's database: backend pid -> application_name."""
    connection = await asyncpg.connect(asyncpg_dsn(database_url))
    try:
        rows = await connection.fetch(
            "SELECT pid, application_name FROM pg_stat_activity "
            "WHERE datname = current_database() AND application_name LIKE 'leadflow-%'"
        )
    finally:
        await connection.close()
    return {row["pid"]: row["application_name"] for row in rows}


def _wait_until_healthy(server: subprocess.Popen, url: str, log: Path) -> None:
    deadline = time.monotonic() + 60
    while True:
        assert server.poll() is None, f"the server exited:\n{log.read_text()}"
        try:
            if httpx.get(f"{url}/healthz", timeout=2).status_code == 200:
                return
        except httpx.TransportError:
            pass
        assert time.monotonic() < deadline, f"the server did not come up:\n{log.read_text()}"
        time.sleep(0.2)


async def test_two_workers_serve_one_port_and_stop_on_sigterm(
    backend: str, database_url: str, real_cli: Runner, tmp_path: Path
):
    if backend != "postgres":
        pytest.skip("several workers need PostgreSQL")
    env = {**real_cli.env, "LEADFLOW_DATABASE_URL": database_url}  # type: ignore[attr-defined]
    added = real_cli(
        "users", "add", "boss@test.example", "--name", "Boss", "--role", "manager",
        "--password", "correct-horse-1", LEADFLOW_DATABASE_URL=database_url,
    )  # fmt: skip
    assert added.returncode == 0, added.stderr
    created = real_cli("tokens", "create", "boss@test.example", LEADFLOW_DATABASE_URL=database_url)
    assert created.returncode == 0, created.stderr
    token = created.stdout.strip().splitlines()[-1]

    port = free_port()
    url = f"http://127.0.0.1:{port}"
    log = tmp_path / "serve.log"
    with log.open("w") as output:
        server = subprocess.Popen(
            [*COMMAND, "serve", "--port", str(port), "--workers", "2"],
            cwd=tmp_path,
            env={**env, "LEADFLOW_DB_POOL_SIZE": "2"},
            stdin=subprocess.DEVNULL,
            stdout=output,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    try:
        _wait_until_healthy(server, url, log)
        workers = _children(server.pid)
        # uvicorn's supervisor may keep a helper process (multiprocessing's resource tracker).
        assert len(workers) >= 2, log.read_text()

        # Requests on fresh connections until both workers' pools have served some.
        serving: set[int] = set()
        headers = {"Authorization": f"Bearer {token}", "Connection": "close"}
        async with httpx.AsyncClient(base_url=url, timeout=10) as http:
            for _ in range(20):
                answers = await asyncio.gather(
                    *(
                        http.post("/graphql", json={"query": LEADS}, headers=headers)
                        for _ in range(8)
                    )
                )
                assert all(answer.status_code == 200 for answer in answers), answers[0].text
                assert answers[0].json() == {"data": {"leads": {"totalCount": 0}}}
                names = (await _app_backends(database_url)).values()
                serving = {int(name.rpartition("-")[2]) for name in names if "-app-" in name}
                if len(serving) == 2:
                    break
        assert len(serving) == 2 and serving <= workers, (serving, workers, log.read_text())
        # One listener per worker, and at most LEADFLOW_DB_POOL_SIZE pool connections each.
        names = list((await _app_backends(database_url)).values())
        assert sorted(n for n in names if "-live-" in n) == sorted(
            f"leadflow-live-{pid}" for pid in serving
        )
        for pid in serving:
            assert 1 <= names.count(f"leadflow-app-{pid}") <= 2

        server.send_signal(signal.SIGTERM)
        assert server.wait(timeout=30) == 0, log.read_text()
        assert not {pid for pid in serving if Path(f"/proc/{pid}").exists()}
        deadline = time.monotonic() + 10
        while await _app_backends(database_url):
            assert time.monotonic() < deadline, "the workers' connections stayed open"
            await asyncio.sleep(0.2)
    finally:
        if server.poll() is None:
            os.killpg(server.pid, signal.SIGKILL)
            server.wait()


def test_several_workers_need_postgres(real_cli: Runner):
    result = real_cli("serve", "--workers", "2", "--port", str(free_port()), timeout=30)
    assert result.returncode == 1
    assert result.stderr.strip() == (
        "leadflow: error: --workers above 1 needs PostgreSQL "
        "(LEADFLOW_DATABASE_URL=postgres://...); SQLite serves one process"
    )


@pytest.mark.parametrize("workers", ["0", "65"])
def test_a_bad_worker_count_is_refused(cli: Runner, workers: str):
    result = cli("serve", "--workers", workers)
    assert result.returncode == 1
    assert result.stderr.strip() == (
        f"leadflow: error: --workers must be between 1 and 64, got {workers}"
    )


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        ("0", "LEADFLOW_DB_POOL_SIZE must be between 1 and 500, got 0"),
        ("ten", "LEADFLOW_DB_POOL_SIZE must be a whole number, got 'ten'"),
        ("501", "LEADFLOW_DB_POOL_SIZE must be between 1 and 500, got 501"),
    ],
)
def test_a_bad_pool_size_stops_the_start(cli: Runner, raw: str, message: str):
    result = cli("serve", LEADFLOW_DB_POOL_SIZE=raw)
    assert result.returncode == 1
    assert result.stderr.strip() == f"leadflow: error: {message}"
