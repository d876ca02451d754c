import { describe, expect, it } from "vitest";
import { translate } from "./i18n";
import {
  EMPTY_TASK_LIST,
  TASK_SORT_COLUMNS,
  doneFilter,
  dueLook,
  dueText,
  formatDue,
  hasTaskFilters,
  parseTaskList,
  switchView,
  taskLeadPath,
  taskFilter,
  taskListUrl,
  telHref,
  withoutTaskFilters,
} from "./taskList";
import { ariaSort, orderOnClick } from "./sorting";

const query = (url: string) => url.slice("/tasks".length);

describe("the worklist's URL", () => {
  it("is plain /tasks for the defaults, and parses back to them", () => {
    expect(taskListUrl(EMPTY_TASK_LIST)).toBe("/tasks");
    expect(parseTaskList("")).toEqual(EMPTY_TASK_LIST);
  });

  it("round-trips section, campaign, search, sort and page", () => {
    const state = {
      ...EMPTY_TASK_LIST,
      due: "OVERDUE" as const,
      campaignId: "Q2FtcGFpZ246MQ==",
      q: "Müller",
      order: "WAITING_LONGEST" as const,
      cursors: ["abc=", "d+f/"],
    };
    const url = taskListUrl(state);
    expect(url).toBe(
      "/tasks?due=OVERDUE&campaign=Q2FtcGFpZ246MQ%3D%3D&q=M%C3%BCller&sort=WAITING_LONGEST&after=abc%3D%2Cd%2Bf%2F",
    );
    expect(parseTaskList(query(url))).toEqual(state);
  });

  it("round-trips the done list with its outcome and reason filters and its sort", () => {
    const state = {
      ...EMPTY_TASK_LIST,
      view: "done" as const,
      outcome: "UNSUCCESSFUL" as const,
      reason: "UNREACHABLE" as const,
      doneOrder: "LAST_NAME" as const,
    };
    const url = taskListUrl(state);
    expect(url).toBe("/tasks?view=done&sort=LAST_NAME&outcome=UNSUCCESSFUL&reason=UNREACHABLE");
    expect(parseTaskList(query(url))).toEqual(state);
  });

  it("ignores what it does not know and what the view does not use", () => {
    expect(parseTaskList("?view=bogus&due=LATER&sort=RANDOM&outcome=SUCCESSFUL")).toEqual(
      EMPTY_TASK_LIST,
    );
    // A task order on the done list, a due section there: not the done list's.
    const done = parseTaskList("?view=done&sort=NEXT_DUE&due=TODAY");
    expect(done.doneOrder).toBe("NEWEST");
    expect(done.due).toBe("");
    expect(taskListUrl({ ...EMPTY_TASK_LIST, outcome: "SUCCESSFUL", due: "TODAY" })).toBe(
      "/tasks?due=TODAY",
    );
  });
});

describe("filters", () => {
  it("know whether anything narrows the list", () => {
    expect(hasTaskFilters(EMPTY_TASK_LIST)).toBe(false);
    expect(hasTaskFilters({ ...EMPTY_TASK_LIST, due: "NONE" })).toBe(true);
    expect(hasTaskFilters({ ...EMPTY_TASK_LIST, q: "x" })).toBe(true);
    expect(hasTaskFilters({ ...EMPTY_TASK_LIST, order: "NEWEST" })).toBe(false);
    const done = { ...EMPTY_TASK_LIST, view: "done" as const };
    expect(hasTaskFilters(done)).toBe(false);
    expect(hasTaskFilters({ ...done, reason: "OTHER" })).toBe(true);
  });

  it("reset keeps the view and the sort, drops filters and the page", () => {
    const state = {
      ...EMPTY_TASK_LIST,
      due: "TODAY" as const,
      campaignId: "c",
      q: "x",
      order: "NEWEST" as const,
      cursors: ["a"],
    };
    expect(taskListUrl(withoutTaskFilters(state))).toBe("/tasks?sort=NEWEST");
    const done = { ...EMPTY_TASK_LIST, view: "done" as const, outcome: "SUCCESSFUL" as const };
    expect(taskListUrl(withoutTaskFilters(done))).toBe("/tasks?view=done");
  });

  it("switching views keeps campaign and search only", () => {
    const state = {
      ...EMPTY_TASK_LIST,
      due: "TODAY" as const,
      campaignId: "c",
      q: "x",
      cursors: ["a"],
    };
    expect(taskListUrl(switchView(state, "done"))).toBe("/tasks?view=done&campaign=c&q=x");
  });

  it("become the API's filters, empty ones as null", () => {
    expect(taskFilter(EMPTY_TASK_LIST)).toEqual({ due: null, campaignId: null, search: null });
    expect(taskFilter({ ...EMPTY_TASK_LIST, due: "UPCOMING", q: "GmbH" })).toEqual({
      due: "UPCOMING",
      campaignId: null,
      search: "GmbH",
    });
    expect(
      doneFilter({ ...EMPTY_TASK_LIST, view: "done", outcome: "UNSUCCESSFUL" }, "VXNlcjox"),
    ).toEqual({
      status: "DONE",
      assigneeId: "VXNlcjox",
      campaignId: null,
      search: null,
      outcome: "UNSUCCESSFUL",
      closeReason: null,
    });
  });
});

