"""The built web app (the SPA, frontend/) and the health check: routes without a login."""

from __future__ import annotations

import logging
from pathlib import Path

from starlette.requests import Request
from starlette.responses import FileResponse, JSONResponse, RedirectResponse, Response
from starlette.routing import Route
from tortoise import connections

from leadflow.web.playground import PLAYGROUND_PAGE

log = logging.getLogger("leadflow")

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


async def healthz(request: Request) -> JSONResponse:
    try:
        await connections.get("default").execute_query("SELECT 1")
    except Exception as error:
        log.warning("Health check failed: %s", error)
        return JSONResponse({"status": "unavailable", "database": "unreachable"}, status_code=503)
    return JSONResponse({"status": "ok", "database": "ok"})


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
