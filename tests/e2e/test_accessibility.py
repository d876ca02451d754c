"""Every screen of the web app, as the role that uses it, in German and in English, on a desktop
and on a phone (390x844), and in German on a tablet: axe-core finds no WCAG 2.0/2.1/2.2 A or AA
violation, each screen has its own page title, and no screen scrolls sideways."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from playwright.sync_api import expect

from tests.e2e.axe import expect_no_violations
from tests.e2e.conftest import (
    CLERK_CLARA,
    CLERK_DAVID,
    MANAGER_PASSWORD,
    PASSWORD,
    Seeded,
)
from tests.e2e.test_lead_detail import assign
from tests.live_server import MANAGER_EMAIL

I18N = Path(__file__).resolve().parents[2] / "backend" / "leadflow" / "i18n"
LANGUAGE_KEY = "leadflow.language"  # frontend/src/i18n.ts LANGUAGE_STORAGE_KEY

DESKTOP = {"viewport": {"width": 1280, "height": 800}}
# Playwright's "iPhone 13"-sized phone, spelled out (the device list lives on the Playwright
# object, which the module-scoped `browser` fixture keeps to itself).
PHONE = {
    "viewport": {"width": 390, "height": 844},
    "device_scale_factor": 3,
    "is_mobile": True,
    "has_touch": True,
}
# Playwright's "iPad (gen 7)", as tests/e2e/test_keyboard_and_viewports.py spells it out.
TABLET = {
    "viewport": {"width": 810, "height": 1080},
    "device_scale_factor": 2,
    "is_mobile": True,
    "has_touch": True,
}
DEVICES = {"desktop": DESKTOP, "phone": PHONE, "tablet": TABLET}
TITLE_END = " \N{EN DASH} Leadflow"  # app.pageTitle
SLOW = 15_000  # ms: the screens of a shared, busy machine load in seconds, not milliseconds
IMPORT_CSV = "Vorname;Nachname;E-Mail;Mobil\r\nJürgen;Müller;juergen@example.com;0171 111\r\n"

# The innermost elements that reach past the screen's right edge: what to fix when a screen is
# too wide (their ancestors stick out only because of them).
STICKING_OUT = """(width) => {
  // Inside a box that scrolls or clips sideways an element cannot widen the page (unless it is
  // positioned absolutely: then what clips it is its containing block, maybe the page).
  const inScrollBox = (element) => {
    if (["absolute", "fixed"].includes(getComputedStyle(element).position)) return false;
    for (let box = element.parentElement; box && box !== document.body; box = box.parentElement) {
      if (getComputedStyle(box).overflowX !== "visible") return true;
    }
    return false;
  };
  const wide = [...document.body.querySelectorAll("*")].filter(
    (element) => element.getBoundingClientRect().right > width + 0.5 && !inScrollBox(element)
  );
  return wide
    .filter((element) => !wide.some((other) => other !== element && element.contains(other)))
    .slice(0, 8)
    .map((element) => {
      const tag = element.tagName.toLowerCase();
      const name = element.className ? `${tag}.${element.className}` : tag;
      const right = Math.round(element.getBoundingClientRect().right);
      return `${name} "${(element.textContent || "").trim().slice(0, 30)}" to ${right}px`;
    });
}"""

SCHEDULE = """mutation($input: ScheduleActivityInput!) {
  scheduleActivity(input: $input) { activity { id } userErrors { message } }
}"""
CREATE_WEBHOOK = """mutation($input: CreateWebhookInput!) {
  createWebhook(input: $input) { webhook { id } userErrors { code message field } }
}"""
CLOSE = """mutation($input: CloseLeadInput!) {
  closeLead(input: $input) { opportunity { id } userErrors { message } }
}"""


def texts(language: str) -> dict[str, object]:
    return json.loads((I18N / f"{language}.json").read_text(encoding="utf-8"))


def close_successfully(seeded: Seeded, lead_id: str) -> str:
    """Closes the lead as a manager may; the ID of the Verkaufschance it opened."""
    payload = seeded.graphql(
        CLOSE,
        input={
            "leadId": lead_id,
            "outcome": "SUCCESSFUL",
            "opportunity": {"title": "Rahmenvertrag", "expectedValue": "2400"},
        },
    )["closeLead"]
    assert payload["userErrors"] == [], payload
    return payload["opportunity"]["id"]


def create_webhook(seeded: Seeded) -> str:
    """A webhook for an event this test never causes, to a public address given as an IP (no
    DNS needed, and nothing is ever sent to it); its ID."""
    payload = seeded.graphql(
        CREATE_WEBHOOK,
        input={
            "url": "https://93.184.216.34/leadflow/hooks/a-rather-long-path-for-a-phone-screen",
            "events": ["contact.erased", "lead.reopened"],
            "description": "ERP",
        },
    )["createWebhook"]
    assert payload["userErrors"] == [], payload
    return payload["webhook"]["id"]


def schedule_call(seeded: Seeded, lead_id: str, days: int) -> None:
    due = datetime.now(UTC) + timedelta(days=days)
    payload = seeded.graphql(
        SCHEDULE, input={"subjectId": lead_id, "kind": "CALL", "dueAt": due.isoformat()}
    )["scheduleActivity"]
    assert payload["userErrors"] == [], payload


OPT_OUT = """mutation($input: SetContactOptOutInput!) {
  setContactOptOut(input: $input) { contact { optedOut } userErrors { code message } }
}"""


def opt_out(seeded: Seeded, lead_id: str) -> None:
    """The lead's contact objected to being contacted: the "Widerspruch" marker wherever the
    contact shows."""
    contact = seeded.graphql("query($id: ID!) { lead(id: $id) { contact { id } } }", id=lead_id)
    payload = seeded.graphql(
        OPT_OUT,
        input={
            "contactId": contact["lead"]["contact"]["id"],
            "optedOut": True,
            "note": "Bitte keine Anrufe mehr.",
        },
    )["setContactOptOut"]
    assert payload["userErrors"] == [], payload


class Audit:
    """One person's browser in one language on one device; `screen` checks what is shown."""

    def __init__(self, browser, device_name: str, language: str, seeded: Seeded) -> None:
        device = DEVICES[device_name]
        self.context = browser.new_context(**device, locale="de-DE")
        self.context.set_default_timeout(SLOW)
        self.context.add_init_script(f"localStorage.setItem('{LANGUAGE_KEY}', '{language}')")
        self.page = self.context.new_page()
        self.device = device_name
        self.width = device["viewport"]["width"]
        self.language = language
        self.texts = texts(language)
        self.seeded = seeded
        self.titles: dict[str, str] = {}

    def text(self, key: str) -> str:
        value = self.texts[key]
        assert isinstance(value, str), key
        return value

    def goto(self, path: str) -> None:
        # Several people share this working tree: while a `make web` rewrites the build, the
        # server answers 404 or 503 for a few seconds. Never on CI, where one build comes first.
        for _ in range(5):
            response = self.page.goto(self.seeded.url + path)
            if response is None or response.status < 400:
                return
            self.page.wait_for_timeout(3_000)

    def log_in(self, email: str, password: str) -> None:
        self.goto("/login")
        self.page.locator("#login-email").fill(email)
        self.page.locator("#login-password").fill(password)
        self.page.locator("form button[type=submit]").click()
        expect(self.page.get_by_role("button", name=self.text("nav.logout"))).to_be_visible()

    def open(self, path: str) -> None:
        self.goto(path)
        self.settled()

    def settled(self) -> None:
        """The screen has its heading and has stopped loading."""
        expect(self.page.locator("h1").first).to_be_visible(timeout=SLOW)
        expect(self.page.get_by_text(self.text("app.loading"))).to_have_count(0, timeout=SLOW)
        expect(self.page.locator("[aria-busy=true]")).to_have_count(0, timeout=SLOW)

    def screen(self, name: str) -> None:
        where = f"{name} ({self.language}, {self.device})"
        expect_no_violations(self.page, where)
        title = self.page.title()
        assert title.endswith(TITLE_END), f"{where} has no title of its own: {title!r}"
        self.titles[name] = title
        sizes = self.page.evaluate(
            "() => ({scrollWidth: document.documentElement.scrollWidth,"
            " innerWidth: window.innerWidth})"
        )
        too_wide = f"{sizes}, sticking out: {self.page.evaluate(STICKING_OUT, self.width)}"
        # A mobile browser zooms out to fit a page that is too wide: then innerWidth grows.
        assert sizes["innerWidth"] == self.width, f"{where} is zoomed out: {too_wide}"
        assert sizes["scrollWidth"] <= sizes["innerWidth"], f"{where} scrolls sideways: {too_wide}"

    def close(self) -> None:
        self.context.close()


