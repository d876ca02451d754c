import { describe, expect, it } from "vitest";
import { barSegments, formatConversionRate } from "./campaigns";
import { translate } from "./i18n";

const de = (key: Parameters<typeof translate>[1]) => translate("de", key);
const en = (key: Parameters<typeof translate>[1]) => translate("en", key);

describe("formatConversionRate", () => {
  it("shows a dash while nothing is done", () => {
    expect(formatConversionRate("de", de, null)).toBe("—");
    expect(formatConversionRate("en", en, undefined)).toBe("—");
  });

  it("shows a percentage in the user's language", () => {
    expect(formatConversionRate("de", de, 0.6)).toMatch(/^60\s%$/);
    expect(formatConversionRate("en", en, 0.6)).toBe("60%");
    expect(formatConversionRate("en", en, 1 / 3)).toBe("33.3%");
    expect(formatConversionRate("de", de, 0)).toMatch(/^0\s%$/);
  });
});

describe("barSegments", () => {
  it("splits done into its outcomes", () => {
    const stats = { new: 20, active: 5, done: 5, successful: 3, unsuccessful: 2 };
    expect(barSegments(stats)).toEqual({
      new: 20,
      active: 5,
      successful: 3,
      unsuccessful: 2,
      doneOther: 0,
    });
  });

  it("keeps done leads without an outcome, so the bar adds up", () => {
    const stats = { new: 0, active: 0, done: 4, successful: 1, unsuccessful: 1 };
    expect(barSegments(stats).doneOther).toBe(2);
  });
});
