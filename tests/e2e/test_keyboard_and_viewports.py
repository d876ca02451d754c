"""The web app without a mouse and on a tablet: every step of the seed flow works by keyboard
with a visible focus, and the main screens fit 1280x800 and an iPad (gen 7) without sideways
scrolling."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from tests.e2e.conftest import (
    CLERK_CLARA,
    LEAD_COUNT,
    MANAGER_PASSWORD,
    PASSWORD,
    Seeded,
    log_in,
    log_in_as_manager,
    screenshot,
)
from tests.e2e.test_lead_detail import assign
from tests.live_server import MANAGER_EMAIL

MAX_TABS = 80  # more stops than any screen has: a control never reached is a failure

FOCUS_STYLE = """() => {
  const element = document.activeElement;
  const style = getComputedStyle(element);
  return {
    focusVisible: element.matches(":focus-visible"),
    outline: style.outlineStyle !== "none" && parseFloat(style.outlineWidth) > 0,
    boxShadow: style.boxShadow !== "none",
  };
}"""


def is_focused(locator) -> bool:
    return locator.evaluate("element => element === document.activeElement")


def tab_to(page, locator, *, backwards: bool = False) -> None:
    """Press Tab (or Shift+Tab) until `locator` has the focus, as a keyboard user would."""
    key = "Shift+Tab" if backwards else "Tab"
    for _ in range(MAX_TABS):
        if locator.count() == 1 and is_focused(locator):
            return
        page.keyboard.press(key)
    pytest.fail(f"{locator} is not reachable with {key} within {MAX_TABS} presses")


def expect_visible_focus(page, locator) -> None:
    expect(locator).to_be_focused()
    style = page.evaluate(FOCUS_STYLE)
    assert style["focusVisible"], f"{locator} has the focus but does not match :focus-visible"
    assert style["outline"] or style["boxShadow"], f"{locator} shows no focus indicator: {style}"


def log_in_by_keyboard(page, seeded: Seeded, email: str, password: str) -> None:
    page.goto(seeded.url + "/")
    email_field = page.get_by_label("E-Mail")
    tab_to(page, email_field)
    expect_visible_focus(page, email_field)
    page.keyboard.type(email)
    page.keyboard.press("Tab")
    expect_visible_focus(page, page.get_by_label("Passwort"))
    page.keyboard.type(password)
    page.keyboard.press("Enter")


def test_distribute_record_feedback_and_close_by_keyboard_only(new_page, seeded: Seeded):
    manager = new_page()
    log_in_by_keyboard(manager, seeded, MANAGER_EMAIL, MANAGER_PASSWORD)
    expect(manager).to_have_url(re.compile(r"/leads\?tab=new$"))
    expect(manager.get_by_test_id("count-new")).to_have_text(str(LEAD_COUNT))

    # The tab "Neu", two leads, the distribute button: all reached with Tab, used with Enter/Space.
    new_tab = manager.get_by_role("link", name=re.compile("^Neu"))
    tab_to(manager, new_tab)
    expect_visible_focus(manager, new_tab)
    manager.keyboard.press("Enter")
    expect(manager).to_have_url(re.compile(r"/leads\?tab=new$"))
    for name in ("Kunde Nummer30", "Kunde Nummer29"):
        checkbox = manager.get_by_label(f"{name} auswählen")
        tab_to(manager, checkbox)
        expect_visible_focus(manager, checkbox)
        manager.keyboard.press("Space")
        expect(checkbox).to_be_checked()
    expect(manager.get_by_text("2 Leads ausgewählt")).to_be_visible()
    distribute = manager.get_by_role("button", name="An Bearbeiter verteilen")
    tab_to(manager, distribute, backwards=True)
    expect_visible_focus(manager, distribute)

    # The dialog takes the focus; Escape closes it and gives the focus back to its button.
    manager.keyboard.press("Enter")
    dialog = manager.get_by_role("dialog", name="An Bearbeiter verteilen")
    expect(dialog.get_by_text("Clara Clerk")).to_be_visible()
    assert dialog.evaluate("dialog => dialog.contains(document.activeElement)")
    manager.keyboard.press("Escape")
    expect(dialog).to_have_count(0)
    expect_visible_focus(manager, distribute)
    expect(manager.get_by_text("2 Leads ausgewählt")).to_be_visible()
    expect(manager.get_by_test_id("count-new")).to_have_text(str(LEAD_COUNT))

    # Reopen: the focus starts on the first clerk; arrows choose, Tab to "Verteilen", Enter.
    manager.keyboard.press("Enter")
    expect(dialog.get_by_text("David Clerk")).to_be_visible()
    clara = dialog.get_by_role("radio", name=re.compile("Clara Clerk"))
    david = dialog.get_by_role("radio", name=re.compile("David Clerk"))
    expect_visible_focus(manager, clara)
    manager.keyboard.press("ArrowDown")
    expect(david).to_be_checked()
    expect_visible_focus(manager, david)
    manager.keyboard.press("ArrowUp")
    expect(clara).to_be_checked()
    expect_visible_focus(manager, clara)
    confirm = dialog.get_by_role("button", name="Verteilen")
    tab_to(manager, confirm)
    expect_visible_focus(manager, confirm)
    manager.keyboard.press("Enter")
    notice = manager.get_by_role("status").filter(has_text="verteilt")
    expect(notice).to_have_text("2 Leads wurden an Clara Clerk verteilt.")
    expect_visible_focus(manager, notice)  # not lost with the dialog: the outcome has it
    expect(manager.get_by_test_id("count-new")).to_have_text(str(LEAD_COUNT - 2))
    expect(manager.get_by_test_id("count-active")).to_have_text("2")
    manager.keyboard.press("Tab")
    expect_visible_focus(manager, manager.get_by_label("Alle auf dieser Seite auswählen"))

    # The clerk: log in, open the lead, record feedback and close it, all by keyboard.
    clerk = new_page()
    log_in_by_keyboard(clerk, seeded, CLERK_CLARA, PASSWORD)
    expect(clerk.get_by_test_id("tasks-total")).to_have_text("2 offene Leads")
    lead_link = clerk.get_by_role("link", name="Kunde Nummer30")
    tab_to(clerk, lead_link)
    expect_visible_focus(clerk, lead_link)
    clerk.keyboard.press("Enter")
    expect(clerk.get_by_role("heading", name=re.compile("Kunde Nummer30"))).to_be_visible()

    feedback = clerk.get_by_role("region", name="Feedback erfassen")
    channel = feedback.get_by_label("Kanal")
    tab_to(clerk, channel)
    expect_visible_focus(clerk, channel)
    clerk.keyboard.type("Pers")  # type-ahead in the closed select: "Persönliches Gespräch"
    expect(channel).to_have_value("MEETING")
    clerk.keyboard.press("Tab")
    expect_visible_focus(clerk, feedback.get_by_label("Notiz"))
    clerk.keyboard.type("Im Gespräch auf der Messe: kein Budget.")
    save = feedback.get_by_role("button", name="Feedback speichern")
    tab_to(clerk, save)
    expect_visible_focus(clerk, save)
    clerk.keyboard.press("Enter")
    expect(clerk.get_by_role("status").filter(has_text="gespeichert")).to_have_text(
        "Das Feedback wurde gespeichert."
    )
    expect(clerk.get_by_test_id("feedback-log")).to_contain_text(
        "Persönliches Gespräch · Clara Clerk"
    )

    close = clerk.get_by_role("region", name="Abschließen")
    successful = close.get_by_role("radio", name="erfolgreich")
    unsuccessful = close.get_by_role("radio", name="erfolglos")
    tab_to(clerk, successful)
    expect_visible_focus(clerk, successful)
    clerk.keyboard.press("ArrowDown")  # arrows move within a radio group
    expect(unsuccessful).to_be_checked()
    expect_visible_focus(clerk, unsuccessful)
    reason = close.get_by_label("Grund")
    tab_to(clerk, reason)
    expect_visible_focus(clerk, reason)
    clerk.keyboard.type("Kein")
    expect(reason).to_have_value("NOT_INTERESTED")
    submit = close.get_by_role("button", name="Abschließen")
    tab_to(clerk, submit)
    expect_visible_focus(clerk, submit)
    clerk.keyboard.press("Enter")
    # "Wirklich abschließen?": the focus is on the confirming button, Enter closes.
    confirm = close.get_by_role("button", name="Ja, abschließen")
    expect_visible_focus(clerk, confirm)
    clerk.keyboard.press("Enter")
    closed = clerk.get_by_role("status").filter(has_text="abgeschlossen")
    expect(closed).to_have_text("Der Lead wurde als erfolglos abgeschlossen.")
    expect(clerk.get_by_test_id("lead-status")).to_have_text("Erledigt · erfolglos")
    expect(close).to_have_count(0)
    expect_visible_focus(clerk, closed)  # the form is gone: the outcome has the focus

    back = clerk.get_by_role("link", name="Zurück")
    tab_to(clerk, back, backwards=True)
    expect_visible_focus(clerk, back)
    clerk.keyboard.press("Enter")
    expect(clerk.get_by_test_id("tasks-total")).to_have_text("1 offener Lead")


# The focused element's outline colour and the colour behind it (the first ancestor with a
# background; the page's own when none has one), as [r, g, b] for the contrast ratio.
FOCUS_COLOURS = """() => {
  const rgb = (colour) => colour.match(/[\\d.]+/g).slice(0, 3).map(Number);
  const opaque = (colour) => !/^rgba\\(.*,\\s*0\\)$/.test(colour) && colour !== "transparent";
  const element = document.activeElement;
  let behind = element.parentElement;
  while (behind && !opaque(getComputedStyle(behind).backgroundColor)) {
    behind = behind.parentElement;
  }
  const background = behind
    ? getComputedStyle(behind).backgroundColor
    : getComputedStyle(document.documentElement).backgroundColor;
  return { outline: rgb(getComputedStyle(element).outlineColor), background: rgb(background) };
}"""


def contrast(first: list[float], second: list[float]) -> float:
    """WCAG's contrast ratio of two sRGB colours."""

    def luminance(rgb: list[float]) -> float:
        channels = [value / 255 for value in rgb]
        linear = [c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
        return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]

    lighter, darker = sorted((luminance(first), luminance(second)), reverse=True)
    return (lighter + 0.05) / (darker + 0.05)


