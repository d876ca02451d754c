import { CombinedError } from "urql";
import { GraphQLError } from "graphql";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { coalesce, isRefetchSignal, retryDelay, websocketUrl } from "./live";

describe("websocketUrl", () => {
  it("is the page's origin with ws or wss", () => {
    expect(websocketUrl({ protocol: "http:", host: "127.0.0.1:8000" })).toBe(
      "ws://127.0.0.1:8000/graphql",
    );
    expect(websocketUrl({ protocol: "https:", host: "leadflow.example" })).toBe(
      "wss://leadflow.example/graphql",
    );
  });
});

describe("retryDelay", () => {
  it("doubles from a second and stops at half a minute", () => {
    expect([0, 1, 2, 3, 4, 5, 6, 20].map((retries) => retryDelay(retries, 0))).toEqual([
      1000, 2000, 4000, 8000, 16000, 30000, 30000, 30000,
    ]);
  });

  it("adds at most a quarter at random", () => {
    expect(retryDelay(0, 0.999)).toBeLessThanOrEqual(1250);
    expect(retryDelay(10, 0.5)).toBe(33750);
  });
});

describe("isRefetchSignal", () => {
  const error = (code: string) =>
    new CombinedError({ graphQLErrors: [new GraphQLError("x", { extensions: { code } })] });

  it("is an error with the code REFETCH", () => {
    expect(isRefetchSignal(error("REFETCH"))).toBe(true);
  });

  it("is nothing else", () => {
    expect(isRefetchSignal(undefined)).toBe(false);
    expect(isRefetchSignal(error("FORBIDDEN"))).toBe(false);
    expect(isRefetchSignal(new CombinedError({ networkError: new Error("closed") }))).toBe(false);
  });
});

describe("coalesce", () => {
  beforeEach(() => vi.useFakeTimers());
  afterEach(() => vi.useRealTimers());

  it("runs the first call at once and a burst's last one after the interval", () => {
    let runs = 0;
    const refetch = coalesce(() => (runs += 1), 500);
    refetch.call();
    expect(runs).toBe(1);
    for (let i = 0; i < 100; i += 1) refetch.call();
    expect(runs).toBe(1);
    vi.advanceTimersByTime(499);
    expect(runs).toBe(1);
    vi.advanceTimersByTime(1);
    expect(runs).toBe(2);
    vi.advanceTimersByTime(5_000);
    expect(runs).toBe(2);
    refetch.call();
    expect(runs).toBe(3);
  });

  it("runs nothing pending after cancel", () => {
    let runs = 0;
    const refetch = coalesce(() => (runs += 1), 500);
    refetch.call();
    refetch.call();
    refetch.cancel();
    vi.advanceTimersByTime(1_000);
    expect(runs).toBe(1);
  });
});
