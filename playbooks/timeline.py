"""The change timeline and the triage overview in every transcript format.

:mod:`playbooks.exporters` calls one function per format; each returns nothing when the transcript
has neither changes nor an overview, so other transcripts look as they did. The HTML draws the changes
as a vertical timeline; the change marked as the most plausible cause is highlighted and labelled as
a correlation, not a proof.
"""

from __future__ import annotations

import html
from typing import Any

from playbooks.markdown import md_code, md_text
from playbooks.transcript import Transcript

CORRELATION = "most plausible cause: the last change to the component at fault (a correlation, not a proof)"


def _who(change: dict[str, Any]) -> str:
    who = str(change.get("principal", "?"))
    return who + (f" (session {change['session_name']})" if change.get("session_name") else "")


def _agent(change: dict[str, Any]) -> str:
    return str(change.get("agent") or "")


def _params(change: dict[str, Any]) -> str:
    text = ", ".join(f"{k}={v}" for k, v in (change.get("params") or {}).items())
    if change.get("more_params"):
        text += f" (and {change['more_params']} more)"
    return text


def _suggestion_words(s: dict[str, Any]) -> str:
    words = s.get("command", "")
    if s.get("note"):
        words += f" ({s['note']})"
    return words


def timeline_text(t: Transcript) -> list[str]:
    """Lines for the terminal: alarms and their suggested playbooks, Health events, then the changes."""
    lines: list[str] = []
    overview = t.overview
    suggestions = {s.get("alarm"): s for s in overview.get("suggestions") or []}
    if overview.get("alarms"):
        lines += ["", "Alarms in ALARM (and the playbook to run):"]
        for alarm in overview["alarms"]:
            lines.append(f"  {alarm.get('name')} since {alarm.get('since')}: {alarm.get('namespace')} "
                         f"{alarm.get('metric')}")
            if alarm.get("name") in suggestions:
                lines.append(f"    -> {_suggestion_words(suggestions[alarm['name']])}")
    if overview.get("health"):
        lines += ["", "AWS Health events:"]
        lines += [f"  {e.get('service')} {e.get('type')} in {e.get('region')}, {e.get('status')} since {e.get('start')}"
                  for e in overview["health"]]
    if t.changes:
        lines += ["", "What changed (oldest first, UTC):"]
        for change in t.changes:
            mark = "  ▶ " if change.get("suspect") else "    "
            lines.append(mark + str(change.get("line") or change.get("event")))
            if change.get("suspect"):
                lines.append(f"      ({CORRELATION})")
    return lines


def timeline_markdown(t: Transcript) -> list[str]:
    out: list[str] = []
    overview = t.overview
    suggestions = {s.get("alarm"): s for s in overview.get("suggestions") or []}
    if overview.get("alarms"):
        out += ["## Alarms in ALARM", "", "| alarm | since (UTC) | metric | run next |", "| --- | --- | --- | --- |"]
        for alarm in overview["alarms"]:
            dims = ", ".join(f"{k}={v}" for k, v in (alarm.get("dimensions") or {}).items())
            metric = f"{alarm.get('namespace')} {alarm.get('metric')}" + (f" ({dims})" if dims else "")
            suggestion = suggestions.get(alarm.get("name"))
            run = f"`{suggestion['command']}`" + (f" ({suggestion['note']})" if suggestion.get("note") else "") \
                if suggestion else ""
            out.append(f"| {md_text(alarm.get('name'))} | {alarm.get('since')} | {md_text(metric)} | {run} |")
        out.append("")
    if overview.get("health"):
        out += ["## AWS Health events", ""]
        out += [f"- {e.get('service')} `{e.get('type')}` ({e.get('category')}) in {e.get('region')}, "
                f"{e.get('status')} since {e.get('start')}" for e in overview["health"]]
        out.append("")
    if t.changes:
        out += ["## What changed", "", "| time (UTC) | who | what | on | parameters |",
                "| --- | --- | --- | --- | --- |"]
        for c in t.changes:
            bold = "**" if c.get("suspect") else ""
            who = _who(c) + (f" via {_agent(c)}" if _agent(c) else "")
            out.append(f"| {bold}{c.get('at')}{bold} | {md_text(who)} | {bold}{c.get('event')}{bold} | "
                       f"{md_code(c.get('resource', ''))} | {md_text(_params(c))} |")
        if any(c.get("suspect") for c in t.changes):
            out += ["", f"Bold: the {CORRELATION}."]
        out.append("")
    return out


TIMELINE_STYLE = """<style>
ol.timeline{list-style:none;margin:1rem 0;padding:0 0 0 1.2rem;border-left:2px solid #90a4ae}
ol.timeline li{position:relative;margin:0 0 1rem .8rem}
ol.timeline li::before{content:"";position:absolute;left:-1.55rem;top:.3rem;width:.7rem;height:.7rem;
border-radius:50%;background:#90a4ae}
ol.timeline li.suspect::before{background:#c62828;width:.9rem;height:.9rem;left:-1.65rem}
ol.timeline time{font-family:ui-monospace,monospace;font-size:.85em;color:#546e7a}
ol.timeline .suspect-note{color:#c62828;font-size:.9em}
</style>"""


def timeline_html(t: Transcript) -> str:
    e = html.escape
    parts: list[str] = []
    overview = t.overview
    suggestions = {s.get("alarm"): s for s in overview.get("suggestions") or []}
    if overview.get("alarms"):
        parts.append("<h2>Alarms in ALARM</h2><table><tr><th>alarm</th><th>since (UTC)</th><th>metric</th>"
                     "<th>run next</th></tr>")
        for alarm in overview["alarms"]:
            suggestion = suggestions.get(alarm.get("name"))
            run = (f"<code>{e(suggestion['command'])}</code>" + (f" ({e(suggestion['note'])})"
                   if suggestion.get("note") else "")) if suggestion else ""
            parts.append(f"<tr><td>{e(str(alarm.get('name')))}</td><td>{e(str(alarm.get('since')))}</td>"
                         f"<td>{e(str(alarm.get('namespace')))} {e(str(alarm.get('metric')))}</td><td>{run}</td></tr>")
        parts.append("</table>")
    if overview.get("health"):
        parts.append("<h2>AWS Health events</h2><ul>" + "".join(
            f"<li>{e(str(h.get('service')))} <code>{e(str(h.get('type')))}</code> in {e(str(h.get('region')))}, "
            f"{e(str(h.get('status')))} since {e(str(h.get('start')))}</li>" for h in overview["health"]) + "</ul>")
    if t.changes:
        parts += [TIMELINE_STYLE, "<h2>What changed</h2>", '<ol class="timeline">']
        for c in t.changes:
            suspect = bool(c.get("suspect"))
            on = f" on <code>{e(str(c['resource']))}</code>" if c.get("resource") else ""
            agent = f" via {e(_agent(c))}" if _agent(c) else ""
            params = f"<br><small>{e(_params(c))}</small>" if c.get("params") else ""
            note = f'<br><span class="suspect-note">{e(CORRELATION)}</span>' if suspect else ""
            parts.append(f'<li class="{"suspect" if suspect else "change"}"><time>{e(str(c.get("at")))}</time> '
                         f"<strong>{e(str(c.get('event')))}</strong>{on} by {e(_who(c))}{agent}{params}{note}</li>")
        parts.append("</ol>")
    return "\n".join(parts)
