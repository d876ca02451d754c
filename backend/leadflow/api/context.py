"""Per-request context: who is asking (authenticated by the web layer), from where, and the
request's DataLoaders."""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property
from typing import TYPE_CHECKING

from leadflow.api.errors import forbidden, unauthenticated
from leadflow.api.loaders import Loaders
from leadflow.auth.tokens import Authenticated
from leadflow.db.models import User

if TYPE_CHECKING:
    from starlette.requests import Request


@dataclass
class Context:
    """`auth` is None for a request without a login (it may only introspect); `address` is
    the client's network address (`web.client.client_address`), for the audit log."""

    auth: Authenticated | None
    address: str = ""
    # The HTTP request, for what the context does not carry yet; None outside HTTP.
    request: Request | None = None
    _loaders: Loaders | None = field(default=None, repr=False)

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
