"""The real app with settings of a test's choosing (limits, switches), called over HTTP in-process
like the `client` fixture does with the default settings."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import httpx
from starlette.applications import Starlette
from tortoise.backends.base.executor import EXECUTOR_CACHE

from leadflow.app import create_app
from leadflow.settings import Settings


@asynccontextmanager
async def running_app(settings: Settings) -> AsyncIterator[Starlette]:
    """The app with its lifespan running (the ORM initialised, background tasks started)."""
    # See conftest's `app` fixture: the statement cache is per connection name.
    EXECUTOR_CACHE.clear()
    application = create_app(settings)
    async with application.router.lifespan_context(application):
        yield application


@asynccontextmanager
async def app_client(settings: Settings) -> AsyncIterator[httpx.AsyncClient]:
    async with running_app(settings) as application:
        transport = httpx.ASGITransport(app=application)
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as http:
            yield http
