import { describe, expect, it } from "vitest";
import { errorText } from "./errorText";
import { type Language, type MessageKey, type Params, translate } from "./i18n";
import { describeRowIssue } from "./imports";
import {
  EMPTY_LIFT,
  contactExportUrl,
  contactMarker,
  erasureErrors,
  erasureInput,
  liftErrors,
  liftInput,
  mayDecideRetention,
  mayEraseContact,
  mayLiftSuppression,
  parseRetentionDays,
} from "./privacy";

const t = (language: Language) => (key: MessageKey, params?: Params) =>
  translate(language, key, params);
const de = t("de");

describe("who is offered what", () => {
  it("offers the erasure, the suppression list and the retention days to admins only", () => {
    for (const may of [mayEraseContact, mayLiftSuppression, mayDecideRetention]) {
      expect(may({ role: "ADMIN" })).toBe(true);
      expect(may({ role: "MANAGER" })).toBe(false);
      expect(may({ role: "CLERK" })).toBe(false);
      expect(may({ role: "PARTNER" })).toBe(false);
      expect(may({ role: null })).toBe(false);
    }
  });
});

describe("contactExportUrl", () => {
  it("is the file route of the contact's global ID, encoded", () => {
    expect(contactExportUrl("Q29udGFjdDox")).toBe("/files/contacts/Q29udGFjdDox/export.json");
    expect(contactExportUrl("a/b=")).toBe("/files/contacts/a%2Fb%3D/export.json");
  });
});

describe("contactMarker", () => {
  it("marks an erased contact as erased only, though it is opted out too", () => {
    expect(contactMarker({ optedOut: true, erasedAt: "2026-12-06T20:00:00Z" })).toBe("erased");
    expect(contactMarker({ optedOut: false, erasedAt: "2026-12-06T20:00:00Z" })).toBe("erased");
  });

  it("marks an objection, and nothing for anyone else", () => {
    expect(contactMarker({ optedOut: true, erasedAt: null })).toBe("optedOut");
    expect(contactMarker({ optedOut: true })).toBe("optedOut");
    expect(contactMarker({ optedOut: false, erasedAt: null })).toBeNull();
    expect(contactMarker({})).toBeNull();
  });
});

describe("erasureInput", () => {
  it("sends the reason trimmed", () => {
    expect(erasureInput("c1", "  Anruf am 6.12.: Löschung verlangt ")).toEqual({
      input: { contactId: "c1", reason: "Anruf am 6.12.: Löschung verlangt" },
    });
  });

  it("sends nothing without a reason, and says so in words of its own", () => {
    const checked = erasureInput("c1", "  \n ");
    expect(checked).toEqual({ error: { code: "REQUIRED", message: "", field: ["erasureReason"] } });
    if (!("error" in checked)) throw new Error("no error");
    expect(errorText(de, checked.error)).toBe("Bitte den Grund der Löschung angeben.");
  });

  it("puts the server's reason errors under the dialog's field, not the close reason's text", () => {
    const [tooLong, other] = erasureErrors([
      { code: "TOO_LONG", message: "too long", field: ["reason"] },
      { code: "NOT_FOUND", message: "gone", field: ["contactId"] },
    ]);
    expect(tooLong.field).toEqual(["erasureReason"]);
    expect(errorText(de, tooLong)).toBe("Der Grund ist zu lang.");
    expect(other.field).toEqual(["contactId"]);
    expect(errorText(de, { code: "REQUIRED", message: "", field: ["erasureReason"] })).not.toBe(
      errorText(de, { code: "REQUIRED", message: "", field: ["reason"] }),
    );
  });
});

