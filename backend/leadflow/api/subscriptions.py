"""The Subscription root: live updates read from the outbox through the instance's hub.

Every subscription reads the hub's stream (`Context.events`), keeps what concerns the viewer and
shapes it as a query would, under the same visibility rules (a lead is loaded fresh through
`services.leads.get_lead`). Before each delivery the connection's login is checked again; a
revoked one ends the stream (the transport then closes the connection).

When the hub cannot tell what was missed (the resume point is too old, the subscriber fell
behind) the subscription delivers one result whose only error has `extensions.code` REFETCH
(data null) and then goes on live: the client refetches what it shows. Transports: `web/live.py`
(graphql-transport-ws) and the SSE branch of `web/graphql.py`.
"""

from __future__ import annotations

import asyncio
from collections import OrderedDict
from collections.abc import AsyncGenerator, AsyncIterator
from typing import Any, TypeVar
from weakref import WeakKeyDictionary

import strawberry
from graphql import GraphQLError
from strawberry.types import Info

from leadflow.api.context import Context
from leadflow.api.inputs.leads import LeadFilter
from leadflow.api.rows import LeadRow, lead_rows
from leadflow.api.types.figures import LeadCounts
from leadflow.api.types.lead import LeadNode
from leadflow.api.types.live import TaskEvent, TaskEventKind
from leadflow.api.types.notification import NotificationNode
from leadflow.errors import AccessDenied, DomainError, ErrorCode
from leadflow.live.hub import Refetch
from leadflow.services import lead_lists, leads, notifications, outbox
from leadflow.services.due import Today

# Bursts (a distribution of 1,000 leads writes 1,000 events) cost one recount per this interval.
COUNTS_INTERVAL_SECONDS = 0.25
LEAD_TOPICS = frozenset(
    {
        outbox.LEAD_CREATED,
        outbox.LEAD_ASSIGNED,
        outbox.LEAD_REASSIGNED,
        outbox.LEAD_FEEDBACK_RECORDED,
        outbox.LEAD_CHANGED,
        outbox.LEAD_CLOSED,
        outbox.LEAD_REOPENED,
    }
)
TASK_KINDS = {
    outbox.LEAD_ASSIGNED: TaskEventKind.ASSIGNED,
    outbox.LEAD_CLOSED: TaskEventKind.CLOSED,
    outbox.LEAD_FEEDBACK_RECORDED: TaskEventKind.CHANGED,
    outbox.LEAD_CHANGED: TaskEventKind.CHANGED,
    outbox.LEAD_REOPENED: TaskEventKind.CHANGED,
}
REFETCH = "REFETCH"

T = TypeVar("T")


