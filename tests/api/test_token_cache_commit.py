"""Token lookups are kept for a moment (auth/tokens.py), and a save of a user or a token clears
them. A save inside a transaction clears them before its COMMIT: a lookup in between reads the
old row (token live, user active). The code that commits such a transaction clears them again
after the COMMIT (deactivate_user; a mutation sent with an Idempotency-Key, which runs in one
transaction), so the next request in this process is refused. Reviewer C's finding.

PostgreSQL only: SQLite's one connection makes the lookup wait for the COMMIT."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any

import httpx
import pytest
from tortoise import Tortoise

from leadflow.auth import tokens
from leadflow.services import accounts
from tests.api.test_token_cache import token_id
from tests.helpers import Actors, mutation_text


@pytest.fixture(autouse=True)
def kept_for_two_seconds(actors: Actors, monkeypatch: pytest.MonkeyPatch) -> None:
    if Tortoise.get_connection("default").capabilities.dialect != "postgres":
        pytest.skip("SQLite's one connection makes the lookup wait for the COMMIT")
    monkeypatch.setattr(tokens, "TOKEN_CACHE_SECONDS", 2.0)  # tests/conftest.py sets it to 0
    tokens.forget_token_lookups()


class Pause:
    """Stops the transaction after its save (the lookups cleared, the row not committed)."""

    def __init__(self, original: Callable[..., Awaitable[Any]]) -> None:
        self.original = original
        self.reached, self.release = asyncio.Event(), asyncio.Event()

    async def __call__(self, *args: Any, **kwargs: Any) -> Any:
        self.reached.set()
        await self.release.wait()
        return await self.original(*args, **kwargs)


async def looked_up_before_the_commit(pause: Pause, work: Awaitable[Any], secret: str) -> Any:
    """Runs `work`; while it is paused in its transaction, another request uses `secret`."""
    task = asyncio.ensure_future(work)
    await asyncio.wait_for(pause.reached.wait(), 10)
    during = await tokens.authenticate_token(secret)
    assert during is not None  # the old row: the save is not committed yet
    pause.release.set()
    return await task


async def test_a_user_deactivated_in_a_transaction_is_refused_after_its_commit(
    actors: Actors, monkeypatch: pytest.MonkeyPatch
) -> None:
    pause = Pause(accounts.revoke_sessions_of)  # called after the save, in the transaction
    monkeypatch.setattr(accounts, "revoke_sessions_of", pause)
    work = accounts.deactivate_user(actors.admin.user, actors.clerk_a.user.id)
    await looked_up_before_the_commit(pause, work, actors.clerk_a.token)
    assert await tokens.authenticate_token(actors.clerk_a.token) is None


@pytest.mark.parametrize("mutation", ["revokeApiToken", "deactivateUser"])
async def test_a_keyed_mutation_is_refused_after_its_commit(
    client: httpx.AsyncClient, actors: Actors, monkeypatch: pytest.MonkeyPatch, mutation: str
) -> None:
    """With an Idempotency-Key the whole request is one transaction (web/graphql.py)."""
    pause = Pause(accounts.record)  # the audit record, after the save
    monkeypatch.setattr(accounts, "record", pause)
    variables = (
        {"tokenId": await token_id(actors.clerk_a)}
        if mutation == "revokeApiToken"
        else {"userId": actors.clerk_a.gid}
    )
    work = client.post(
        "/graphql",
        json={"query": mutation_text(mutation), "variables": {"input": variables}},
        headers={"Authorization": f"Bearer {actors.admin.token}", "Idempotency-Key": "k-1"},
    )
    response = await looked_up_before_the_commit(pause, work, actors.clerk_a.token)
    assert response.status_code == 200, response.text
    assert response.json()["data"][mutation]["userErrors"] == [], response.text
    assert await tokens.authenticate_token(actors.clerk_a.token) is None