def expect_focus_outline_contrast(page, what: str) -> None:
    """WCAG 2.2 SC 1.4.11: the focus indicator at least 3:1 against what is behind it."""
    colours = page.evaluate(FOCUS_COLOURS)
    ratio = contrast(colours["outline"], colours["background"])
    assert ratio >= 3, f"the focus outline of {what} has a contrast of {ratio:.2f}:1: {colours}"


def title(screen: str) -> str:
    return f"{screen} \N{EN DASH} Leadflow"


def test_the_skip_link_the_focus_on_new_screens_and_its_outline(page, seeded: Seeded):
    assign(seeded, seeded.lead_ids[:1], CLERK_CLARA)  # Kunde Nummer01

    # Logging in replaces the login page: the focus goes to the new screen's heading.
    log_in_by_keyboard(page, seeded, CLERK_CLARA, PASSWORD)
    heading = page.get_by_role("heading", name="Meine Aufgaben", level=1)
    expect(heading).to_be_focused()
    expect(page).to_have_title(title("Meine Aufgaben"))

    # Opening a lead: its name has the focus, the title says which lead.
    lead_link = page.get_by_role("link", name="Kunde Nummer01")
    tab_to(page, lead_link)
    expect_focus_outline_contrast(page, "a link in the task list")
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", name=re.compile("Kunde Nummer01"), level=1)).to_be_focused()
    expect(page).to_have_title(title("Lead: Kunde Nummer01"))
    save = page.get_by_role("button", name="Feedback speichern")
    tab_to(page, save)
    expect_visible_focus(page, save)
    expect_focus_outline_contrast(page, "a button on a card")

    # After a page load the first Tab reaches the skip link, which leads past the navigation.
    page.reload()
    expect(page.get_by_role("heading", name=re.compile("Kunde Nummer01"))).to_be_visible()
    page.keyboard.press("Tab")
    skip = page.get_by_role("link", name="Zum Inhalt springen")
    expect_visible_focus(page, skip)
    expect_focus_outline_contrast(page, "the skip link")
    page.keyboard.press("Enter")
    expect(page.locator("main")).to_be_focused()
    page.keyboard.press("Tab")
    assert page.evaluate("() => document.querySelector('main').contains(document.activeElement)")
    expect_focus_outline_contrast(page, "the first control of the content")

    page.get_by_role("button", name="Switch to English").click()
    expect(page).to_have_title(title("Lead: Kunde Nummer01"))
    page.goto(seeded.url + "/tasks")
    expect(page).to_have_title(title("My tasks"))
    page.keyboard.press("Tab")
    expect(page.get_by_role("link", name="Skip to content")).to_be_focused()


