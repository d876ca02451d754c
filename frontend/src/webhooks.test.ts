import { readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { translate } from "./i18n";
import { parseWebhookPath, screenAt, webhookPath } from "./routes";
import { screenFor } from "./viewer";
import {
  EMPTY_WEBHOOK,
  campaignsText,
  deliveriesUrl,
  deliveryStatusText,
  disabledReasonText,
  eventLabel,
  formatDuration,
  formatLogTime,
  parseDeliveryStatus,
  readablePayload,
  toFormField,
  toggled,
  webhookInput,
  webhookStateKind,
  webhookStateText,
} from "./webhooks";

const de = (key: Parameters<typeof translate>[1], params?: Parameters<typeof translate>[2]) =>
  translate("de", key, params);
const en = (key: Parameters<typeof translate>[1], params?: Parameters<typeof translate>[2]) =>
  translate("en", key, params);

const BACKEND = join(dirname(fileURLToPath(import.meta.url)), "..", "..", "backend", "leadflow");

/** The event types of the contract, as backend/leadflow/services/webhooks/events.py lists them
 * (by their outbox constants, whose values services/outbox.py holds). */
function contractEventTypes(): string[] {
  const outbox = readFileSync(join(BACKEND, "services", "outbox.py"), "utf8");
  const events = readFileSync(join(BACKEND, "services", "webhooks", "events.py"), "utf8");
  const listed = /EVENT_TYPES[^=]*=\s*\(([^)]*)\)/.exec(events)?.[1] ?? "";
  return [...listed.matchAll(/outbox\.(\w+)/g)].map(([, constant]) => {
    const value = new RegExp(`^${constant} = "([^"]+)"`, "m").exec(outbox)?.[1];
    if (!value) throw new Error(`no value for outbox.${constant}`);
    return value;
  });
}

describe("webhook routes", () => {
  it("round-trips an opaque ID through the detail path", () => {
    const id = "V2ViaG9vazox/+=";
    expect(webhookPath(id)).toBe("/webhooks/V2ViaG9vazox%2F%2B%3D");
    expect(parseWebhookPath(webhookPath(id))).toBe(id);
    expect(parseWebhookPath("/webhooks")).toBeNull();
    expect(parseWebhookPath("/webhooks/%E0%A4%A")).toBeNull();
  });

  it("are screens for managers and admins only", () => {
    expect(screenAt("/webhooks")).toBe("webhooks");
    expect(screenAt("/webhooks/abc")).toBe("webhook");
    expect(screenFor({ role: "MANAGER" }, "/webhooks")).toBe("webhooks");
    expect(screenFor({ role: "ADMIN" }, "/webhooks/abc")).toBe("webhook");
    expect(screenFor({ role: "CLERK" }, "/webhooks")).toBeNull();
    expect(screenFor({ role: "CLERK" }, "/webhooks/abc")).toBeNull();
    expect(screenFor({ role: "PARTNER" }, "/webhooks")).toBeNull();
  });

  it("keep the delivery log's status filter in the URL", () => {
    expect(deliveriesUrl("abc", "FAILED")).toBe("/webhooks/abc?status=FAILED");
    expect(deliveriesUrl("abc")).toBe("/webhooks/abc");
    expect(parseDeliveryStatus("?status=FAILED")).toBe("FAILED");
    expect(parseDeliveryStatus("?status=bogus")).toBeUndefined();
    expect(parseDeliveryStatus("")).toBeUndefined();
  });
});

describe("event labels", () => {
  it("name every event type of the contract in German and English, with its technical name", () => {
    const types = contractEventTypes();
    expect(types).toContain("lead.assigned");
    expect(types.length).toBeGreaterThanOrEqual(11);
    for (const type of types) {
      expect(eventLabel(de, type), type).toMatch(new RegExp(`^\\S.* \\(${type.replace(".", "\\.")}\\)$`));
      expect(eventLabel(en, type), type).not.toBe(type);
    }
    expect(eventLabel(de, "lead.assigned")).toBe("Lead zugewiesen (lead.assigned)");
  });

  it("keep an event type the web app does not know by its technical name", () => {
    expect(eventLabel(de, "lead.teleported")).toBe("lead.teleported");
  });
});

describe("campaigns of a webhook", () => {
  it("are every campaign when none is named", () => {
    expect(campaignsText(de, null)).toBe("alle Kampagnen");
    expect(campaignsText(de, [])).toBe("alle Kampagnen");
    expect(campaignsText(de, [{ name: "Messe Süd" }, { name: "Web" }])).toBe("Messe Süd, Web");
  });
});

