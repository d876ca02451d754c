import { describe, expect, it } from "vitest";
import { companyAside, contactName, formatAge, leadName } from "./format";
import { type Language, type MessageKey, type Params, translate } from "./i18n";

const now = new Date("2026-11-01T12:00:00Z");
const t = (language: Language) => (key: MessageKey, params?: Params) =>
  translate(language, key, params);

describe("formatAge", () => {
  it("says 'gerade eben' under a minute, also for clocks slightly ahead", () => {
    expect(formatAge(t("de"), "2026-11-01T11:59:30Z", now)).toBe("gerade eben");
    expect(formatAge(t("de"), "2026-11-01T12:00:05Z", now)).toBe("gerade eben");
  });

  it("uses the largest whole unit", () => {
    expect(formatAge(t("de"), "2026-11-01T11:59:00Z", now)).toBe("1 Minute");
    expect(formatAge(t("de"), "2026-11-01T11:15:00Z", now)).toBe("45 Minuten");
    expect(formatAge(t("de"), "2026-11-01T09:00:00Z", now)).toBe("3 Stunden");
    expect(formatAge(t("de"), "2026-10-31T11:00:00Z", now)).toBe("1 Tag");
    expect(formatAge(t("en"), "2026-10-20T12:00:00Z", now)).toBe("12 days");
  });

  it("reads the server's ISO dates with offsets", () => {
    expect(formatAge(t("en"), "2026-11-01T13:00:00+02:00", now)).toBe("1 hour");
  });

  it("does not crash on an unreadable date", () => {
    expect(formatAge(t("en"), "not a date", now)).toBe("just now");
  });
});

describe("contactName", () => {
  it("joins the parts that are there", () => {
    expect(contactName({ firstName: "Anna", lastName: "Müller" })).toBe("Anna Müller");
    expect(contactName({ firstName: "", lastName: "Müller" })).toBe("Müller");
  });
});

describe("leadName and companyAside", () => {
  it("names a lead by its contact, else by the company, with the company beside a name", () => {
    const anna = { firstName: "Anna", lastName: "Müller", company: "Müller GmbH" };
    const firm = { firstName: "", lastName: "", company: "Müller GmbH" };
    expect(leadName(anna)).toBe("Anna Müller");
    expect(companyAside(anna)).toBe("Müller GmbH");
    expect(leadName(firm)).toBe("Müller GmbH");
    expect(companyAside(firm)).toBe("");
  });
});
