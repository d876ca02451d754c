"""The hub: one per app instance (`app.state.hub`, run in the app's lifespan). It reads the
event outbox with an `OutboxCursor` whenever it is woken - by PostgreSQL NOTIFY through its
listening connection (`listener.py`), on SQLite by this process's own writes
(`outbox.on_written`), and by a slow safety poll, so a lost wake-up only delays - and hands
every event to every subscription. Deciding who may see an event is the subscriptions' (the
API's) business.

A subscription is an async iterator of `HubMessage`s:
- `hub.subscribe(None)`: the events from now on;
- `hub.subscribe(after_id)`: first the stored events after `after_id` that this hub has read,
  then the live ones, without gaps or doubles (live events that arrive during the replay are
  held back and those already replayed are skipped). An event with a smaller id that this hub
  delivered after `after_id` (it committed later) is replayed first: the hub keeps the order
  in which it delivered its recent events. When `after_id` is not in that log (another
  instance's, or too old) while smaller ids are still awaited, it starts with `Refetch`; so it
  does when events were pruned or more than REPLAY_LIMIT would be replayed.
- A subscriber that does not keep up (QUEUE_LIMIT messages waiting) gets its waiting messages
  replaced by one `Refetch` and continues with the next events: a slow subscriber never blocks
  the hub or the others.
It ends when the hub stops. It is registered from `subscribe` on, and unregistered by `aclose()`
or when it is dropped (the hub holds its subscriptions weakly).

The hub never stops the app: a failed read is logged and retried with a backoff.
"""

from __future__ import annotations

import asyncio
import logging
import random
import weakref
from collections import deque
from collections.abc import AsyncIterator, Callable, Coroutine
from contextlib import asynccontextmanager, suppress
from dataclasses import dataclass
from typing import Any

from leadflow.db.availability import log_failure
from leadflow.db.rounds import in_own_task
from leadflow.db.sql import is_postgres
from leadflow.live.cursor import LiveEvent, OutboxCursor, events_by_id, stored_events
from leadflow.live.listener import OutboxListener
from leadflow.services import outbox

log = logging.getLogger("leadflow.live")

__all__ = ["HUB_TASK_NAME", "Hub", "HubMessage", "LiveEvent", "Refetch", "Subscription"]

QUEUE_LIMIT = 1_000
REPLAY_LIMIT = 1_000
# The ids this hub delivered most recently, in the order it delivered them (commit order), so a
# subscriber resuming after an id also gets what committed later with a SMALLER id.
DELIVERED_LOG = 10_000
# The safety poll: on PostgreSQL NOTIFY wakes the hub, the poll only bounds a lost wake-up's
# delay; SQLite's in-process wake-up comes from this process alone (one instance).
POLL_SECONDS_POSTGRES = 5.0
POLL_SECONDS_SQLITE = 1.0
RETRY_SECONDS = (0.1, 5.0)
STOP_SECONDS = 5.0
HUB_TASK_NAME = "leadflow-live-hub"
FAN_OUT_SLICE = 50


@dataclass(frozen=True, slots=True)
class Refetch:
    """Events may have been missed: refetch what is shown, then go on with the live events.
    `after_id`: the position the stream continues after (None: unknown yet)."""

    after_id: int | None


HubMessage = LiveEvent | Refetch
# How the hub starts its tasks: the app's `BackgroundWork.spawn` (background tasks start in
# one module, leadflow.jobs, so that the app's stop ends them all).
Spawn = Callable[[Coroutine[Any, Any, None], str], "asyncio.Task[Any]"]


