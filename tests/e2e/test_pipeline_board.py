"""The Verkaufschancen board in a real browser: a clerk moves cards by the menu on the card and
by dragging them, LOST asks for its reason and WON for a confirmation, the counts and sums of the
columns follow; a stale board gets its refusal in German; value, close date and stage are edited
on the opportunity's page. A manager creates a campaign and adds a single lead. Nothing scrolls
sideways on a phone (390 px)."""

from __future__ import annotations

import re

from playwright.sync_api import TimeoutError as PlaywrightTimeoutError
from playwright.sync_api import expect

from tests.e2e.axe import expect_no_violations
from tests.e2e.conftest import (
    CLERK_CLARA,
    CLERK_DAVID,
    PASSWORD,
    Seeded,
    log_in,
    log_in_as_manager,
    screenshot,
)
from tests.e2e.test_lead_detail import assign

CLOSE = """mutation($input: CloseLeadInput!) {
  closeLead(input: $input) { opportunity { id } userErrors { message } }
}"""
MOVE = """mutation($input: MoveOpportunityInput!) {
  moveOpportunity(input: $input) { opportunity { stage } userErrors { code } }
}"""
HAND_OVER = """mutation($input: HandOverOpportunityInput!) {
  handOverOpportunity(input: $input) { opportunity { id } userErrors { code } }
}"""
PHONE = {"width": 390, "height": 844}


def won_leads(
    seeded: Seeded, clerk: str, deals: list[tuple[str, str]], first: int = 0
) -> list[str]:
    """One lead per (title, value), assigned to `clerk` and closed erfolgreich by the manager:
    a Verkaufschance of the clerk's in OPEN each; their IDs."""
    lead_ids = seeded.lead_ids[first : first + len(deals)]
    assign(seeded, lead_ids, clerk)
    ids = []
    for lead_id, (title, value) in zip(lead_ids, deals, strict=True):
        payload = seeded.graphql(
            CLOSE,
            input={
                "leadId": lead_id,
                "outcome": "SUCCESSFUL",
                "opportunity": {"title": title, "expectedValue": value},
            },
        )["closeLead"]
        assert payload["userErrors"] == [], payload
        ids.append(payload["opportunity"]["id"])
    return ids


def column(page, stage: str):
    return page.get_by_test_id(f"column-{stage}")


def figures(page, stage: str):
    return page.get_by_test_id(f"figures-{stage}")


def card(scope, title: str):
    """The card of `title` on the page or inside a column."""
    page = getattr(scope, "page", scope)  # a Locator knows its page; `has` is relative to it
    return scope.get_by_test_id("board-card").filter(has=page.get_by_role("link", name=title))


def move_by_menu(page, title: str, stage: str) -> None:
    """ "Verschieben nach …" on the card, then the stage."""
    card(page, title).get_by_role("button", name=f"Verschieben nach … ({title})").click()
    page.get_by_role("list", name=f"„{title}“ verschieben nach").get_by_role(
        "button", name=stage, exact=True
    ).click()


def view(page, name: str):
    """The "Board | Liste" switch."""
    return page.get_by_role("navigation", name="Ansicht").get_by_role("link", name=name)


def expect_no_sideways_scroll(page, screen: str) -> None:
    """The page is no wider than the screen once laid out (a chart sizes itself a moment after
    it is drawn: the check waits up to 5 s for that, then fails with the sizes)."""
    fits = "() => document.documentElement.scrollWidth <= window.innerWidth"
    try:
        page.wait_for_function(fits, timeout=5_000)
    except PlaywrightTimeoutError:
        sizes = page.evaluate(
            "() => ({scrollWidth: document.documentElement.scrollWidth, innerWidth: innerWidth})"
        )
        raise AssertionError(f"{screen} scrolls sideways: {sizes}") from None


