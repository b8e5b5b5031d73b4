"""A finding's proof (:mod:`diagnostics.proof`) in each export: a sparkline line in text and Markdown, an inline
SVG chart in HTML, the log lines in a code block. A finding without proof adds nothing: no empty chart."""

from __future__ import annotations

import html
from typing import Any

from diagnostics.proof import (
    LogProof,
    MetricProof,
    Proof,
    log_day,
    log_line_words,
    proofs_from,
    scale_of,
    segments,
    span_words,
    sparkline,
    stats_words,
    with_unit,
)
from playbooks.markdown import md_code, md_text

SPARK_WIDTH = 60  # cells of a text sparkline: fits an 80-column terminal with its indent


def proofs_of(finding: dict[str, Any]) -> list[Proof]:
    return proofs_from(finding.get("proof"))


def metric_heading(proof: MetricProof) -> str:
    span = span_words(proof)
    return f"{proof.title}" + (f", {span}" if span else "")


def log_heading(proof: LogProof) -> str:
    stream = f", stream {proof.stream}" if proof.stream else ""
    day = log_day(proof)
    return f"Log lines from {proof.log_group or 'the log group'}{stream}" + (f", {day} (UTC)" if day else "")


def log_lines(proof: LogProof) -> list[str]:
    day = log_day(proof)
    return [log_line_words(line, day) for line in proof.lines]


def proof_text(finding: dict[str, Any], indent: str = "    ") -> list[str]:
    """Plain lines: per series its name, then the sparkline and min/max/last/unit/period/limit; per log read the
    lines with their times."""
    lines: list[str] = []
    for proof in proofs_of(finding):
        if isinstance(proof, MetricProof):
            # The drawing and its numbers on lines of their own: both fit an 80-column terminal.
            lines += [f"{indent}  {metric_heading(proof)}:", f"{indent}      {sparkline(proof, SPARK_WIDTH)}",
                      f"{indent}      {stats_words(proof)}"]
        else:
            lines.append(f"{indent}  {log_heading(proof)}:")
            lines += [f"{indent}      {line}" for line in log_lines(proof)]
    return [f"{indent}Proof:", *lines] if lines else []


def _fence(texts: list[str]) -> str:
    """A code fence longer than any run of backticks in the lines, so a log line cannot close it."""
    ticks = 3
    while any("`" * ticks in t for t in texts):
        ticks += 1
    return "`" * ticks


def proof_markdown(finding: dict[str, Any]) -> list[str]:
    out: list[str] = []
    for proof in proofs_of(finding):
        if isinstance(proof, MetricProof):
            out += [f"- {md_text(metric_heading(proof))}: {md_code(sparkline(proof, SPARK_WIDTH))} "
                    f"{md_text(stats_words(proof))}", ""]
        else:
            texts = log_lines(proof)
            fence = _fence(texts)  # inside a fenced block a log line is shown as written, never rendered
            out += [f"- {md_text(log_heading(proof))}:", "", f"  {fence}text", *[f"  {t}" for t in texts],
                    f"  {fence}", ""]
    return ["**Proof**", "", *out] if out else []


# --- HTML ---------------------------------------------------------------------------------------------------

CHART_W, CHART_H = 560, 130
LEFT, RIGHT, TOP, BOTTOM = 64, 12, 10, 22