@strawberry.type
class Subscription:
    @strawberry.subscription(
        description="Changes of the viewer's own task list: leads assigned to the viewer, taken "
        "away, closed or changed. `lastEventId` resumes after that event; when it is too old "
        "a result with the error code REFETCH comes first (refetch the list), then live ones."
    )
    async def task_events(
        self, info: Info[Context, None], last_event_id: strawberry.ID | None = None
    ) -> AsyncGenerator[TaskEvent, None]:
        context = info.context
        viewer = context.require_viewer()
        after_id = _event_id(last_event_id)
        async for message in _messages(context, after_id):
            if _is_refetch(message):
                yield refetch_marker(TaskEvent)
                continue
            if viewer.id not in message.user_ids or message.lead_id is None:
                continue
            kind = task_kind(message.topic, message.payload, viewer.id)
            if kind is None:
                continue
            if not await context.still_signed_in():
                return
            context.renew()
            node = None
            if kind is not TaskEventKind.REASSIGNED_AWAY:
                node = await _visible_lead(context, message.id, message.lead_id)
                if node is None:
                    continue
            yield TaskEvent(
                kind=kind,
                event_id=strawberry.ID(str(message.id)),
                lead_pk=message.lead_id,
                node=node,
            )

    @strawberry.subscription(
        description="The New/Active/Done counts of `leadCounts(filter)`, pushed when a lead "
        "change alters them (at most four times a second)."
    )
    async def lead_counts_changed(
        self, info: Info[Context, None], filter: LeadFilter | None = None
    ) -> AsyncGenerator[LeadCounts, None]:
        context = info.context
        actor = context.require_viewer()
        parsed = LeadFilter.parse(filter)

        async def count() -> LeadCounts:
            # Today afresh: a connection may outlive midnight.
            today = Today.in_zone(context.time_zone)
            return LeadCounts.from_counts(await lead_lists.lead_counts(actor, parsed, today))

        # Refused filters and viewers fail here, before anything is delivered.
        last = await count()
        async for _ in _lead_changes(context, COUNTS_INTERVAL_SECONDS):
            if not await context.still_signed_in():
                return
            context.renew()
            counts = await count()
            if counts != last:
                last = counts
                yield counts

    @strawberry.subscription(
        description="The viewer's new notifications as they are created (the bell). After a "
        "result with the error code REFETCH, refetch notifications and unreadNotificationCount."
    )
    async def notification_added(
        self, info: Info[Context, None]
    ) -> AsyncGenerator[NotificationNode, None]:
        context = info.context
        viewer = context.require_viewer()
        async for message in _messages(context, None):
            if _is_refetch(message):
                yield refetch_marker(NotificationNode)
                continue
            if message.topic != outbox.NOTIFICATION_ADDED or viewer.id not in message.user_ids:
                continue
            notification_id = message.payload.get("notificationId")
            if not isinstance(notification_id, int):
                continue
            if not await context.still_signed_in():
                return
            context.renew()
            try:
                notification = await notifications.get_notification(viewer, notification_id)
            except (DomainError, AccessDenied):
                continue  # gone, or (never) someone else's
            yield NotificationNode.from_model(notification)


def task_kind(topic: str, payload: dict[str, object], viewer_id: int) -> TaskEventKind | None:
    """The kind of an outbox event for the viewer, one of its `user_ids`. A reassignment names
    both clerks; its payload's `assigneeId` is the one the lead went to."""
    if topic == outbox.LEAD_REASSIGNED:
        went_to_viewer = payload.get("assigneeId") == viewer_id
        return TaskEventKind.ASSIGNED if went_to_viewer else TaskEventKind.REASSIGNED_AWAY
    return TASK_KINDS.get(topic)


async def _visible_lead(context: Context, event_id: int, lead_id: int) -> LeadNode | None:
    """The event's lead as the viewer may see it now (the `lead` query's rule,
    `leads.require_lead_visible`, on the row), None when it may not. The row is read once per
    event for all of this instance's subscriptions (`SharedRows`): an event to a user with 20
    tabs, or one read by 1,000 subscriptions, costs one query."""
    row = await SharedRows.of(context.events).row(event_id, lead_id)
    if row is None:
        return None
    try:
        leads.require_lead_visible(context.require_viewer(), row)
    except AccessDenied:
        return None
    return LeadNode.from_values(row)


