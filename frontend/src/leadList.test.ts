import { describe, expect, it } from "vitest";
import {
  COLUMNS_OF_TAB,
  countsFilter,
  currentOrder,
  exportUrl,
  hasOverviewFilters,
  listFilter,
  sortColumnOf,
  switchTab,
  withoutOverviewFilters,
} from "./leadList";
import { type OverviewState, overviewUrl, parseOverview } from "./routes";

const query = (url: string) => url.slice("/leads".length);

describe("the overview's URL with clerk, outcome, reason and sort", () => {
  it("round-trips every filter of the Erledigt tab", () => {
    const state: OverviewState = {
      tab: "done",
      campaignId: "c1",
      q: "GmbH",
      assigneeId: "VXNlcjoy",
      outcome: "UNSUCCESSFUL",
      reason: "NOT_INTERESTED",
      order: "ASSIGNEE",
      cursors: ["x="],
    };
    const url = overviewUrl(state);
    expect(url).toBe(
      "/leads?tab=done&campaign=c1&q=GmbH&assignee=VXNlcjoy&outcome=UNSUCCESSFUL&reason=NOT_INTERESTED&sort=ASSIGNEE&after=x%3D",
    );
    expect(parseOverview(query(url))).toEqual(state);
  });

  it("leaves the default sort out and drops outcome and reason outside Erledigt", () => {
    expect(overviewUrl({ tab: "new", order: "NEWEST", cursors: [] })).toBe("/leads?tab=new");
    expect(overviewUrl({ tab: "active", outcome: "SUCCESSFUL", cursors: [] })).toBe(
      "/leads?tab=active",
    );
    expect(parseOverview("?tab=new&outcome=SUCCESSFUL&reason=OTHER")).toEqual({
      tab: "new",
      cursors: [],
    });
  });

  it("ignores a sort the tab does not offer or nobody knows", () => {
    expect(parseOverview("?tab=new&sort=NEXT_DUE").order).toBeUndefined();
    expect(parseOverview("?tab=active&sort=NEXT_DUE").order).toBe("NEXT_DUE");
    expect(parseOverview("?tab=done&sort=DROP%20TABLE").order).toBeUndefined();
    expect(overviewUrl({ tab: "new", order: "ASSIGNEE", cursors: [] })).toBe("/leads?tab=new");
  });
});

describe("the Aktiv tab's due filter", () => {
  it("round-trips on Aktiv only and narrows the list, not the counts", () => {
    const state: OverviewState = { tab: "active", due: "OVERDUE", cursors: [] };
    expect(overviewUrl(state)).toBe("/leads?tab=active&due=OVERDUE");
    expect(parseOverview("?tab=active&due=OVERDUE")).toEqual(state);
    expect(parseOverview("?tab=done&due=OVERDUE").due).toBeUndefined();
    expect(parseOverview("?tab=active&due=SOON").due).toBeUndefined();
    expect(listFilter(state).due).toBe("OVERDUE");
    expect(countsFilter(state)).not.toHaveProperty("due");
    expect(hasOverviewFilters(state)).toBe(true);
    expect(overviewUrl(switchTab(state, "done"))).toBe("/leads?tab=done");
    expect(overviewUrl(withoutOverviewFilters(state))).toBe("/leads?tab=active");
  });
});

