"""Pruning what logins leave behind: failed logins past the throttling window and expired
sessions go, whatever still counts stays, throttling holds right after pruning, a backlog goes
in bounded batches, concurrent pruners are harmless, and each app instance prunes in the
background from startup to shutdown without ever taking the app down."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta

import pytest
import pytest_asyncio
from starlette.applications import Starlette
from tortoise.exceptions import OperationalError

from leadflow.auth.actors import OPERATOR
from leadflow.auth.sessions import authenticate_session, close_session, open_session
from leadflow.db.enums import Role
from leadflow.db.models import AuditEntry, LoginFailure, LoginSession, User
from leadflow.errors import DomainError
from leadflow.jobs import PRUNING_TASK_NAME
from leadflow.services import accounts
from leadflow.services.accounts import (
    FAILURE_RETENTION,
    THROTTLE_WINDOW,
    LoginThrottled,
    PrunedLoginRecords,
)
from leadflow.services.users import create_user
from leadflow.settings import Settings, SettingsError
from tests.app_client import running_app
from tests.helpers import QueryCounter

PASSWORD = "correct-horse-battery"
HOME = "203.0.113.7"
ATTACKER = "198.51.100.66"
ELSEWHERE = "192.0.2.44"


@pytest_asyncio.fixture
async def app(database_url: str) -> AsyncIterator[Starlette]:
    """The app without its pruning task: here each test decides when pruning happens."""
    async with running_app(Settings(database_url=database_url, prune_interval_seconds=0)) as app:
        yield app


@pytest_asyncio.fixture
async def clerk(app: Starlette) -> User:
    return await create_user(OPERATOR, "clerk@test.example", "Clara Clerk", Role.CLERK, PASSWORD)


async def add_failures(count: int, *, age: timedelta, email: str, address: str = HOME) -> None:
    at = datetime.now(UTC) - age
    await LoginFailure.bulk_create(
        [LoginFailure(email=email, address=address, at=at) for _ in range(count)]
    )


async def failure_emails() -> list[str]:
    return sorted(await LoginFailure.all().values_list("email", flat=True))


async def log_in(email: str, password: str, address: str) -> accounts.LoginResult:
    return await accounts.log_in(
        email, password, address=address, user_agent="test", lifetime=timedelta(hours=1)
    )


async def refused(email: str, password: str, address: str) -> None:
    with pytest.raises(DomainError):
        await log_in(email, password, address)


async def throttled(email: str, address: str) -> int:
    """The right password, refused by throttling: the seconds to wait."""
    with pytest.raises(LoginThrottled) as caught:
        await log_in(email, PASSWORD, address)
    return caught.value.retry_after


# --- login failures ------------------------------------------------------------------------------


async def test_failures_past_the_window_are_pruned_and_recent_ones_kept(app):
    minute = timedelta(minutes=1)
    await add_failures(3, age=FAILURE_RETENTION + minute, email="old@test.example")
    await add_failures(1, age=timedelta(days=30), email="ancient@test.example")
    # Past the window but within the margin for clocks of other instances: kept for now.
    await add_failures(1, age=THROTTLE_WINDOW + minute, email="margin@test.example")
    await add_failures(2, age=THROTTLE_WINDOW - minute, email="recent@test.example")
    await add_failures(1, age=timedelta(0), email="now@test.example")

    assert await accounts.prune_login_records() == PrunedLoginRecords(4, 0)
    assert await failure_emails() == [
        "margin@test.example",
        "now@test.example",
        "recent@test.example",
        "recent@test.example",
    ]
    # Pruning again finds nothing more: every instance may prune whenever it likes.
    assert await accounts.prune_login_records() == PrunedLoginRecords(0, 0)
    assert len(await failure_emails()) == 4


async def test_a_locked_out_account_and_address_stay_locked_out_after_pruning(app, clerk):
    manager = await create_user(
        OPERATOR, "manager@test.example", "Mona Manager", Role.MANAGER, PASSWORD
    )
    await add_failures(7, age=FAILURE_RETENTION * 2, email=clerk.email)
    await add_failures(
        30, age=FAILURE_RETENTION * 2, email="someone@test.example", address=ATTACKER
    )
    for _ in range(accounts.MAX_FAILURES_PER_ACCOUNT):
        await refused(clerk.email, "wrong password", HOME)
    for number in range(accounts.MAX_FAILURES_PER_ADDRESS):
        await refused(f"guess{number}@test.example", "wrong password", ATTACKER)
    await throttled(clerk.email, ELSEWHERE)
    await throttled(manager.email, ATTACKER)

    assert await accounts.prune_login_records() == PrunedLoginRecords(37, 0)

    # What counts for throttling is all still there: the lockouts hold, with the same wait.
    for retry_after in (
        await throttled(clerk.email, ELSEWHERE),
        await throttled(manager.email, ATTACKER),
    ):
        assert 0 < retry_after <= THROTTLE_WINDOW.total_seconds()
    await log_in(manager.email, PASSWORD, HOME)

    # Once the window has passed (the failures are made that old), pruning takes them all and
    # the account and the address are free again.
    await LoginFailure.all().update(at=datetime.now(UTC) - FAILURE_RETENTION - timedelta(seconds=1))
    pruned = await accounts.prune_login_records()
    expected = accounts.MAX_FAILURES_PER_ACCOUNT + accounts.MAX_FAILURES_PER_ADDRESS
    assert pruned.login_failures == expected
    assert await LoginFailure.all().count() == 0
    await log_in(clerk.email, PASSWORD, ATTACKER)


async def test_a_backlog_is_pruned_in_bounded_batches(app, monkeypatch):
    monkeypatch.setattr(accounts, "PRUNE_BATCH_SIZE", 100)
    await add_failures(250, age=FAILURE_RETENTION * 3, email="flood@test.example")
    await add_failures(5, age=timedelta(0), email="recent@test.example")

    with QueryCounter() as counter:
        pruned = await accounts.prune_login_records()

    assert pruned == PrunedLoginRecords(250, 0)
    deletes = [
        statement
        for statement in counter.statements
        if statement.upper().startswith('DELETE FROM "LOGIN_FAILURES"')
    ]
    # 100 + 100 + 50: the short last batch says the backlog is gone.
    assert len(deletes) == 3, deletes
    assert all("LIMIT" in statement.upper() for statement in deletes), deletes
    assert await failure_emails() == ["recent@test.example"] * 5


async def test_pruners_running_at_once_delete_each_row_once(app, monkeypatch):
    """As several app instances (and an operator's `leadflow prune`) may."""
    monkeypatch.setattr(accounts, "PRUNE_BATCH_SIZE", 100)
    await add_failures(600, age=FAILURE_RETENTION * 3, email="flood@test.example")
    await add_failures(2, age=timedelta(0), email="recent@test.example")

    results = await asyncio.gather(*(accounts.prune_login_records() for _ in range(4)))

    # A pruner that finds its batch taken by another may stop early; the next round finishes.
    first_round = sum(result.login_failures for result in results)
    second_round = (await accounts.prune_login_records()).login_failures
    assert first_round + second_round == 600
    assert await failure_emails() == ["recent@test.example"] * 2


# --- sessions ------------------------------------------------------------------------------------


async def test_expired_sessions_are_pruned_and_open_ones_kept(app, clerk):
    for lifetime in (timedelta(days=-30), timedelta(hours=-1), timedelta(seconds=-1)):
        await open_session(clerk, lifetime=lifetime)
    open_one, open_secret = await open_session(clerk, lifetime=timedelta(hours=1))
    # Logged out but not yet expired: it can never authenticate again, and goes at its expiry.
    logged_out, logged_out_secret = await open_session(clerk, lifetime=timedelta(hours=1))
    await close_session(logged_out_secret)

    assert await accounts.prune_login_records() == PrunedLoginRecords(0, 3)

    remaining = await LoginSession.all().order_by("id").values_list("id", flat=True)
    assert remaining == [open_one.id, logged_out.id]
    authenticated = await authenticate_session(open_secret)
    assert authenticated is not None and authenticated.user.id == clerk.id
    assert await authenticate_session(logged_out_secret) is None
    assert await accounts.prune_login_records() == PrunedLoginRecords(0, 0)


async def test_pruning_keeps_api_tokens_and_the_audit_log(app, clerk):
    """Revoked tokens stay listed (`tokens list`), and the audit log refers to them."""
    token, _ = await accounts.create_api_token(OPERATOR, clerk.id, name="old dashboard")
    await accounts.revoke_api_token(OPERATOR, token.id)
    await refused(clerk.email, "wrong password", HOME)
    await LoginFailure.all().update(at=datetime.now(UTC) - FAILURE_RETENTION * 2)
    audit_entries = await AuditEntry.all().count()

    assert await accounts.prune_login_records() == PrunedLoginRecords(1, 0)

    assert [listed.id for listed in await accounts.tokens_of(OPERATOR, clerk.id)] == [token.id]
    assert await AuditEntry.all().count() == audit_entries


# --- the app's background pruning ----------------------------------------------------------------


def pruning_tasks() -> list[asyncio.Task]:
    return [task for task in asyncio.all_tasks() if task.get_name() == PRUNING_TASK_NAME]


async def eventually(condition, timeout: float = 10.0) -> None:
    """Wait for a background task's effect, polling the database."""
    deadline = asyncio.get_running_loop().time() + timeout
    while not await condition():
        assert asyncio.get_running_loop().time() < deadline, "timed out"
        await asyncio.sleep(0.05)


async def test_each_instance_prunes_at_startup_and_stops_cleanly(database_url):
    async with running_app(Settings(database_url=database_url, prune_interval_seconds=0)):
        assert pruning_tasks() == []
        clerk = await create_user(OPERATOR, "clerk@test.example", "Clara Clerk", Role.CLERK)
        await add_failures(3, age=FAILURE_RETENTION * 2, email="old@test.example")
        await add_failures(1, age=timedelta(0), email="recent@test.example")
        await open_session(clerk, lifetime=timedelta(hours=-1))
        valid, _ = await open_session(clerk, lifetime=timedelta(hours=1))

    # The default settings: pruning at startup, then every quarter of an hour.
    async with running_app(Settings(database_url=database_url)):
        assert len(pruning_tasks()) == 1

        async def pruned() -> bool:
            return await LoginSession.all().count() == 1 and await LoginFailure.all().count() == 1

        await eventually(pruned)
        assert await failure_emails() == ["recent@test.example"]
        assert await LoginSession.all().values_list("id", flat=True) == [valid.id]
        task = pruning_tasks()[0]
        assert not task.done()  # waiting for the next round

    assert task.cancelled()
    assert pruning_tasks() == []


async def test_a_failing_round_is_logged_and_the_next_one_runs(database_url, monkeypatch, caplog):
    rounds: list[str] = []
    real_prune = accounts.prune_login_records

    async def flaky_prune() -> PrunedLoginRecords:
        if not rounds:
            rounds.append("failed")
            raise OperationalError("database is locked")
        rounds.append("pruned")
        return await real_prune()

    monkeypatch.setattr(accounts, "prune_login_records", flaky_prune)
    settings = Settings(database_url=database_url, prune_interval_seconds=0.05)
    with caplog.at_level(logging.ERROR, logger="leadflow.jobs"):
        async with running_app(settings):

            async def two_rounds() -> bool:
                return len(rounds) >= 2

            await eventually(two_rounds)
            # The app is unharmed: it still answers from the database.
            assert await LoginFailure.all().count() == 0
    assert rounds[:2] == ["failed", "pruned"]
    failures = [record for record in caplog.records if record.name == "leadflow.jobs"]
    assert failures[0].getMessage().startswith("Pruning login records [")  # the job, its task
    assert "failed; retrying" in failures[0].getMessage()
    assert failures[0].exc_info is not None
    assert isinstance(failures[0].exc_info[1], OperationalError)
    assert pruning_tasks() == []


def test_the_interval_comes_from_the_environment_with_clear_errors():
    assert Settings.from_env({}).prune_interval_seconds == 900
    assert Settings.from_env({"LEADFLOW_PRUNE_INTERVAL_SECONDS": "60"}).prune_interval_seconds == 60
    assert Settings.from_env({"LEADFLOW_PRUNE_INTERVAL_SECONDS": "0"}).prune_interval_seconds == 0
    for value, message in (("hourly", "whole number"), ("-1", "between 0 and 86400")):
        with pytest.raises(SettingsError, match=message) as raised:
            Settings.from_env({"LEADFLOW_PRUNE_INTERVAL_SECONDS": value})
        assert "LEADFLOW_PRUNE_INTERVAL_SECONDS" in str(raised.value)
