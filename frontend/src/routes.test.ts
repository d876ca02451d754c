import { describe, expect, it } from "vitest";
import {
  homePath,
  opportunitiesUrl,
  opportunityPath,
  parseOpportunities,
  parseOpportunityPath,
  leadPath,
  parseLeadPath,
  nextPage,
  overviewUrl,
  pageNumber,
  pagingUrl,
  parseOverview,
  parsePaging,
  previousPage,
} from "./routes";

describe("overview URL", () => {
  it("defaults to the Neu tab, first page", () => {
    expect(parseOverview("")).toEqual({ tab: "new", cursors: [] });
    expect(parseOverview("?tab=bogus")).toEqual({ tab: "new", cursors: [] });
  });

  it("round-trips tab and page through the URL", () => {
    const state = nextPage(nextPage({ tab: "active" as const, cursors: [] }, "Y3Vyc29yOjUw"), "Yz0+/w==");
    const url = overviewUrl(state);
    expect(url.startsWith("/leads?tab=active&after=")).toBe(true);
    expect(parseOverview(url.slice("/leads".length))).toEqual(state);
    expect(pageNumber(state)).toBe(3);
  });

  it("goes back one page and to a clean URL on page one", () => {
    const second = nextPage({ tab: "done" as const, cursors: [] }, "abc=");
    expect(overviewUrl(previousPage(second))).toBe("/leads?tab=done");
    expect(previousPage({ tab: "new", cursors: [] }).cursors).toEqual([]);
  });
});

describe("overview filters in the URL", () => {
  it("keeps campaign and search across tabs and pages", () => {
    const state = { tab: "active" as const, campaignId: "Q2FtcGFpZ246MQ==", q: "Müller GmbH", cursors: [] };
    const url = overviewUrl(state);
    expect(url).toBe("/leads?tab=active&campaign=Q2FtcGFpZ246MQ%3D%3D&q=M%C3%BCller+GmbH");
    expect(parseOverview(url.slice("/leads".length))).toEqual(state);
  });

  it("leaves empty filters out", () => {
    expect(overviewUrl({ tab: "new", campaignId: "", q: "  ", cursors: [] })).toBe("/leads?tab=new");
    expect(parseOverview("?tab=new&campaign=&q=")).toEqual({ tab: "new", cursors: [] });
  });
});

describe("paging URL", () => {
  it("round-trips for the task list", () => {
    const url = pagingUrl("/tasks", { cursors: ["a+b/c="] });
    expect(parsePaging(url.slice("/tasks".length))).toEqual({ cursors: ["a+b/c="] });
    expect(pagingUrl("/tasks", { cursors: [] })).toBe("/tasks");
  });
});

describe("homePath", () => {
  it("sends clerks to their tasks and everybody else to the overview", () => {
    expect(homePath("CLERK")).toBe("/tasks");
    expect(homePath("MANAGER")).toBe("/leads?tab=new");
    expect(homePath("ADMIN")).toBe("/leads?tab=new");
  });
});

describe("lead detail paths", () => {
  it("round-trips an opaque ID, escaped", () => {
    const id = "TGVhZDo0Mg==";
    expect(leadPath(id)).toBe("/leads/TGVhZDo0Mg%3D%3D");
    expect(parseLeadPath(leadPath(id))).toBe(id);
    expect(parseLeadPath("/leads/abc/")).toBe("abc");
  });

  it("is null for other paths and broken escapes", () => {
    expect(parseLeadPath("/leads")).toBeNull();
    expect(parseLeadPath("/leads/")).toBeNull();
    expect(parseLeadPath("/leads/a/b")).toBeNull();
    expect(parseLeadPath("/tasks")).toBeNull();
    expect(parseLeadPath("/leads/%E0%A4%A")).toBeNull();
  });
});

describe("opportunities URL", () => {
  it("defaults to any owner and stage, first page", () => {
    expect(parseOpportunities("")).toEqual({ ownerId: "", stage: "", cursors: [] });
    expect(parseOpportunities("?stage=bogus").stage).toBe("");
    expect(opportunitiesUrl({ ownerId: "", stage: "", cursors: [] })).toBe("/opportunities");
  });

  it("round-trips owner, stage and page through the URL", () => {
    const state = nextPage({ ownerId: "VXNlcjo0", stage: "OPEN" as const, cursors: [] }, "abc=");
    const url = opportunitiesUrl(state);
    expect(parseOpportunities(url.slice("/opportunities".length))).toEqual(state);
  });

  it("reads an opportunity ID from its path only", () => {
    expect(parseOpportunityPath(opportunityPath("T3Bw/b3J0dW5pdHk6MQ=="))).toBe(
      "T3Bw/b3J0dW5pdHk6MQ==",
    );
    expect(parseOpportunityPath("/opportunities")).toBeNull();
    expect(parseOpportunityPath("/leads/abc")).toBeNull();
  });
});
