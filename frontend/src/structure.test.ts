// The web app's modules form a tree: no module imports one that imports it back (App.tsx and its
// screens once did, through the Viewer type). Type-only imports count too.
import { existsSync, readFileSync, readdirSync } from "node:fs";
import { dirname, join, relative } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";

const SRC = dirname(fileURLToPath(import.meta.url));
const IMPORT = /(?:from|import)\s*\(?\s*"(\.{1,2}\/[^"]+)"/g;

function sources(folder: string): string[] {
  return readdirSync(folder, { withFileTypes: true }).flatMap((entry) => {
    const path = join(folder, entry.name);
    if (entry.isDirectory()) return entry.name === "gql" ? [] : sources(path);
    return /\.tsx?$/.test(entry.name) ? [path] : [];
  });
}

function importsOf(file: string): string[] {
  const text = readFileSync(file, "utf8");
  return [...text.matchAll(IMPORT)].flatMap(([, specifier]) => {
    const base = join(dirname(file), specifier);
    const found = [".ts", ".tsx", "/index.ts"].map((end) => base + end).find(existsSync);
    return found ? [found] : [];
  });
}

/** Some cycle of the import graph, as the files along it, or null. */
function findCycle(graph: Map<string, string[]>): string[] | null {
  const state = new Map<string, "open" | "done">();
  const path: string[] = [];
  function visit(file: string): string[] | null {
    state.set(file, "open");
    path.push(file);
    for (const next of graph.get(file) ?? []) {
      if (state.get(next) === "open") return path.slice(path.indexOf(next));
      const cycle = state.has(next) ? null : visit(next);
      if (cycle) return cycle;
    }
    path.pop();
    state.set(file, "done");
    return null;
  }
  for (const file of graph.keys()) {
    const cycle = state.has(file) ? null : visit(file);
    if (cycle) return cycle;
  }
  return null;
}

describe("the modules of the web app", () => {
  it("import each other without a cycle", () => {
    const graph = new Map(sources(SRC).map((file) => [file, importsOf(file)]));
    expect(graph.size).toBeGreaterThan(20);
    const cycle = findCycle(graph);
    expect(cycle?.map((file) => relative(SRC, file)) ?? null).toBeNull();
  });
});
