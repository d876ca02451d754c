"""Reading request bodies: JSON only where a browser form must not get through, and never more
than a route's limit in memory or on disk."""

from __future__ import annotations

from collections.abc import AsyncIterator

from starlette.requests import Request

from leadflow.web.errors import HttpError

JSON = "application/json"


def require_json(content_type: str | None) -> None:
    """Only JSON bodies (UTF-8): form and text/plain posts, what a cross-site form can send
    without asking the browser first, are refused (415) before anything else happens."""
    media_type, *parameters = (part.strip().lower() for part in (content_type or "").split(";"))
    if media_type != JSON:
        raise HttpError(
            415,
            "UNSUPPORTED_MEDIA_TYPE",
            f"Send the request body as JSON with 'Content-Type: {JSON}'"
            + (f", not {media_type!r}." if media_type else "."),
        )
    for parameter in parameters:
        name, _, value = parameter.partition("=")
        if name.strip() == "charset" and value.strip().strip('"') not in {"utf-8", "utf8"}:
            raise HttpError(415, "UNSUPPORTED_MEDIA_TYPE", "The request body must be UTF-8.")


async def body_chunks(request: Request, limit: int, too_large: HttpError) -> AsyncIterator[bytes]:
    """The body as it streams in, refused with `too_large` at once on the declared length and
    else as soon as more than `limit` bytes arrived (chunked bodies declare none, some lie)."""
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > limit:
        raise too_large
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise too_large
        yield chunk