def test_a_clerk_moves_verkaufschancen_through_the_pipeline(new_page, seeded: Seeded):
    _, lizenzen, _ = won_leads(
        seeded,
        CLERK_CLARA,
        [("Rahmenvertrag A", "1000"), ("Lizenzen B", "2500"), ("Wartung C", "400")],
    )
    clara = new_page()
    log_in(clara, seeded, CLERK_CLARA, PASSWORD)
    clara.get_by_role("navigation", name="Hauptnavigation").get_by_role(
        "link", name="Verkaufschancen"
    ).click()
    expect(clara).to_have_url(re.compile(r"/opportunities$"))
    expect(view(clara, "Board")).to_have_attribute("aria-current", "page")
    expect(figures(clara, "OPEN")).to_have_text(re.compile(r"^3 Verkaufschancen · 3\.900,00\s€$"))
    expect(figures(clara, "WON")).to_have_text(re.compile(r"^0 Verkaufschancen · 0,00\s€$"))
    expect(column(clara, "OPEN").get_by_test_id("board-card")).to_have_count(3)
    expect(column(clara, "QUALIFIED")).to_contain_text("Keine")

    # By keyboard alone: "Verschieben nach …" on the card (Escape closes it again), then Tab to
    # the first stage and Enter; the outcome takes the focus.
    toggle = card(clara, "Rahmenvertrag A").get_by_role(
        "button", name="Verschieben nach … (Rahmenvertrag A)"
    )
    toggle.focus()
    clara.keyboard.press("Enter")
    expect(toggle).to_have_attribute("aria-expanded", "true")
    expect_no_violations(clara, "the board with a card's menu open")
    clara.keyboard.press("Escape")
    expect(toggle).to_have_attribute("aria-expanded", "false")
    expect(toggle).to_be_focused()
    clara.keyboard.press("Enter")
    clara.keyboard.press("Tab")
    expect(clara.locator(":focus")).to_have_text("Qualifiziert")
    clara.keyboard.press("Enter")
    expect(clara.get_by_role("status")).to_be_focused()
    expect(clara.get_by_role("status")).to_have_text(
        "„Rahmenvertrag A“ steht jetzt auf „Qualifiziert“."
    )
    expect(card(column(clara, "QUALIFIED"), "Rahmenvertrag A")).to_be_visible()
    expect(figures(clara, "QUALIFIED")).to_have_text(
        re.compile(r"^1 Verkaufschance · 1\.000,00\s€$")
    )
    expect(figures(clara, "OPEN")).to_have_text(re.compile(r"^2 Verkaufschancen · 2\.900,00\s€$"))

    # Drag and drop: Lizenzen B to Angebot.
    card(clara, "Lizenzen B").drag_to(column(clara, "PROPOSAL"))
    expect(card(column(clara, "PROPOSAL"), "Lizenzen B")).to_be_visible()
    expect(figures(clara, "PROPOSAL")).to_have_text(
        re.compile(r"^1 Verkaufschance · 2\.500,00\s€$")
    )
    expect(figures(clara, "OPEN")).to_have_text(re.compile(r"^1 Verkaufschance · 400,00\s€$"))

    # Dropped on Verloren: the reason is asked first, and required.
    card(clara, "Wartung C").drag_to(column(clara, "LOST"))
    dialog = clara.get_by_role("dialog", name="Als verloren markieren")
    expect(dialog).to_contain_text("Warum ist „Wartung C“ verloren?")
    dialog.get_by_role("button", name="Als verloren markieren").click()
    expect(dialog.get_by_label("Grund")).to_have_attribute("aria-invalid", "true")
    expect(dialog).to_contain_text("Bitte einen Grund auswählen")
    expect_no_violations(clara, "the LOST dialog with its error")
    dialog.get_by_label("Grund").select_option(label="Kein Budget")
    dialog.get_by_label("Notiz (optional)").fill("Budget erst 2027.")
    dialog.get_by_role("button", name="Als verloren markieren").click()
    expect(dialog).to_have_count(0)
    expect(figures(clara, "LOST")).to_have_text(re.compile(r"^1 Verkaufschance · 400,00\s€$"))
    expect(figures(clara, "OPEN")).to_have_text(re.compile(r"^0 Verkaufschancen · 0,00\s€$"))
    # A clerk cannot move a closed one back: no menu, nothing to drag.
    lost_card = card(column(clara, "LOST"), "Wartung C")
    expect(lost_card.get_by_role("button")).to_have_count(0)
    expect(lost_card).to_have_attribute("draggable", "false")

    # Gewonnen asks for a confirmation; cancelling changes nothing.
    move_by_menu(clara, "Rahmenvertrag A", "Gewonnen")
    won = clara.get_by_role("dialog", name="Als gewonnen markieren?")
    won.get_by_role("button", name="Abbrechen").click()
    expect(won).to_have_count(0)
    expect(card(column(clara, "QUALIFIED"), "Rahmenvertrag A")).to_be_visible()
    move_by_menu(clara, "Rahmenvertrag A", "Gewonnen")
    won.get_by_role("button", name="Ja, gewonnen").click()
    expect(figures(clara, "WON")).to_have_text(re.compile(r"^1 Verkaufschance · 1\.000,00\s€$"))
    expect(figures(clara, "QUALIFIED")).to_have_text(re.compile(r"^0 Verkaufschancen"))
    screenshot(clara, "pipeline-board", full_page=True)

    # Someone else was quicker: the manager moved Lizenzen B on, then handed it to David, while
    # Clara's board still shows it in Angebot. Both refusals come in German.
    seeded.graphql(MOVE, input={"opportunityId": lizenzen, "stage": "NEGOTIATION"})
    move_by_menu(clara, "Lizenzen B", "Verhandlung")
    expect(clara.get_by_role("alert")).to_have_text(
        "Die Verkaufschance steht schon auf diesem Stand."
    )
    expect(figures(clara, "NEGOTIATION")).to_have_text(re.compile(r"^1 Verkaufschance"))
    seeded.graphql(
        HAND_OVER, input={"opportunityId": lizenzen, "ownerId": seeded.clerk_ids[CLERK_DAVID]}
    )
    move_by_menu(clara, "Lizenzen B", "Angebot")
    expect(clara.get_by_role("alert")).to_contain_text("Das dürfen Sie nicht (mehr)")
    expect(clara.get_by_role("alert")).not_to_contain_text("owner")

    # The list view is kept as the second view, with the same filters.
    view(clara, "Liste").click()
    expect(clara).to_have_url(re.compile(r"/opportunities\?view=list$"))
    expect(clara.get_by_test_id("opportunities-total")).to_have_text("2 Verkaufschancen")
    expect(clara.get_by_role("row", name=re.compile("Rahmenvertrag A"))).to_contain_text("Gewonnen")
    # Newest first; a click on "Erwarteter Wert" sorts the highest value first (in the URL).
    rows = clara.locator("tbody tr")
    expect(rows).to_have_text([re.compile("^Wartung C"), re.compile("^Rahmenvertrag A")])
    clara.get_by_role("link", name="Erwarteter Wert", exact=True).click()
    expect(clara).to_have_url(re.compile(r"/opportunities\?view=list&sort=VALUE$"))
    expect(clara.get_by_role("columnheader", name="Erwarteter Wert")).to_have_attribute(
        "aria-sort", "descending"
    )
    expect(rows).to_have_text([re.compile("^Rahmenvertrag A"), re.compile("^Wartung C")])


