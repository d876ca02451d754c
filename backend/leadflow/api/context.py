"""Per-request context: who is asking, and the request's DataLoaders."""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property

from starlette.requests import Request

from leadflow.api.errors import forbidden, unauthenticated
from leadflow.api.loaders import Loaders
from leadflow.auth.sessions import SESSION_COOKIE, authenticate_session
from leadflow.auth.tokens import Authenticated, authenticate_token
from leadflow.db.models import User


@dataclass
class Context:
    request: Request | None
    auth: Authenticated | None
    response: object | None = None
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


async def build_context(request: Request, response: object | None = None) -> Context:
    """The context of one GraphQL request: authenticates it (bearer token or session)."""
    return Context(request=request, auth=await authenticate_request(request), response=response)


async def authenticate_request(request: Request) -> Authenticated | None:
    """A bearer token wins; otherwise the browser's session cookie."""
    header = request.headers.get("authorization", "")
    if header:
        scheme, _, secret = header.partition(" ")
        if scheme.lower() != "bearer" or not secret.strip():
            return None
        return await authenticate_token(secret.strip())
    session_secret = request.cookies.get(SESSION_COOKIE)
    if session_secret:
        return await authenticate_session(session_secret)
    return None
