import { describe, expect, it } from "vitest";
import { conflictingLeadIds, isConflict } from "./assign";

describe("conflictingLeadIds", () => {
  const leadIds = ["L1", "L2", "L3"];

  it("maps each CONFLICT's position to the selected lead", () => {
    const errors = [
      { code: "CONFLICT", field: ["leadIds", "2"] },
      { code: "CONFLICT", field: ["leadIds", "0"] },
    ];
    expect(conflictingLeadIds(errors, leadIds)).toEqual(["L3", "L1"]);
    expect(isConflict(errors)).toBe(true);
  });

  it("ignores other errors, positions out of range and errors without a position", () => {
    const errors = [
      { code: "NOT_FOUND", field: ["leadIds", "1"] },
      { code: "CONFLICT", field: ["leadIds", "7"] },
      { code: "CONFLICT", field: ["leadIds"] },
      { code: "CONFLICT", field: null },
    ];
    expect(conflictingLeadIds(errors, leadIds)).toEqual([]);
    expect(isConflict([{ code: "INVALID" }])).toBe(false);
  });
});
