import { describe, expect, it } from "vitest";
import { screenAt } from "./routes";
import { SCREENS_OF_ROLE, isManager, mayOpen, opensNothing, screenFor } from "./viewer";

describe("screenAt", () => {
  it("names the screen of every path the web app shows", () => {
    expect(screenAt("/leads")).toBe("leads");
    expect(screenAt("/leads/TGVhZDox")).toBe("lead");
    expect(screenAt("/tasks")).toBe("tasks");
    expect(screenAt("/opportunities")).toBe("opportunities");
    expect(screenAt("/opportunities/T3Bw")).toBe("opportunity");
    expect(screenAt("/campaigns")).toBe("campaigns");
    expect(screenAt("/dashboard")).toBe("dashboard");
    expect(screenAt("/")).toBeNull();
    expect(screenAt("/login")).toBeNull();
    expect(screenAt("/toString")).toBeNull();
  });
});

describe("the screens of a role", () => {
  it("gives managers and admins everything but the task list", () => {
    for (const role of ["MANAGER", "ADMIN"] as const) {
      expect(mayOpen({ role }, "leads")).toBe(true);
      expect(mayOpen({ role }, "campaigns")).toBe(true);
      expect(mayOpen({ role }, "tasks")).toBe(false);
      expect(isManager({ role })).toBe(true);
    }
  });

  it("gives clerks their tasks, leads, opportunities and the dashboard", () => {
    expect(SCREENS_OF_ROLE.CLERK).toEqual(
      expect.arrayContaining(["tasks", "lead", "opportunities", "opportunity", "dashboard"]),
    );
    expect(mayOpen({ role: "CLERK" }, "leads")).toBe(false);
    expect(mayOpen({ role: "CLERK" }, "campaigns")).toBe(false);
    expect(isManager({ role: "CLERK" })).toBe(false);
  });

  it("gives partners and unknown roles nothing", () => {
    expect(screenFor({ role: "PARTNER" }, "/dashboard")).toBeNull();
    expect(opensNothing({ role: "PARTNER" })).toBe(true);
    expect(screenFor({ role: null }, "/leads")).toBeNull();
    expect(opensNothing({ role: null })).toBe(false);
  });
});
