"""The real app with settings of a test's choosing (limits, switches), called over HTTP in-process
like the `client` fixture does with the default settings."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import httpx
from tortoise.backends.base.executor import EXECUTOR_CACHE

from leadflow.app import create_app
from leadflow.settings import Settings


@asynccontextmanager
async def app_client(settings: Settings) -> AsyncIterator[httpx.AsyncClient]:
    # See conftest's `app` fixture: the statement cache is per connection name.
    EXECUTOR_CACHE.clear()
    application = create_app(settings)
    async with application.router.lifespan_context(application):
        transport = httpx.ASGITransport(app=application)
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as http:
            yield http
