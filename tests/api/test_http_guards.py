"""What every route shares, against a running server: forwarded addresses are believed only
from a named proxy, and a request body must arrive within the request time limit."""

from __future__ import annotations

import asyncio
import time
import uuid
from pathlib import Path

import httpx

from tests.live_server import LiveServer, live_server


async def failed_logins(server: LiveServer, count: int, forwarded: bool) -> list[int]:
    """Statuses of `count` failed logins to unknown accounts, each claiming another address."""
    statuses = []
    async with httpx.AsyncClient(base_url=server.url, timeout=30) as http:
        for number in range(count):
            headers = {"X-Forwarded-For": f"198.51.100.{number + 1}"} if forwarded else {}
            response = await http.post(
                "/auth/login",
                json={"email": f"{uuid.uuid4().hex}@nobody.example", "password": "wrong"},
                headers=headers,
            )
            statuses.append(response.status_code)
    return statuses


async def test_a_spoofed_forwarded_address_does_not_escape_throttling(tmp_path: Path):
    """Finding 9: any local process could send X-Forwarded-For from 127.0.0.1 and be a new
    address each time. By default no proxy is trusted: 20 failures from one address, then 429."""
    with live_server(tmp_path) as server:
        statuses = await failed_logins(server, 21, forwarded=True)
    assert statuses[:20] == [401] * 20
    assert statuses[20] == 429


async def test_a_named_proxy_is_believed(tmp_path: Path):
    with live_server(tmp_path, LEADFLOW_FORWARDED_ALLOW_IPS="127.0.0.1") as server:
        statuses = await failed_logins(server, 21, forwarded=True)
    # Each claimed address is its own: nobody reaches 20 failures.
    assert statuses == [401] * 21


async def half_a_body(
    server: LiveServer, path: str, headers: dict[str, str]
) -> tuple[bytes, float]:
    """Sends the headers and half of the declared body, then waits: what the server answers
    and after how many seconds it closes the connection."""
    host, port = server.url.removeprefix("http://").split(":")
    reader, writer = await asyncio.open_connection(host, int(port))
    started = time.monotonic()
    lines = [f"POST {path} HTTP/1.1", f"Host: {host}", "Content-Length: 200"]
    lines += [f"{name}: {value}" for name, value in headers.items()]
    writer.write(("\r\n".join(lines) + "\r\n\r\n").encode() + b"x" * 100)
    await writer.drain()
    try:
        answer = await asyncio.wait_for(reader.read(), timeout=20)  # until the server closes
    finally:
        writer.close()
    return answer, time.monotonic() - started


async def test_slow_bodies_are_cut_off_on_every_route(tmp_path: Path):
    """Finding 10: 100 connections sending half a body to /auth/login stayed open 40 s and
    more, while /graphql cut them at its time limit. Now every route answers at the same limit
    (here 2 s): 408 for the body, or /graphql's 504 for the whole request."""
    with live_server(tmp_path, LEADFLOW_REQUEST_TIMEOUT="2") as server:
        token = {"Authorization": f"Bearer {server.manager_token}"}
        json_body = {"Content-Type": "application/json"}
        created = httpx.post(
            server.graphql_url,
            json={
                "query": 'mutation { createCampaign(input: {name: "Slow"}) { campaign { id } } }'
            },
            headers=token,
        )
        campaign = created.json()["data"]["createCampaign"]["campaign"]["id"]
        cases = [
            ("/auth/login", json_body, (b"408",)),
            (
                f"/files/imports?campaign={campaign}",
                {**token, "Content-Type": "text/csv"},
                b"408",
            ),
            # /graphql's own limit (the whole request) ends at the same moment: 504 or 408.
            ("/graphql", {**token, **json_body}, (b"504", b"408")),
        ]
        slow = [half_a_body(server, path, headers) for path, headers, _ in cases for _ in range(5)]
        answers = await asyncio.gather(*slow)
        expected = [status for _, _, status in cases for _ in range(5)]
        for (answer, seconds), statuses in zip(answers, expected, strict=True):
            assert answer[9:12] in statuses, answer[:200]
            assert 1.5 < seconds < 6, f"closed after {seconds:.1f} s"
        assert "Traceback" not in server.log()
