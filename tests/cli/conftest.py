"""The `cli` fixture: the real `leadflow` command with its own SQLite file per test."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.cli.runner import cli_runner


@pytest.fixture
def cli(tmp_path: Path):
    return cli_runner(tmp_path)
