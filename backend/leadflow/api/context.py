"""Per-request context: who is asking (authenticated by the web layer), from where, and the
request's DataLoaders."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property
from zoneinfo import ZoneInfo

from leadflow.api.errors import forbidden, unauthenticated
from leadflow.api.loaders import Loaders
from leadflow.auth.tokens import Authenticated
from leadflow.db.models import User
from leadflow.services.due import UTC_ZONE, Today


@dataclass
class Context:
    """`auth` is None for a request without a login (it may only introspect); `address` is
    the client's network address (`web.client.client_address`), for the audit log;
    `time_zone` the viewer's (the `Time-Zone` header), which decides what "today" is."""

    auth: Authenticated | None
    address: str = ""
    time_zone: ZoneInfo = UTC_ZONE

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

    def require_writer(self) -> User:
        """Mutations: a read-only token may look but never change anything."""
        user = self.require_viewer()
        if self.auth is not None and self.auth.read_only:
            raise forbidden("This token is read-only; mutations are refused.")
        return user