def test_a_clerk_edits_value_close_date_and_stage_on_the_page(page, seeded: Seeded):
    won_leads(seeded, CLERK_CLARA, [("Lizenzen B", "2500")])
    log_in(page, seeded, CLERK_CLARA, PASSWORD)
    expect(page).to_have_url(re.compile(r"/tasks$"))
    page.goto(seeded.url + "/opportunities")
    page.get_by_role("link", name="Lizenzen B").click()
    edit = page.get_by_role("region", name="Bearbeiten")
    value = edit.get_by_label("Erwarteter Wert in €")
    expect(value).to_have_value("2.500,00")
    value.fill("zwei")
    edit.get_by_role("button", name="Speichern").click()
    expect(value).to_have_attribute("aria-invalid", "true")
    expect(edit).to_contain_text("Bitte einen Betrag wie 1.500 oder 1.500,50 eingeben")
    expect_no_violations(page, "the opportunity page with an edit error")
    value.fill("3.200,50")
    edit.get_by_label("Erwarteter Abschluss").fill("2026-12-31")
    edit.get_by_role("button", name="Speichern").click()
    expect(page.get_by_role("status").filter(has_text="gespeichert")).to_have_text(
        "Die Angaben wurden gespeichert."
    )
    expect(page.get_by_test_id("opportunity-value")).to_have_text(re.compile(r"3\.200,50\s€"))
    expect(page.get_by_test_id("opportunity-close-date")).to_have_text("31.12.2026")
    history = page.get_by_test_id("opportunity-history")
    expect(history).to_contain_text("Angaben geändert")
    expect(history).to_contain_text(
        re.compile(
            r"Erwarteter Wert: 2\.500,00\s€ → 3\.200,50\s€; Erwarteter Abschluss: — → 31\.12\.2026"
        )
    )

    # The stage from the page: Verhandlung, then Verloren with its reason.
    stages = page.get_by_role("list", name="Neuer Stand")
    stages.get_by_role("button", name="Verhandlung").click()
    expect(page.get_by_test_id("opportunity-stage")).to_have_text("Verhandlung")
    expect(history).to_contain_text("Stand: Offen → Verhandlung")
    screenshot(page, "opportunity-edit", full_page=True)
    stages.get_by_role("button", name="Verloren").click()
    dialog = page.get_by_role("dialog", name="Als verloren markieren")
    dialog.get_by_label("Grund").select_option(label="Wettbewerber")
    dialog.get_by_role("button", name="Als verloren markieren").click()
    expect(page.get_by_test_id("opportunity-stage")).to_have_text("Verloren (Wettbewerber)")
    expect(history).to_contain_text("Stand: Verhandlung → Verloren")
    # Closed: no more stage menu for a clerk, no hand-over.
    expect(stages).to_have_count(0)
    expect(page.get_by_role("region", name="Übergeben")).to_have_count(0)

    # The board adds up the new value.
    page.get_by_role("link", name="← Verkaufschancen").click()
    expect(figures(page, "LOST")).to_have_text(re.compile(r"^1 Verkaufschance · 3\.200,50\s€$"))
    view(page, "Liste").click()
    row = page.get_by_role("row", name=re.compile("Lizenzen B"))
    expect(row).to_contain_text("Verloren")
    expect(row).to_contain_text("31.12.2026")


