"""Transcript exporters: JSON for scripts, Markdown for the ticket, HTML to read offline, text for
the terminal. Markdown and HTML carry the same content: summary first, then the path diagram,
findings with their fixes, and each step with the calls it made."""

from __future__ import annotations

import html
import json
from collections.abc import Callable
from typing import Any

from playbooks.timeline import timeline_html, timeline_markdown, timeline_text
from playbooks.transcript import Transcript

FORMATS = ("text", "markdown", "json", "html")

VERDICT_WORDS = {
    "problem_found": "Problem found",
    "no_problem_found": "No problem found",
    "incomplete": "Incomplete: not every check could run",
}
STATUS_MARKS = {"ok": "✔", "problem": "✖", "warning": "!", "no_data": "∅", "skipped": "–", "error": "⚠",
                "pending": "·", "running": "…"}
SEVERITY_ORDER = {"error": 0, "warning": 1, "info": 2}


def sorted_findings(t: Transcript) -> list[dict[str, Any]]:
    return sorted(t.findings, key=lambda f: SEVERITY_ORDER.get(f.get("severity", "info"), 3))


def summary_line(t: Transcript) -> str:
    """The verdict line every format shows (:attr:`Transcript.headline`)."""
    return t.headline


def certainty_words(f: dict[str, Any]) -> str:
    """"" for a certain finding; "Conditional: <condition>" for a conditional one."""
    if f.get("certainty") != "conditional":
        return ""
    return f"Conditional: {f.get('condition') or 'holds only under conditions not observed'}"


def missing_lines(step: Any) -> list[str]:
    """One sentence per fact a step could not read while it judged with the rest."""
    return [f"Not read: {m.get('fact')} ({m.get('action')}): {m.get('reason')}" for m in step.missing]


def corroboration_lines(t: Transcript) -> list[str]:
    return [f"Could not corroborate with '{s.title}': {s.detail} The verdict rests on the deciding steps."
            for s in t.uncorroborated]


def to_json(t: Transcript) -> str:
    return json.dumps(t.to_json_dict(), indent=2, default=str) + "\n"


def _graph_mermaid(t: Transcript) -> str | None:
    if not t.graph:
        return None
    from diagnostics.reachability.graph import from_node_link, to_mermaid

    return to_mermaid(from_node_link(t.graph))


def _call_line(call: dict[str, Any]) -> str:
    outcome = call.get("error") or "ok"
    retries = f", {call['retries']} retries" if call.get("retries") else ""
    return f"{call.get('service')}:{call.get('operation')} {call.get('duration_ms', 0):.0f} ms{retries} ({outcome})"


def _identity_line(t: Transcript) -> str:
    ident = t.identity
    parts = [f"account {ident['account']}" if ident.get("account") else "",
             ident.get("arn", ""), f"region {ident.get('region')}" if ident.get("region") else "",
             f"credentials from {ident['source']}" if ident.get("source") else ""]
    text = ", ".join(p for p in parts if p)
    if t.sandbox:
        text += f" — SANDBOX (scenario {t.scenario})" if t.scenario else " — SANDBOX"
    return text


def to_markdown(t: Transcript) -> str:
    out: list[str] = [f"# awstriage: {t.title or t.playbook}", ""]
    out += [f"**Verdict: {summary_line(t)}**", ""]
    out += [f"- Playbook: `{t.playbook}`", f"- Identity: {_identity_line(t) or 'unknown'}",
            f"- Started: {t.started_at or '?'}; finished: {t.finished_at or 'not finished'}"]
    if t.inputs:
        out.append("- Inputs: " + ", ".join(f"`{k}={v}`" for k, v in t.inputs.items()))
    out.append("")
    mermaid = _graph_mermaid(t)
    if mermaid:
        out += ["## Path", "", "```mermaid", mermaid.rstrip(), "```", ""]
    out += ["## Findings", ""]
    if not t.findings:
        out += ["No findings.", ""]
    for f in sorted_findings(t):
        out += [f"### {f.get('severity', 'info').upper()} {f.get('code')}: `{f.get('resource')}`", "",
                f.get("summary", ""), ""]
        if certainty_words(f):
            out += [f"_{certainty_words(f)}_", ""]
        if f.get("evidence"):
            out += ["<details><summary>Evidence</summary>", "", "```json",
                    json.dumps(f["evidence"], indent=2, default=str), "```", "", "</details>", ""]
        if f.get("remediation"):
            out += ["Fix:", "", "```sh", *f["remediation"], "```", ""]
        for n, alt in enumerate(f.get("alternatives") or [], 1):
            disrupts = f" Disrupts: {alt['disrupts']}." if alt.get("disrupts") else ""
            out += [f"Alternative {n}: {alt.get('summary', '')}{disrupts}", "", "```sh", *alt.get("commands", []),
                    "```", ""]
    corroboration = corroboration_lines(t)
    if corroboration:
        out += ["## Not corroborated", "", *[f"- {line}" for line in corroboration], ""]
    out += timeline_markdown(t)
    out += ["## Steps", ""]
    for s in t.steps:
        mark = STATUS_MARKS.get(s.status, "?")
        elapsed = f" ({s.elapsed_ms:.0f} ms)" if s.elapsed_ms is not None else ""
        role = "" if s.decides else ", corroborates"
        out += [f"### {mark} {s.title} — {s.status}{role}{elapsed}", "", s.detail or "", ""]
        if s.missing:
            out += [*[f"- {line}" for line in missing_lines(s)], ""]
        if s.api_calls:
            out += ["API calls:", ""] + [f"- `{_call_line(c)}`" for c in s.api_calls] + [""]
    out.append(f"_awstriage {t.version}_")
    return "\n".join(out) + "\n"


