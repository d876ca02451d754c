import { describe, expect, it } from "vitest";
import { errorText } from "./errorText";
import { type Language, type MessageKey, type Params, translate } from "./i18n";
import {
  amountInputText,
  describeOpportunityChanges,
  parseOpportunityChanges,
  cardDragData,
  draftOf,
  formatCloseDate,
  moveQuestion,
  moveTargets,
  opportunitiesScreenUrl,
  opportunityChanges,
  parseOpportunitiesScreen,
  readCardDragData,
} from "./pipeline";
import { parseAmount } from "./leadDetail";

describe("the Verkaufschancen URL", () => {
  it("opens the board by default and keeps owner and campaign for both views", () => {
    expect(parseOpportunitiesScreen("")).toEqual({
      ownerId: "",
      stage: "",
      cursors: [],
      view: "board",
      campaignId: "",
      order: "NEWEST",
    });
    const list = parseOpportunitiesScreen("?owner=U1&campaign=C1&stage=WON&view=list&after=x");
    expect(list).toEqual({
      ownerId: "U1",
      stage: "WON",
      cursors: ["x"],
      view: "list",
      campaignId: "C1",
      order: "NEWEST",
    });
    expect(parseOpportunitiesScreen(opportunitiesScreenUrl(list).slice(14))).toEqual(list);
  });

  it("drops the stage and the page on the board, where every stage is a column", () => {
    const list = parseOpportunitiesScreen("?owner=U1&campaign=C1&stage=WON&view=list&after=x");
    expect(opportunitiesScreenUrl({ ...list, view: "board" })).toBe(
      "/opportunities?owner=U1&campaign=C1",
    );
    expect(opportunitiesScreenUrl(parseOpportunitiesScreen(""))).toBe("/opportunities");
    expect(opportunitiesScreenUrl({ ...parseOpportunitiesScreen(""), view: "list" })).toBe(
      "/opportunities?view=list",
    );
  });

  it("keeps the list's sort in the URL, not the default's nor the board's", () => {
    const list = parseOpportunitiesScreen("?view=list&sort=VALUE&after=x");
    expect(list.order).toBe("VALUE");
    expect(opportunitiesScreenUrl(list)).toBe("/opportunities?after=x&view=list&sort=VALUE");
    expect(parseOpportunitiesScreen(opportunitiesScreenUrl(list).slice(14))).toEqual(list);
    expect(opportunitiesScreenUrl({ ...list, order: "NEWEST", cursors: [] })).toBe(
      "/opportunities?view=list",
    );
    expect(opportunitiesScreenUrl({ ...list, view: "board" })).toBe("/opportunities");
    // Anyone can edit a URL: an unknown sort is the default one.
    expect(parseOpportunitiesScreen("?view=list&sort=PRICE").order).toBe("NEWEST");
  });

  it("takes an unknown view for the board", () => {
    expect(parseOpportunitiesScreen("?view=kanban").view).toBe("board");
  });
});

describe("moveTargets", () => {
  it("offers the owner every other stage of an open one", () => {
    expect(moveTargets("OPEN", { manages: false, owns: true })).toEqual([
      "QUALIFIED",
      "PROPOSAL",
      "NEGOTIATION",
      "WON",
      "LOST",
    ]);
  });

  it("offers a clerk nothing for a closed one or someone else's, a manager always", () => {
    expect(moveTargets("WON", { manages: false, owns: true })).toEqual([]);
    expect(moveTargets("OPEN", { manages: false, owns: false })).toEqual([]);
    expect(moveTargets("LOST", { manages: true, owns: false })).toEqual([
      "OPEN",
      "QUALIFIED",
      "PROPOSAL",
      "NEGOTIATION",
      "WON",
    ]);
  });
});

describe("moveQuestion", () => {
  it("asks LOST for a reason, WON for a confirmation, nothing else", () => {
    expect(moveQuestion("LOST")).toBe("lostReason");
    expect(moveQuestion("WON")).toBe("confirmWon");
    expect(moveQuestion("PROPOSAL")).toBe("none");
    expect(moveQuestion("OPEN")).toBe("none");
  });
});

describe("dragged cards", () => {
  it("carry their id, title and stage and come back the same", () => {
    const card = { id: "T3Bw", title: "Rahmenvertrag", stage: "OPEN" as const };
    expect(readCardDragData(cardDragData(card))).toEqual(card);
  });

  it("take nothing else for a card", () => {
    expect(readCardDragData("https://example.com")).toBeNull();
    expect(readCardDragData("null")).toBeNull();
    expect(readCardDragData(JSON.stringify({ id: "", title: "x", stage: "OPEN" }))).toBeNull();
    expect(readCardDragData(JSON.stringify({ id: "a", title: "x", stage: "DONE" }))).toBeNull();
    expect(readCardDragData(JSON.stringify({ id: "a", stage: "OPEN" }))).toBeNull();
  });
});