class Hub:
    def __init__(self, database_url: str, spawn: Spawn) -> None:
        self._database_url = database_url
        self._spawn = spawn
        self._subscriptions: weakref.WeakSet[Subscription] = weakref.WeakSet()
        self._cursor: OutboxCursor | None = None
        self._wake: asyncio.Event | None = None
        self._task: asyncio.Task[None] | None = None
        self._listener: OutboxListener | None = None
        self._stop_hook: Callable[[], None] = _nothing
        self._stopping = False
        self._delivered: deque[int] = deque(maxlen=DELIVERED_LOG)
        self._also_wake: list[Callable[[], None]] = []

    @property
    def newest_id(self) -> int | None:
        """The largest event id read so far (None before the first read)."""
        return self._cursor.high if self._cursor else None

    def gaps_below(self, event_id: int) -> bool:
        """Whether ids below `event_id` are still awaited (may yet commit)."""
        return self._cursor is not None and any(gap < event_id for gap in self._cursor.gaps)

    @property
    def listener(self) -> OutboxListener | None:
        return self._listener

    def subscribe(self, after_id: int | None) -> Subscription:
        subscription = Subscription(self, after_id)
        self._subscriptions.add(subscription)
        if self._stopping:
            subscription._end()  # shutting down: it ends at once
        return subscription

    def wake(self) -> None:
        if self._wake is not None:
            self._wake.set()
        for wake in self._also_wake:
            wake()

    def also_wake(self, wake: Callable[[], None]) -> None:
        """Call `wake` too whenever new events may have committed (NOTIFY from any instance on
        PostgreSQL, this process's writes on SQLite): the webhook worker's cue to fan out."""
        self._also_wake.append(wake)

    def delivered_late(self, after_id: int) -> list[int] | None:
        """The ids at or below `after_id` that this hub delivered AFTER `after_id` (they
        committed later than it): a subscriber whose last event was `after_id` has not seen
        them. None when `after_id` is not in the recent log (too old, or delivered by another
        instance): then what committed late cannot be told apart."""
        log = list(self._delivered)
        try:
            position = log.index(after_id)
        except ValueError:
            return None
        return [event_id for event_id in log[position + 1 :] if event_id < after_id]

    @asynccontextmanager
    async def running(self) -> AsyncIterator[None]:
        await self.start()
        try:
            yield
        finally:
            await self.stop()

    async def start(self) -> None:
        """Start reading (the database must be open)."""
        self._stopping = False
        self._wake = asyncio.Event()  # created here: it belongs to the running loop
        postgres = is_postgres()
        self._poll_seconds = POLL_SECONDS_POSTGRES if postgres else POLL_SECONDS_SQLITE
        if postgres:
            # NOTIFY arrives at commit, this process's own writes included; the in-process
            # wake-up would come before the commit and only cost an empty read.
            self._listener = OutboxListener(self._database_url, self.wake)
            self._listener.start(self._spawn)
        else:
            self._stop_hook = outbox.on_written(self.wake)
        with suppress(Exception):
            # From now on; if the database does not answer yet, the loop finds the start.
            self._cursor = await OutboxCursor.at_newest()
        self._task = self._spawn(self._run(), HUB_TASK_NAME)

    async def stop(self) -> None:
        """Stop reading and end every subscription (before the database closes)."""
        self._stopping = True
        self._stop_hook()
        self._stop_hook = _nothing
        self.wake()
        if self._listener is not None:
            await self._listener.stop()
        if self._task is not None:
            # Not cancelled inside a read if it can be helped (SQLite's one connection).
            await asyncio.wait([self._task], timeout=STOP_SECONDS)
            self._task.cancel()
            with suppress(asyncio.CancelledError):
                await self._task
        for subscription in list(self._subscriptions):
            subscription._end()

    async def _run(self) -> None:
        assert self._wake is not None
        retry = RETRY_SECONDS[0]
        while not self._stopping:
            self._wake.clear()  # before reading: a wake-up during the read reads again
            try:
                # A task of its own: what a read leaves in its context dies with it.
                await in_own_task(self._read_all())
                wait = self._poll_seconds
                retry = RETRY_SECONDS[0]
            except Exception as error:
                wait = retry * random.uniform(0.5, 1.0)
                log_failure(log, error, "Reading the event outbox", f"retrying in {wait:.1f} s")
                retry = min(retry * 2, RETRY_SECONDS[1])
                self._wake.clear()  # a wake-up does not cut the backoff short
            with suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), wait)

    async def _read_all(self) -> None:
        if self._cursor is None:
            self._cursor = await OutboxCursor.at_newest()
        more = True
        while more and not self._stopping:
            events, more = await self._cursor.read()
            for count, event in enumerate(events, 1):
                self._fan_out(event)
                if count % FAN_OUT_SLICE == 0:
                    # A big batch to many subscriptions: let the requests run in between.
                    await asyncio.sleep(0)
            if self._cursor.take_lost_track():
                self._fan_out(Refetch(self._cursor.high))

    def _fan_out(self, message: HubMessage) -> None:
        if isinstance(message, LiveEvent):
            self._delivered.append(message.id)
        for subscription in list(self._subscriptions):
            subscription._offer(message)


def _nothing() -> None:
    pass


class Subscription:
    """The messages of one subscriber (see the module's doc); an async iterator."""

    def __init__(self, hub: Hub, after_id: int | None) -> None:
        self._hub = hub
        self._after_id = after_id
        # What this hub had read when the subscription began: replayed from the database up to
        # there, live after it.
        self._start = hub.newest_id
        self._replay: deque[HubMessage] | None = None if after_id is not None else deque()
        self._replayed: set[int] = set()
        # Unbounded, but `_offer` keeps it at QUEUE_LIMIT; room for the end marker (None).
        self._queue: asyncio.Queue[HubMessage | None] = asyncio.Queue()
        self._ended = False

    def __aiter__(self) -> Subscription:
        return self

    async def __anext__(self) -> HubMessage:
        if self._replay is None:
            self._replay = deque(await self._stored())
        if self._replay:
            return self._replay.popleft()
        while not self._ended or not self._queue.empty():
            message = await self._queue.get()
            if message is None:
                break
            if not self._seen(message):
                return message
        self._ended = True
        raise StopAsyncIteration

    async def aclose(self) -> None:
        self._hub._subscriptions.discard(self)
        self._end()

    def _end(self) -> None:
        if not self._ended:
            self._ended = True
            self._queue.put_nowait(None)

    async def _stored(self) -> list[HubMessage]:
        after = self._after_id
        assert after is not None
        if self._start is None:
            return [Refetch(None)]  # the hub has not read yet: where "now" is is unknown
        late = self._hub.delivered_late(after)
        if late is None and self._hub.gaps_below(after):
            # Events below `after` may still commit, and the log cannot say which of those
            # the subscriber saw: refetch rather than miss one.
            return [Refetch(self._start)]
        events = await stored_events(after, self._start, REPLAY_LIMIT)
        if events is None:
            return [Refetch(self._start)]
        # What committed after `after` with a smaller id comes first (commit order).
        events = [*await events_by_id(late or []), *events]
        self._replayed = {event.id for event in events}
        return list(events)

    def _seen(self, message: HubMessage) -> bool:
        if not isinstance(message, LiveEvent):
            return False
        if message.id in self._replayed:
            return True
        # Ids past the hub's position that the subscriber says it saw (on another instance
        # that had read further).
        after = self._after_id
        return after is not None and self._start is not None and self._start < message.id <= after

    def _offer(self, message: HubMessage) -> None:
        if self._ended:
            return
        if self._queue.qsize() >= QUEUE_LIMIT:
            # Too slow: what waits is replaced by one refetch; the stream goes on after it.
            while not self._queue.empty():
                self._queue.get_nowait()
            after = message.id if isinstance(message, LiveEvent) else message.after_id
            self._queue.put_nowait(Refetch(after))
            return
        self._queue.put_nowait(message)
