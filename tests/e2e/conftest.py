"""Browser fixtures: Debian's Chromium driven by Playwright against a live `leadflow serve`
with a fresh SQLite database per test, seeded through the CLI and the GraphQL API."""

from __future__ import annotations

import os
import shutil
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from leadflow.app import STATIC_DIR
from tests.live_server import MANAGER_EMAIL, LiveServer, live_server

CHROMIUM = Path(os.environ.get("LEADFLOW_CHROMIUM", "/usr/bin/chromium"))
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
SCREENSHOTS = Path(__file__).resolve().parents[2] / "docs" / "screenshots"
VIEWPORT = {"width": 1280, "height": 800}

MANAGER_PASSWORD = "live-password-1"
SECOND_MANAGER = "maria.manager@test.example"
CLERK_CLARA = "clara.clerk@test.example"
CLERK_DAVID = "david.clerk@test.example"
PASSWORD = "browser-password-1"
LEAD_COUNT = 30


@dataclass(frozen=True)
class Seeded:
    server: LiveServer
    campaign_id: str
    lead_ids: list[str]  # oldest first
    clerk_ids: dict[str, str]  # email -> global ID

    @property
    def url(self) -> str:
        return self.server.url

    def graphql(self, query: str, **variables: object) -> dict:
        response = httpx.post(
            self.server.graphql_url,
            json={"query": query, "variables": variables},
            headers={"Authorization": f"Bearer {self.server.manager_token}"},
            timeout=10,
        )
        body = response.json()
        assert "errors" not in body, body
        return body["data"]


def _chromium_or_skip() -> Path:
    if CHROMIUM.exists():
        return CHROMIUM
    # CI installs it in .ci/run; a developer machine gets one try here.
    if shutil.which("apt-get") and os.geteuid() == 0:
        subprocess.run(
            "apt-get update -q && apt-get install -y -q chromium",
            shell=True,
            check=False,
            capture_output=True,
            timeout=600,
        )
    if not CHROMIUM.exists():
        pytest.skip(f"no Chromium at {CHROMIUM}, and `apt-get install chromium` did not work")
    return CHROMIUM


# Per module, not per session: while sync Playwright runs, the main thread has a running event
# loop, and async tests collected after tests/e2e (e.g. `pytest tests/e2e tests/api`) would fail.
@pytest.fixture(scope="module")
def browser():
    sync_api = pytest.importorskip("playwright.sync_api", reason="playwright is not installed")
    executable = _chromium_or_skip()
    if not (STATIC_DIR / "index.html").is_file():
        pytest.fail("the web app is not built: run `make web` (make test does)")
    with sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(executable), args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture
def new_page(browser):
    """Pages in separate browser contexts: each one its own cookies, like separate people."""
    contexts = []

    def open_page():
        context = browser.new_context(viewport=VIEWPORT, locale="de-DE")
        context.set_default_timeout(10_000)
        contexts.append(context)
        return context.new_page()

    yield open_page
    for context in contexts:
        context.close()


@pytest.fixture
def page(new_page):
    return new_page()


BROWSER_USERS = (
    (SECOND_MANAGER, "Maria Manager", "manager", PASSWORD),
    (CLERK_CLARA, "Clara Clerk", "clerk", PASSWORD),
    (CLERK_DAVID, "David Clerk", "clerk", PASSWORD),
)


@pytest.fixture
def seeded(tmp_path: Path) -> Iterator[Seeded]:
    """A live server with two managers, two clerks and one campaign of 30 NEW leads (the users
    come with the live server's template database, made once per process)."""
    with live_server(tmp_path, users=BROWSER_USERS) as server:
        seeded = _seed_leads(server)
        yield seeded


def _seed_leads(server: LiveServer) -> Seeded:
    probe = Seeded(server, "", [], {})
    campaign = probe.graphql(
        """mutation($input: CreateCampaignInput!) {
          createCampaign(input: $input) { campaign { id } userErrors { message } }
        }""",
        input={"name": "Messe Herbst 2026"},
    )["createCampaign"]["campaign"]
    leads = [
        {
            "firstName": "Kunde",
            "lastName": f"Nummer{number:02d}",
            "company": f"Firma {number:02d} GmbH",
            "email": f"kunde{number:02d}@example.com",
            "phone": f"+49 30 1234{number:02d}",
        }
        for number in range(1, LEAD_COUNT + 1)
    ]
    created = probe.graphql(
        """mutation($input: CreateLeadsInput!) {
          createLeads(input: $input) { leads { id } userErrors { message } }
        }""",
        input={"campaignId": campaign["id"], "leads": leads},
    )["createLeads"]["leads"]
    clerks = probe.graphql("{ users(role: CLERK) { id email } }")["users"]
    return Seeded(
        server,
        campaign["id"],
        [lead["id"] for lead in created],
        {clerk["email"]: clerk["id"] for clerk in clerks},
    )


def log_in(page, seeded: Seeded, email: str, password: str) -> None:
    page.goto(seeded.url + "/")
    page.get_by_label("E-Mail").fill(email)
    page.get_by_label("Passwort").fill(password)
    page.get_by_role("button", name="Anmelden").click()


def log_in_as_manager(page, seeded: Seeded, email: str = MANAGER_EMAIL) -> None:
    log_in(page, seeded, email, MANAGER_PASSWORD if email == MANAGER_EMAIL else PASSWORD)


def screenshot(page, name: str, *, full_page: bool = False) -> None:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"{name}.png"), full_page=full_page)