describe("liftInput", () => {
  it("sends an empty email or phone as null and the reason trimmed", () => {
    expect(liftInput({ email: " anna@example.com ", phone: " ", reason: " Einwilligung " })).toEqual(
      { input: { email: "anna@example.com", phone: null, reason: "Einwilligung" } },
    );
    expect(liftInput({ email: "", phone: "+49 30 123", reason: "ok" })).toEqual({
      input: { email: null, phone: "+49 30 123", reason: "ok" },
    });
  });

  it("needs an email or a phone, and a reason", () => {
    expect(liftInput(EMPTY_LIFT)).toEqual({
      errors: [
        { code: "REQUIRED", message: "", field: ["liftEmail"] },
        { code: "REQUIRED", message: "", field: ["liftReason"] },
      ],
    });
    expect(errorText(de, { code: "REQUIRED", message: "", field: ["liftEmail"] })).toBe(
      "Bitte eine E-Mail-Adresse oder eine Telefonnummer angeben.",
    );
  });

  it("puts the server's errors under the form's fields", () => {
    expect(
      liftErrors([
        { code: "INVALID", message: "bad", field: ["email"] },
        { code: "INVALID", message: "bad", field: ["phone"] },
        { code: "TOO_LONG", message: "long", field: ["reason"] },
        { code: "FORBIDDEN", message: "no", field: null },
      ]).map((error) => error.field),
    ).toEqual([["liftEmail"], ["liftPhone"], ["liftReason"], null]);
  });
});

describe("parseRetentionDays", () => {
  it("takes whole days from 1, and empty as the server's default", () => {
    expect(parseRetentionDays("")).toEqual({ ok: true, value: null });
    expect(parseRetentionDays("  ")).toEqual({ ok: true, value: null });
    expect(parseRetentionDays(" 365 ")).toEqual({ ok: true, value: 365 });
    expect(parseRetentionDays("1")).toEqual({ ok: true, value: 1 });
    expect(parseRetentionDays("36500")).toEqual({ ok: true, value: 36_500 });
  });

  it("refuses zero, negative, fractional, too many and words", () => {
    for (const typed of ["0", "-1", "1.5", "1,5", "36501", "365 Tage", "1e3"]) {
      expect(parseRetentionDays(typed)).toEqual({ ok: false });
    }
  });
});

describe("SUPPRESSED in words", () => {
  for (const language of ["de", "en"] as const) {
    it(`has texts of its own for a user error and an import row (${language})`, () => {
      const userError = errorText(t(language), {
        code: "SUPPRESSED",
        message: "suppressed",
        field: ["leads", "0", "email"],
      });
      expect(userError).toBe(translate(language, "error.SUPPRESSED"));
      const row = describeRowIssue(t(language), {
        code: "SUPPRESSED",
        field: "email",
        message: "suppressed",
      });
      expect(row).toBe(translate(language, "import.rowIssue.SUPPRESSED"));
      expect(row).not.toContain("suppressed");
    });
  }

  it("says in German who can lift it, and how to enter a colleague at the same number", () => {
    expect(translate("de", "error.SUPPRESSED")).toBe(
      "Diese Person hat die Löschung ihrer Daten verlangt; sie kann erst wieder erfasst werden," +
        " wenn ein Admin die Sperre aufhebt. Eine andere Person unter derselben Telefonnummer" +
        " (etwa einer Zentrale) lässt sich mit ihrer E-Mail-Adresse erfassen.",
    );
    for (const language of ["de", "en"] as const) {
      expect(translate(language, "import.rowIssue.SUPPRESSED")).toMatch(/E-Mail|email/);
    }
  });
});

describe("the data protection texts", () => {
  it("describes the erased marker neutrally: retention erases people who never asked", () => {
    expect(translate("de", "erasure.description")).toBe(
      "Die Personendaten dieses Kontakts wurden gelöscht (DSGVO Art. 17)",
    );
    expect(translate("de", "erasure.description")).not.toContain("Verlangen");
    expect(translate("en", "erasure.description")).not.toContain("request");
  });

  it("says that opportunities stay with their stage and amount", () => {
    expect(translate("de", "erasure.keeps")).toContain("Verkaufschancen mit Phase und Betrag");
    expect(translate("en", "erasure.keeps")).toContain("opportunities with their stage and amount");
  });

  it("states the retention rule: no opportunity, counted from the last close", () => {
    expect(translate("de", "campaignForm.retentionHint")).toBe(
      "Kontakte, deren Leads alle erfolglos abgeschlossen sind und die keine Verkaufschance" +
        " haben, werden so viele Tage nach dem letzten Abschluss gelöscht. Leer: die" +
        " Voreinstellung des Servers.",
    );
    expect(translate("en", "campaignForm.retentionHint")).toContain("no opportunity");
  });
});
