"""The ASGI application: the web layer's routes and middleware, and the lifespan that opens the
database and runs the background work while the app serves."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.routing import Route, WebSocketRoute
from tortoise.contrib.starlette import RegisterTortoise

from leadflow.api.schema import build_schema
from leadflow.db.config import tortoise_config
from leadflow.jobs import BackgroundWork
from leadflow.live.hub import Hub
from leadflow.settings import Settings
from leadflow.web.files import file_routes
from leadflow.web.graphql import GraphQLEndpoint
from leadflow.web.guards import http_middleware
from leadflow.web.live import GraphQLWebSocket
from leadflow.web.login import auth_routes
from leadflow.web.static import healthz, spa_routes
from leadflow.web.unavailable import DatabaseUnavailable

STATIC_DIR = Path(__file__).parent / "static"


def create_app(settings: Settings, static_dir: Path = STATIC_DIR) -> Starlette:
    schema = build_schema(settings)
    graphql = GraphQLEndpoint(schema, settings, static_dir)
    work = BackgroundWork(settings)
    # Live updates: the outbox's events fanned out to this instance's subscriptions.
    hub = Hub(settings.database_url, work.spawn)
    # The hub hears of new events (NOTIFY, or this process's writes): so does the webhook worker.
    hub.also_wake(work.wake_webhooks)

    @asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        config = tortoise_config(
            settings.database_url, settings.request_timeout_seconds, settings.db_pool_size
        )
        async with RegisterTortoise(app, config=config), work.running(), hub.running():
            yield

    routes = [
        Route("/healthz", healthz, methods=["GET"]),
        Route("/graphql", graphql.handle, methods=["GET", "POST"]),
        # Subscriptions over graphql-transport-ws on the same path (SSE is in graphql.handle).
        WebSocketRoute("/graphql", GraphQLWebSocket(schema, settings)),
        *auth_routes(settings),
        *file_routes(settings, work),
        # Last: the SPA takes whatever GET path the routes above do not.
        *spa_routes(static_dir),
    ]
    # Innermost: a route's failure for a database that cannot be reached becomes a 503.
    middleware = [*http_middleware(settings), Middleware(DatabaseUnavailable)]
    app = Starlette(routes=routes, lifespan=lifespan, middleware=middleware)
    # There from the start (the lifespan runs it): the subscriptions reach it as
    # `request.app.state.hub`.
    app.state.hub = hub
    return app


def app_from_environment() -> Starlette:
    """The app configured from the environment: the factory each process of
    `leadflow serve --workers N` builds its own app with (uvicorn imports it by name). The
    process starts fresh, so it sets up the log output as `leadflow serve` does."""
    if not logging.getLogger().handlers:
        logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")
    return create_app(Settings.from_env())
