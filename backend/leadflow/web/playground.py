"""The GraphQL playground that /graphql serves to browsers: GraphiQL, built with the web app from
npm (frontend/playground.html), so it runs without internet and under a strict CSP."""

from __future__ import annotations

from pathlib import Path

from starlette.responses import FileResponse, PlainTextResponse, Response

PLAYGROUND_PAGE = "playground.html"

# Scripts, workers, fetches, frames and plugins only from this server (no inline script, no
# eval, no CDN). Two exceptions, neither of which can run code: GraphiQL's editor (Monaco)
# writes its theme and decorations into <style> elements at run time, which only
# 'unsafe-inline' styles allow (Monaco has no nonce support); GraphiQL's stylesheet carries its
# fonts and a few icons as data: URLs.
PLAYGROUND_CSP = (
    "default-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; "
    "font-src 'self' data:; object-src 'none'; base-uri 'none'; form-action 'none'; "
    "frame-ancestors 'none'"
)
PLAYGROUND_HEADERS = {
    # Never inside a frame: a framed playground would let another site trick a user into
    # running an operation (clickjacking). X-Frame-Options for browsers without CSP 2.
    "X-Frame-Options": "DENY",
    "Content-Security-Policy": PLAYGROUND_CSP,
    "X-Content-Type-Options": "nosniff",
    "Cache-Control": "no-cache",
}
MISSING_BUILD = (
    "The GraphQL playground is part of the web app, which is not built on this server.\n"
    "Build it with `make web` (or `npm ci --prefix frontend && npm run --prefix frontend "
    "build`) and reload this page.\n"
    "The API itself works: POST your GraphQL requests to /graphql with "
    '"Authorization: Bearer lf_...".\n'
)


class Playground:
    """The built playground page in `static_dir`; read on every request, like the SPA's index,
    so a build made while the server runs is picked up."""

    def __init__(self, static_dir: Path) -> None:
        self._page = static_dir / PLAYGROUND_PAGE

    def response(self) -> Response:
        if not self._page.is_file():
            # A plain explanation instead of a blank page for the operator who skipped the build.
            return PlainTextResponse(MISSING_BUILD, status_code=503, headers=PLAYGROUND_HEADERS)
        return FileResponse(self._page, media_type="text/html", headers=PLAYGROUND_HEADERS)