def test_a_manager_filters_the_board_by_owner_and_campaign(page, seeded: Seeded):
    won_leads(seeded, CLERK_CLARA, [("Rahmenvertrag A", "1000")])
    won_leads(seeded, CLERK_DAVID, [("Wartung D", "700")], first=1)
    other = seeded.graphql(
        """mutation($input: CreateCampaignInput!) {
          createCampaign(input: $input) { campaign { id } userErrors { message } }
        }""",
        input={"name": "Webinar Frühjahr"},
    )["createCampaign"]["campaign"]
    assert other
    log_in_as_manager(page, seeded)
    expect(page).to_have_url(re.compile(r"/leads\?tab=new$"))
    page.goto(seeded.url + "/opportunities")
    expect(figures(page, "OPEN")).to_have_text(re.compile(r"^2 Verkaufschancen · 1\.700,00\s€$"))
    expect(card(page, "Wartung D")).to_contain_text("David Clerk")
    page.get_by_label("Zuständig").select_option(label="David Clerk")
    expect(figures(page, "OPEN")).to_have_text(re.compile(r"^1 Verkaufschance · 700,00\s€$"))
    expect(card(page, "Rahmenvertrag A")).to_have_count(0)
    page.get_by_label("Kampagne").select_option(label="Webinar Frühjahr")
    expect(figures(page, "OPEN")).to_have_text(re.compile(r"^0 Verkaufschancen"))
    page.get_by_label("Kampagne").select_option(label="Messe Herbst 2026")
    expect(figures(page, "OPEN")).to_have_text(re.compile(r"^1 Verkaufschance"))
    # The filters stay when switching to the list.
    view(page, "Liste").click()
    expect(page.get_by_test_id("opportunities-total")).to_have_text("1 Verkaufschance")
    expect(page.get_by_role("row", name=re.compile("Wartung D"))).to_be_visible()
    # A manager moves a closed one back.
    view(page, "Board").click()
    move_by_menu(page, "Wartung D", "Gewonnen")
    page.get_by_role("dialog").get_by_role("button", name="Ja, gewonnen").click()
    expect(figures(page, "WON")).to_have_text(re.compile(r"^1 Verkaufschance"))
    move_by_menu(page, "Wartung D", "Angebot")
    expect(figures(page, "PROPOSAL")).to_have_text(re.compile(r"^1 Verkaufschance · 700,00\s€$"))
    expect(figures(page, "WON")).to_have_text(re.compile(r"^0 Verkaufschancen"))

    # The same board in English.
    page.get_by_role("button", name="English").click()
    expect(page.get_by_role("heading", name="Proposal")).to_be_visible()
    expect(figures(page, "PROPOSAL")).to_have_text("1 opportunity · €700.00")
    expect(
        card(page, "Wartung D").get_by_role("button", name="Move to … (Wartung D)")
    ).to_be_visible()


