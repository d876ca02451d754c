"""The ASGI application: routes, GraphQL endpoint and the ORM's lifespan."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import FileResponse, JSONResponse, RedirectResponse, Response
from starlette.routing import Route
from tortoise import connections
from tortoise.contrib.starlette import RegisterTortoise

from leadflow.api.http import GraphQLEndpoint
from leadflow.api.playground import PLAYGROUND_PAGE
from leadflow.api.schema import build_schema
from leadflow.auth.routes import auth_routes
from leadflow.db.config import tortoise_config
from leadflow.files import file_routes, start_import_watchdog, stop_running_imports
from leadflow.housekeeping import login_records_pruned
from leadflow.http_guards import http_middleware
from leadflow.services.imports import ImportQueue
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


# The built SPA loads only its own files: no inline script (Vite emits none, see
# tests/e2e/test_content_security_policy.py), no eval, styles only from its stylesheet (React's
# `style` props and Chart.js go through the CSSOM, which CSP does not restrict). It must not be
# framed by other sites, nor its files sniffed as another type.
SPA_CSP = (
    "default-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; "
    "frame-ancestors 'none'"
)
SPA_HEADERS = {
    "X-Frame-Options": "DENY",
    "Content-Security-Policy": SPA_CSP,
    "X-Content-Type-Options": "nosniff",
}


def spa_routes(static_dir: Path) -> list[Route]:
    """`/` and every other GET path not taken by the API: a file of the built SPA (frontend/)
    when there is one, else its index.html, so that client-side routes can be bookmarked.
    Without a build, `/` goes to the GraphQL playground."""

    async def home(request: Request) -> Response:
        index = static_dir / "index.html"
        if not index.is_file():
            return RedirectResponse("/graphql")
        return FileResponse(index, headers={**SPA_HEADERS, "Cache-Control": "no-cache"})

    async def asset_or_page(request: Request) -> Response:
        file = _static_file(static_dir, request.path_params["path"])
        if file is not None:
            # Vite puts a content hash into every name under assets/: they never change.
            immutable = file.parent.name == "assets"
            cache = "public, max-age=31536000, immutable" if immutable else "no-cache"
            return FileResponse(file, headers={**SPA_HEADERS, "Cache-Control": cache})
        no_build = not (static_dir / "index.html").is_file()
        if no_build or request.path_params["path"].startswith("assets/"):
            return Response("Not Found", status_code=404)
        return await home(request)

    return [
        Route("/", home, methods=["GET", "HEAD"]),
        Route("/{path:path}", asset_or_page, methods=["GET", "HEAD"]),
    ]


def _static_file(static_dir: Path, path: str) -> Path | None:
    root = static_dir.resolve()
    candidate = (root / path).resolve()
    # Resolving first keeps `..` and symlinks from leaving the static folder. The playground
    # page is served at /graphql only, where LEADFLOW_GRAPHQL_IDE=0 switches it off.
    if not candidate.is_relative_to(root) or not candidate.is_file():
        return None
    if candidate == root / PLAYGROUND_PAGE:
        return None
    return candidate


def create_app(settings: Settings, static_dir: Path = STATIC_DIR) -> Starlette:
    graphql = GraphQLEndpoint(build_schema(settings), settings, static_dir)

    import_queue = ImportQueue(settings.import_concurrency)

    @asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        config = tortoise_config(settings.database_url, settings.request_timeout_seconds)
        async with RegisterTortoise(app, config=config):
            await start_import_watchdog(settings.import_watchdog_seconds, import_queue)
            try:
                async with login_records_pruned(settings.prune_interval_seconds):
                    yield
            finally:
                await stop_running_imports(import_queue)

    routes = [
        Route("/healthz", healthz, methods=["GET"]),
        Route("/graphql", graphql.handle, methods=["GET", "POST"]),
        *auth_routes(settings),
        *file_routes(settings, import_queue),
        # Last: the SPA takes whatever GET path the routes above do not.
        *spa_routes(static_dir),
    ]
    return Starlette(routes=routes, lifespan=lifespan, middleware=http_middleware(settings))