def to_text(t: Transcript, color: bool = False) -> str:
    """Plain text for a terminal. With ``color`` it is rendered through rich for a TTY."""
    lines = [f"{t.title or t.playbook}", f"Identity: {_identity_line(t) or 'unknown'}", ""]
    for s in t.steps:
        mark = STATUS_MARKS.get(s.status, "?")
        lines.append(f" {mark} {s.title}: {s.detail}")
        lines += [f"     {line}" for line in missing_lines(s)]
    lines.append("")
    for f in sorted_findings(t):
        lines.append(f"[{f.get('severity', 'info').upper()}] {f.get('code')} {f.get('resource')}")
        lines.append(f"    {f.get('summary', '')}")
        if certainty_words(f):
            lines.append(f"    {certainty_words(f)}")
        for cmd in f.get("remediation") or []:
            lines.append(f"    fix: {cmd}")
        for n, alt in enumerate(f.get("alternatives") or [], 1):
            disrupts = f" (disrupts: {alt['disrupts']})" if alt.get("disrupts") else ""
            lines.append(f"    alternative {n}: {alt.get('summary', '')}{disrupts}")
            lines += [f"        {cmd}" for cmd in alt.get("commands", [])]
    lines += corroboration_lines(t)
    lines += timeline_text(t)
    lines += ["", f"Verdict: {summary_line(t)}"]
    text = "\n".join(lines) + "\n"
    if not color:
        return text
    return _rich_text(t)


def _rich_text(t: Transcript) -> str:
    from io import StringIO

    from rich.console import Console

    style = {"ok": "green", "problem": "bold red", "warning": "yellow", "no_data": "yellow", "skipped": "dim",
             "error": "red"}
    sev = {"error": "bold red", "warning": "yellow", "info": "cyan"}
    buf = StringIO()
    console = Console(file=buf, force_terminal=True, highlight=False, soft_wrap=True)
    console.print(f"[bold]{html.escape(t.title or t.playbook, quote=False)}[/]", markup=True)
    console.print(f"Identity: {_identity_line(t) or 'unknown'}", markup=False)
    for s in t.steps:
        console.print(f" [{style.get(s.status, '')}]{STATUS_MARKS.get(s.status, '?')}[/] ", end="")
        console.print(f"{s.title}: {s.detail}", markup=False)
        for line in missing_lines(s):
            console.print(f"     {line}", markup=False, style="yellow")
    console.print()
    for f in sorted_findings(t):
        console.print(f"[{sev.get(f.get('severity'), '')}]{f.get('severity', '').upper()}[/] ", end="")
        console.print(f"{f.get('code')} {f.get('resource')}", markup=False)
        console.print(f"    {f.get('summary', '')}", markup=False)
        if certainty_words(f):
            console.print(f"    {certainty_words(f)}", markup=False, style="yellow")
        for cmd in f.get("remediation") or []:
            console.print("    [green]fix:[/] ", end="")
            console.print(cmd, markup=False)
        for n, alt in enumerate(f.get("alternatives") or [], 1):
            disrupts = f" (disrupts: {alt['disrupts']})" if alt.get("disrupts") else ""
            console.print(f"    alternative {n}: {alt.get('summary', '')}{disrupts}", markup=False, style="dim")
            for cmd in alt.get("commands", []):
                console.print(f"        {cmd}", markup=False, style="dim")
    for line in corroboration_lines(t):
        console.print(line, markup=False, style="yellow")
    for line in timeline_text(t):
        console.print(line, markup=False, style="bold red" if line.lstrip().startswith("▶") else "")
    console.print()
    colour = {"problem_found": "bold red", "no_problem_found": "bold green"}.get(t.verdict, "yellow")
    console.print(f"[{colour}]Verdict:[/] ", end="")
    console.print(summary_line(t), markup=False)
    return buf.getvalue()