def test_a_manager_creates_a_campaign_and_adds_a_single_lead(page, seeded: Seeded):
    log_in_as_manager(page, seeded)
    page.get_by_role("navigation", name="Hauptnavigation").get_by_role(
        "link", name="Kampagnen"
    ).click()
    new_campaign = page.get_by_role("button", name="Neue Kampagne …")
    new_campaign.click()
    expect(new_campaign).to_have_attribute("aria-expanded", "true")
    form = page.get_by_role("region", name="Neue Kampagne")
    expect(form.get_by_label("Name")).to_be_focused()
    create = form.get_by_role("button", name="Kampagne anlegen")
    create.click()
    expect(form.get_by_label("Name")).to_have_attribute("aria-invalid", "true")
    expect(form).to_contain_text("Bitte einen Namen eingeben.")
    form.get_by_label("Name").fill("Messe Herbst 2026")
    create.click()
    expect(form).to_contain_text("Eine Kampagne mit diesem Namen gibt es schon.")
    form.get_by_label("Name").fill("Messe Frühjahr 2027")
    form.get_by_label("Beginn (optional)").fill("2027-03-10")
    form.get_by_label("Ende (optional)").fill("2027-03-01")
    create.click()
    expect(form.get_by_label("Ende (optional)")).to_have_attribute("aria-invalid", "true")
    expect(form).to_contain_text("Das Ende darf nicht vor dem Beginn liegen.")
    form.get_by_label("Ende (optional)").fill("2027-03-12")
    form.get_by_label("Beschreibung (optional)").fill("Stand B12")
    create.click()
    expect(page.get_by_role("status").filter(has_text="angelegt")).to_have_text(
        "Die Kampagne „Messe Frühjahr 2027“ wurde angelegt."
    )
    expect(page.get_by_role("status")).to_be_focused()
    expect(form).to_have_count(0)
    expect(new_campaign).to_have_attribute("aria-expanded", "false")
    expect(page.get_by_test_id("campaigns-total")).to_have_text("2 Kampagnen")
    row = page.get_by_role("row", name=re.compile("Messe Frühjahr 2027"))
    expect(row.get_by_role("cell").first).to_have_text("0")

    # A single lead into the new campaign.
    files = page.get_by_role("region", name="Messe Frühjahr 2027")
    files.get_by_role("button", name="Lead hinzufügen").click()
    lead = files.get_by_role("form", name="Lead hinzufügen: Messe Frühjahr 2027")
    add = lead.get_by_role("button", name="Lead anlegen")
    lead.get_by_label("Nachname").fill("Muster")
    add.click()
    expect(lead.get_by_label("E-Mail")).to_have_attribute("aria-invalid", "true")
    expect(lead).to_contain_text("Bitte eine E-Mail-Adresse oder eine Telefonnummer angeben")
    expect_no_violations(page, "the campaigns with the lead form and its error")
    lead.get_by_label("E-Mail").fill("erika@")
    add.click()
    expect(lead).to_contain_text("Bitte eine gültige E-Mail-Adresse eingeben.")
    lead.get_by_label("Vorname").fill("Erika")
    lead.get_by_label("E-Mail").fill("erika.muster@example.com")
    lead.get_by_label("Telefon").fill("+49 30 555 0101")
    lead.get_by_label("Firma").fill("Muster AG")
    add.click()
    added = files.get_by_role("status")
    expect(added).to_contain_text("Der Lead Erika Muster wurde angelegt.")
    expect(row.get_by_role("cell")).to_have_text(["1", "1", "0", "0", "0", "0", "—"])
    screenshot(page, "campaign-new-lead", full_page=True)
    added.get_by_role("link", name="Lead öffnen").click()
    expect(page.get_by_role("heading", name=re.compile("Erika Muster"))).to_be_visible()


