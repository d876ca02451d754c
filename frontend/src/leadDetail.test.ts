import { describe, expect, it } from "vitest";
import { type Language, type MessageKey, MESSAGES, type Params, translate } from "./i18n";
import {
  CONTACT_FIELDS,
  FORM,
  contactChanges,
  contactValues,
  describeActor,
  describeContactChange,
  describeEvent,
  describeRescheduleNote,
  describeOpportunityEvent,
  errorsByField,
  formatMoney,
  liveLeadChange,
  liveNews,
  nextLeadId,
  parseAmount,
} from "./leadDetail";

const t = (language: Language) => (key: MessageKey, params?: Params) =>
  translate(language, key, params);

describe("errorsByField", () => {
  const fields = ["reason", "note", "opportunity.title"];

  it("puts each error under the field its path names", () => {
    const reason = { code: "REQUIRED", message: "needs a reason", field: ["reason"] };
    const title = { code: "TOO_LONG", message: "too long", field: ["opportunity", "title"] };
    expect(errorsByField([reason, title], fields)).toEqual({
      reason,
      "opportunity.title": title,
    });
  });

  it("puts errors of fields the form does not show, or of no field, under FORM; first wins", () => {
    const state = { code: "INVALID_STATE", message: "closed", field: ["leadId"] };
    const other = { code: "CONFLICT", message: "changed", field: null };
    expect(errorsByField([state, other], fields)).toEqual({ [FORM]: state });
    expect(errorsByField([], fields)).toEqual({});
  });
});

describe("parseAmount", () => {
  it("reads German amounts", () => {
    expect(parseAmount("1.500,50 €", "de")).toEqual({ ok: true, value: "1500.50" });
    expect(parseAmount("2500", "de")).toEqual({ ok: true, value: "2500" });
    expect(parseAmount("12,5", "de")).toEqual({ ok: true, value: "12.5" });
  });

  it("reads English amounts", () => {
    expect(parseAmount("1,500.50", "en")).toEqual({ ok: true, value: "1500.50" });
    expect(parseAmount("€ 99.9", "en")).toEqual({ ok: true, value: "99.9" });
  });

  it("treats empty as no amount and refuses what is not one", () => {
    expect(parseAmount("  ", "de")).toEqual({ ok: true, value: null });
    for (const text of ["abc", "-5", "1,234", "1.5.5", "10,555", "1.50"]) {
      expect(parseAmount(text, "de")).toEqual({ ok: false });
    }
    expect(parseAmount("1.234", "en")).toEqual({ ok: false });
  });
});

describe("formatMoney", () => {
  it("formats euros in the user's language", () => {
    expect(formatMoney("de", "1500.50").replace(/\s/g, " ")).toBe("1.500,50 €");
    expect(formatMoney("en", "1500.50")).toBe("€1,500.50");
  });
});

describe("describeEvent", () => {
  const clara = { name: "Clara Clerk" };
  it("names the clerks of assignments", () => {
    expect(describeEvent(t("de"), { kind: "ASSIGNED", assignee: clara })).toBe(
      "An Clara Clerk verteilt",
    );
    expect(
      describeEvent(t("en"), {
        kind: "REASSIGNED",
        assignee: { name: "David Clerk" },
        previousAssignee: clara,
      }),
    ).toBe("Handed from Clara Clerk to David Clerk");
  });

  it("says how a lead was closed, with the reason", () => {
    expect(
      describeEvent(t("de"), { kind: "CLOSED", outcome: "UNSUCCESSFUL", closeReason: "UNREACHABLE" }),
    ).toBe("Abgeschlossen: erfolglos (Nicht erreichbar)");
    expect(describeEvent(t("de"), { kind: "CLOSED", outcome: "SUCCESSFUL" })).toBe(
      "Abgeschlossen: erfolgreich",
    );
  });

  it("has words for every kind and an actor or the system", () => {
    for (const kind of ["CREATED", "FEEDBACK_RECORDED", "OPPORTUNITY_CREATED"]) {
      expect(describeEvent(t("de"), { kind })).not.toBe(kind);
    }
    expect(describeEvent(t("de"), { kind: "NEW_KIND" })).toBe("NEW_KIND");
    expect(describeActor(t("de"), { kind: "CREATED", actor: clara })).toBe("von Clara Clerk");
    expect(describeActor(t("en"), { kind: "CREATED", actor: null })).toBe("System");
  });
});