@pytest.fixture(
    params=[
        ("desktop", "de"),
        ("desktop", "en"),
        ("phone", "de"),
        ("phone", "en"),
        ("tablet", "de"),
    ],
    ids="-".join,
)
def audit(request, browser, seeded: Seeded):
    """Opens browsers of one device and language; a test takes one per person."""
    device_name, language = request.param
    audits: list[Audit] = []

    def open_audit() -> Audit:
        audits.append(Audit(browser, device_name, language, seeded))
        return audits[-1]

    yield open_audit
    for one in audits:
        one.close()


def test_every_screen_passes_axe_has_a_title_and_fits(
    audit: Callable[[], Audit], seeded: Seeded, tmp_path: Path
):
    lead_ids = seeded.lead_ids  # Kunde Nummer01 .. Nummer30, oldest first
    assign(seeded, lead_ids[:3], CLERK_CLARA)
    assign(seeded, lead_ids[3:4], CLERK_DAVID)
    opportunity_id = close_successfully(seeded, lead_ids[2])
    schedule_call(seeded, lead_ids[0], days=-1)  # overdue
    schedule_call(seeded, lead_ids[1], days=2)  # planned
    # Objected to being contacted: the clerk's task, the opportunity's board card, list and page.
    opt_out(seeded, lead_ids[1])
    opt_out(seeded, lead_ids[2])
    active_lead, done_lead, davids_lead = lead_ids[0], lead_ids[2], lead_ids[3]
    new_lead = lead_ids[-1]

    manager = audit()
    page = manager.page
    manager.goto("/")
    expect(page.locator("#login-email")).to_be_visible()
    manager.screen("login")
    page.locator("#login-email").fill("nobody@test.example")
    page.locator("#login-password").fill("wrong-password")
    page.locator("form button[type=submit]").click()
    expect(page.get_by_role("alert")).to_have_text(manager.text("login.invalid"))
    manager.screen("login with an error")

    manager.log_in(MANAGER_EMAIL, MANAGER_PASSWORD)
    for tab in ("new", "active", "done"):
        manager.open(f"/leads?tab={tab}")
        manager.screen(f"leads overview, tab {tab}")
    manager.open("/leads?tab=done&outcome=UNSUCCESSFUL")
    manager.screen("leads overview, nothing matches the filter")
    manager.open("/leads?tab=new")
    page.locator("tbody input[type=checkbox]").first.check()
    page.get_by_role("button", name=manager.text("leads.distribute")).click()
    dialog = page.get_by_role("dialog")
    expect(dialog.get_by_text("Clara Clerk")).to_be_visible()
    manager.screen("distribute dialog")
    box = dialog.bounding_box()
    assert box is not None and box["x"] >= 0 and box["x"] + box["width"] <= manager.width, box
    page.keyboard.press("Escape")

    for name, lead_id in (("new", new_lead), ("active", active_lead), ("done", done_lead)):
        manager.open(f"/leads/{lead_id}")
        manager.screen(f"lead detail, {name}")
    manager.open(f"/leads/{active_lead}")  # with an overdue call
    for opens, title in (
        ("nextStep.complete", "nextStep.completeTitle"),
        ("nextStep.reschedule", "nextStep.rescheduleTitle"),
    ):
        page.get_by_role("button", name=manager.text(opens), exact=True).first.click()
        expect(page.get_by_text(manager.text(title), exact=True).first).to_be_visible()
        manager.screen(f"next step, {manager.text(title)}")
        page.get_by_role("button", name=manager.text("nextStep.cancel"), exact=True).first.click()
    page.get_by_role("button", name=manager.text("contact.edit"), exact=True).click()
    expect(page.locator("#contact-edit-title")).to_be_visible()
    manager.screen("contact edit form")
    page.locator("input[name=outcome][value=SUCCESSFUL]").check()
    page.get_by_role("button", name=manager.text("close.submit"), exact=True).click()
    expect(page.get_by_test_id("close-confirm")).to_be_visible()
    manager.screen("close confirmation")
    manager.open(f"/leads/{done_lead}")
    page.get_by_role("button", name=manager.text("reopen.submit"), exact=True).click()
    expect(page.get_by_role("button", name=manager.text("reopen.confirm"))).to_be_visible()
    manager.screen("reopen confirmation")
    manager.open(f"/leads/{lead_ids[1]}")
    page.get_by_role("button", name=manager.text("optOut.lift"), exact=True).click()
    expect(page.locator("#opt-out-form-title")).to_be_visible()
    manager.screen("lead detail, contact objected, lifting the objection")
    manager.open("/leads/no-such-lead")
    manager.screen("lead not found")
    manager.open("/opportunities")
    manager.screen("opportunities")  # the pipeline board
    card = page.get_by_test_id("board-card").filter(has_text="Rahmenvertrag")
    card.get_by_role("button", name=re.compile(re.escape(manager.text("board.moveTo")))).click()
    stages = card.get_by_role(
        "list", name=manager.text("board.moveLabel").replace("{title}", "Rahmenvertrag")
    )
    expect(stages).to_be_visible()
    manager.screen("move menu on a card")
    stages.get_by_role("button", name=manager.text("stage.LOST"), exact=True).click()
    lost = page.get_by_role("dialog", name=manager.text("board.lostTitle"))
    expect(lost).to_be_visible()
    manager.screen("move dialog, lost")
    lost.get_by_role("button", name=manager.text("board.cancel")).click()
    expect(lost).to_have_count(0)
    manager.open("/opportunities?view=list")
    manager.screen("opportunities list")
    manager.open(f"/opportunities/{opportunity_id}")
    manager.screen("opportunity detail")
    manager.open("/opportunities/no-such-opportunity")
    manager.screen("opportunity not found")
    manager.open("/dashboard")
    manager.screen("dashboard")
    manager.open("/campaigns")
    manager.screen("campaigns")
    page.get_by_role("button", name=manager.text("leadForm.open")).first.click()
    manager.screen("add a lead form")
    page.get_by_role("button", name=manager.text("campaignForm.open")).click()
    expect(page.locator("#new-campaign-title")).to_be_visible()
    manager.screen("new campaign form")
    manager.open("/campaigns")
    csv_file = tmp_path / "leads.csv"
    csv_file.write_bytes(IMPORT_CSV.encode("cp1252"))
    page.locator("input[type=file]").first.set_input_files(csv_file)
    expect(page.get_by_test_id("import-preview")).to_be_visible()
    manager.screen("campaign import preview")
    page.get_by_role("button", name=manager.text("import.start"), exact=True).click()
    expect(page.get_by_test_id("import-history").get_by_role("row")).to_have_count(2)
    expect(page.get_by_test_id("import-progress").get_by_role("status")).to_be_visible()
    manager.screen("campaign import done, with its history")
    manager.open("/webhooks")
    manager.screen("webhooks, none yet")
    page.get_by_role("button", name=manager.text("webhooks.open")).click()
    expect(page.locator("#new-webhook-title")).to_be_visible()
    manager.screen("new webhook form")
    webhook_id = create_webhook(seeded)
    manager.open("/webhooks")
    expect(page.get_by_test_id("webhook-card")).to_have_count(1)
    manager.screen("webhooks")
    manager.open(f"/webhooks/{webhook_id}")
    manager.screen("webhook detail")

    clerk = audit()
    clerk.log_in(CLERK_CLARA, PASSWORD)
    clerk.open("/tasks")
    clerk.screen("my tasks")
    clerk.open("/tasks?due=TODAY")
    clerk.screen("my tasks, nothing due today")
    clerk.open("/tasks?view=done")
    clerk.screen("done leads of a clerk")
    clerk.open(f"/leads/{active_lead}")
    clerk.screen("lead detail as its clerk")
    clerk.open(f"/leads/{davids_lead}")
    clerk.screen("another clerk's lead (forbidden)")
    clerk.open("/opportunities")
    clerk.screen("opportunities of a clerk")
    clerk.open("/dashboard")
    clerk.screen("dashboard of a clerk")

    # Each screen says where one is: no two kinds of screen share a title.
    kinds = {
        "login": manager.titles["login"],
        "overview": manager.titles["leads overview, tab new"],
        "lead": manager.titles["lead detail, new"],
        "not found": manager.titles["lead not found"],
        "opportunities": manager.titles["opportunities"],
        "opportunity": manager.titles["opportunity detail"],
        "dashboard": manager.titles["dashboard"],
        "campaigns": manager.titles["campaigns"],
        "webhooks": manager.titles["webhooks"],
        "webhook": manager.titles["webhook detail"],
        "tasks": clerk.titles["my tasks"],
        "forbidden": clerk.titles["another clerk's lead (forbidden)"],
    }
    assert len(set(kinds.values())) == len(kinds), kinds
    assert re.search("Nummer30", kinds["lead"]), kinds["lead"]
