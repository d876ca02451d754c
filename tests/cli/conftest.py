"""The command-line fixtures: `cli` runs `leadflow` in this process, `real_cli` the real console
script in a subprocess (see tests/cli/runner.py); each with its own SQLite file per test."""

from __future__ import annotations

from pathlib import Path

import pytest
import pytest_asyncio

from tests.cli.runner import Runner, cli_in_process, cli_runner


@pytest_asyncio.fixture(scope="session")
async def migrated_sqlite(tmp_path_factory) -> Path:
    """A migrated, empty SQLite file (once per session): a command's first migration costs
    more than the command."""
    from leadflow.db.lifecycle import migrate

    path = tmp_path_factory.mktemp("cli-template") / "cli.db"
    await migrate(f"sqlite://{path}")
    return path


@pytest.fixture
def cli(tmp_path: Path, migrated_sqlite: Path) -> Runner:
    return cli_in_process(tmp_path, template=migrated_sqlite)


@pytest.fixture
def real_cli(tmp_path: Path) -> Runner:
    return cli_runner(tmp_path)