describe("the lead's enums", () => {
  it("have a text in both languages", () => {
    const keys = [
      ...["PHONE", "EMAIL", "MEETING", "LETTER", "OTHER"].map((one) => `channel.${one}`),
      ...["NOT_INTERESTED", "UNREACHABLE", "WRONG_CONTACT_DATA", "DUPLICATE", "OTHER"].map(
        (one) => `reason.${one}`,
      ),
      ...["NEW", "ACTIVE", "DONE"].map((one) => `status.${one}`),
    ];
    for (const key of keys) {
      expect(MESSAGES.de).toHaveProperty([key]);
      expect(MESSAGES.en).toHaveProperty([key]);
    }
  });
});

describe("describeOpportunityEvent", () => {
  it("names the new and the former owner of a hand-over", () => {
    expect(
      describeOpportunityEvent(t("de"), {
        kind: "HANDED_OVER",
        owner: { name: "David Clerk" },
        previousOwner: { name: "Clara Clerk" },
      }),
    ).toBe("Von Clara Clerk an David Clerk übergeben");
    expect(describeOpportunityEvent(t("de"), { kind: "CREATED", owner: { name: "Clara Clerk" } })).toBe(
      "Verkaufschance angelegt für Clara Clerk",
    );
  });
});

describe("contactChanges", () => {
  const original = contactValues({
    firstName: "Kunde",
    lastName: "Nummer01",
    company: "Firma 01 GmbH",
    email: "kunde01@example.com",
    phone: "+49 30 123401",
    street: null,
  });

  it("reads a missing value as an empty field", () => {
    expect(original.street).toBe("");
    expect(original.country).toBe("");
  });

  it("sends only the changed fields, trimmed", () => {
    const edited = { ...original, phone: " +49 30 999999 ", city: "Berlin" };
    expect(contactChanges(original, edited)).toEqual({ phone: "+49 30 999999", city: "Berlin" });
  });

  it("sends an emptied field as empty, and nothing for spaces around the same value", () => {
    expect(contactChanges(original, { ...original, company: "" })).toEqual({ company: "" });
    expect(contactChanges(original, { ...original, lastName: " Nummer01  " })).toEqual({});
    expect(contactChanges(original, original)).toEqual({});
  });
});

describe("describeContactChange", () => {
  it("says a recorded or lifted objection in words", () => {
    const recorded = { field: "optedOut", oldValue: "false", newValue: "true" };
    expect(describeContactChange(t("de"), recorded)).toBe("Widerspruch erfasst");
    const lifted = { field: "optedOut", oldValue: "true", newValue: "false" };
    expect(describeContactChange(t("en"), lifted)).toBe("Objection lifted");
    const note = { field: "optedOutNote", oldValue: null, newValue: "Keine Anrufe" };
    expect(describeContactChange(t("de"), note)).toBe(
      "Notiz zum Widerspruch: (leer) → Keine Anrufe",
    );
  });

  it("names the field in the user's language, and an empty value", () => {
    expect(
      describeContactChange(t("de"), {
        field: "phone",
        oldValue: "+49 30 123401",
        newValue: "+49 30 999999",
      }),
    ).toBe("Telefon: +49 30 123401 → +49 30 999999");
    expect(describeContactChange(t("en"), { field: "postalCode", oldValue: null, newValue: "10115" })).toBe(
      "Postal code: (empty) → 10115",
    );
    expect(describeContactChange(t("de"), { field: "street", oldValue: "A", newValue: "" })).toBe(
      "Straße: A → (leer)",
    );
  });

  it("has a label for every editable field in both languages, and keeps an unknown one", () => {
    for (const field of CONTACT_FIELDS) {
      expect(MESSAGES.de).toHaveProperty([`contact.${field}`]);
      expect(MESSAGES.en).toHaveProperty([`contact.${field}`]);
    }
    expect(describeContactChange(t("de"), { field: "fax", oldValue: "1", newValue: "2" })).toBe(
      "fax: 1 → 2",
    );
  });
});