describe("webhook state", () => {
  const at = "2026-12-06T17:00:00Z";

  it("is active, failing or switched off", () => {
    expect(webhookStateKind({ active: true })).toBe("active");
    expect(webhookStateKind({ active: true, failingSince: at })).toBe("failing");
    expect(webhookStateKind({ active: false, failingSince: at, disabledAt: at })).toBe("disabled");
  });

  it("says since when it fails and when and why it was switched off", () => {
    expect(webhookStateText(de, "de", { active: true })).toBe("aktiv");
    expect(webhookStateText(de, "de", { active: true, failingSince: at })).toMatch(
      /^aktiv, schlägt seit .*2026.* fehl$/,
    );
    expect(
      webhookStateText(de, "de", { active: false, disabledAt: at, disabledReason: "HTTP 418" }),
    ).toMatch(/^abgeschaltet am .*2026.* \(HTTP 418\)$/);
    expect(webhookStateText(de, "de", { active: false, disabledAt: at })).toMatch(
      /^abgeschaltet am .*2026/,
    );
    expect(webhookStateText(de, "de", { active: false })).toBe("abgeschaltet");
  });

  it("puts the server's reasons for switching off into the user's words", () => {
    expect(disabledReasonText(de, "de", "answered 410 Gone")).toBe(
      "der Empfänger antwortete 410 Gone",
    );
    expect(disabledReasonText(de, "de", "failing since 2026-12-03 17:00 UTC")).toMatch(
      /^schlug seit 03\.12\.2026, \d\d:00 fehl$/,
    );
    expect(disabledReasonText(en, "en", "switched off by Live Manager")).toBe("by Live Manager");
    expect(disabledReasonText(de, "de", "something new")).toBe("something new");
  });
});

describe("delivery status", () => {
  it("is delivered, pending with the next attempt, or failed", () => {
    expect(deliveryStatusText(de, "de", { status: "SUCCEEDED" })).toBe("zugestellt");
    expect(deliveryStatusText(de, "de", { status: "FAILED" })).toBe("fehlgeschlagen");
    expect(deliveryStatusText(de, "de", { status: "PENDING" })).toBe("ausstehend");
    expect(
      deliveryStatusText(de, "de", { status: "PENDING", nextAttemptAt: "2026-12-06T17:05:00Z" }),
    ).toMatch(/^ausstehend, nächster Versuch .*2026/);
  });

  it("shows the log's times to the second", () => {
    expect(formatLogTime("de", "2026-12-06T17:05:09Z")).toMatch(/^06\.12\.2026, \d\d:05:09$/);
  });

  it("shows durations in milliseconds, seconds from one second on", () => {
    expect(formatDuration("de", 85.4)).toBe("85 ms");
    expect(formatDuration("de", 1234)).toBe("1,2 s");
    expect(formatDuration("en", 15000)).toBe("15 s");
  });

  it("indents a JSON payload and keeps anything else as it came", () => {
    expect(readablePayload('{"type":"lead.assigned","data":{"id":"x"}}')).toBe(
      '{\n  "type": "lead.assigned",\n  "data": {\n    "id": "x"\n  }\n}',
    );
    expect(readablePayload("not json")).toBe("not json");
  });
});

describe("the webhook form", () => {
  it("sends trimmed values and no campaigns as every campaign (null)", () => {
    expect(
      webhookInput({
        url: "  https://crm.example/hook ",
        description: " CRM ",
        events: ["lead.assigned"],
        campaignIds: [],
      }),
    ).toEqual({
      url: "https://crm.example/hook",
      description: "CRM",
      events: ["lead.assigned"],
      campaignIds: null,
    });
    expect(webhookInput({ ...EMPTY_WEBHOOK, campaignIds: ["Q2FtcGFpZ246MQ=="] }).campaignIds).toEqual([
      "Q2FtcGFpZ246MQ==",
    ]);
  });

  it("keeps the chosen events in the order they are listed, whatever the order of the clicks", () => {
    const order = ["lead.created", "lead.assigned", "lead.closed"];
    let chosen = toggled([], "lead.closed", true, order);
    chosen = toggled(chosen, "lead.created", true, order);
    expect(chosen).toEqual(["lead.created", "lead.closed"]);
    expect(toggled(chosen, "lead.created", false, order)).toEqual(["lead.closed"]);
    expect(toggled(["gone.event"], "lead.assigned", true, order)).toEqual([
      "lead.assigned",
      "gone.event",
    ]);
  });

  it("shows an error about one event or campaign at its list, and one about the input's url at the URL", () => {
    expect(toFormField({ code: "INVALID", message: "", field: ["events", "2"] }).field).toEqual([
      "events",
    ]);
    expect(toFormField({ code: "NOT_FOUND", message: "", field: ["campaignIds", "0"] }).field).toEqual(
      ["campaignIds"],
    );
    expect(toFormField({ code: "INVALID", message: "", field: ["input", "url"] }).field).toEqual([
      "url",
    ]);
    const plain = { code: "INVALID", message: "", field: ["url"] };
    expect(toFormField(plain)).toBe(plain);
  });

  it("has the refusals of a webhook's fields in words", () => {
    expect(de("error.url.INVALID")).toMatch(/Adresse/);
    expect(de("error.events.REQUIRED")).toBe("Bitte mindestens ein Ereignis wählen.");
  });
});
