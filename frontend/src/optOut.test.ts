import { describe, expect, it } from "vitest";
import { translate } from "./i18n";
import { errorText } from "./errorText";
import {
  mayLiftOptOut,
  mayRecordOptOut,
  objectionConcerns,
  overridesObjection,
} from "./optOut";

const clerk = { id: "u-clerk", role: "CLERK" as const };
const otherClerk = { id: "u-other", role: "CLERK" as const };
const manager = { id: "u-manager", role: "MANAGER" as const };
const admin = { id: "u-admin", role: "ADMIN" as const };

describe("recording an objection", () => {
  it("is for the clerk of an open lead, managers and admins", () => {
    const open = { status: "ACTIVE", assigneeId: clerk.id };
    expect(mayRecordOptOut(clerk, open)).toBe(true);
    expect(mayRecordOptOut(otherClerk, open)).toBe(false);
    expect(mayRecordOptOut(manager, open)).toBe(true);
    expect(mayRecordOptOut(admin, open)).toBe(true);
  });

  it("is not for the clerk once the lead is done", () => {
    const done = { status: "DONE", assigneeId: clerk.id };
    expect(mayRecordOptOut(clerk, done)).toBe(false);
    expect(mayRecordOptOut(manager, done)).toBe(true);
  });
});

describe("lifting an objection", () => {
  it("is for managers and admins only", () => {
    expect(mayLiftOptOut(clerk)).toBe(false);
    expect(mayLiftOptOut(manager)).toBe(true);
    expect(mayLiftOptOut(admin)).toBe(true);
  });
});

describe("the planning warning", () => {
  it("concerns calls and e-mails to a person who objected", () => {
    expect(objectionConcerns(true, "CALL")).toBe(true);
    expect(objectionConcerns(true, "EMAIL")).toBe(true);
  });

  it("leaves meetings and tasks alone, and people who did not object", () => {
    expect(objectionConcerns(true, "MEETING")).toBe(false);
    expect(objectionConcerns(true, "TASK")).toBe(false);
    expect(objectionConcerns(false, "CALL")).toBe(false);
  });
});

describe("the override sent with a planned step", () => {
  const plan = { mayOverride: true, ticked: true, optedOut: true, kind: "CALL" as const };

  it("is sent when a manager ticked it for a call or e-mail to a person who objected", () => {
    expect(overridesObjection(plan)).toBe(true);
    expect(overridesObjection({ ...plan, kind: "EMAIL" })).toBe(true);
  });

  it("is not sent unticked, by a clerk, for a meeting, or for a person who did not object", () => {
    expect(overridesObjection({ ...plan, ticked: false })).toBe(false);
    expect(overridesObjection({ ...plan, mayOverride: false })).toBe(false);
    expect(overridesObjection({ ...plan, kind: "MEETING" })).toBe(false);
    expect(overridesObjection({ ...plan, optedOut: false })).toBe(false);
  });
});

describe("the refusal", () => {
  const t = (key: Parameters<typeof translate>[1]) => translate("de", key);

  it("says in German why a call cannot be planned", () => {
    const text = errorText(t, { code: "OPTED_OUT", message: "opted out", field: ["kind"] });
    expect(text).toContain("widersprochen");
  });

  it("says so for the next step planned while completing one, too", () => {
    const text = errorText(t, { code: "OPTED_OUT", message: "", field: ["next", "kind"] });
    expect(text).toContain("widersprochen");
  });
});