describe("the overview's filters", () => {
  const done: OverviewState = {
    tab: "done",
    campaignId: "c1",
    assigneeId: "u2",
    outcome: "SUCCESSFUL",
    reason: "OTHER",
    cursors: [],
  };

  it("count the tabs under the shared filters only", () => {
    expect(countsFilter(done)).toEqual({ campaignId: "c1", search: null, assigneeId: "u2" });
  });

  it("list the Erledigt tab by outcome and reason too, the other tabs not", () => {
    expect(listFilter(done)).toEqual({
      campaignId: "c1",
      search: null,
      assigneeId: "u2",
      status: "DONE",
      outcome: "SUCCESSFUL",
      closeReason: "OTHER",
      due: null,
    });
    expect(listFilter({ ...done, tab: "active" })).toMatchObject({
      status: "ACTIVE",
      outcome: null,
      closeReason: null,
    });
  });

  it("know when there is something to reset, and reset to the tab and its sort", () => {
    expect(hasOverviewFilters({ tab: "new", cursors: [] })).toBe(false);
    expect(hasOverviewFilters({ tab: "new", order: "OLDEST", cursors: [] })).toBe(false);
    expect(hasOverviewFilters({ tab: "new", assigneeId: "u", cursors: [] })).toBe(true);
    expect(hasOverviewFilters({ tab: "done", reason: "OTHER", cursors: [] })).toBe(true);
    expect(overviewUrl(withoutOverviewFilters({ ...done, order: "OLDEST", cursors: ["p"] }))).toBe(
      "/leads?tab=done&sort=OLDEST",
    );
  });

  it("keep the shared filters and an offered sort across tabs", () => {
    const switched = switchTab({ ...done, order: "ASSIGNEE", cursors: ["p"] }, "new");
    expect(overviewUrl(switched)).toBe("/leads?tab=new&campaign=c1&assignee=u2");
    expect(currentOrder(switched)).toBe("NEWEST");
    expect(currentOrder(switchTab({ ...done, order: "LAST_NAME" }, "active"))).toBe("LAST_NAME");
  });
});

describe("sortable columns of each tab", () => {
  it("sort every tab by name, company, campaign and age", () => {
    for (const tab of ["new", "active", "done"] as const) {
      expect(sortColumnOf(tab, "contact")).toEqual({
        ascending: "LAST_NAME",
        descending: undefined,
      });
      expect(sortColumnOf(tab, "company")?.ascending).toBe("COMPANY");
      expect(sortColumnOf(tab, "campaign")?.ascending).toBe("CAMPAIGN");
    }
    expect(sortColumnOf("new", "age")).toEqual({ ascending: "NEWEST", descending: "OLDEST" });
  });

  it("offer the clerk and due columns only where they mean something", () => {
    expect(sortColumnOf("new", "assignee")).toBeNull();
    expect(sortColumnOf("done", "assignee")?.ascending).toBe("ASSIGNEE");
    expect(sortColumnOf("active", "due")?.ascending).toBe("NEXT_DUE");
    expect(sortColumnOf("active", "waiting")?.descending).toBe("WAITING_LONGEST");
    expect(sortColumnOf("done", "closedAt")).toBeNull();
  });

  it("show outcome, reason and closing date on the Erledigt tab", () => {
    expect(COLUMNS_OF_TAB.done).toEqual(expect.arrayContaining(["outcome", "reason", "closedAt"]));
    expect(COLUMNS_OF_TAB.new).not.toContain("outcome");
  });
});

describe("the export link", () => {
  it("asks for exactly the tab's list, in the user's language", () => {
    const state: OverviewState = {
      tab: "done",
      campaignId: "c1",
      q: "Müller",
      assigneeId: "u2",
      outcome: "UNSUCCESSFUL",
      reason: "UNREACHABLE",
      order: "COMPANY",
      cursors: ["page2"],
    };
    expect(exportUrl(state, "de", "Europe/Berlin")).toBe(
      "/files/exports/leads.csv?campaignId=c1&search=M%C3%BCller&assigneeId=u2&status=DONE&outcome=UNSUCCESSFUL&closeReason=UNREACHABLE&orderBy=COMPANY&lang=de",
    );
    expect(exportUrl({ tab: "new", cursors: [] }, "en", "Europe/Berlin")).toBe(
      "/files/exports/leads.csv?status=NEW&orderBy=NEWEST&lang=en",
    );
  });

  it("sends the viewer's time zone with a due filter: 'today' is theirs", () => {
    expect(exportUrl({ tab: "active", due: "TODAY", cursors: [] }, "de", "Europe/Berlin")).toBe(
      "/files/exports/leads.csv?status=ACTIVE&due=TODAY&timeZone=Europe%2FBerlin&orderBy=NEWEST&lang=de",
    );
    expect(exportUrl({ tab: "active", due: "TODAY", cursors: [] }, "de", undefined)).toBe(
      "/files/exports/leads.csv?status=ACTIVE&due=TODAY&orderBy=NEWEST&lang=de",
    );
  });
});
