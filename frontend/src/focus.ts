// Where the keyboard focus goes when another screen replaces the one it was on: to the new
// screen's heading, so that a keyboard or screen reader user starts reading the new content
// instead of falling back to <body> (after logging in, opening a lead, "Nächster Lead", ...).

/** The path whose screen heading was last reached, null before the first screen showed. Only
 * where the focus is, never what a screen shows (that stays in the URL). */
let arrivedAt: string | null = null;

/** Call when a screen shows its content (its heading is rendered). Moves the focus to the
 * heading once per path: not on a page load (the browser starts at the top, at the skip link),
 * not when only the query changes (a filter typed, a tab chosen), not on a language switch. */
export function focusNewScreen(doc: Document = document): void {
  const path = doc.location.pathname;
  if (path === arrivedAt) return;
  const heading = doc.querySelector<HTMLElement>("main h1");
  if (!heading) return; // still loading: try again when the content comes
  const firstScreen = arrivedAt === null;
  arrivedAt = path;
  if (firstScreen) return;
  focusHeading(heading);
}

/** Focus a heading that is no control: reachable by script, not by Tab. */
export function focusHeading(heading: HTMLElement): void {
  if (!heading.hasAttribute("tabindex")) heading.tabIndex = -1;
  heading.focus();
}

/** For tests: forget the last screen, as a page load does. */
export function resetArrival(): void {
  arrivedAt = null;
}
