"""Check an HTML export in a real browser: headless Chromium (Debian package `chromium`).

    python tools/html_check.py [JOURNAL] [--width 1280] [--screenshot out.png]

It exports the journal (default: the recorded ssh-timeout run under tests/tui/snapshot_apps) to HTML
and asks Chromium, at a window 1280 px wide, in light and in dark mode:

- in the page (``--dump-dom`` after a measuring script): does the path diagram fit the window, is every
  box label inside its box (whole, never cut), does every fix block wrap inside the page;
- in a screenshot (PNG decoded here, no imaging library needed): is the diagram's red "blocked" border
  drawn, and is nothing of the diagram drawn in the right margin;
- for a finding's proof (any playbook): does every chart fit the page with its line, limit and labels inside
  its frame, and do the log lines wrap. A page without a path diagram (lambda-oom, throttling, ...) is
  checked for what it has.

Exit status 0 when every check holds, 1 otherwise (each failure is one line), 2 without Chromium.
"""

from __future__ import annotations

import argparse
import json
import re
import shutil
import struct
import subprocess
import sys
import tempfile
import zlib
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
RECORDED = ROOT / "tests" / "tui" / "snapshot_apps" / "ssh-nacl-return-traffic.jsonl"
BLOCKED_STROKE = (0xC6, 0x28, 0x28)  # _SVG_STATUS["blocked"] in playbooks/exporters.py
DIAGRAM_MARK = 'class="diagram"'  # a page with a path diagram (ssh-timeout's) must show it

MEASURE = """
<script>
window.addEventListener("load", () => {
  const out = {viewport: document.documentElement.clientWidth, problems: []};
  const svg = document.querySelector(".diagram svg");
  if (!svg) { if (window.EXPECT_DIAGRAM) out.problems.push("no diagram in the page"); }
  else {
    const box = svg.getBoundingClientRect();
    out.diagram = {left: box.left, right: box.right, width: box.width};
    if (box.right > out.viewport + 0.5) out.problems.push(`the diagram ends at ${box.right} px, past ${out.viewport}`);
    const rects = [...svg.querySelectorAll("rect")];
    for (const text of svg.querySelectorAll("text.box-text")) {
      const t = text.getBBox();
      const owner = rects.find(r => { const b = r.getBBox();
        return t.x >= b.x - 1 && t.x <= b.x + b.width && t.y >= b.y - 1 && t.y <= b.y + b.height; });
      const label = text.querySelector("title") ? text.querySelector("title").textContent : text.textContent;
      if (!owner) { out.problems.push(`label '${label}' is outside every box`); continue; }
      const b = owner.getBBox();
      if (t.x + t.width > b.x + b.width + 0.5) out.problems.push(`label '${label}' runs out of its box`);
      const shown = [...text.querySelectorAll("tspan")].map(s => s.textContent).join(" ");
      if (shown.replace(/\\s+/g, "") !== label.replace(/\\s+/g, "")) out.problems.push(`label '${label}' is cut`);
    }
  }
  out.charts = 0;
  for (const chart of document.querySelectorAll(".proof-chart svg")) {
    out.charts += 1;
    const box = chart.getBoundingClientRect();
    const name = chart.getAttribute("aria-label").slice(0, 60);
    if (box.right > out.viewport + 0.5) out.problems.push(`the chart '${name}' ends at ${box.right} px`);
    const frame = chart.viewBox.baseVal;
    const drawn = [...chart.querySelectorAll(".series, .limit, text")];
    if (!chart.querySelector(".series")) out.problems.push(`the chart '${name}' draws no series`);
    for (const mark of drawn) {
      const b = mark.getBBox();
      if (b.x < frame.x - 0.5 || b.y < frame.y - 0.5 || b.x + b.width > frame.x + frame.width + 0.5
          || b.y + b.height > frame.y + frame.height + 0.5)
        out.problems.push(`the chart '${name}' draws '${(mark.textContent || mark.tagName).slice(0, 30)}' `
                          + "outside its frame");
    }
  }
  for (const pre of document.querySelectorAll("pre")) {
    const b = pre.getBoundingClientRect();
    if (pre.scrollWidth > pre.clientWidth + 1 || b.right > out.viewport + 0.5)
      out.problems.push(`a block (${pre.textContent.slice(0, 40)}...) does not wrap`);
  }
  const result = document.createElement("pre");
  result.id = "html-check";
  result.textContent = JSON.stringify(out);
  document.body.appendChild(result);
});
</script>
"""


@dataclass
class Report:
    problems: list[str]
    diagram: dict | None = None
    screenshot: Path | None = None
    charts: int = 0


def chromium() -> str | None:
    return shutil.which("chromium") or shutil.which("chromium-browser") or shutil.which("google-chrome")


def _browser(*args: str) -> subprocess.CompletedProcess[str]:
    binary = chromium()
    if binary is None:
        raise FileNotFoundError("chromium is not installed (Debian: apt-get install chromium)")
    return subprocess.run([binary, "--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars",
                           "--virtual-time-budget=3000", *args], capture_output=True, text=True, timeout=120)