describe("the edit form's values", () => {
  const current = { title: "Rahmenvertrag", expectedValue: "2400.00", expectedCloseDate: null };

  it("starts from the amount as people write it, which parseAmount reads back", () => {
    expect(amountInputText("de", "2400.00")).toBe("2.400,00");
    expect(amountInputText("en", "2400.5")).toBe("2,400.50");
    expect(amountInputText("de", null)).toBe("");
    expect(parseAmount(amountInputText("de", "1234567.89"), "de")).toEqual({
      ok: true,
      value: "1234567.89",
    });
  });

  it("sends only what changed", () => {
    const draft = draftOf("de", current);
    expect(opportunityChanges("de", current, draft)).toEqual({ ok: true, changes: {} });
    expect(opportunityChanges("de", current, { ...draft, value: "2.400" })).toEqual({
      ok: true,
      changes: {},
    });
    expect(
      opportunityChanges("de", current, {
        title: " Rahmenvertrag 2027 ",
        value: "3.000,50",
        closeDate: "2026-12-31",
      }),
    ).toEqual({
      ok: true,
      changes: {
        title: "Rahmenvertrag 2027",
        expectedValue: "3000.50",
        expectedCloseDate: "2026-12-31",
      },
    });
  });

  it("clears an emptied value or date and refuses what is no amount", () => {
    const withDate = { ...current, expectedCloseDate: "2026-12-31" };
    expect(
      opportunityChanges("de", withDate, { title: "Rahmenvertrag", value: "", closeDate: "" }),
    ).toEqual({ ok: true, changes: { expectedValue: null, expectedCloseDate: null } });
    expect(opportunityChanges("de", current, { ...draftOf("de", current), value: "-5" })).toEqual(
      { ok: false, field: "expectedValue" },
    );
  });
});

describe("formatCloseDate", () => {
  it("writes the day in the user's language, whatever the time zone", () => {
    expect(formatCloseDate("de", "2026-12-31")).toBe("31.12.2026");
    expect(formatCloseDate("en", "2026-01-05")).toBe("5 Jan 2026");
    expect(formatCloseDate("de", "garbage")).toBe("garbage");
  });
});

describe("the history of an edit", () => {
  const t = (language: Language) => (key: MessageKey, params?: Params) =>
    translate(language, key, params);

  it("reads the changes of an UPDATED note, '-' being none", () => {
    expect(
      parseOpportunityChanges(
        "title: Alt; mit Semikolon -> Neu; expected_value: 2400.00 -> 3000.50; " +
          "expected_close_date: - -> 2026-12-31",
      ),
    ).toEqual([
      { field: "title", from: "Alt; mit Semikolon", to: "Neu" },
      { field: "expectedValue", from: "2400.00", to: "3000.50" },
      { field: "expectedCloseDate", from: null, to: "2026-12-31" },
    ]);
    expect(parseOpportunityChanges("expected_value: 5.00 -> -")).toEqual([
      { field: "expectedValue", from: "5.00", to: null },
    ]);
  });

  it("says them in the user's language, and leaves any other note as it is", () => {
    const note = "expected_value: 2400.00 -> 3200.50; expected_close_date: - -> 2026-12-31";
    expect(describeOpportunityChanges(t("de"), "de", note)).toMatch(
      /^Erwarteter Wert: 2\.400,00\s€ → 3\.200,50\s€; Erwarteter Abschluss: — → 31\.12\.2026$/,
    );
    expect(describeOpportunityChanges(t("en"), "en", "title: A -> B")).toBe("Title: A → B");
    expect(describeOpportunityChanges(t("de"), "de", "Rückruf am Dienstag")).toBe(
      "Rückruf am Dienstag",
    );
  });
});

describe("a refused move in words", () => {
  const t = (key: MessageKey, params?: Params) => translate("de", key, params);
  const refusal = (code: string, field: string) => ({ code, message: "English", field: [field] });

  it("names the Verkaufschance, not a lead, and never shows the server's English", () => {
    expect(errorText(t, refusal("CONFLICT", "opportunityId"))).toBe(
      "Jemand anderes hat diese Verkaufschance gerade geändert. Es wurde nichts gespeichert; " +
        "bitte die Seite prüfen und erneut versuchen.",
    );
    expect(errorText(t, refusal("INVALID", "stage"))).toBe(
      "Die Verkaufschance steht schon auf diesem Stand.",
    );
    expect(errorText(t, refusal("REQUIRED", "lostReason"))).toContain("Warum ist die");
    expect(errorText(t, refusal("DUPLICATE", "name"))).toBe(
      "Eine Kampagne mit diesem Namen gibt es schon.",
    );
  });
});
