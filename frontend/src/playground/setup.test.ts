import { describe, expect, it } from "vitest";
import { WELCOME_QUERY, playgroundFetcher, searchWith, sharedOperation } from "./setup";

describe("the playground's fetcher", () => {
  it("posts to /graphql with the Headers tab's headers and never sends cookies", async () => {
    const calls: { url: string; init: RequestInit }[] = [];
    const recording = async (input: RequestInfo | URL, init?: RequestInit) => {
      calls.push({ url: String(input), init: init ?? {} });
      return new Response(JSON.stringify({ data: { viewer: { email: "p@example.com" } } }));
    };
    const fetcher = playgroundFetcher(recording);
    const result = await fetcher(
      { query: "{ viewer { email } }" },
      { headers: { Authorization: "Bearer lf_x" }, documentAST: undefined },
    );
    expect(result).toEqual({ data: { viewer: { email: "p@example.com" } } });
    expect(calls).toHaveLength(1);
    expect(calls[0].url).toBe("/graphql");
    expect(calls[0].init.credentials).toBe("omit");
    expect(calls[0].init.headers).toMatchObject({ Authorization: "Bearer lf_x" });
  });

  it("welcomes with how to authenticate", () => {
    expect(WELCOME_QUERY).toContain('{"Authorization": "Bearer lf_..."}');
    expect(WELCOME_QUERY).toContain("Headers tab");
  });
});

describe("links to the playground", () => {
  it("may prefill the operation and its variables but never headers", () => {
    const search = "?q=%7B%20viewer%20%7B%20email%20%7D%20%7D&variables=%7B%7D" +
      "&headers=%7B%22Authorization%22%3A%22Bearer%20lf_stolen%22%7D";
    expect(sharedOperation(search)).toEqual({ query: "{ viewer { email } }", variables: "{}" });
    expect(sharedOperation("")).toEqual({});
  });

  it("keeps the edited operation in the address", () => {
    expect(searchWith("", "q", "{ a }")).toBe("?q=%7B+a+%7D");
    expect(searchWith("?q=x&variables=%7B%7D", "variables", "")).toBe("?q=x");
    expect(searchWith("?q=x", "q", "")).toBe("");
  });
});
