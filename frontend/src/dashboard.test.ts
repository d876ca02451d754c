import { describe, expect, it } from "vitest";
import {
  addDays,
  chooseInterval,
  dashboardUrl,
  defaultPeriod,
  formatDuration,
  parseDashboard,
  periodDays,
  periodRange,
} from "./dashboard";
import { translate } from "./i18n";

const de = (key: Parameters<typeof translate>[1], params?: Parameters<typeof translate>[2]) =>
  translate("de", key, params);
const en = (key: Parameters<typeof translate>[1], params?: Parameters<typeof translate>[2]) =>
  translate("en", key, params);

const MINUTE = 60;
const HOUR = 3600;
const DAY = 86_400;
// Local noon, so that the local calendar day is the same in every time zone's test run.
const TODAY = new Date(2026, 10, 27, 12, 0, 0);

describe("formatDuration", () => {
  it("says a dash when there is no duration", () => {
    expect(formatDuration(de, null)).toBe("—");
    expect(formatDuration(en, undefined)).toBe("—");
  });

  it("shows the two largest units, rounded down", () => {
    expect(formatDuration(de, 30)).toBe("< 1 Min.");
    expect(formatDuration(de, 5 * MINUTE + 59)).toBe("5 Min.");
    expect(formatDuration(de, 2 * HOUR + 5 * MINUTE)).toBe("2 Std. 5 Min.");
    expect(formatDuration(de, 23 * HOUR)).toBe("23 Std.");
    expect(formatDuration(de, 3 * DAY)).toBe("3 Tage");
    expect(formatDuration(de, DAY + 4 * HOUR + 59 * MINUTE)).toBe("1 Tag 4 Std.");
    expect(formatDuration(de, 3.5 * DAY)).toBe("3 Tage 12 Std.");
  });

  it("speaks English too", () => {
    expect(formatDuration(en, 2 * HOUR + 5 * MINUTE)).toBe("2 h 5 min");
    expect(formatDuration(en, DAY)).toBe("1 day");
    expect(formatDuration(en, 3 * DAY + HOUR)).toBe("3 days 1 h");
    expect(formatDuration(en, 20)).toBe("< 1 min");
  });

  it("counts whole days from ten days on", () => {
    expect(formatDuration(de, 10 * DAY + 11 * HOUR)).toBe("10 Tage");
    expect(formatDuration(de, 10 * DAY + 13 * HOUR)).toBe("11 Tage");
  });
});

describe("period", () => {
  it("defaults to the last 30 days, today included", () => {
    expect(defaultPeriod(TODAY)).toEqual({ from: "2026-10-29", to: "2026-11-27" });
    expect(periodDays(defaultPeriod(TODAY))).toBe(30);
  });

  it("is [from 00:00 UTC, the day after to) for the API", () => {
    expect(periodRange({ from: "2026-10-29", to: "2026-11-27" })).toEqual({
      from: "2026-10-29T00:00:00Z",
      to: "2026-11-28T00:00:00Z",
    });
    expect(periodRange({ from: "2026-12-31", to: "2026-12-31" })?.to).toBe("2027-01-01T00:00:00Z");
  });

  it("is empty when from is after to", () => {
    expect(periodRange({ from: "2026-11-02", to: "2026-11-01" })).toBeNull();
    expect(periodDays({ from: "2026-11-02", to: "2026-11-01" })).toBe(0);
  });

  it("adds days across months and leap days", () => {
    expect(addDays("2028-02-28", 1)).toBe("2028-02-29");
    expect(addDays("2026-03-01", -1)).toBe("2026-02-28");
  });
});

describe("chooseInterval", () => {
  it("draws days up to 60 days and weeks beyond", () => {
    expect(chooseInterval({ from: "2026-10-29", to: "2026-11-27" })).toBe("DAY");
    expect(chooseInterval({ from: "2026-09-29", to: "2026-11-27" })).toBe("DAY"); // 60 days
    expect(chooseInterval({ from: "2026-09-28", to: "2026-11-27" })).toBe("WEEK"); // 61 days
  });
});

describe("dashboard URL", () => {
  it("leaves the defaults out, so a bare /dashboard stays the last 30 days", () => {
    const state = parseDashboard("", TODAY);
    expect(state).toEqual({
      campaignId: "",
      from: "2026-10-29",
      to: "2026-11-27",
      newDays: 3,
      quietDays: 7,
    });
    expect(dashboardUrl(state, TODAY)).toBe("/dashboard");
  });

  it("keeps campaign, period and days across a reload", () => {
    const state = {
      campaignId: "Q2FtcGFpZ246Mg==",
      from: "2026-09-01",
      to: "2026-11-27",
      newDays: 10,
      quietDays: 7,
    };
    const url = dashboardUrl(state, TODAY);
    expect(url).toBe(
      "/dashboard?campaign=Q2FtcGFpZ246Mg%3D%3D&from=2026-09-01&to=2026-11-27&newDays=10",
    );
    expect(parseDashboard(url.slice("/dashboard".length), TODAY)).toEqual(state);
  });

  it("falls back to the defaults for nonsense", () => {
    const state = parseDashboard("?from=2026-02-31&to=yesterday&newDays=0&quietDays=abc", TODAY);
    expect(state.from).toBe("2026-10-29");
    expect(state.to).toBe("2026-11-27");
    expect(state.newDays).toBe(1); // clamped into 1 … 3650
    expect(state.quietDays).toBe(7);
  });
});