# --- viewports -----------------------------------------------------------------------------

DESKTOP = {"viewport": {"width": 1280, "height": 800}}
# Playwright's device descriptor "iPad (gen 7)", spelled out: the sync API offers the device list
# only on the Playwright object, which the module-scoped `browser` fixture keeps to itself.
TABLET = {
    "viewport": {"width": 810, "height": 1080},
    "device_scale_factor": 2,
    "is_mobile": True,
    "has_touch": True,
    "user_agent": (
        "Mozilla/5.0 (iPad; CPU OS 12_2 like Mac OS X) AppleWebKit/605.1.15 "
        "(KHTML, like Gecko) Version/27.2 Mobile/15E148 Safari/604.1"
    ),
}

OVERFLOW = """() => ({
  scrollWidth: document.scrollingElement.scrollWidth,
  innerWidth: window.innerWidth,
})"""


@pytest.fixture(params=["desktop", "tablet"])
def device(request, browser):
    """(name, open_page): pages in fresh browser contexts with the desktop or tablet viewport."""
    options = TABLET if request.param == "tablet" else DESKTOP
    contexts = []

    def open_page():
        context = browser.new_context(**options, locale="de-DE")
        context.set_default_timeout(10_000)
        contexts.append(context)
        return context.new_page()

    yield request.param, open_page
    for context in contexts:
        context.close()