describe("nextLeadId", () => {
  it("takes the lead after the current one, and the top one after the last", () => {
    expect(nextLeadId(["a", "b", "c"], "a", null)).toBe("b");
    expect(nextLeadId(["a", "b", "c"], "b", "x")).toBe("c");
    expect(nextLeadId(["a", "b", "c"], "c", null)).toBe("a");
  });

  it("has none when the current lead is the only one, or there is none", () => {
    expect(nextLeadId(["a"], "a", null)).toBeNull();
    expect(nextLeadId([], "a", "b")).toBeNull();
  });

  it("goes on with the lead that followed a closed one, else with the top one", () => {
    expect(nextLeadId(["a", "c"], "b", "c")).toBe("c"); // b was closed
    expect(nextLeadId(["a", "d"], "b", "c")).toBe("a"); // c went too
    expect(nextLeadId(["a", "c"], "b", null)).toBe("a"); // opened from elsewhere
  });
});

describe("the history of next steps", () => {
  it("names the kind of the step", () => {
    const call = { kind: "CALL" as const };
    expect(describeEvent(t("de"), { kind: "ACTIVITY_SCHEDULED", activity: call })).toBe(
      "Nächster Schritt geplant: Anruf",
    );
    expect(
      describeEvent(t("en"), { kind: "ACTIVITY_COMPLETED", activity: { kind: "MEETING" } }),
    ).toBe("Step done: Meeting");
    expect(describeEvent(t("de"), { kind: "ACTIVITY_RESCHEDULED", activity: null })).toBe(
      "Nächster Schritt verschoben",
    );
  });

  it("shows a rescheduling in local words, and other notes as they are", () => {
    const format = (at: Date) => at.toISOString().slice(0, 16);
    expect(
      describeRescheduleNote(format, "2026-12-07T08:00:00+00:00 -> 2026-12-08T13:30:00+00:00"),
    ).toBe("2026-12-07T08:00 → 2026-12-08T13:30");
    expect(describeRescheduleNote(format, "später")).toBe("später");
    expect(describeRescheduleNote(format, "x -> y")).toBe("x -> y");
  });
});

describe("liveLeadChange", () => {
  const none = { takenAway: false, closed: false };

  it("says a lead taken away is gone, until it comes back", () => {
    const away = liveNews(none, "REASSIGNED_AWAY");
    expect(liveLeadChange(away, "ACTIVE", null, "U1")).toBe("reassignedAway");
    expect(liveLeadChange(liveNews(away, "ASSIGNED"), "ACTIVE", null, "U1")).toBeNull();
  });

  it("says a lead closed by someone else is closed, once the page shows it DONE", () => {
    const closed = liveNews(none, "CLOSED");
    expect(liveLeadChange(closed, "ACTIVE", null, "U1")).toBeNull();
    expect(liveLeadChange(closed, "DONE", "U2", "U1")).toBe("closed");
  });

  it("is no news for the viewer's own close or other changes", () => {
    expect(liveLeadChange(liveNews(none, "CLOSED"), "DONE", "U1", "U1")).toBeNull();
    expect(liveNews(none, "CHANGED")).toEqual(none);
    expect(liveLeadChange(none, "DONE", "U2", "U1")).toBeNull();
  });
});
