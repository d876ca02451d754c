"""`/` serves the built web app, with index.html for client-side routes; without a build it
sends people to the playground. The API routes stay as they are."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest

from leadflow.app import create_app
from leadflow.settings import Settings

INDEX = "<!doctype html><title>Leadflow</title>"
PLAYGROUND = "<!doctype html><title>Leadflow GraphQL playground</title>"


async def _client(static_dir: Path) -> AsyncIterator[httpx.AsyncClient]:
    application = create_app(Settings(database_url="sqlite://:memory:"), static_dir=static_dir)
    transport = httpx.ASGITransport(app=application)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as http:
        yield http


@pytest.fixture
async def built(tmp_path: Path) -> AsyncIterator[httpx.AsyncClient]:
    static = tmp_path / "static"
    (static / "assets").mkdir(parents=True)
    (static / "index.html").write_text(INDEX)
    (static / "playground.html").write_text(PLAYGROUND)
    (static / "assets" / "index-abc123.js").write_text("console.log(1)")
    (tmp_path / "secret.txt").write_text("outside")
    async for http in _client(static):
        yield http


@pytest.fixture
async def unbuilt(tmp_path: Path) -> AsyncIterator[httpx.AsyncClient]:
    async for http in _client(tmp_path / "missing"):
        yield http


async def test_root_and_client_routes_get_the_index(built: httpx.AsyncClient):
    for path in ["/", "/leads?tab=active", "/tasks", "/login"]:
        response = await built.get(path)
        assert response.status_code == 200, path
        assert response.text == INDEX
        assert response.headers["cache-control"] == "no-cache"
        assert response.headers["x-frame-options"] == "DENY"


async def test_hashed_assets_are_served_for_good(built: httpx.AsyncClient):
    response = await built.get("/assets/index-abc123.js")
    assert response.status_code == 200
    assert response.text == "console.log(1)"
    assert "immutable" in response.headers["cache-control"]
    assert "javascript" in response.headers["content-type"]


async def test_a_missing_asset_is_not_found_rather_than_the_index(built: httpx.AsyncClient):
    assert (await built.get("/assets/gone-999.js")).status_code == 404


async def test_nothing_outside_the_static_folder_is_served(built: httpx.AsyncClient):
    for path in ["/../secret.txt", "/%2e%2e/secret.txt", "/assets/..%2f..%2fsecret.txt"]:
        response = await built.get(path)
        assert "outside" not in response.text, path


async def test_the_api_routes_still_win(built: httpx.AsyncClient):
    playground = await built.get("/graphql", headers={"Accept": "text/html"})
    assert playground.status_code == 200
    assert playground.text == PLAYGROUND
    assert (await built.post("/auth/logout")).status_code == 204


async def test_without_a_build_the_root_goes_to_the_playground(unbuilt: httpx.AsyncClient):
    response = await unbuilt.get("/")
    assert response.status_code == 307
    assert response.headers["location"] == "/graphql"
    assert (await unbuilt.get("/leads")).status_code == 404
