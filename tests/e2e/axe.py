"""The accessibility audit of a screen: axe-core (npm, pinned in tests/e2e/package.json) run in
the page against the WCAG 2.0, 2.1 and 2.2 A and AA rules; a violation fails the test with a
readable list of what is wrong and where."""

from __future__ import annotations

import shutil
import subprocess
from functools import cache
from pathlib import Path

import pytest

E2E_DIR = Path(__file__).resolve().parent
AXE_SCRIPT = E2E_DIR / "node_modules" / "axe-core" / "axe.min.js"
WCAG_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22a", "wcag22aa"]

# Resolves to the violations only: passes and inapplicable rules would be megabytes per screen.
RUN_AXE = """async (tags) => {
  const results = await axe.run(document, {
    runOnly: { type: "tag", values: tags },
    resultTypes: ["violations"],
  });
  return results.violations.map((violation) => ({
    id: violation.id,
    impact: violation.impact,
    help: violation.help,
    helpUrl: violation.helpUrl,
    nodes: violation.nodes.map((node) => ({
      target: node.target.join(" "),
      summary: node.failureSummary,
    })),
  }));
}"""


@cache
def axe_source() -> str:
    """axe.min.js; `make test` installs it (npm ci), a developer machine gets one try here."""
    if not AXE_SCRIPT.is_file():
        npm = shutil.which("npm")
        if npm is None:
            pytest.fail("axe-core is not installed and there is no npm: run `make test`")
        subprocess.run([npm, "ci", "--no-audit", "--no-fund"], cwd=E2E_DIR, check=True, timeout=300)
    return AXE_SCRIPT.read_text(encoding="utf-8")


def violations(page) -> list[dict]:
    """The WCAG A/AA violations on the page as it is now."""
    # Evaluated through the DevTools protocol, which the page's Content-Security-Policy does
    # not govern: the screen is audited under the policy it really runs with.
    if not page.evaluate("() => typeof window.axe === 'object'"):
        page.evaluate(axe_source())
    return page.evaluate(RUN_AXE, WCAG_TAGS)


def describe(found: list[dict]) -> str:
    lines = []
    for violation in found:
        lines.append(
            f"- {violation['id']} ({violation['impact']}): {violation['help']}"
            f" <{violation['helpUrl']}>"
        )
        for node in violation["nodes"]:
            summary = " ".join((node["summary"] or "").split())
            lines.append(f"    at {node['target']}: {summary}")
    return "\n".join(lines)


def expect_no_violations(page, screen: str) -> None:
    """Fails with every violation on `screen`, each with its rule, the elements and the fix."""
    found = violations(page)
    assert not found, f"axe-core found WCAG violations on {screen}:\n{describe(found)}"
