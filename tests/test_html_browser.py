"""The HTML export in a real browser (headless Chromium from the OS packages): the path diagram fits a
1280 px window with every label whole, fix blocks wrap, dark mode draws it too. Skips without Chromium."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tools"))
import html_check

pytestmark = pytest.mark.skipif(html_check.chromium() is None, reason="chromium is not installed")


def test_the_diagram_fits_1280_px_with_whole_labels_and_fixes_wrap(tmp_path) -> None:
    shot = tmp_path / "export.png"
    report = html_check.check(screenshot=shot)
    assert report.problems == []
    assert report.diagram is not None and report.diagram["right"] <= 1280
    assert shot.stat().st_size > 10_000


def test_the_screenshot_check_sees_a_diagram_past_the_edge(tmp_path) -> None:
    """The pixel check can fail: a page whose red border runs to the window's edge is caught."""
    page = tmp_path / "wide.html"
    page.write_text('<!DOCTYPE html><html><body style="margin:0"><svg width="1400" height="80">'
                    '<rect x="20" y="10" width="1370" height="50" fill="none" stroke="#c62828" stroke-width="3"/>'
                    "</svg></body></html>")
    shot = tmp_path / "wide.png"
    html_check._browser("--window-size=1280,200", f"--screenshot={shot}", page.as_uri())
    problems = html_check.screenshot_problems(shot, None)
    assert any("right edge" in p for p in problems)


RECORDED_APPS = Path(__file__).resolve().parent / "tui" / "snapshot_apps"


@pytest.mark.parametrize("journal", ["lambda-timeout.jsonl", "slow-t3-credits-exhausted.jsonl"])
def test_the_proof_charts_fit_the_page_with_their_limit_and_labels_inside(journal) -> None:
    """A page with a finding's proof (and no network path): each chart inside 1280 px, its line, dashed limit
    and axis labels inside its frame, the log lines wrapped, in light and dark mode."""
    report = html_check.check(RECORDED_APPS / journal)
    assert report.problems == []
    assert report.charts >= 1


def test_the_chart_check_sees_a_line_drawn_outside_its_frame(tmp_path) -> None:
    page = tmp_path / "chart.html"
    page.write_text('<!DOCTYPE html><html><body><figure class="proof-chart"><svg viewBox="0 0 100 50" width="100" '
                    'aria-label="broken"><polyline class="series" fill="none" points="0,10 140,60"/></svg></figure>'
                    "</body></html>")
    assert any("outside its frame" in p for p in html_check.measure(page, 1280, dark=False)["problems"])
