import { describe, expect, it } from "vitest";
import { ariaSort, oneOf, orderOnClick } from "./sorting";

type Order = "NEWEST" | "OLDEST" | "LAST_NAME" | "NEXT_DUE";
const age = { ascending: "NEWEST", descending: "OLDEST" } as const;
const name = { ascending: "LAST_NAME" } as const;

describe("sortable column headers", () => {
  it("say how the list is sorted by their column", () => {
    expect(ariaSort<Order>(age, "NEWEST")).toBe("ascending");
    expect(ariaSort<Order>(age, "OLDEST")).toBe("descending");
    expect(ariaSort<Order>(name, "NEWEST")).toBe("none");
    expect(ariaSort<Order>(name, "LAST_NAME")).toBe("ascending");
  });

  it("turn the direction around on a second click when the column has both", () => {
    expect(orderOnClick<Order>(age, "NEWEST")).toBe("OLDEST");
    expect(orderOnClick<Order>(age, "OLDEST")).toBe("NEWEST");
  });

  it("sort by their column's first direction when another column sorts the list", () => {
    expect(orderOnClick<Order>(age, "LAST_NAME")).toBe("NEWEST");
    expect(orderOnClick<Order>(name, "OLDEST")).toBe("LAST_NAME");
    expect(orderOnClick<Order>({ descending: "OLDEST" }, "NEXT_DUE")).toBe("OLDEST");
  });

  it("keep a one-way column's order on a second click", () => {
    expect(orderOnClick<Order>(name, "LAST_NAME")).toBe("LAST_NAME");
  });
});

describe("oneOf", () => {
  it("takes only known values from a URL", () => {
    expect(oneOf("OLDEST", ["NEWEST", "OLDEST"], "NEWEST")).toBe("OLDEST");
    expect(oneOf("oldest", ["NEWEST", "OLDEST"], "NEWEST")).toBe("NEWEST");
    expect(oneOf(null, ["NEWEST"], "NEWEST")).toBe("NEWEST");
    expect(oneOf("", ["A", "B"], "")).toBe("");
  });
});