describe("sorting the worklist by its columns", () => {
  it("marks Fällig by default and flips Wartet seit between longest and shortest", () => {
    expect(ariaSort(TASK_SORT_COLUMNS.due, "NEXT_DUE")).toBe("ascending");
    expect(ariaSort(TASK_SORT_COLUMNS.waiting, "NEXT_DUE")).toBe("none");
    expect(orderOnClick(TASK_SORT_COLUMNS.waiting, "NEXT_DUE")).toBe("NEWEST");
    expect(orderOnClick(TASK_SORT_COLUMNS.waiting, "NEWEST")).toBe("WAITING_LONGEST");
    expect(ariaSort(TASK_SORT_COLUMNS.waiting, "WAITING_LONGEST")).toBe("descending");
  });
});

describe("due dates", () => {
  const t = (key: Parameters<typeof translate>[1], params?: Record<string, string | number>) =>
    translate("de", key, params);

  it("have a tone and a word for each state, so colour is never the only signal", () => {
    expect(dueLook("OVERDUE")).toEqual({ tone: "overdue", word: "nextStep.dueState.OVERDUE" });
    expect(dueLook("TODAY").tone).toBe("today");
    expect(dueLook("NONE").tone).toBe("none");
    expect(t(dueLook("OVERDUE").word)).toBe("überfällig");
    expect(t(dueLook("NONE").word)).toBe("nichts geplant");
  });

  it("show the time alone for today, date and time otherwise", () => {
    const at = "2026-12-07T13:30:00Z";
    const zone = { timeZone: "UTC" } as const;
    const time = new Intl.DateTimeFormat("de-DE", { timeStyle: "short", ...zone }).format(
      new Date(at),
    );
    expect(formatDue("de-DE", "TODAY", at)).toBe(
      new Intl.DateTimeFormat("de-DE", { timeStyle: "short" }).format(new Date(at)),
    );
    expect(time).toBe("13:30");
    expect(formatDue("de-DE", "UPCOMING", at)).toContain("2026");
    expect(formatDue("de-DE", "NONE", null)).toBe("");
    expect(formatDue("de-DE", "OVERDUE", "not a date")).toBe("");
  });

  it("read as one line", () => {
    const at = "2026-12-05T09:00:00Z";
    expect(dueText(t, "de-DE", "OVERDUE", at)).toBe(
      `überfällig · ${formatDue("de-DE", "OVERDUE", at)}`,
    );
    expect(dueText(t, "de-DE", "NONE", null)).toBe("nichts geplant");
  });
});

describe("telHref", () => {
  it("dials what people write, without spaces and dashes", () => {
    expect(telHref("+49 30 1234-56")).toBe("tel:+4930123456");
    expect(telHref("(030) 123 456")).toBe("tel:030123456");
  });
});

describe("taskLeadPath", () => {
  it("carries the worklist's filters and sort to the lead page, not its page", () => {
    const state = {
      ...EMPTY_TASK_LIST,
      due: "TODAY" as const,
      order: "WAITING_LONGEST" as const,
      cursors: ["a"],
    };
    expect(taskLeadPath("TGVhZDox", state)).toBe("/leads/TGVhZDox?due=TODAY&sort=WAITING_LONGEST");
    expect(taskLeadPath("TGVhZDox", EMPTY_TASK_LIST)).toBe("/leads/TGVhZDox");
    expect(parseTaskList("?due=TODAY&sort=WAITING_LONGEST")).toEqual({ ...state, cursors: [] });
  });
});
