"""Running the real `leadflow` console script in subprocesses, for the command-line tests."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

SCRIPT = Path(sys.executable).with_name("leadflow")
COMMAND = [str(SCRIPT)] if SCRIPT.exists() else [sys.executable, "-m", "leadflow.cli"]
PASSWORD = "correct-horse-1"


def cli_runner(directory: Path) -> Callable[..., subprocess.CompletedProcess]:
    """`run(*args, timeout=60, **extra_env)`: `leadflow ARGS` with its own SQLite file in
    `directory`; returns the completed process."""
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith("LEADFLOW_") or key == "LEADFLOW_TEST_POSTGRES_URL"
    }
    env["LEADFLOW_DATABASE_URL"] = f"sqlite://{directory / 'cli.db'}"

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

    run.env = env  # type: ignore[attr-defined]
    run.database = directory / "cli.db"  # type: ignore[attr-defined]
    run.directory = directory  # type: ignore[attr-defined]
    return run


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


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]