HTML_STYLE = """
body{font-family:system-ui,-apple-system,Segoe UI,sans-serif;max-width:60rem;margin:2rem auto;padding:0 1rem;
color:#1d2329;background:#fff}h1{font-size:1.5rem}h2{border-bottom:1px solid #ddd;padding-bottom:.2rem}
.verdict{padding:.6rem 1rem;border-radius:6px;font-weight:600}.problem_found{background:#fde8e8;color:#8a1c1c}
.no_problem_found{background:#e6f6ea;color:#1b5e2b}.incomplete{background:#fff6dd;color:#7a5a00}
.finding{border-left:4px solid #999;padding:.2rem 1rem;margin:1rem 0;background:#fafafa}
.finding.error{border-color:#c62828}.finding.warning{border-color:#e0a800}.finding.info{border-color:#1e88e5}
code,pre{font-family:ui-monospace,SFMono-Regular,Menlo,monospace;font-size:.9em}
pre{background:#f3f4f6;padding:.6rem;overflow-x:auto;border-radius:4px}
.step{margin:.6rem 0}.status{font-weight:600}.s-ok{color:#1b5e2b}.s-problem,.s-error{color:#c62828}
.s-warning,.s-no_data{color:#a67c00}.s-skipped{color:#777}table{border-collapse:collapse}td,th{padding:.1rem .6rem;
text-align:left;border-bottom:1px solid #eee;font-size:.9em}
@media (prefers-color-scheme: dark){body{background:#15191d;color:#e3e6e8}pre,.finding{background:#1f252b}
.problem_found{background:#4a1c1c;color:#ffd6d6}.no_problem_found{background:#16361f;color:#d3f5dc}
.incomplete{background:#3d3212;color:#ffeab0}}
"""


_SVG_STATUS = {  # stroke, fill
    "blocked": ("#c62828", "#fde8e8"),
    "warning": ("#b26a00", "#fff4e0"),
    "ok": ("#2e7d32", "#eef7ee"),
}


def _svg_path_diagram(t: Transcript) -> str:
    """An inline SVG of the forward and the return path: a picture that works offline.

    Each path is a row of columns, one per stage (parallel security groups stack in one column);
    the arrow into a box is the edge that admits or drops the packet, red with a cross when it drops.
    """
    if not t.graph:
        return ""
    from diagnostics.reachability.graph import from_node_link, path_rows

    e = html.escape
    forward, back = path_rows(from_node_link(t.graph))
    box_w, box_h, gap, pad, stack_gap = 190, 58, 40, 20, 10
    parts: list[str] = []
    width = pad * 2
    y = pad
    for name, rows in (("Forward path (client to instance)", forward), ("Return path (instance to client)", back)):
        if not rows:
            continue
        columns: dict[int, list[tuple[dict, dict | None]]] = {}
        for node, edge in rows:
            columns.setdefault(int(node.get("stage", 0)), []).append((node, edge))
        parts.append(f'<text x="{pad}" y="{y + 12}" font-size="13" font-weight="600">{e(name)}</text>')
        y += 24
        tallest = max(len(c) for c in columns.values())
        row_h = tallest * box_h + (tallest - 1) * stack_gap
        for col, (_stage, members) in enumerate(sorted(columns.items())):
            x = pad + col * (box_w + gap)
            width = max(width, x + box_w + pad)
            for k, (node, edge) in enumerate(members):
                top = y + k * (box_h + stack_gap)
                status = str(node.get("status", "ok"))
                stroke, fill = _SVG_STATUS.get(status, _SVG_STATUS["ok"])
                heavy = 3 if status == "blocked" else 1.5
                parts.append(f'<rect x="{x}" y="{top}" width="{box_w}" height="{box_h}" rx="6" fill="{fill}" '
                             f'stroke="{stroke}" stroke-width="{heavy}"/>')
                kind = str(node.get("kind", "")).replace("_", " ")
                parts.append(f'<text x="{x + 8}" y="{top + 18}" font-size="11" fill="#455a64">{e(kind)}</text>')
                label = str(node.get("label") or node.get("id", ""))
                parts.append(f'<text x="{x + 8}" y="{top + 36}" font-size="12" font-weight="600" fill="#1d2329">'
                             f"<title>{e(label)}</title>{e(label[:21])}</text>")
                if edge is not None:
                    deny = edge.get("verdict") == "deny"
                    colour = "#c62828" if deny else "#546e7a"
                    x1, x2, ym = x - gap, x, top + box_h / 2
                    marker = "arrow-deny" if deny else "arrow"
                    parts.append(f'<line x1="{x1 + 2}" y1="{y + box_h / 2}" x2="{x2 - 4}" y2="{ym}" '
                                 f'stroke="{colour}" stroke-width="2" marker-end="url(#{marker})"/>')
                    if deny:
                        parts.append(f'<text x="{x1 + gap / 2 - 6}" y="{ym - 6}" font-size="15" '
                                     f'fill="#c62828">✖</text>')
                        rule = str(edge.get("rule") or "")
                        parts.append(f'<text x="{x + 8}" y="{top + 52}" font-size="10" fill="#c62828">'
                                     f"<title>{e(rule)}</title>{e(rule[:32])}</text>")
        y += row_h + pad
    markers = "".join(
        f'<marker id="{mid}" markerWidth="8" markerHeight="8" refX="6" refY="3" orient="auto">'
        f'<path d="M0,0 L6,3 L0,6 z" fill="{colour}"/></marker>'
        for mid, colour in (("arrow", "#546e7a"), ("arrow-deny", "#c62828"))
    )
    return (f'<svg xmlns="http://www.w3.org/2000/svg" role="img" aria-label="Network path" width="{width}" '
            f'height="{y}" viewBox="0 0 {width} {y}"><defs>{markers}</defs>{"".join(parts)}</svg>')


