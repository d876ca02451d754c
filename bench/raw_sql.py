"""A raw SQL endpoint over HTTP: the floor bench/scale.py measures Leadflow against.

A bare Starlette app (uvicorn, like Leadflow) with one route, POST /sql: the body names the
statements to run, `{"statements": [[sql, [args...]], ...], "transaction": true|false}`; they
run one after the other on one pooled asyncpg connection (in one transaction if asked), each
planned for its parameters, and the answer is every statement's rows as JSON. No ORM, no
GraphQL, no authentication: a benchmark tool, bound to 127.0.0.1 by the bench; never expose it.

Arguments are JSON values (numbers, strings, lists); a statement casts what it needs
(`$1::text::timestamptz`). Configured by LEADFLOW_DATABASE_URL (postgres://...) and
LEADFLOW_DB_POOL_SIZE (the pool's size, as the app's; default 5).

    LEADFLOW_DATABASE_URL=postgres://postgres@127.0.0.1:5432/db \\
        .venv/bin/uvicorn --factory raw_sql:create_app --app-dir bench --port 8001
"""

from __future__ import annotations

import json
import os
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack, asynccontextmanager
from typing import Any

import asyncpg
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route


def _statements(body: Any) -> list[tuple[str, list[Any]]]:
    statements = body.get("statements") if isinstance(body, dict) else None
    if not isinstance(statements, list) or not statements:
        raise ValueError("'statements' must be a non-empty list of [sql, args]")
    parsed = []
    for item in statements:
        if not (isinstance(item, list) and len(item) == 2 and isinstance(item[0], str)):
            raise ValueError("each statement must be [sql, args]")
        if not isinstance(item[1], list):
            raise ValueError("a statement's args must be a list")
        parsed.append((item[0], item[1]))
    return parsed


def create_app() -> Starlette:
    dsn = os.environ["LEADFLOW_DATABASE_URL"].replace("postgres://", "postgresql://", 1)
    pool_size = int(os.environ.get("LEADFLOW_DB_POOL_SIZE") or 5)
    state: dict[str, asyncpg.Pool] = {}

    @asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        # Custom plans: after five runs PostgreSQL may switch a parameterized statement to a
        # generic plan, which cannot see how selective `LIKE $1` is and leaves the search's
        # trigram indexes unused (a phone search went from 20 ms to 600 ms).
        state["pool"] = await asyncpg.create_pool(
            dsn,
            min_size=1,
            max_size=pool_size,
            server_settings={"plan_cache_mode": "force_custom_plan"},
        )
        try:
            yield
        finally:
            await state["pool"].close()

    async def run_sql(request: Request) -> Response:
        try:
            body = await request.json()
            statements = _statements(body)
        except ValueError as error:
            return JSONResponse({"error": str(error)}, status_code=400)
        results = []
        async with state["pool"].acquire() as connection, AsyncExitStack() as stack:
            if body.get("transaction"):
                await stack.enter_async_context(connection.transaction())
            for sql, args in statements:
                rows = await connection.fetch(sql, *args)
                results.append([list(row.values()) for row in rows])
        return Response(
            json.dumps({"results": results}, default=str), media_type="application/json"
        )

    async def healthz(request: Request) -> JSONResponse:
        await state["pool"].fetchval("SELECT 1")
        return JSONResponse({"status": "ok"})

    routes = [
        Route("/sql", run_sql, methods=["POST"]),
        Route("/healthz", healthz, methods=["GET"]),
    ]
    return Starlette(routes=routes, lifespan=lifespan)