def test_nothing_scrolls_sideways_on_a_phone(page, seeded: Seeded):
    won_leads(seeded, CLERK_CLARA, [("Rahmenvertrag mit sehr langem Titel", "1000")])
    page.set_viewport_size(PHONE)
    log_in_as_manager(page, seeded)
    expect(page).to_have_url(re.compile(r"/leads\?tab=new$"))
    page.goto(seeded.url + "/opportunities")
    expect(figures(page, "OPEN")).to_have_text(re.compile(r"^1 Verkaufschance"))
    expect_no_sideways_scroll(page, "the board")
    # The board scrolls inside its own box.
    board = page.get_by_role("group", name="Pipeline nach Stand")
    assert board.evaluate("element => element.scrollWidth > element.clientWidth")
    move_by_menu(page, "Rahmenvertrag mit sehr langem Titel", "Verloren")
    dialog = page.get_by_role("dialog", name="Als verloren markieren")
    expect(dialog).to_be_visible()
    box = dialog.bounding_box()
    assert box and box["x"] >= 0 and box["x"] + box["width"] <= PHONE["width"], box
    expect_no_sideways_scroll(page, "the move dialog")
    dialog.get_by_role("button", name="Abbrechen").click()
    screenshot(page, "pipeline-board-phone")

    view(page, "Liste").click()
    expect(page.get_by_test_id("opportunities-total")).to_be_visible()
    expect_no_sideways_scroll(page, "the list")
    page.get_by_role("link", name="Rahmenvertrag mit sehr langem Titel").click()
    expect(page.get_by_role("region", name="Bearbeiten")).to_be_visible()
    expect_no_sideways_scroll(page, "the opportunity page")

    page.goto(seeded.url + "/campaigns")
    page.get_by_role("button", name="Neue Kampagne …").click()
    expect(page.get_by_role("region", name="Neue Kampagne")).to_be_visible()
    page.get_by_role("button", name="Lead hinzufügen").first.click()
    expect(page.get_by_role("form", name=re.compile("Lead hinzufügen"))).to_be_visible()
    expect_no_sideways_scroll(page, "the campaigns with the lead form")


def test_a_long_column_shows_50_cards_and_more_on_request(page, seeded: Seeded):
    contact = seeded.graphql(
        "query($id: ID!) { lead(id: $id) { contact { id } } }", id=seeded.lead_ids[0]
    )["lead"]["contact"]["id"]
    for number in range(1, 53):
        payload = seeded.graphql(
            """mutation($input: CreateOpportunityInput!) {
              createOpportunity(input: $input) { opportunity { id } userErrors { message } }
            }""",
            input={
                "contactId": contact,
                "title": f"Chance {number:02d}",
                "expectedValue": "10",
                "ownerId": seeded.clerk_ids[CLERK_CLARA],
            },
        )["createOpportunity"]
        assert payload["userErrors"] == [], payload
    log_in(page, seeded, CLERK_CLARA, PASSWORD)
    expect(page).to_have_url(re.compile(r"/tasks$"))
    page.goto(seeded.url + "/opportunities")
    expect(figures(page, "OPEN")).to_have_text(re.compile(r"^52 Verkaufschancen · 520,00\s€$"))
    cards = column(page, "OPEN").get_by_test_id("board-card")
    expect(cards).to_have_count(50)
    column(page, "OPEN").get_by_role("button", name="Mehr anzeigen").click()
    expect(cards).to_have_count(52)
    expect(column(page, "OPEN").get_by_role("button", name="Mehr anzeigen")).to_have_count(0)
    # Each card once: the second page starts after the first.
    titles = cards.get_by_role("link").all_inner_texts()
    assert sorted(titles) == [f"Chance {number:02d}" for number in range(1, 53)]