def to_html(t: Transcript) -> str:
    e = html.escape
    body: list[str] = [f"<h1>awstriage: {e(t.title or t.playbook)}</h1>",
                       f'<p class="verdict {e(t.verdict)}">{e(summary_line(t))}</p>',
                       "<table>",
                       f"<tr><th>Playbook</th><td><code>{e(t.playbook)}</code></td></tr>",
                       f"<tr><th>Identity</th><td>{e(_identity_line(t) or 'unknown')}</td></tr>",
                       f"<tr><th>Started</th><td>{e(str(t.started_at))}</td></tr>",
                       f"<tr><th>Finished</th><td>{e(str(t.finished_at or 'not finished'))}</td></tr>"]
    for k, v in t.inputs.items():
        body.append(f"<tr><th>{e(str(k))}</th><td><code>{e(str(v))}</code></td></tr>")
    body.append("</table>")
    svg = _svg_path_diagram(t)
    if svg:
        body += ["<h2>Path</h2>", svg]
    body.append("<h2>Findings</h2>")
    if not t.findings:
        body.append("<p>No findings.</p>")
    for f in sorted_findings(t):
        sev = f.get("severity", "info")
        body.append(f'<div class="finding {e(sev)}"><h3>{e(sev.upper())} {e(str(f.get("code")))}: '
                    f'<code>{e(str(f.get("resource")))}</code></h3><p>{e(f.get("summary", ""))}</p>')
        if certainty_words(f):
            body.append(f'<p class="conditional"><em>{e(certainty_words(f))}</em></p>')
        if f.get("remediation"):
            body.append("<p>Fix:</p><pre>" + e("\n".join(f["remediation"])) + "</pre>")
        for n, alt in enumerate(f.get("alternatives") or [], 1):
            disrupts = f" Disrupts: {alt['disrupts']}." if alt.get("disrupts") else ""
            body.append(f"<p>Alternative {n}: {e(alt.get('summary', ''))}{e(disrupts)}</p><pre>"
                        + e("\n".join(alt.get("commands", []))) + "</pre>")
        if f.get("evidence"):
            body.append("<details><summary>Evidence</summary><pre>"
                        + e(json.dumps(f["evidence"], indent=2, default=str)) + "</pre></details>")
        body.append("</div>")
    corroboration = corroboration_lines(t)
    if corroboration:
        body.append("<h2>Not corroborated</h2><ul>" + "".join(f"<li>{e(c)}</li>" for c in corroboration) + "</ul>")
    body.append(timeline_html(t))
    body.append("<h2>Steps</h2>")
    for s in t.steps:
        elapsed = f" ({s.elapsed_ms:.0f} ms)" if s.elapsed_ms is not None else ""
        body.append(f'<div class="step"><span class="status s-{e(s.status)}">{e(STATUS_MARKS.get(s.status, "?"))}'
                    f" {e(s.status)}</span> <strong>{e(s.title)}</strong>{e(elapsed)}<br>{e(s.detail or '')}")
        if s.missing:
            body.append("<ul>" + "".join(f"<li>{e(line)}</li>" for line in missing_lines(s)) + "</ul>")
        if s.api_calls:
            body.append("<ul>" + "".join(f"<li><code>{e(_call_line(c))}</code></li>" for c in s.api_calls) + "</ul>")
        body.append("</div>")
    body.append(f"<p><small>awstriage {e(t.version)}</small></p>")
    return ("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
            f"<title>awstriage: {e(t.playbook)}</title><style>{HTML_STYLE}</style></head><body>\n"
            + "\n".join(body) + "\n</body></html>\n")


EXPORTERS: dict[str, Callable[[Transcript], str]] = {
    "text": to_text,
    "markdown": to_markdown,
    "json": to_json,
    "html": to_html,
}


def export(t: Transcript, fmt: str) -> str:
    return EXPORTERS[fmt](t)
