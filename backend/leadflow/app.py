"""The ASGI application: routes, GraphQL endpoint and the ORM's lifespan."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, RedirectResponse, Response
from starlette.routing import Route
from tortoise import connections
from tortoise.contrib.starlette import RegisterTortoise

from leadflow.api.http import GraphQLEndpoint
from leadflow.api.schema import build_schema
from leadflow.auth.routes import auth_routes
from leadflow.db.config import tortoise_config
from leadflow.settings import Settings

log = logging.getLogger("leadflow")
STATIC_DIR = Path(__file__).parent / "static"


async def healthz(request: Request) -> JSONResponse:
    try:
        await connections.get("default").execute_query("SELECT 1")
    except Exception as error:
        log.warning("Health check failed: %s", error)
        return JSONResponse({"status": "unavailable", "database": "unreachable"}, status_code=503)
    return JSONResponse({"status": "ok", "database": "ok"})


async def home(request: Request) -> Response:
    # The SPA is served here once it is built (see frontend/); until then, the playground.
    return RedirectResponse("/graphql")


def create_app(settings: Settings) -> Starlette:
    graphql = GraphQLEndpoint(build_schema(settings), settings)

    @asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        async with RegisterTortoise(app, config=tortoise_config(settings.database_url)):
            yield

    routes = [
        Route("/healthz", healthz, methods=["GET"]),
        Route("/graphql", graphql.handle, methods=["GET", "POST"]),
        Route("/", home, methods=["GET"]),
        *auth_routes(settings),
    ]
    return Starlette(routes=routes, lifespan=lifespan)
