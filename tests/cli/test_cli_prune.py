"""`leadflow prune` of the real console script, against the test database of each backend:
it deletes old login failures and expired sessions, keeps the rest and prints the counts."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta

import pytest_asyncio
from starlette.applications import Starlette

from leadflow.auth.actors import OPERATOR
from leadflow.auth.sessions import open_session
from leadflow.db.enums import Role
from leadflow.db.models import LoginFailure, LoginSession
from leadflow.services.accounts import FAILURE_RETENTION
from leadflow.services.users import create_user
from leadflow.settings import Settings
from tests.app_client import running_app
from tests.cli.runner import cli_runner, succeeded


@pytest_asyncio.fixture
async def app(database_url: str) -> AsyncIterator[Starlette]:
    """The app without its pruning task, so that only the command prunes."""
    async with running_app(Settings(database_url=database_url, prune_interval_seconds=0)) as app:
        yield app


async def test_prune_deletes_old_failures_and_expired_sessions_and_says_how_many(
    app, database_url, tmp_path
):
    clerk = await create_user(OPERATOR, "clerk@test.example", "Clara Clerk", Role.CLERK)
    old = datetime.now(UTC) - FAILURE_RETENTION - timedelta(minutes=1)
    await LoginFailure.bulk_create(
        [LoginFailure(email="old@test.example", address="198.51.100.1", at=old) for _ in range(3)]
        + [LoginFailure(email="recent@test.example", address="198.51.100.1")]
    )
    for lifetime in (timedelta(days=-2), timedelta(seconds=-1)):
        await open_session(clerk, lifetime=lifetime)
    valid, _ = await open_session(clerk, lifetime=timedelta(hours=1))
    cli = cli_runner(tmp_path)

    # The command line runs in its own process, against the same database.
    out = succeeded(await asyncio.to_thread(cli, "prune", LEADFLOW_DATABASE_URL=database_url))

    assert out.splitlines() == [
        "login failures deleted (older than 20 minutes): 3",
        "expired sessions deleted: 2",
    ]
    assert await LoginFailure.all().values_list("email", flat=True) == ["recent@test.example"]
    assert await LoginSession.all().values_list("id", flat=True) == [valid.id]
    out = succeeded(await asyncio.to_thread(cli, "prune", LEADFLOW_DATABASE_URL=database_url))
    assert out.splitlines() == [
        "login failures deleted (older than 20 minutes): 0",
        "expired sessions deleted: 0",
    ]
