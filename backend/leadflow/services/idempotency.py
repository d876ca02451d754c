"""Idempotency keys: a mutation request sent again with the same key runs at most once.

A client that saw a network or server error cannot know whether its mutation committed; it
sends the request again with the same key (the `Idempotency-Key` header, `web/graphql.py`).
`once` runs the whole request in one transaction that first claims the key (a row in
`idempotency_keys`) and, before it commits, stores the response there: the key is recorded
exactly when the mutation's writes committed, and a retry answers the stored response instead
of running again. The services' own transactions inside it become savepoints, so their rules
("a payload with errors means nothing changed") hold as before; their outbox events commit
with it (their NOTIFY is delivered at that commit).

Concurrent requests with one key: on PostgreSQL the second INSERT of the key waits on the
unique index until the first transaction ends, then finds the committed row (and replays it)
or, after a rollback, claims the key itself. SQLite's IMMEDIATE transactions run one writer
at a time, so the second begins after the first committed.

Keys are per user (two users' equal keys never meet) and expire after KEEP_HOURS: an expired
row is replaced by the next request with its key, and the housekeeping deletes them (`prune`).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from tortoise.exceptions import DoesNotExist, IntegrityError
from tortoise.transactions import in_transaction

from leadflow import clock
from leadflow.db.models import IDEMPOTENCY_KEY_MAX, IdempotencyKey

# How long a key is remembered: retries come within seconds or minutes; a day also covers a
# client that retries after an outage of the night.
KEEP_HOURS = 24
# Rows deleted per statement when pruning.
PRUNE_BATCH = 1_000
# Attempts to claim a key whose row disappears between the conflict and the read (pruned, or
# an expired one replaced by another request that then rolled back).
_CLAIM_ATTEMPTS = 3


@dataclass(frozen=True, slots=True)
class StoredResponse:
    """An HTTP answer: status and JSON body (text). `replayed`: read from a stored key."""

    status: int
    body: str
    replayed: bool = False


@dataclass(frozen=True, slots=True)
class Outcome:
    """What a request's run answered, and whether to commit it with the key (False: roll back
    everything, the mutation's writes too, and store nothing: the client may try again)."""

    response: StoredResponse
    keep: bool


class KeyReused(Exception):
    """The key was used before for a different request (another mutation, other variables)."""


class KeyInProgress(Exception):
    """The key's first request has not finished (only a stored row without its response)."""


def valid_key(raw: str) -> bool:
    """1 to IDEMPOTENCY_KEY_MAX printable ASCII characters (space included, not at an end:
    HTTP trims header values), e.g. a UUID."""
    return 0 < len(raw) <= IDEMPOTENCY_KEY_MAX and all(" " <= char <= "~" for char in raw)


def request_digest(query: str, operation_name: str | None, variables: Any) -> str:
    """SHA-256 (hex) of what the request asks: the document as sent, the operation's name and
    the variables (keys sorted: their order in the JSON does not matter)."""
    canonical = json.dumps(
        [query, operation_name, variables],
        sort_keys=True,
        ensure_ascii=True,
        separators=(",", ":"),
    )
    return hashlib.sha256(canonical.encode("ascii")).hexdigest()


async def once(
    user_id: int, key: str, digest: str, run: Callable[[], Awaitable[Outcome]]
) -> StoredResponse:
    """`run` at most once for (user, key): inside one transaction with the key's claim, its
    response stored before the commit when `run` says to keep it. The stored response when the
    key was used before for the same request; KeyReused when for another one."""
    stored = await _stored(user_id, key, digest)
    if stored is not None:
        return stored
    try:
        async with in_transaction():
            stored = await _claim(user_id, key, digest)
            if stored is not None:
                raise _Answered(stored)
            outcome = await run()
            if not outcome.keep:
                raise _Answered(outcome.response)
            await IdempotencyKey.filter(user_id=user_id, key=key).update(
                status=outcome.response.status, response=outcome.response.body
            )
            return outcome.response
    except _Answered as answered:
        # Rolled back: a replay writes nothing, a discarded run leaves nothing behind.
        return answered.response


async def prune(keep_hours: float = KEEP_HOURS) -> int:
    """Delete keys older than `keep_hours`, a bounded batch per statement; returns how many."""
    cutoff = clock.now() - timedelta(hours=keep_hours)
    pruned = 0
    while True:
        batch = (
            await IdempotencyKey.filter(created_at__lt=cutoff)
            .order_by("id")
            .limit(PRUNE_BATCH)
            .values_list("id", flat=True)
        )
        if not batch:
            return pruned
        pruned += await IdempotencyKey.filter(id__in=batch, created_at__lt=cutoff).delete()
        if len(batch) < PRUNE_BATCH:
            return pruned


class _Answered(Exception):
    """Leaves the transaction with a response, rolling it back."""

    def __init__(self, response: StoredResponse) -> None:
        super().__init__("answered")
        self.response = response


async def _stored(user_id: int, key: str, digest: str) -> StoredResponse | None:
    """The committed answer for the key, read before any transaction (a replay takes no
    write lock); None when the key is new or expired."""
    row = await IdempotencyKey.get_or_none(user_id=user_id, key=key)
    if row is None or _expired(row):
        return None
    return _replay(row, digest)


async def _claim(user_id: int, key: str, digest: str) -> StoredResponse | None:
    """Insert the key's row in the current transaction (None: claimed, go on), or the answer
    stored under it by a request that committed first."""
    for _ in range(_CLAIM_ATTEMPTS):
        try:
            # A savepoint: on PostgreSQL the failed INSERT must not end the transaction.
            async with in_transaction():
                await IdempotencyKey.create(
                    user_id=user_id, key=key, request_digest=digest, created_at=clock.now()
                )
            return None
        except IntegrityError:
            pass
        try:
            # A statement of its own, so on PostgreSQL it sees the row the winner committed.
            row = await IdempotencyKey.get(user_id=user_id, key=key)
        except DoesNotExist:
            continue  # pruned meanwhile: claim it again
        if not _expired(row):
            return _replay(row, digest)
        await IdempotencyKey.filter(id=row.id, created_at=row.created_at).delete()
    raise KeyInProgress()


def _expired(row: IdempotencyKey) -> bool:
    return row.created_at < clock.now() - timedelta(hours=KEEP_HOURS)


def _replay(row: IdempotencyKey, digest: str) -> StoredResponse:
    if row.request_digest != digest:
        raise KeyReused()
    if row.status == 0:
        raise KeyInProgress()
    return StoredResponse(status=row.status, body=row.response, replayed=True)
