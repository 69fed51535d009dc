"""axe-core in a page a browser test has open: the rules issue 17 asks for, counted by impact.

`Audit().check(page, viewport, name)` injects node_modules/axe-core (`npm ci` installs it
from package-lock.json; `make test` does) and runs its WCAG 2.0/2.1 A and AA rules, prints
one line of counts for the page, and notes as failures every serious or critical violation,
a page wider than the screen, and any aria or label reference to a missing id.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import pytest

from tests.e2e.test_browser import PHONE

TABLET_LANDSCAPE = {"width": 1280, "height": 800}
VIEWPORTS = {"phone": PHONE, "tablet": TABLET_LANDSCAPE}
AXE = Path(__file__).resolve().parents[2] / "node_modules" / "axe-core" / "axe.min.js"
IMPACTS = ("critical", "serious", "moderate", "minor")
# WCAG 2.0 and 2.1, levels A and AA: what issue 17 asks the kiosk to meet.
RUN_AXE = """async () => {
    const results = await axe.run(document, {
        runOnly: {type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa']},
        resultTypes: ['violations'],
    });
    return {
        violations: results.violations.map(v => ({
            id: v.id, impact: v.impact, help: v.help,
            targets: v.nodes.map(n => n.target.join(' ')),
        })),
        // What axe could not decide (text over an image, say): counted, for a person to look at.
        review: results.incomplete.map(v => v.id),
    };
}"""
# Ids that name, describe or are controlled by another element but that no element has: a
# screen reader then reads no description (Django points each field at "<id>_helptext").
BROKEN_REFERENCES = """() => {
    const broken = [];
    for (const attr of ['aria-describedby', 'aria-labelledby', 'aria-controls', 'for']) {
        for (const el of document.querySelectorAll(`[${attr}]`)) {
            for (const id of el.getAttribute(attr).split(/\\s+/).filter(Boolean)) {
                if (!document.getElementById(id)) broken.push(`${attr}="${id}"`);
            }
        }
    }
    return broken;
}"""
# The page's width, and the elements that reach past the screen's right edge.
TOO_WIDE = """(screen) => [
    document.documentElement.scrollWidth,
    [...document.querySelectorAll('body *')]
        .filter(el => el.getBoundingClientRect().right > screen)
        .map(el => `${el.tagName.toLowerCase()}.${el.className}`).slice(0, 8),
]"""


@dataclass
class Audit:
    """What axe found on each page, kept so one run reports every page."""

    lines: list[str] = field(default_factory=list)
    failures: list[str] = field(default_factory=list)

    def check(self, page: object, viewport: str, name: str) -> None:
        """Run axe on the page as it is now and note its violations by impact, a page wider
        than the screen, and any aria or label reference to an id the page lacks."""
        if not AXE.exists():
            pytest.fail(
                "node_modules/axe-core is missing: run `make test` (it runs `npm ci`) or "
                "`npm ci --no-audit --no-fund`",
                pytrace=False,
            )
        page.wait_for_load_state("networkidle")
        page.add_script_tag(path=str(AXE))
        found = page.evaluate(RUN_AXE)
        violations = found["violations"]
        counts = {impact: 0 for impact in IMPACTS}
        for violation in violations:
            counts[violation["impact"]] += 1
        summary = ", ".join(f"{counts[impact]} {impact}" for impact in IMPACTS)
        review = ", ".join(found["review"]) or "none"
        line = f"axe {viewport:6} {name:36} {summary} (to review: {review})"
        print(line)
        self.lines.append(line)
        # WCAG 1.4.10 (reflow): a page fits the screen's width; a wide table scrolls in its box.
        width, wider = page.evaluate(TOO_WIDE, VIEWPORTS[viewport]["width"])
        if width > VIEWPORTS[viewport]["width"]:
            self.failures.append(
                f"{viewport} {name}: the page is {width}px wide, it scrolls sideways: {wider}"
            )
        broken = page.evaluate(BROKEN_REFERENCES)
        if broken:
            self.failures.append(f"{viewport} {name}: references to no element: {broken}")
        for v in violations:
            if v["impact"] in ("serious", "critical"):
                nodes = "; ".join(v["targets"][:8])
                self.failures.append(
                    f"{viewport} {name}: {v['id']} ({v['impact']}): {v['help']} [{nodes}]"
                )
