import { describe, expect, it } from "vitest";
import {
  LANGUAGE_STORAGE_KEY,
  MESSAGES,
  type MessageKey,
  rememberLanguage,
  rememberedLanguage,
  translate,
} from "./i18n";

function memoryStorage(initial: Record<string, string> = {}) {
  const values = new Map(Object.entries(initial));
  return {
    getItem: (key: string) => values.get(key) ?? null,
    setItem: (key: string, value: string) => void values.set(key, value),
  };
}

function placeholders(message: unknown): string[] {
  const texts = typeof message === "string" ? [message] : Object.values(message as object);
  return [...new Set(texts.flatMap((text: string) => text.match(/\{\w+\}/g) ?? []))].sort();
}

describe("translate", () => {
  it("speaks the seed's German words", () => {
    expect(translate("de", "leads.tab.new")).toBe("Neu");
    expect(translate("de", "leads.tab.active")).toBe("Aktiv");
    expect(translate("de", "leads.tab.done")).toBe("Erledigt");
    expect(translate("de", "leads.distribute")).toBe("An Bearbeiter verteilen");
    expect(translate("de", "tasks.title")).toBe("Meine Aufgaben");
  });

  it("fills placeholders and picks the grammatical number", () => {
    expect(translate("de", "leads.distributed", { count: 1, name: "Clara" })).toBe(
      "1 Lead wurde an Clara verteilt.",
    );
    expect(translate("en", "leads.distributed", { count: 3, name: "Clara" })).toBe(
      "3 leads were distributed to Clara.",
    );
    expect(translate("de", "age.days", { count: 0 })).toBe("0 Tage");
  });

  it("leaves an unknown placeholder visible instead of hiding it", () => {
    expect(translate("en", "nav.signedInAs")).toBe("Signed in as {name}");
  });

  it("has the same texts in every language", () => {
    expect(Object.keys(MESSAGES.en).sort()).toEqual(Object.keys(MESSAGES.de).sort());
  });

  it("has the words of the CSV export, which reads the same files", () => {
    expect(translate("de", "csv.column.lead")).toBe("Lead-Nr.");
    expect(translate("en", "csv.reason.DUPLICATE")).toBe("duplicate");
  });

  it("has the same placeholders in every language", () => {
    for (const key of Object.keys(MESSAGES.de) as MessageKey[]) {
      expect(placeholders(MESSAGES.en[key]), key).toEqual(placeholders(MESSAGES.de[key]));
    }
  });
});

describe("remembered language", () => {
  it("is German when nothing or nonsense is stored", () => {
    expect(rememberedLanguage(memoryStorage())).toBe("de");
    expect(rememberedLanguage(memoryStorage({ [LANGUAGE_STORAGE_KEY]: "fr" }))).toBe("de");
    expect(rememberedLanguage(undefined)).toBe("de");
  });

  it("comes back after being remembered", () => {
    const storage = memoryStorage();
    rememberLanguage(storage, "en");
    expect(rememberedLanguage(storage)).toBe("en");
  });

  it("falls back to German when storage is blocked", () => {
    const blocked = {
      getItem: () => {
        throw new Error("SecurityError");
      },
      setItem: () => {
        throw new Error("SecurityError");
      },
    };
    expect(() => rememberLanguage(blocked, "en")).not.toThrow();
    expect(rememberedLanguage(blocked)).toBe("de");
  });
});
