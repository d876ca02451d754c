"""Per-request context: who is asking (authenticated by the web layer), from where, and the
request's DataLoaders."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from functools import cached_property
from typing import Any, Protocol
from zoneinfo import ZoneInfo

from leadflow.api.errors import forbidden, unauthenticated
from leadflow.api.loaders import Loaders
from leadflow.auth.tokens import Authenticated
from leadflow.db.models import User
from leadflow.services.due import UTC_ZONE, Today


class EventSource(Protocol):
    """Where subscriptions read the outbox's events (the instance's `leadflow.live.hub.Hub`):
    messages with id > `after_id` (None: from now), each an event or a refetch marker."""

    def subscribe(self, after_id: int | None) -> AsyncIterator[Any]: ...


class Credentials(Protocol):
    """The login a long-lived connection was opened with, checked again while it lasts."""

    async def still_valid(self) -> bool: ...


@dataclass
class Context:
    """`auth` is None for a request without a login (it may only introspect); `address` is
    the client's network address (`web.client.client_address`), for the audit log;
    `time_zone` the viewer's (the `Time-Zone` header), which decides what "today" is."""

    auth: Authenticated | None
    address: str = ""
    time_zone: ZoneInfo = UTC_ZONE
    # Subscriptions only (`web/live.py`, the SSE branch of `web/graphql.py`): the event source,
    # the connection's credentials to check again, and graphql-transport-ws's connection_init
    # payload (strawberry sets it).
    events: EventSource | None = None
    credentials: Credentials | None = None
    connection_params: dict[str, Any] | None = None

    @cached_property
    def today(self) -> Today:
        """Today in the viewer's time zone, fixed for the whole request."""
        return Today.in_zone(self.time_zone)

    @cached_property
    def loaders(self) -> Loaders:
        viewer = self.auth.user if self.auth else None
        return Loaders(viewer)

    def require_viewer(self) -> User:
        if self.auth is None:
            raise unauthenticated()
        return self.auth.user

    def renew(self) -> None:
        """Before a subscription's next result: read afresh. A connection keeps one context for
        hours, and the loaders' cache (and "today") must not carry over from event to event."""
        self.forget_loaded()
        self.__dict__.pop("today", None)

    def forget_loaded(self) -> None:
        """Before each mutation (api/mutations/payload.py): the loaders' cache may hold what
        the document's earlier mutations changed; the next reads load afresh."""
        self.__dict__.pop("loaders", None)

    async def still_signed_in(self) -> bool:
        """A long-lived connection's login is still valid (not revoked, user active)."""
        return self.credentials is None or await self.credentials.still_valid()

    def require_writer(self) -> User:
        """Mutations: a read-only token may look but never change anything."""
        user = self.require_viewer()
        if self.auth is not None and self.auth.read_only:
            raise forbidden("This token is read-only; mutations are refused.")
        return user
