"""The playground and the web app in a real browser that reaches nothing but our server, under
their strict Content-Security-Policy: the playground comes from our own build (no CDN), works
with a bearer token pasted into its Headers tab, never sends the session cookie nor takes
headers from a link; no screen of either triggers a CSP violation."""

from __future__ import annotations

import contextlib
import re
from urllib.parse import quote

import httpx
import pytest
from playwright.sync_api import Error as PlaywrightError
from playwright.sync_api import expect

from tests.e2e.conftest import CLERK_CLARA, PASSWORD, Seeded, log_in, log_in_as_manager
from tests.e2e.test_lead_detail import assign

# Each violation in the page, and in each of its web workers (Monaco's), becomes a console
# error the test collects; the browser's own CSP messages are console errors too.
REPORT_VIOLATIONS = """
self.addEventListener("securitypolicyviolation", (event) => {
  console.error(`CSP violation: ${event.violatedDirective} ${event.blockedURI}`);
});
"""
VIOLATION = re.compile(r"CSP violation|Content Security Policy", re.IGNORECASE)
VIEWER = "{ viewer { email } }"


class Watched:
    """A page whose requests may reach only the server, with what it tried and complained of."""

    def __init__(self, page, server_url: str) -> None:
        self.page = page
        self.outside: list[str] = []
        self.requested: list[str] = []
        self.console: list[str] = []
        self.errors: list[str] = []
        page.context.add_init_script(REPORT_VIOLATIONS)
        page.context.route("**/*", self._route)
        page.on("console", lambda message: self.console.append(message.text))
        page.on("pageerror", lambda error: self.errors.append(str(error)))
        page.on("worker", self._watch_worker)
        self._origin = server_url + "/"

    def _route(self, route) -> None:
        if route.request.url.startswith(self._origin):
            self.requested.append(route.request.url)
            route.continue_()
        else:
            self.outside.append(route.request.url)
            route.abort()

    @staticmethod
    def _watch_worker(worker) -> None:
        # A worker that ended already has nothing left to report.
        with contextlib.suppress(PlaywrightError):
            worker.evaluate(REPORT_VIOLATIONS)

    def violations(self) -> list[str]:
        return [text for text in self.console if VIOLATION.search(text)]

    def assert_clean(self) -> None:
        assert self.violations() == []
        assert self.errors == []
        assert self.outside == []


@pytest.fixture
def watched(page, seeded: Seeded) -> Watched:
    return Watched(page, seeded.url)


def paste(page, text: str) -> None:
    # Pasted, not typed: the editor would add closing brackets to typed ones.
    page.evaluate("text => navigator.clipboard.writeText(text)", text)
    page.keyboard.press("Control+V")


def test_the_playground_runs_offline_with_a_pasted_token_only(watched: Watched, seeded: Seeded):
    page = watched.page
    page.context.grant_permissions(["clipboard-read", "clipboard-write"])
    # A first visit starts with how to authenticate.
    page.goto(seeded.url + "/graphql")
    query_editor = page.locator('.monaco-editor[data-uri$="operation.graphql"]')
    expect(query_editor).to_contain_text("Authenticate in the Headers tab")
    expect(query_editor).to_contain_text('{"Authorization": "Bearer lf_..."}')

    # Logged in to the web app: the browser holds a session cookie for the server.
    log_in_as_manager(page, seeded)
    expect(page.get_by_role("heading", name="Leads", level=1)).to_be_visible()
    assert any(cookie["name"] == "leadflow_session" for cookie in page.context.cookies())

    # A link with a prepared query and someone's token in the URL.
    header = quote(f'{{"Authorization": "Bearer {seeded.server.manager_token}"}}')
    page.goto(f"{seeded.url}/graphql?q={quote(VIEWER)}&headers={header}")
    expect(query_editor).to_contain_text(VIEWER)
    page.get_by_role("button", name="Execute query (Ctrl-Enter)").click()
    response = page.locator(".graphiql-response")
    # Neither the cookie (that would be CSRF_HEADER_MISSING, or the manager's data) nor the
    # token from the URL went along.
    expect(response).to_contain_text("UNAUTHENTICATED")

    # The Headers tab starts empty and says nothing of the URL's token.
    page.get_by_role("button", name="Headers").click()
    headers_editor = page.locator('.monaco-editor[data-uri$="request-headers.json"]')
    expect(headers_editor).not_to_contain_text("Bearer")
    headers_editor.click()
    paste(page, f'{{"Authorization": "Bearer {seeded.server.manager_token}"}}')
    page.get_by_role("button", name="Execute query (Ctrl-Enter)").click()
    expect(response).to_contain_text('"email": "live.manager@test.example"')

    assert not [url for url in watched.outside if "unpkg" in url]
    watched.assert_clean()


def test_the_built_pages_have_no_inline_script(seeded: Seeded):
    browser_accept = {"Accept": "text/html"}
    for path in ["/", "/graphql"]:
        response = httpx.get(seeded.url + path, headers=browser_accept, timeout=10)
        assert response.status_code == 200, path
        assert "default-src 'self'" in response.headers["content-security-policy"]
        scripts = re.findall(r"<script\b[^>]*>", response.text)
        assert scripts and all(" src=" in script for script in scripts), (path, scripts)
        assert "unpkg" not in response.text and "cdn" not in response.text.lower()


def test_the_web_apps_screens_run_under_the_strict_policy(
    watched: Watched, new_page, seeded: Seeded
):
    assign(seeded, seeded.lead_ids[:3], CLERK_CLARA)
    page = watched.page
    page.goto(seeded.url + "/")
    expect(page.get_by_role("heading", name="Anmelden")).to_be_visible()
    log_in_as_manager(page, seeded)
    expect(page.get_by_role("heading", name="Leads", level=1)).to_be_visible()
    expect(page.get_by_role("row", name=re.compile("Kunde Nummer30"))).to_be_visible()

    page.goto(f"{seeded.url}/leads/{quote(seeded.lead_ids[0], safe='')}")
    expect(page.get_by_role("heading", name=re.compile("Kunde Nummer01"))).to_be_visible()
    page.goto(seeded.url + "/campaigns")
    expect(page.get_by_role("img", name=re.compile("Messe Herbst 2026"))).to_be_visible()
    page.goto(seeded.url + "/dashboard")
    expect(page.get_by_role("heading", name="Dashboard", level=1)).to_be_visible()
    expect(page.get_by_role("img").first).to_be_visible()
    page.goto(seeded.url + "/opportunities")
    expect(page.get_by_role("heading", level=1)).to_be_visible()
    watched.assert_clean()
    # The playground is a bundle of its own: the web app never loads GraphiQL or its editor.
    playground_files = re.compile(r"/assets/(playground|monaco|.*worker)", re.IGNORECASE)
    assert [url for url in watched.requested if playground_files.search(url)] == []

    clerk = Watched(new_page(), seeded.url)
    log_in(clerk.page, seeded, CLERK_CLARA, PASSWORD)
    expect(clerk.page.get_by_role("heading", name="Meine Aufgaben")).to_be_visible()
    expect(clerk.page.get_by_role("link", name="Kunde Nummer01")).to_be_visible()
    clerk.assert_clean()
