import { describe, expect, it } from "vitest";
import {
  NOTHING_SELECTED,
  type Selection,
  absentUntil,
  distributeInput,
  formatShortDay,
  invalidAbsence,
  isSelected,
  listError,
  offersAllMatching,
  pageSelected,
  parseCapacity,
  perClerk,
  reasonsOf,
  selectedCount,
  selectionScope,
  toggleLead,
  togglePage,
} from "./distribution";
import { parseOverview } from "./routes";

const page1 = ["L1", "L2", "L3"];
const page2 = ["L4", "L5"];

describe("selection across pages", () => {
  it("keeps the ids of every page and counts them", () => {
    let selection: Selection = togglePage(NOTHING_SELECTED, page1);
    expect(pageSelected(selection, page1)).toBe(true);
    selection = toggleLead(selection, "L5", page2);
    expect(selectedCount(selection)).toBe(4);
    expect(pageSelected(selection, page2)).toBe(false);
    selection = togglePage(selection, page2);
    expect(selection).toEqual({
      kind: "ids",
      ids: ["L1", "L2", "L3", "L5", "L4"],
    });
    // Unchecking a page's header takes only that page's rows away.
    selection = togglePage(selection, page1);
    expect(selection).toEqual({ kind: "ids", ids: ["L5", "L4"] });
    selection = toggleLead(selection, "L5", page2);
    expect(selection).toEqual({ kind: "ids", ids: ["L4"] });
  });

  it("offers all matching leads once the page is selected and more match", () => {
    const selection = togglePage(NOTHING_SELECTED, page1);
    expect(offersAllMatching(selection, page1, 99)).toBe(true);
    expect(offersAllMatching(selection, page1, 3)).toBe(false);
    expect(offersAllMatching(toggleLead(selection, "L2", page1), page1, 99)).toBe(false);
    expect(offersAllMatching(NOTHING_SELECTED, [], 0)).toBe(false);
  });

  it("all matching selects every row; a row's checkbox falls back to the page's ids", () => {
    const all: Selection = { kind: "all", total: 99 };
    expect(selectedCount(all)).toBe(99);
    expect(isSelected(all, "anything")).toBe(true);
    expect(offersAllMatching(all, page1, 99)).toBe(false);
    expect(toggleLead(all, "L2", page1)).toEqual({
      kind: "ids",
      ids: ["L1", "L3"],
    });
    expect(togglePage(all, page1)).toEqual(NOTHING_SELECTED);
  });

  it("belongs to the tab and filters, not to the page or the sort", () => {
    const first = parseOverview("?tab=new&campaign=C1");
    const later = parseOverview("?tab=new&campaign=C1&sort=OLDEST&after=abc,def");
    expect(selectionScope(first)).toBe(selectionScope(later));
    expect(selectionScope(first)).not.toBe(selectionScope(parseOverview("?tab=new&campaign=C2")));
    expect(selectionScope(first)).not.toBe(
      selectionScope(parseOverview("?tab=new&campaign=C1&q=x")),
    );
  });
});

describe("distributeInput", () => {
  const filter = { status: "NEW" as const, campaignId: "C1", search: "Süd" };

  it("sends the ids of a selection", () => {
    expect(
      distributeInput({ kind: "ids", ids: ["L1"] }, filter, ["U1", "U2"], "ROUND_ROBIN", true),
    ).toEqual({
      leadIds: ["L1"],
      clerkIds: ["U1", "U2"],
      strategy: "ROUND_ROBIN",
      preview: true,
    });
  });

  it("sends the filter (NEW leads only) for all matching", () => {
    const input = distributeInput(
      { kind: "all", total: 99 },
      { ...filter, status: null },
      ["U1"],
      "LEAST_LOADED",
      false,
    );
    expect(input).toEqual({
      filter,
      clerkIds: ["U1"],
      strategy: "LEAST_LOADED",
      preview: false,
    });
    expect(input.leadIds).toBeUndefined();
  });
});

describe("absentUntil", () => {
  it("is the last day of the absence covering today, joined with the ones that continue it", () => {
    const absences = [
      { from: "2026-12-14", to: "2026-12-20" },
      { from: "2026-12-01", to: "2026-12-13" },
      { from: "2026-12-22", to: "2026-12-24" },
    ];
    expect(absentUntil(absences, "2026-12-06")).toBe("2026-12-20");
    expect(absentUntil(absences, "2026-12-01")).toBe("2026-12-20");
    expect(absentUntil(absences, "2026-12-21")).toBeNull();
    expect(absentUntil(absences, "2026-12-24")).toBe("2026-12-24");
    expect(absentUntil([], "2026-12-06")).toBeNull();
  });

  it("crosses a month's end", () => {
    expect(
      absentUntil(
        [
          { from: "2026-11-28", to: "2026-11-30" },
          { from: "2026-12-01", to: "2026-12-02" },
        ],
        "2026-11-29",
      ),
    ).toBe("2026-12-02");
  });
});

describe("formatShortDay", () => {
  it("writes a day short in each language", () => {
    expect(formatShortDay("de", "2026-12-12")).toBe("12.12.");
    expect(formatShortDay("en", "2026-12-03")).toBe("03/12");
    expect(formatShortDay("de", "kein Datum")).toBe("kein Datum");
  });
});

describe("summaries", () => {
  it("counts each clerk's leads, most first, then by name", () => {
    const anna = { id: "U1", name: "Anna" };
    const ben = { id: "U2", name: "Ben" };
    const cleo = { id: "U3", name: "Cleo" };
    const assignments = [ben, anna, cleo, ben, anna].map((assignee) => ({
      assignee,
    }));
    expect(perClerk(assignments)).toEqual([
      { id: "U1", name: "Anna", count: 2 },
      { id: "U2", name: "Ben", count: 2 },
      { id: "U3", name: "Cleo", count: 1 },
    ]);
  });

  it("groups the skipped leads by reason", () => {
    const skipped = ["voll", "abgeschlossen", "voll"].map((reason) => ({
      reason,
    }));
    expect(reasonsOf(skipped)).toEqual([
      { reason: "voll", count: 2 },
      { reason: "abgeschlossen", count: 1 },
    ]);
  });
});

describe("listError", () => {
  it("speaks of the list, not of one position in it", () => {
    const error = { code: "INVALID", message: "", field: ["clerkIds", "2"] };
    expect(listError(error)).toEqual({ ...error, field: ["clerkIds"] });
    expect(listError({ code: "X", message: "", field: null }).field).toBeNull();
  });
});

describe("clerk settings input", () => {
  it("reads a capacity: empty is no limit, whole numbers up to the maximum", () => {
    expect(parseCapacity("")).toEqual({ ok: true, value: null });
    expect(parseCapacity(" 20 ")).toEqual({ ok: true, value: 20 });
    expect(parseCapacity("0")).toEqual({ ok: true, value: 0 });
    expect(parseCapacity("-1")).toEqual({ ok: false });
    expect(parseCapacity("2.5")).toEqual({ ok: false });
    expect(parseCapacity("100001")).toEqual({ ok: false });
  });

  it("finds the first absence without both days or ending before it starts", () => {
    expect(invalidAbsence([{ from: "2026-12-01", to: "2026-12-01" }])).toBeNull();
    expect(
      invalidAbsence([
        { from: "2026-12-01", to: "2026-12-03" },
        { from: "2026-12-05", to: "2026-12-04" },
      ]),
    ).toBe(1);
    expect(invalidAbsence([{ from: "", to: "2026-12-04" }])).toBe(0);
    expect(invalidAbsence([{ from: "2026-02-30x", to: "2026-12-04" }])).toBe(0);
  });
});