def expect_no_horizontal_overflow(page, screen: str) -> None:
    sizes = page.evaluate(OVERFLOW)
    # Laid out for the device's width, not for a zoomed-out 980px "desktop" page.
    assert sizes["innerWidth"] == page.viewport_size["width"], f"{screen} is zoomed: {sizes}"
    assert sizes["scrollWidth"] <= sizes["innerWidth"], f"{screen} scrolls sideways: {sizes}"


def expect_inside_viewport(page, locator) -> None:
    """Visible and whole on screen once scrolled to vertically, without scrolling sideways."""
    expect(locator).to_be_visible()
    locator.evaluate("element => element.scrollIntoView({block: 'center', inline: 'nearest'})")
    box = locator.bounding_box()
    width, height, scroll_x = page.evaluate(
        "() => [window.innerWidth, window.innerHeight, window.scrollX]"
    )
    assert box is not None
    assert scroll_x == 0, f"showing {locator} scrolled the page sideways by {scroll_x}px"
    assert box["x"] >= 0 and box["x"] + box["width"] <= width, f"{locator} sticks out: {box}"
    assert box["y"] >= 0 and box["y"] + box["height"] <= height, f"{locator} sticks out: {box}"


def activate(locator, *, touch: bool) -> None:
    """A tap on a touch screen, a click otherwise."""
    if touch:
        locator.tap()
    else:
        locator.click()


def test_main_screens_fit_the_viewport(device, seeded: Seeded):
    name, open_page = device
    touch = name == "tablet"
    assign(seeded, seeded.lead_ids[:3], CLERK_CLARA)  # Kunde Nummer01..03

    manager = open_page()
    log_in_as_manager(manager, seeded)
    expect(manager.get_by_test_id("count-new")).to_have_text(str(LEAD_COUNT - 3))
    expect_no_horizontal_overflow(manager, "the leads overview")
    manager.get_by_label("Kunde Nummer30 auswählen").check()
    distribute = manager.get_by_role("button", name="An Bearbeiter verteilen")
    expect_inside_viewport(manager, distribute)
    for tab in ("Neu", "Aktiv", "Erledigt"):
        expect_inside_viewport(manager, manager.get_by_role("link", name=re.compile(f"^{tab}")))
    expect_inside_viewport(manager, manager.get_by_role("button", name="Abmelden"))
    if name == "tablet":
        screenshot(manager, "tablet-overview")

    activate(distribute, touch=touch)
    dialog = manager.get_by_role("dialog", name="An Bearbeiter verteilen")
    expect(dialog.get_by_text("Clara Clerk")).to_be_visible()
    expect_inside_viewport(manager, dialog)
    for button in ("Verteilen", "Abbrechen"):
        expect_inside_viewport(manager, dialog.get_by_role("button", name=button))
    expect_no_horizontal_overflow(manager, "the distribute dialog")
    if name == "tablet":
        screenshot(manager, "tablet-assign-dialog")
    cancel = dialog.get_by_role("button", name="Abbrechen")
    activate(cancel, touch=touch)
    expect(dialog).to_have_count(0)

    clerk = open_page()
    log_in(clerk, seeded, CLERK_CLARA, PASSWORD)
    expect(clerk.get_by_test_id("tasks-total")).to_have_text("3 offene Leads")
    expect_no_horizontal_overflow(clerk, "the task list")
    expect_inside_viewport(clerk, clerk.get_by_role("link", name="Kunde Nummer01"))
    expect_inside_viewport(clerk, clerk.get_by_role("link", name="+49 30 123401"))
    if name == "tablet":
        screenshot(clerk, "tablet-my-tasks")

    lead_link = clerk.get_by_role("link", name="Kunde Nummer01")
    activate(lead_link, touch=touch)
    expect(clerk.get_by_role("heading", name=re.compile("Kunde Nummer01"))).to_be_visible()
    expect_no_horizontal_overflow(clerk, "the lead detail")
    for button in ("Feedback speichern", "Abschließen"):
        expect_inside_viewport(clerk, clerk.get_by_role("button", name=button))
    close = clerk.get_by_role("region", name="Abschließen")
    close.get_by_role("radio", name="erfolgreich").check()
    expect_no_horizontal_overflow(clerk, "the lead detail with the Verkaufschance fields")
    expect_inside_viewport(clerk, close.get_by_label("Zuständig für die Verkaufschance"))
    if name == "tablet":
        screenshot(clerk, "tablet-lead-detail", full_page=True)