class SharedRows:
    """Lead rows by event id, read once per event for every subscription of one hub (an app
    instance); the last ROWS_KEPT events' rows are kept. A row is read after its event, so
    every subscriber sees the lead at least as new as the event."""

    ROWS_KEPT = 256
    _by_hub: WeakKeyDictionary[object, SharedRows] = WeakKeyDictionary()

    def __init__(self) -> None:
        self._rows: OrderedDict[int, asyncio.Future[LeadRow | None]] = OrderedDict()

    @classmethod
    def of(cls, hub: object) -> SharedRows:
        shared = cls._by_hub.get(hub)
        if shared is None:
            shared = cls._by_hub[hub] = cls()
        return shared

    async def row(self, event_id: int, lead_id: int) -> LeadRow | None:
        pending = self._rows.get(event_id)
        if pending is not None:
            try:
                return await asyncio.shield(pending)
            except _ReadFailed:
                pass  # the reader failed (or was cancelled): read it ourselves
            return (await lead_rows([lead_id])).get(lead_id)
        future: asyncio.Future[LeadRow | None] = asyncio.get_running_loop().create_future()
        # Nobody may wait for a failure unseen: mark it retrieved.
        future.add_done_callback(lambda done: done.cancelled() or done.exception())
        self._rows[event_id] = future
        while len(self._rows) > self.ROWS_KEPT:
            self._rows.popitem(last=False)
        try:
            row = (await lead_rows([lead_id])).get(lead_id)
        except BaseException:
            self._rows.pop(event_id, None)
            future.set_exception(_ReadFailed())
            raise
        future.set_result(row)
        return row


class _ReadFailed(Exception):
    """The subscription reading a shared row failed or was cancelled."""


def _stream(context: Context, after_id: int | None) -> AsyncIterator[Any]:
    """The hub's subscription: messages with id > `after_id` (None: from now)."""
    if context.events is None:
        raise GraphQLError(
            "Subscriptions are served over WebSocket (graphql-transport-ws) or Server-Sent "
            "Events on /graphql.",
            extensions={"code": "BAD_REQUEST"},
        )
    return context.events.subscribe(after_id)


async def _messages(context: Context, after_id: int | None) -> AsyncIterator[Any]:
    """The hub's messages for this subscription; unsubscribes when the subscription ends."""
    stream = _stream(context, after_id)
    try:
        async for message in stream:
            yield message
    finally:
        await _close(stream)


async def _lead_changes(context: Context, interval: float) -> AsyncIterator[None]:
    """One tick per burst of messages that may change lead counts (lead events and refetch
    markers), at most one per `interval`: the first change of a quiet time ticks at once, the
    ones after it are gathered until `interval` has passed since the last tick. A burst of
    1,000 events costs a few recounts, and the last change of a burst is never left waiting."""
    stream = _stream(context, None)
    loop = asyncio.get_running_loop()
    next_allowed = loop.time()
    try:
        async for message in stream:
            if not _changes_counts(message):
                continue
            while (left := next_allowed - loop.time()) > 0:
                try:
                    # Safe to cut: the hub's iterator loses nothing when its wait is cancelled.
                    # (Not wait_for: on 3.11 it can swallow the subscription's own cancel.)
                    async with asyncio.timeout(left):
                        await anext(stream)
                except TimeoutError:
                    break
            next_allowed = loop.time() + interval
            yield None
    except StopAsyncIteration:
        return
    finally:
        await _close(stream)


def _changes_counts(message: Any) -> bool:
    return _is_refetch(message) or message.topic in LEAD_TOPICS


async def _close(stream: AsyncIterator[Any]) -> None:
    closer = getattr(stream, "aclose", None)
    if closer is not None:
        await closer()


def _is_refetch(message: Any) -> bool:
    return isinstance(message, Refetch)


def _event_id(raw: strawberry.ID | None) -> int | None:
    if raw is None:
        return None
    text = str(raw).strip()
    if not text.isdigit() or len(text) > 18:
        raise DomainError(ErrorCode.INVALID, "lastEventId must be an event id.", ["lastEventId"])
    return int(text)


def refetch_marker(cls: type[T]) -> T:
    """A value of `cls` whose every field fails with code REFETCH: the result carries that
    error (data null) and the subscription continues."""
    marker = type(f"Refetch{cls.__name__}", (cls,), {"__getattr__": _refuse_field})
    return object.__new__(marker)


def _refuse_field(self: object, name: str) -> object:
    if name.startswith("_"):
        raise AttributeError(name)
    raise GraphQLError(
        "Events were missed (the resume point is too old or the connection fell behind): "
        "refetch what you show; live events follow.",
        extensions={"code": REFETCH},
    )
