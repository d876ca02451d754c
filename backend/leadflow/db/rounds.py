"""Each round of a long-lived background loop in a task of its own, so that what a round
leaves in its task's context dies with the round.

Tortoise keeps a task's transaction connection in a context variable. A round that leaves it
set (Tortoise 1.1.9 did when a transaction's BEGIN failed on a dead connection; the asyncpg
engine now undoes that, but any other path that leaves it behind would do the same) would, in a
loop that runs every round in one task, send every later round's statements to that
connection ("connection has been released back to the pool") until the app restarts. A child
task runs in a copy of the loop's context: its changes stay in the copy.
"""

from __future__ import annotations

import asyncio
from collections.abc import Coroutine
from typing import Any, TypeVar

T = TypeVar("T")


async def in_own_task(round_: Coroutine[Any, Any, T]) -> T:
    """Run `round_` in a child task and return its result (or raise its error). Cancelling
    the caller cancels the child and waits for it to end (asyncio does so for an awaited
    task): a loop stopped mid-round leaves no round running behind it. The child carries its
    loop's task name, so that logs and whatever tells the app's background work by its task
    (the tests' statement counter) see the round as the loop's own."""
    loop_task = asyncio.current_task()
    name = loop_task.get_name() if loop_task is not None else None
    return await asyncio.create_task(round_, name=name)
