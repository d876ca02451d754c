"""A real `leadflow serve` process on a free port with its own fresh SQLite database, for tests
that need a server other clients talk to at the same time (limits, the HTTP spec audit, the
browser tests).

The database is a copy of a template made once per process (per xdist worker) with the commands
(migrate, users add, tokens create): those took three to six processes per test before. The
processes run tests/fast_leadflow.py, the real command with passwords hashed at argon2's
cheapest; tests/cli/ proves the real console script itself.
"""

from __future__ import annotations

import atexit
import os
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx

from tests.helpers import free_port

COMMAND = [sys.executable, str(Path(__file__).with_name("fast_leadflow.py"))]
MANAGER_EMAIL = "live.manager@test.example"
MANAGER_PASSWORD = "live-password-1"

# (email, name, role, password) of users beside the manager.
User = tuple[str, str, str, str]

__all__ = ["MANAGER_EMAIL", "LiveServer", "free_port", "leadflow_cli", "live_server"]


@dataclass(frozen=True)
class LiveServer:
    url: str
    manager_token: str
    log_file: Path

    @property
    def graphql_url(self) -> str:
        return f"{self.url}/graphql"

    def log(self) -> str:
        return self.log_file.read_text(encoding="utf-8", errors="replace")


@contextmanager
def live_server(
    directory: Path, *, users: Sequence[User] = (), **settings: str
) -> Iterator[LiveServer]:
    """Serve on 127.0.0.1 with a migrated database holding one manager with an API token (and
    `users`, each with a password). `settings` are extra LEADFLOW_* environment variables; with
    a LEADFLOW_DATABASE_URL of its own the database is seeded by the commands on the spot."""
    env = _environment(directory, settings)
    if "LEADFLOW_DATABASE_URL" in settings:
        token = _seed(env, directory, users)
    else:
        template, token = _template(tuple(users))
        shutil.copy(template, directory / "live.db")
    server, url = start_server(env, directory, directory / "server.log")
    live = LiveServer(url, token, directory / "server.log")
    try:
        yield live
    finally:
        server.terminate()
        try:
            server.wait(timeout=10)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()


_TEMPLATES: dict[tuple[User, ...], tuple[Path, str]] = {}


def _template(users: tuple[User, ...]) -> tuple[Path, str]:
    """A seeded database file and the manager's token, made once per process and `users`."""
    if users not in _TEMPLATES:
        directory = Path(tempfile.mkdtemp(prefix="leadflow-live-template-"))
        atexit.register(shutil.rmtree, directory, True)
        token = _seed(_environment(directory, {}), directory, users)
        _TEMPLATES[users] = (directory / "live.db", token)
    return _TEMPLATES[users]


def _seed(env: dict[str, str], directory: Path, users: Sequence[User]) -> str:
    """Migrate, add the manager and `users`; returns a new API token of the manager's."""
    _leadflow(env, directory, "migrate")
    for email, name, role, password in [
        (MANAGER_EMAIL, "Live Manager", "manager", MANAGER_PASSWORD),
        *users,
    ]:
        _leadflow(
            env, directory, "users", "add", email, "--name", name, "--role", role,
            "--password", password,
        )  # fmt: skip
    return _leadflow(env, directory, "tokens", "create", MANAGER_EMAIL).strip().splitlines()[-1]


def start_server(
    env: dict[str, str], directory: Path, log_file: Path
) -> tuple[subprocess.Popen, str]:
    """`leadflow serve` on a free port with `env`, up and healthy; returns it and its URL.
    Stopping it is the caller's."""
    port = free_port()
    # The server's output goes to a file: a pipe nobody reads would block the server once full.
    with log_file.open("w") as output:
        server = subprocess.Popen(
            [*COMMAND, "serve", "--port", str(port)],
            cwd=directory,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=output,
            stderr=subprocess.STDOUT,
        )
    url = f"http://127.0.0.1:{port}"
    try:
        _wait_until_healthy(server, url, log_file)
    except BaseException:
        server.kill()
        server.wait()
        raise
    return server, url


def leadflow_cli(directory: Path, *args: str, **settings: str) -> str:
    """Run a `leadflow` command on the database of `live_server(directory, **settings)`."""
    return _leadflow(_environment(directory, settings), directory, *args)


def _environment(directory: Path, settings: dict[str, str]) -> dict[str, str]:
    env = {key: value for key, value in os.environ.items() if not key.startswith("LEADFLOW_")}
    env["LEADFLOW_DATABASE_URL"] = f"sqlite://{directory / 'live.db'}"
    env.update(settings)
    return env


def _leadflow(env: dict[str, str], directory: Path, *args: str) -> str:
    result = subprocess.run(
        [*COMMAND, *args],
        cwd=directory,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        stdin=subprocess.DEVNULL,
    )
    assert result.returncode == 0, f"leadflow {' '.join(args)}: {result.stderr}"
    return result.stdout


def _wait_until_healthy(server: subprocess.Popen, url: str, log_file: Path) -> None:
    def log() -> str:
        return log_file.read_text(encoding="utf-8", errors="replace")

    deadline = time.monotonic() + 30
    with httpx.Client(base_url=url, timeout=2) as http:
        while True:
            assert server.poll() is None, f"the server exited:\n{log()}"
            try:
                if http.get("/healthz").status_code == 200:
                    return
            except httpx.TransportError:
                pass
            assert time.monotonic() < deadline, f"the server did not come up:\n{log()}"
            time.sleep(0.1)
