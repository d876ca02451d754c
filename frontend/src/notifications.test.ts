import { describe, expect, it } from "vitest";
import { type Language, type Translate, translate } from "./i18n";
import {
  badgeText,
  bellLabel,
  notificationAge,
  notificationHref,
  withArrived,
} from "./notifications";

const t =
  (language: Language): Translate =>
  (key, params) =>
    translate(language, key, params);

describe("bellLabel", () => {
  it("names the unread count, so that a screen reader hears it", () => {
    expect(bellLabel(t("de"), 3)).toBe("Benachrichtigungen, 3 ungelesen");
    expect(bellLabel(t("de"), 1)).toBe("Benachrichtigungen, 1 ungelesen");
    expect(bellLabel(t("de"), 0)).toBe("Benachrichtigungen, keine ungelesen");
    expect(bellLabel(t("en"), 2)).toBe("Notifications, 2 unread");
  });
});

describe("badgeText", () => {
  it("is empty without unread ones and stops at 99+", () => {
    expect([0, -1, 1, 99, 100, 5000].map(badgeText)).toEqual(["", "", "1", "99", "99+", "99+"]);
  });
});

describe("notificationHref", () => {
  it("leads to the lead of a lead notification", () => {
    expect(notificationHref({ kind: "LEAD_ASSIGNED", lead: { id: "TGVhZDox" } })).toBe(
      "/leads/TGVhZDox",
    );
  });

  it("leads to the webhooks when one was switched off", () => {
    expect(notificationHref({ kind: "WEBHOOK_DISABLED" })).toBe("/webhooks");
  });

  it("leads to the opportunity of a hand-over even when it has a lead", () => {
    expect(
      notificationHref({
        kind: "OPPORTUNITY_HANDED_OVER",
        lead: { id: "L1" },
        opportunity: { id: "O1" },
      }),
    ).toBe("/opportunities/O1");
  });

  it("leads to Meine Aufgaben for a batch of assigned leads", () => {
    expect(notificationHref({ kind: "LEAD_ASSIGNED", lead: null, opportunity: null })).toBe(
      "/tasks",
    );
  });

  it("falls back to the opportunity, else nowhere", () => {
    expect(notificationHref({ kind: "ACTIVITY_DUE", lead: null, opportunity: { id: "O2" } })).toBe(
      "/opportunities/O2",
    );
    expect(notificationHref({ kind: "LEADS_WAITING", lead: null, opportunity: null })).toBeNull();
  });
});

describe("notificationAge", () => {
  const now = new Date("2026-12-06T15:00:00Z");

  it("says just now, minutes, hours, then the date", () => {
    expect(notificationAge(t("de"), "de", "2026-12-06T14:59:30Z", now)).toBe("gerade eben");
    expect(notificationAge(t("de"), "de", "2026-12-06T14:55:00Z", now)).toBe("vor 5 Minuten");
    expect(notificationAge(t("de"), "de", "2026-12-06T12:00:00Z", now)).toBe("vor 3 Stunden");
    expect(notificationAge(t("en"), "en", "2026-12-06T14:59:00Z", now)).toBe("1 minute ago");
    expect(notificationAge(t("de"), "de", "2026-12-04T15:00:00Z", now)).toMatch(/2026/);
  });

  it("is empty for a time it cannot read", () => {
    expect(notificationAge(t("de"), "de", "nonsense", now)).toBe("");
  });
});

describe("withArrived", () => {
  it("puts the new one on top once and keeps the limit", () => {
    const list = [{ id: "3" }, { id: "2" }, { id: "1" }];
    expect(withArrived(list, { id: "4" }, 3).map((one) => one.id)).toEqual(["4", "3", "2"]);
    expect(withArrived(list, { id: "2" }, 3).map((one) => one.id)).toEqual(["2", "3", "1"]);
  });
});
