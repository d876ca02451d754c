"""API token lookups are kept for a moment (auth/tokens.py): a request with a token that was
just used costs no lookup, a token revoked or a user deactivated in this process is refused at
the very next request, and a revocation this process did not see (another instance, a plain
UPDATE) takes effect once the kept lookup expires, after at most TOKEN_CACHE_SECONDS."""

from __future__ import annotations

import httpx
import pytest

from leadflow import clock
from leadflow.api.ids import encode_id
from leadflow.auth import tokens
from leadflow.auth.tokens import token_digest
from leadflow.db.models import ApiToken, User
from tests.helpers import Actor, Actors, QueryCounter, error_codes, gql, mutate_ok

VIEWER = "{ viewer { name } }"


class Monotonic:
    """The clock the kept lookups age by, moved by hand."""

    def __init__(self) -> None:
        self.now = 1000.0

    def monotonic(self) -> float:
        return self.now


@pytest.fixture
def monotonic(monkeypatch: pytest.MonkeyPatch) -> Monotonic:
    moved = Monotonic()
    monkeypatch.setattr(tokens.time, "monotonic", moved.monotonic)
    monkeypatch.setattr(tokens, "TOKEN_CACHE_SECONDS", 2.0)  # tests/conftest.py sets it to 0
    tokens.forget_token_lookups()  # nothing kept from another test's database
    return moved


async def signed_in(client: httpx.AsyncClient, actor: Actor) -> bool:
    body = await gql(client, VIEWER, actor=actor)
    if error_codes(body) == ["UNAUTHENTICATED"]:
        return False
    assert not body.get("errors"), body
    return True


def token_lookups(counter: QueryCounter) -> list[str]:
    return [statement for statement in counter.statements if '"api_tokens"' in statement]


async def token_id(actor: Actor) -> str:
    token = await ApiToken.get(digest=token_digest(actor.token))
    return encode_id("ApiToken", token.id)


async def test_a_token_used_just_now_is_not_looked_up_again(
    client: httpx.AsyncClient, actors: Actors, monotonic: Monotonic
) -> None:
    with QueryCounter() as first:
        assert await signed_in(client, actors.clerk_a)
    with QueryCounter() as again:
        assert await signed_in(client, actors.clerk_a)
    monotonic.now += 2.0
    with QueryCounter() as later:
        assert await signed_in(client, actors.clerk_a)
    assert len(token_lookups(first)) == 1
    assert token_lookups(again) == []
    assert len(token_lookups(later)) == 1


async def test_a_token_revoked_here_is_refused_at_once(
    client: httpx.AsyncClient, actors: Actors, monotonic: Monotonic
) -> None:
    assert await signed_in(client, actors.clerk_a)
    await mutate_ok(
        client, actors.admin, "revokeApiToken", {"tokenId": await token_id(actors.clerk_a)}
    )
    assert not await signed_in(client, actors.clerk_a)
    assert await signed_in(client, actors.clerk_b)  # other tokens go on working


async def test_a_user_deactivated_here_is_refused_at_once(
    client: httpx.AsyncClient, actors: Actors, monotonic: Monotonic
) -> None:
    assert await signed_in(client, actors.clerk_a)
    await mutate_ok(client, actors.admin, "deactivateUser", {"userId": actors.clerk_a.gid})
    assert not await signed_in(client, actors.clerk_a)


async def test_a_revocation_elsewhere_takes_effect_within_the_bound(
    client: httpx.AsyncClient, actors: Actors, monotonic: Monotonic
) -> None:
    assert await signed_in(client, actors.clerk_a)
    # Another instance revokes the token, deactivates a user: this process hears nothing.
    await ApiToken.filter(digest=token_digest(actors.clerk_a.token)).update(revoked_at=clock.now())
    assert await signed_in(client, actors.manager)
    await User.filter(id=actors.manager.user.id).update(active=False)
    monotonic.now += 2.0 - 0.01
    assert await signed_in(client, actors.clerk_a)  # still the kept lookup
    assert await signed_in(client, actors.manager)
    monotonic.now += 0.01
    assert not await signed_in(client, actors.clerk_a)
    assert not await signed_in(client, actors.manager)


async def test_each_request_gets_its_own_user(
    client: httpx.AsyncClient, actors: Actors, monotonic: Monotonic
) -> None:
    first = await tokens.authenticate_token(actors.clerk_a.token)
    second = await tokens.authenticate_token(actors.clerk_a.token)
    assert first is not None and second is not None
    assert first.user is not second.user and first.user.id == second.user.id
    first.user.name = "changed by a request"
    third = await tokens.authenticate_token(actors.clerk_a.token)
    assert third is not None and third.user.name == actors.clerk_a.user.name


async def test_a_lookup_under_way_while_a_revocation_clears_is_not_kept(
    actors: Actors, monotonic: Monotonic, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The lookup read the token before the revocation committed: it may answer its own
    request, but the next request must ask the database again."""
    original = tokens.token_digest

    def digest_then_revoke_elsewhere(secret: str) -> str:
        tokens.forget_token_lookups()  # a revocation in this process, during the lookup
        return original(secret)

    monkeypatch.setattr(tokens, "token_digest", digest_then_revoke_elsewhere)
    assert await tokens.authenticate_token(actors.clerk_a.token) is not None
    monkeypatch.setattr(tokens, "token_digest", original)
    assert tokens._recent == {}
