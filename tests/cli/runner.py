"""Running the `leadflow` command for the command-line tests, against an SQLite file per test.

`cli_in_process` calls the command's `main(argv)` in this process (in a thread of its own, with
its own event loop, environment, standard streams and exit code): most tests check what a
command prints and stores, and a process per command (about a second to start and import)
made these files the slowest of the suite. `cli_runner` runs the real console script in a
subprocess, for the tests that prove the real process: a password prompt without a terminal, a
server, an import killed halfway, a command next to a running app. Both answer with the same
`subprocess.CompletedProcess`.
"""

from __future__ import annotations

import asyncio
import io
import os
import shutil
import subprocess
import sys
import threading
import traceback
from collections.abc import Awaitable, Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from tortoise.backends.base.executor import EXECUTOR_CACHE

from leadflow.cli import main

SCRIPT = Path(sys.executable).with_name("leadflow")
COMMAND = [str(SCRIPT)] if SCRIPT.exists() else [sys.executable, "-m", "leadflow.cli"]
PASSWORD = "correct-horse-1"

Runner = Callable[..., subprocess.CompletedProcess]


def _environment(directory: Path) -> dict[str, str]:
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith("LEADFLOW_") or key == "LEADFLOW_TEST_POSTGRES_URL"
    }
    env["LEADFLOW_DATABASE_URL"] = f"sqlite://{directory / 'cli.db'}"
    return env


def _described(run: Runner, env: dict[str, str], directory: Path) -> Runner:
    run.env = env  # type: ignore[attr-defined]
    run.database = directory / "cli.db"  # type: ignore[attr-defined]
    run.directory = directory  # type: ignore[attr-defined]
    return run


def cli_runner(directory: Path) -> Runner:
    """`run(*args, timeout=60, **extra_env)`: the real `leadflow ARGS` in a subprocess with its
    own SQLite file in `directory`; returns the completed process."""
    env = _environment(directory)

    def run(*args: str, timeout: float = 60, **extra_env: str) -> subprocess.CompletedProcess:
        return subprocess.run(
            [*COMMAND, *args],
            cwd=directory,
            env={**env, **extra_env},
            capture_output=True,
            text=True,
            timeout=timeout,
            stdin=subprocess.DEVNULL,
            # No controlling terminal, as in CI or cron: a password prompt must not reach the
            # terminal of whoever runs the tests (getpass reads /dev/tty, not stdin).
            start_new_session=True,
        )

    return _described(run, env, directory)


def cli_in_process(directory: Path, template: Path | None = None) -> Runner:
    """Like `cli_runner`, but `main(ARGS)` runs in this process. `template`: a migrated SQLite
    file to start from (else the first command migrates a new file, as the real one does)."""
    env = _environment(directory)
    if template is not None:
        shutil.copy(template, directory / "cli.db")

    def run(*args: str, timeout: float = 60, **extra_env: str) -> subprocess.CompletedProcess:
        return _call_main(list(args), {**env, **extra_env}, timeout)

    return _described(run, env, directory)


def _call_main(argv: list[str], env: dict[str, str], timeout: float) -> subprocess.CompletedProcess:
    stdout, stderr = _Stream(), _Stream()
    outcome: dict[str, int] = {}

    def target() -> None:
        # A thread of its own: `main` runs its own event loop (asyncio.run), which cannot start
        # in a thread whose loop is running (async tests, sync Playwright).
        try:
            main(argv)
            outcome["code"] = 0
        except SystemExit as leaving:
            code = leaving.code
            outcome["code"] = code if isinstance(code, int) else (0 if code is None else 1)
            if isinstance(code, str):
                print(code, file=sys.stderr)
        except BaseException:
            traceback.print_exc(file=sys.stderr)
            outcome["code"] = 1

    # The ORM caches statements per connection name; the command's connection is an SQLite
    # file, the previous test's may have been PostgreSQL.
    EXECUTOR_CACHE.clear()
    with _process_state(env, stdout, stderr):
        worker = threading.Thread(target=target, name="leadflow-cli", daemon=True)
        worker.start()
        worker.join(timeout)
    EXECUTOR_CACHE.clear()
    assert not worker.is_alive(), f"leadflow {' '.join(argv)} did not finish in {timeout} s"
    return subprocess.CompletedProcess(
        ["leadflow", *argv], outcome["code"], stdout.text(), stderr.text()
    )


class _Stream(io.TextIOWrapper):
    """A text stream like a pipe's (with `reconfigure`, which `leadflow export` calls), read
    back the way `subprocess.run(text=True)` reads a pipe (universal newlines)."""

    def __init__(self) -> None:
        super().__init__(io.BytesIO(), encoding="utf-8", newline="")

    def isatty(self) -> bool:
        return False

    def text(self) -> str:
        self.flush()
        raw = self.buffer.getvalue()  # type: ignore[attr-defined]
        return raw.decode("utf-8").replace("\r\n", "\n").replace("\r", "\n")


@contextmanager
def _process_state(env: dict[str, str], stdout: io.TextIOBase, stderr: io.TextIOBase) -> Iterator:
    """The command's environment and standard streams for the duration of the call (no
    terminal on stdin, as with the subprocess's DEVNULL)."""
    saved_environ = dict(os.environ)
    saved_streams = sys.stdin, sys.stdout, sys.stderr
    os.environ.clear()
    os.environ.update(env)
    sys.stdin, sys.stdout, sys.stderr = io.StringIO(""), stdout, stderr
    try:
        yield
    finally:
        sys.stdin, sys.stdout, sys.stderr = saved_streams
        os.environ.clear()
        os.environ.update(saved_environ)


def run_with_database(url: str, task: Callable[..., Awaitable[Any]], *args: Any) -> Any:
    """`await task(*args)` with the ORM on `url`, as a one-off script would (its own thread and
    event loop, like `cli_in_process`): for seeding what no command makes."""
    from leadflow.db.lifecycle import database

    async def run() -> Any:
        async with database(url):
            return await task(*args)

    result: dict[str, Any] = {}

    def target() -> None:
        try:
            result["value"] = asyncio.run(run())
        except BaseException as error:
            result["error"] = error

    EXECUTOR_CACHE.clear()
    worker = threading.Thread(target=target, name="leadflow-seed", daemon=True)
    worker.start()
    worker.join(60)
    EXECUTOR_CACHE.clear()
    assert not worker.is_alive(), "the seeding did not finish in 60 s"
    if "error" in result:
        raise result["error"]
    return result["value"]


def succeeded(result: subprocess.CompletedProcess) -> str:
    assert result.returncode == 0, f"exit {result.returncode}: {result.stderr}"
    assert "Traceback" not in result.stderr, result.stderr
    return result.stdout


def failed_with(result: subprocess.CompletedProcess, *fragments: str) -> str:
    """A command-line error: non-zero exit, exactly one line on stderr, no traceback."""
    assert result.returncode != 0, result.stdout
    assert "Traceback" not in result.stderr, result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    line = lines[0]
    assert line.startswith("leadflow: error: "), line
    for fragment in fragments:
        assert fragment.lower() in line.lower(), line
    return line
