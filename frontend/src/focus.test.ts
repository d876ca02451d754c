import { beforeEach, describe, expect, it } from "vitest";
import { focusNewScreen, resetArrival } from "./focus";

/** Just enough of a document: a path and, once loaded, a heading that records its focus. */
function fakeDocument(path: string, withHeading = true) {
  const heading = {
    attributes: new Map<string, string>(),
    focused: 0,
    tabIndex: 0,
    hasAttribute(name: string) {
      return this.attributes.has(name);
    },
    focus() {
      this.focused += 1;
    },
  };
  const doc = {
    location: { pathname: path },
    heading: withHeading ? heading : null,
    querySelector: (selector: string) => (selector === "main h1" ? doc.heading : null),
  };
  return {
    doc: doc as unknown as Document,
    heading,
    setHeading: (shown: boolean) => {
      doc.heading = shown ? heading : null;
    },
    go: (next: string) => {
      doc.location.pathname = next;
    },
  };
}

describe("focusNewScreen", () => {
  beforeEach(resetArrival);

  it("leaves the focus where the browser put it on a page load", () => {
    const page = fakeDocument("/tasks");
    focusNewScreen(page.doc);
    expect(page.heading.focused).toBe(0);
  });

  it("moves the focus to the heading of the next screen, once", () => {
    const page = fakeDocument("/login");
    focusNewScreen(page.doc);
    page.go("/tasks");
    focusNewScreen(page.doc);
    expect(page.heading.focused).toBe(1);
    expect(page.heading.tabIndex).toBe(-1); // reachable by script, not by Tab
    focusNewScreen(page.doc); // a language switch, a new title on the same screen
    expect(page.heading.focused).toBe(1);
  });

  it("waits for the heading of a screen that is still loading", () => {
    const page = fakeDocument("/tasks");
    focusNewScreen(page.doc);
    page.go("/leads/TGVhZDox");
    page.setHeading(false);
    focusNewScreen(page.doc);
    expect(page.heading.focused).toBe(0);
    page.setHeading(true);
    focusNewScreen(page.doc);
    expect(page.heading.focused).toBe(1);
  });
});