def measure(html_file: Path, width: int, dark: bool) -> dict:
    """Load the page with the measuring script at ``width`` px and return what it found."""
    page = html_file.with_suffix(".measure.html")
    text = html_file.read_text(encoding="utf-8")
    wanted = "true" if DIAGRAM_MARK in text else "false"
    expect = f"<script>window.EXPECT_DIAGRAM = {wanted};</script>"
    page.write_text(text.replace("</body>", expect + MEASURE + "</body>"), encoding="utf-8")
    scheme = ["--force-dark-mode", "--blink-settings=preferredColorScheme=0"] if dark else []
    done = _browser(f"--window-size={width},2000", *scheme, "--dump-dom", page.as_uri())
    found = re.search(r'<pre id="html-check">(.*?)</pre>', done.stdout, re.S)
    if not found:
        return {"problems": [f"the page did not report (chromium said: {done.stderr.strip()[-200:]})"]}
    import html

    return json.loads(html.unescape(found.group(1)))


def read_png(path: Path) -> tuple[int, int, list[bytearray], int]:
    """Width, height, rows of raw pixels and bytes per pixel of an 8-bit RGB/RGBA PNG (what Chromium writes)."""
    data = path.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n", "not a PNG"
    pos, idat, width = 8, b"", 0
    height = colour = 0
    while pos < len(data):
        length, kind = struct.unpack(">I4s", data[pos:pos + 8])
        chunk = data[pos + 8:pos + 8 + length]
        if kind == b"IHDR":
            width, height, depth, colour = struct.unpack(">IIBB", chunk[:10])
            assert depth == 8 and colour in (2, 6), "only 8-bit RGB or RGBA"
        elif kind == b"IDAT":
            idat += chunk
        pos += 12 + length
    bpp = 3 if colour == 2 else 4
    raw = zlib.decompress(idat)
    stride = width * bpp
    rows: list[bytearray] = []
    prev = bytearray(stride)
    for y in range(height):
        kind = raw[y * (stride + 1)]
        line = bytearray(raw[y * (stride + 1) + 1:(y + 1) * (stride + 1)])
        for i in range(stride):
            left = line[i - bpp] if i >= bpp else 0
            up = prev[i]
            corner = prev[i - bpp] if i >= bpp else 0
            if kind == 1:
                line[i] = (line[i] + left) & 0xFF
            elif kind == 2:
                line[i] = (line[i] + up) & 0xFF
            elif kind == 3:
                line[i] = (line[i] + (left + up) // 2) & 0xFF
            elif kind == 4:
                p = left + up - corner
                pa, pb, pc = abs(p - left), abs(p - up), abs(p - corner)
                line[i] = (line[i] + (left if pa <= pb and pa <= pc else up if pb <= pc else corner)) & 0xFF
        rows.append(line)
        prev = line
    return width, height, rows, bpp


def screenshot_problems(png: Path, diagram: dict | None, margin: int = 8) -> list[str]:
    """The blocked box's red border is drawn, and no diagram pixel lies right of the diagram's box + margin."""
    width, _height, rows, bpp = read_png(png)
    red_columns = [x for row in rows for x in range(width)
                   if all(abs(row[x * bpp + c] - BLOCKED_STROKE[c]) <= 12 for c in range(3))]
    problems = []
    if not red_columns:
        problems.append("the screenshot shows no red 'blocked' border: the diagram was not drawn")
    elif max(red_columns) >= width - margin:
        problems.append(f"the diagram reaches the right edge of the {width} px window (x={max(red_columns)})")
    if diagram and red_columns and max(red_columns) > diagram["right"] + margin:
        problems.append("red is drawn outside the diagram's box")
    return problems


def check(journal: Path = RECORDED, width: int = 1280, screenshot: Path | None = None) -> Report:
    from playbooks.exporters import to_html
    from playbooks.journal import read_journal
    from playbooks.transcript import transcript_from_events

    with tempfile.TemporaryDirectory() as folder:
        page = Path(folder) / "export.html"
        exported = to_html(transcript_from_events(read_journal(journal)))
        page.write_text(exported, encoding="utf-8")
        problems: list[str] = []
        light = measure(page, width, dark=False)
        problems += light.get("problems", [])
        dark = measure(page, width, dark=True)
        problems += [f"dark mode: {p}" for p in dark.get("problems", [])]
        shot = screenshot or Path(folder) / "export.png"
        _browser(f"--window-size={width},1400", f"--screenshot={shot}", page.as_uri())
        if not shot.exists():
            problems.append("chromium wrote no screenshot")
        elif DIAGRAM_MARK in exported:
            problems += screenshot_problems(shot, light.get("diagram"))
        return Report(problems, light.get("diagram"), screenshot, int(light.get("charts") or 0))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("journal", nargs="?", type=Path, default=RECORDED)
    parser.add_argument("--width", type=int, default=1280)
    parser.add_argument("--screenshot", type=Path, help="keep the screenshot here")
    args = parser.parse_args(argv)
    if chromium() is None:
        print("chromium is not installed (Debian: apt-get install chromium)", file=sys.stderr)
        return 2
    report = check(args.journal, args.width, args.screenshot)
    if report.diagram:
        print(f"diagram: {report.diagram['width']:.0f} px wide, right edge at {report.diagram['right']:.0f} px "
              f"in a {args.width} px window")
    if report.charts:
        print(f"proof: {report.charts} chart(s) inside the page")
    for problem in report.problems:
        print(f"FAIL {problem}")
    print("ok" if not report.problems else f"{len(report.problems)} problem(s)")
    return 0 if not report.problems else 1


if __name__ == "__main__":
    sys.path.insert(0, str(ROOT))
    sys.exit(main())
