"""The playground page at /graphql and the web app are sent with a strict Content-Security-Policy:
scripts, workers and requests only from this server, no inline script, no eval, no framing. The
playground is the web app's build; without one the operator reads how to make it, and
LEADFLOW_GRAPHQL_IDE=0 takes it away everywhere. (The browser side:
tests/e2e/test_content_security_policy.py.)"""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest

from leadflow.app import create_app
from leadflow.settings import Settings

INDEX = "<!doctype html><title>Leadflow</title>"
PLAYGROUND = "<!doctype html><title>Leadflow GraphQL playground</title>"
BROWSER = {"Accept": "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"}


def directives(policy: str) -> dict[str, list[str]]:
    parsed: dict[str, list[str]] = {}
    for directive in filter(None, (part.strip() for part in policy.split(";"))):
        name, *sources = directive.split()
        parsed[name] = sources
    return parsed


def assert_strict(policy: str) -> dict[str, list[str]]:
    parsed = directives(policy)
    assert parsed["default-src"] == ["'self'"]
    # Scripts and workers fall back to default-src: nothing but our own files.
    for name in ("script-src", "script-src-elem", "script-src-attr", "worker-src", "child-src"):
        assert name not in parsed, name
    assert parsed["frame-ancestors"] == ["'none'"]
    assert parsed["object-src"] == ["'none'"]
    assert parsed["base-uri"] == ["'none'"]
    assert "'unsafe-eval'" not in policy
    return parsed


async def _client(static_dir: Path, **settings: object) -> AsyncIterator[httpx.AsyncClient]:
    application = create_app(
        Settings(database_url="sqlite://:memory:", **settings), static_dir=static_dir
    )
    transport = httpx.ASGITransport(app=application)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as http:
        yield http


def _build(tmp_path: Path) -> Path:
    static = tmp_path / "static"
    (static / "assets").mkdir(parents=True)
    (static / "index.html").write_text(INDEX)
    (static / "playground.html").write_text(PLAYGROUND)
    (static / "assets" / "playground-abc123.js").write_text("console.log(1)")
    return static


@pytest.fixture
async def built(tmp_path: Path) -> AsyncIterator[httpx.AsyncClient]:
    async for http in _client(_build(tmp_path)):
        yield http


async def test_the_web_app_and_its_files_are_sent_with_the_strict_policy(built):
    for path in ["/", "/leads?tab=new", "/assets/playground-abc123.js"]:
        response = await built.get(path)
        assert response.status_code == 200, path
        parsed = assert_strict(response.headers["content-security-policy"])
        # The web app needs no exception at all: not even inline styles.
        assert set(parsed) == {
            "default-src", "object-src", "base-uri", "form-action", "frame-ancestors",
        }, path  # fmt: skip
        assert response.headers["x-frame-options"] == "DENY"
        assert response.headers["x-content-type-options"] == "nosniff"


async def test_the_playground_is_sent_with_the_strict_policy(built):
    for method in ("GET", "HEAD"):
        response = await built.request(method, "/graphql", headers=BROWSER)
        assert response.status_code == 200
        assert response.headers["content-type"].startswith("text/html")
        parsed = assert_strict(response.headers["content-security-policy"])
        # GraphiQL's editor (Monaco) writes <style> elements and style attributes; its
        # stylesheet carries fonts and icons as data: URLs. None of these can run code.
        assert parsed["style-src"] == ["'self'", "'unsafe-inline'"]
        assert parsed["font-src"] == ["'self'", "data:"]
        assert parsed["img-src"] == ["'self'", "data:"]
        assert parsed["form-action"] == ["'none'"]
        assert response.headers["x-frame-options"] == "DENY"
        assert response.headers["x-content-type-options"] == "nosniff"
    assert (await built.get("/graphql", headers=BROWSER)).text == PLAYGROUND


async def test_the_playground_is_served_at_graphql_only(built):
    # The SPA's catch-all must not hand out the page: the switch below would not reach it there.
    response = await built.get("/playground.html")
    assert response.text == INDEX


async def test_without_a_build_the_operator_is_told_how_to_make_it(tmp_path: Path):
    async for http in _client(tmp_path / "missing"):
        response = await http.get("/graphql", headers=BROWSER)
        assert response.status_code == 503
        assert response.headers["content-type"].startswith("text/plain")
        assert "make web" in response.text
        assert "npm run --prefix frontend build" in response.text
        assert "Bearer lf_" in response.text
        assert_strict(response.headers["content-security-policy"])
        assert response.headers["x-frame-options"] == "DENY"


async def test_switched_off_there_is_no_playground_anywhere(tmp_path: Path):
    async for http in _client(_build(tmp_path), graphql_ide=False):
        browser = await http.get("/graphql", headers=BROWSER)
        assert PLAYGROUND not in browser.text
        assert "text/html" not in browser.headers["content-type"]
        assert (await http.get("/playground.html")).text == INDEX
