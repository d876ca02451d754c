import { afterEach, beforeEach, describe, expect, it } from "vitest";
import {
  dueAtForApi,
  formatStepTime,
  fromLocalInput,
  quickPickDate,
  toLocalInput,
} from "./nextStep";

// The functions use the local time of the runtime, like the browser's. Node reads TZ again
// when it changes, so each test runs in the zone it names.
const originalZone = process.env.TZ;
function inZone(zone: string) {
  process.env.TZ = zone;
}
afterEach(() => {
  process.env.TZ = originalZone;
});

describe("quickPickDate in Berlin", () => {
  beforeEach(() => inZone("Europe/Berlin"));

  it("lands on 9:00 local time", () => {
    const wednesdayEvening = new Date("2026-06-10T19:45:00+02:00");
    expect(quickPickDate("tomorrow", wednesdayEvening).toISOString()).toBe(
      "2026-06-11T07:00:00.000Z",
    );
    expect(quickPickDate("inThreeDays", wednesdayEvening).toISOString()).toBe(
      "2026-06-13T07:00:00.000Z",
    );
    expect(quickPickDate("nextWeek", wednesdayEvening).toISOString()).toBe(
      "2026-06-15T07:00:00.000Z", // Monday
    );
  });

  it("counts calendar days, not the hours of the UTC day", () => {
    // 00:30 in Berlin is still the day before in UTC: tomorrow is the next Berlin day.
    const justAfterMidnight = new Date("2026-06-10T00:30:00+02:00");
    expect(toLocalInput(quickPickDate("tomorrow", justAfterMidnight))).toBe("2026-06-11T09:00");
    const lateEvening = new Date("2026-06-10T23:59:00+02:00");
    expect(toLocalInput(quickPickDate("tomorrow", lateEvening))).toBe("2026-06-11T09:00");
  });

  it("keeps 9:00 across the change to summer time and back", () => {
    // Summer time starts on Sunday 29 March 2026 (02:00 -> 03:00): 23 hours that day.
    const saturday = new Date("2026-03-28T10:00:00+01:00");
    const tomorrow = quickPickDate("tomorrow", saturday);
    expect(toLocalInput(tomorrow)).toBe("2026-03-29T09:00");
    expect(tomorrow.toISOString()).toBe("2026-03-29T07:00:00.000Z"); // CEST, UTC+2
    expect(toLocalInput(quickPickDate("nextWeek", saturday))).toBe("2026-03-30T09:00");
    // Winter time on Sunday 25 October 2026: 25 hours that day.
    const friday = new Date("2026-10-23T16:00:00+02:00");
    const inThreeDays = quickPickDate("inThreeDays", friday);
    expect(toLocalInput(inThreeDays)).toBe("2026-10-26T09:00");
    expect(inThreeDays.toISOString()).toBe("2026-10-26T08:00:00.000Z"); // CET, UTC+1
  });

  it("takes next week's Monday from every day of the week", () => {
    // Monday 8 June 2026 to Sunday 14 June: all go to Monday 15 June, Monday itself too.
    for (let day = 8; day <= 14; day += 1) {
      const now = new Date(2026, 5, day, 12, 0);
      expect(toLocalInput(quickPickDate("nextWeek", now)), `from 2026-06-${day}`).toBe(
        "2026-06-15T09:00",
      );
    }
  });

  it("runs over the end of a month and a year", () => {
    expect(toLocalInput(quickPickDate("inThreeDays", new Date(2026, 11, 30, 8)))).toBe(
      "2027-01-02T09:00",
    );
    expect(toLocalInput(quickPickDate("tomorrow", new Date(2028, 1, 28, 8)))).toBe(
      "2028-02-29T09:00",
    );
  });
});

describe("quickPickDate elsewhere", () => {
  it("is 9:00 in the browser's zone, whichever it is", () => {
    inZone("America/New_York");
    // 22:00 in New York on 1 March is already 2 March in UTC: tomorrow is still 2 March.
    const evening = new Date("2026-03-01T22:00:00-05:00");
    expect(quickPickDate("tomorrow", evening).toISOString()).toBe("2026-03-02T14:00:00.000Z");
    // US summer time starts on 8 March 2026: Monday 9 March 9:00 is UTC-4.
    expect(quickPickDate("nextWeek", new Date("2026-03-06T12:00:00-05:00")).toISOString()).toBe(
      "2026-03-09T13:00:00.000Z",
    );
    inZone("Asia/Kolkata");
    expect(quickPickDate("tomorrow", new Date("2026-03-01T23:30:00+05:30")).toISOString()).toBe(
      "2026-03-02T03:30:00.000Z",
    );
  });
});

describe("the date-time field", () => {
  beforeEach(() => inZone("Europe/Berlin"));

  it("round-trips a local value", () => {
    expect(toLocalInput(fromLocalInput("2026-06-11T09:00") as Date)).toBe("2026-06-11T09:00");
    expect(dueAtForApi("2026-06-11T09:00")).toBe("2026-06-11T07:00:00.000Z");
    expect(dueAtForApi("2026-12-11T09:00")).toBe("2026-12-11T08:00:00.000Z");
    expect(dueAtForApi("2026-12-11T09:00:30")).toBe("2026-12-11T08:00:30.000Z");
  });

  it("moves a time inside the spring gap to after it, and takes the earlier of two", () => {
    // 02:30 on 29 March 2026 does not exist in Berlin.
    expect(dueAtForApi("2026-03-29T02:30")).toBe("2026-03-29T01:30:00.000Z"); // 03:30 CEST
    // 02:30 on 25 October 2026 happens twice: the first one, still summer time.
    expect(dueAtForApi("2026-10-25T02:30")).toBe("2026-10-25T00:30:00.000Z");
  });

  it("refuses what is no date-time", () => {
    for (const value of ["", "  ", "morgen", "2026-06-11", "2026-04-31T09:00", "2026-13-01T09:00",
      "2026-06-11T24:00", "2026-06-11T09:60", "11.06.2026 09:00"]) {
      expect(fromLocalInput(value), value).toBeNull();
      expect(dueAtForApi(value), value).toBeNull();
    }
  });
});

describe("formatStepTime", () => {
  beforeEach(() => inZone("Europe/Berlin"));

  it("says the weekday, the date and the local time", () => {
    expect(formatStepTime("de-DE", "2026-06-15T07:00:00Z")).toBe("Mo., 15.06.2026, 09:00");
    // The punctuation after the weekday differs between ICU versions.
    expect(formatStepTime("en-GB", new Date("2026-06-15T07:00:00Z"))).toMatch(
      /^Mon,? 15\/06\/2026, 09:00$/,
    );
  });
});
