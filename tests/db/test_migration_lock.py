"""Instances started together each migrate first (`leadflow serve`): on PostgreSQL the
migrations of one database run one process at a time (db/lifecycle.py, a session advisory lock
on a connection of its own), and the process that waited finds nothing left to do."""

from __future__ import annotations

import os
import subprocess
import sys

import asyncpg
import pytest

from leadflow.db.lifecycle import MIGRATION_LOCK_KEY
from tests.databases import asyncpg_dsn


async def test_a_migration_waits_for_another_process_migrating(backend: str, database_url: str):
    if backend != "postgres":
        pytest.skip("PostgreSQL's advisory lock")
    holder = await asyncpg.connect(asyncpg_dsn(database_url))
    waiting: subprocess.Popen[str] | None = None
    try:
        # Another process migrating: it holds the lock.
        await holder.execute("SELECT pg_advisory_lock($1)", MIGRATION_LOCK_KEY)
        waiting = subprocess.Popen(
            [sys.executable, "-m", "leadflow.cli", "migrate"],
            env={**os.environ, "LEADFLOW_DATABASE_URL": database_url},
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        with pytest.raises(subprocess.TimeoutExpired):
            waiting.wait(timeout=8)
        waiters = await holder.fetchval(
            "SELECT COUNT(*) FROM pg_locks WHERE locktype = 'advisory' AND NOT granted "
            "AND objid = $1",
            MIGRATION_LOCK_KEY,
        )
        assert waiters == 1
        await holder.execute("SELECT pg_advisory_unlock($1)", MIGRATION_LOCK_KEY)
        output, _ = waiting.communicate(timeout=120)
        assert waiting.returncode == 0, output
        assert output.strip().endswith("Database is up to date.")
    finally:
        if waiting is not None and waiting.poll() is None:
            waiting.kill()
            waiting.wait()
        await holder.close()


def test_a_database_that_cannot_be_reached_stops_the_migration_with_one_line(tmp_path):
    result = subprocess.run(
        [sys.executable, "-m", "leadflow.cli", "migrate"],
        env={**os.environ, "LEADFLOW_DATABASE_URL": "postgres://nobody@127.0.0.1:1/none"},
        cwd=tmp_path,
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 1
    assert result.stderr.startswith(
        "leadflow: error: database problem: cannot connect to PostgreSQL to migrate: "
    ), result.stderr
    assert "Traceback" not in result.stderr
