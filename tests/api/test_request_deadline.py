"""A request given up at its time limit stops its database work too (issue 10, search floods):
the client gets 504 TIMEOUT, and right after it PostgreSQL runs no statement of the app any more
and SQLite's one connection serves the next client at once. Before, a search went on for seconds
after its 504 while every other request of an SQLite process queued behind it."""

from __future__ import annotations

import asyncio
import time
from pathlib import Path

import httpx

from leadflow.settings import Settings
from tests.app_client import app_client
from tests.helpers import Actor, make_actors
from tests.live_server import live_server
from tests.slow_search import SLOW_SEARCH_BODY, active_statements, insert_slow_search

TIMEOUT = 0.5
# The slow search alone takes about 2 s; its request gets 504 after TIMEOUT.
PROMPTLY = 0.4
VIEWER = {"query": "{ viewer { id } }"}


async def post(http: httpx.AsyncClient, body: dict, token: str) -> tuple[httpx.Response, float]:
    started = time.monotonic()
    response = await http.post("/graphql", json=body, headers={"Authorization": f"Bearer {token}"})
    return response, time.monotonic() - started


def assert_timed_out(response: httpx.Response) -> None:
    assert response.status_code == 504, response.text
    assert [error["extensions"]["code"] for error in response.json()["errors"]] == ["TIMEOUT"]


async def test_a_slow_search_stops_with_its_request(database_url: str, backend: str):
    await insert_slow_search(backend, database_url)
    settings = Settings(database_url=database_url, request_timeout_seconds=TIMEOUT)
    async with app_client(settings) as http:
        actors = await make_actors()
        manager: Actor = actors.manager

        response, seconds = await post(http, SLOW_SEARCH_BODY, manager.token)

        assert_timed_out(response)
        assert seconds < TIMEOUT + PROMPTLY, f"the 504 took {seconds:.2f} s"
        if backend == "postgres":
            assert await active_statements(database_url) == []
        # Another client's small request: on SQLite it needs the process's one connection.
        response, seconds = await post(http, VIEWER, actors.clerk_a.token)
        assert response.status_code == 200, response.text
        assert seconds < PROMPTLY, f"the next request waited {seconds:.2f} s"


async def test_a_search_in_time_still_answers(database_url: str, backend: str):
    # The same search over a few contacts, with the deadline in place, answers as before.
    await insert_slow_search(backend, database_url, contacts=50)
    settings = Settings(database_url=database_url, request_timeout_seconds=TIMEOUT)
    async with app_client(settings) as http:
        actors = await make_actors()
        response, _ = await post(http, SLOW_SEARCH_BODY, actors.manager.token)
        assert response.status_code == 200, response.text
        assert response.json() == {"data": {"leads": {"edges": []}}}


async def test_slow_searches_in_parallel_do_not_stall_a_live_sqlite_server(tmp_path: Path):
    """A real `leadflow serve`: three slow searches at once hit the time limit, and another
    client asking meanwhile is answered once they are given up, not seconds later."""
    with live_server(tmp_path, LEADFLOW_REQUEST_TIMEOUT=str(TIMEOUT)) as server:
        await insert_slow_search("sqlite", f"sqlite://{tmp_path / 'live.db'}")
        async with httpx.AsyncClient(base_url=server.url, timeout=30) as http:

            async def meanwhile() -> tuple[httpx.Response, float]:
                await asyncio.sleep(0.1)
                return await post(http, VIEWER, server.manager_token)

            searches = [post(http, SLOW_SEARCH_BODY, server.manager_token) for _ in range(3)]
            *answers, (other, waited) = await asyncio.gather(*searches, meanwhile())

            for response, _ in answers:
                assert_timed_out(response)
            # It arrived 0.1 s in, so it waits for the searches' time limit, then runs.
            assert other.status_code == 200, other.text
            assert waited < TIMEOUT + PROMPTLY, f"another client waited {waited:.2f} s"
            response, seconds = await post(http, VIEWER, server.manager_token)
            assert response.status_code == 200 and seconds < PROMPTLY, seconds
    log = server.log()
    assert "Traceback" not in log and "Unexpected error" not in log, log