def metric_svg(proof: MetricProof) -> str:
    """The series as a polyline (broken where the data has a gap, a dot for a lone point), the limit as a
    dashed line with its name, the value axis labelled at both ends and the time axis at the first and last
    point."""
    e = html.escape
    low, high = scale_of(proof)
    span = (high - low) or 1.0
    plot_w, plot_h = CHART_W - LEFT - RIGHT, CHART_H - TOP - BOTTOM

    def y(value: float) -> float:
        return round(TOP + plot_h - (value - low) / span * plot_h, 1)

    def x(at: float) -> float:
        return round(LEFT + at * plot_w, 1)

    parts = [f'<line class="axis" x1="{LEFT}" y1="{TOP}" x2="{LEFT}" y2="{TOP + plot_h}"/>',
             f'<line class="axis" x1="{LEFT}" y1="{TOP + plot_h}" x2="{LEFT + plot_w}" y2="{TOP + plot_h}"/>',
             f'<text x="{LEFT - 6}" y="{TOP + 8}" text-anchor="end">{e(with_unit(high, proof.unit))}</text>',
             f'<text x="{LEFT - 6}" y="{TOP + plot_h}" text-anchor="end">{e(with_unit(low, proof.unit))}</text>']
    first, last = proof.points[0][0], proof.points[-1][0]
    parts.append(f'<text x="{LEFT}" y="{CHART_H - 6}">{e(_clock(first))}</text>')
    if last != first:
        parts.append(f'<text x="{LEFT + plot_w}" y="{CHART_H - 6}" text-anchor="end">{e(_clock(last))}</text>')
    if proof.limit is not None:
        ly = y(proof.limit)
        label = f"limit {with_unit(proof.limit, proof.unit)}" + (f" ({proof.limit_label})" if proof.limit_label else "")
        parts.append(f'<line class="limit" x1="{LEFT}" y1="{ly}" x2="{LEFT + plot_w}" y2="{ly}" '
                     'stroke-dasharray="6 4"/>')
        parts.append(f'<text class="limit-label" x="{LEFT + plot_w - 4}" y="{max(TOP + 10, ly - 4)}" '
                     f'text-anchor="end">{e(label)}</text>')
    for segment in segments(proof):
        if len(segment) == 1:
            at, value = segment[0]
            parts.append(f'<circle class="series" cx="{x(at)}" cy="{y(value)}" r="2.5"/>')
        else:
            points = " ".join(f"{x(at)},{y(value)}" for at, value in segment)
            parts.append(f'<polyline class="series" fill="none" points="{points}"/>')
    title = f"{proof.title}: {stats_words(proof)}"
    return (f'<figure class="proof-chart"><svg xmlns="http://www.w3.org/2000/svg" role="img" '
            f'viewBox="0 0 {CHART_W} {CHART_H}" width="{CHART_W}" aria-label="{e(title)}"><title>{e(title)}</title>'
            + "".join(parts) + f"</svg><figcaption>{e(metric_heading(proof))}: {e(stats_words(proof))}"
            "</figcaption></figure>")


def _clock(at: str) -> str:
    """"2026-11-29T13:05:00Z" -> "13:05 UTC" (the caption says the day)."""
    return f"{at[11:16]} UTC" if len(at) >= 16 and at[10] == "T" else at


PROOF_STYLE = """
.proof-chart{margin:.4rem 0}.proof-chart svg{display:block;max-width:100%;height:auto}
.proof-chart text{font-size:11px;fill:currentColor}.proof-chart .axis{stroke:#90a4ae;stroke-width:1}
.proof-chart .series{stroke:#1e88e5;stroke-width:2;fill:none}.proof-chart circle.series{fill:#1e88e5}
.proof-chart .limit{stroke:#e65100;stroke-width:1.5}.proof-chart .limit-label{fill:#e65100}
.proof-chart figcaption{font-size:.85em;color:#455a64}
@media (prefers-color-scheme: dark){.proof-chart .series{stroke:#64b5f6}.proof-chart circle.series{fill:#64b5f6}
.proof-chart .limit{stroke:#ffb74d}.proof-chart .limit-label{fill:#ffb74d}.proof-chart figcaption{color:#b0bec5}}
"""


def proof_html(finding: dict[str, Any]) -> str:
    e = html.escape
    parts: list[str] = []
    for proof in proofs_of(finding):
        if isinstance(proof, MetricProof):
            parts.append(metric_svg(proof))
        else:
            parts.append(f"<p>{e(log_heading(proof))}:</p><pre class=\"log-lines\">"
                         + e("\n".join(log_lines(proof))) + "</pre>")
    return ('<div class="proof"><p><strong>Proof</strong></p>' + "".join(parts) + "</div>") if parts else ""
