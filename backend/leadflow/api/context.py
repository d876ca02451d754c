"""Per-request context: who is asking (authenticated by the web layer), from where, and the
request's DataLoaders."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property

from leadflow.api.errors import forbidden, unauthenticated
from leadflow.api.loaders import Loaders
from leadflow.auth.tokens import Authenticated
from leadflow.db.models import User


@dataclass
class Context:
    """`auth` is None for a request without a login (it may only introspect); `address` is
    the client's network address (`web.client.client_address`), for the audit log."""

    auth: Authenticated | None
    address: str = ""

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
