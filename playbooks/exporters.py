"""Transcript exporters: JSON for scripts, Markdown for the ticket, HTML to read offline, text for
the terminal. Markdown and HTML carry the same content: summary first, then the path diagram,
findings with their fixes, and each step with the calls it made."""

from __future__ import annotations

import html
import json
import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path, PurePath
from typing import Any

from diagnostics.text import shorten
from playbooks.markdown import md_code, md_text
from playbooks.proof_view import PROOF_STYLE, proof_html, proof_markdown, proof_text
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


# Plain words before codes: the short title a list shows first (the code stays, dimmed, for search and scripts).
FINDING_TITLES: dict[str, str] = {
    "SUBNET_ACL_RESTRICTION": "The subnet's network ACL drops the traffic",
    "ENI_SG_RULES_MISMATCH": "No security group rule lets the traffic in",
    "NO_ROUTE_TO_DESTINATION": "No route to the destination",
    "BAD_STATE_ROUTE": "The route's target cannot carry traffic",
    "BAD_STATE_ATTACHMENT": "The internet gateway is not attached",
    "BAD_STATE": "A component on the path is not in a usable state",
    "NO_INTERNET_GATEWAY": "The VPC has no internet gateway",
    "IGW_PRIVATE_IP_ASSOCIATION_FOR_INGRESS": "The instance has no public address of the client's IP version",
    "IGW_SOURCE_ADDRESS_NOT_IN_RFC1918_INGRESS": "A private source cannot come in from the internet",
    "EC2_STATUS_CHECK_FAILED": "The instance fails its status checks",
    "PATH_OPEN": "The path is open both ways",
    "IAM_EXPLICIT_DENY": "A policy explicitly denies the call",
    "IAM_NO_ALLOW": "No policy allows the call",
    "IAM_BOUNDARY_BLOCKS": "The permissions boundary does not allow it",
    "IAM_SCP_BLOCKS": "An organization policy (SCP) blocks it",
    "IAM_RCP_BLOCKS": "A resource control policy blocks it",
    "IAM_RESOURCE_POLICY_BLOCKS": "The resource's own policy blocks it",
    "IAM_SESSION_POLICY_BLOCKS": "The session policy does not allow it",
    "IAM_SIMULATOR_DISAGREES": "AWS's policy simulator disagrees",
    "IAM_ALLOWED": "The call is allowed",
    "IAM_UNKNOWN_ACTION": "The action does not exist",
    "IAM_UNSIGNED_REQUEST": "The request was not signed",
    "API_THROTTLING": "Calls are throttled by the API rate limit",
    "ACCOUNT_CONCURRENCY_LIMIT": "The account's Lambda concurrency is used up",
    "LAMBDA_CONCURRENCY_LIMIT": "The function's reserved concurrency is too low",
    "LAMBDA_THROTTLED": "The function is throttled",
    "DYNAMODB_THROTTLED": "The DynamoDB table is throttled",
    "LAMBDA_OUT_OF_MEMORY": "The function runs out of memory",
    "LAMBDA_MEMORY_NEAR_LIMIT": "The function is close to its memory limit",
    "LAMBDA_TIMEOUT": "The function times out",
    "LAMBDA_ERRORS_NOT_IN_LOGS": "Lambda counts failures the logs read do not show",
    "LAMBDA_DURATION_NEAR_TIMEOUT": "The function runs close to its timeout",
    "EC2_CPU_SATURATED": "The instance's CPU is saturated",
    "EC2_CPU_CREDITS_EXHAUSTED": "The instance ran out of CPU credits",
    "EBS_BURST_BALANCE_EXHAUSTED": "The disk ran out of burst balance",
    "RDS_CPU_SATURATED": "The database's CPU is saturated",
    "RDS_CPU_CREDITS_EXHAUSTED": "The database ran out of CPU credits",
    "RDS_BURST_BALANCE_EXHAUSTED": "The database disk ran out of burst balance",
    "RDS_HIGH_IO_LATENCY": "The database disk is slow",
    "RDS_LOW_MEMORY": "The database is short of memory",
    "RDS_STORAGE_NEARLY_FULL": "The database storage is nearly full",
}
# One code may name a block in either direction (Reachability Analyzer's codes do): a finding whose
# evidence says ``rule_direction: outbound`` gets the title for that direction.
OUTBOUND_TITLES: dict[str, str] = {
    "ENI_SG_RULES_MISMATCH": "No security group rule lets the traffic out",
}


TITLE_CHARS = 80
# Where a title may end: after a clause, never inside a word, an ARN ("arn:aws:kms:...", no space after
# its colons), an address or a parenthesis.
CLAUSE_ENDS = (": ", "; ", ", ", " — ", " (")


def clause_cut(text: str, most: int = TITLE_CHARS) -> str:
    """``text`` up to the last clause boundary within ``most`` characters, outside parentheses and
    brackets; the whole text when it is short or has no such boundary (a title too long beats a cut word)."""
    if len(text) <= most:
        return text
    depth, best = 0, 0
    for i, ch in enumerate(text[:most + 1]):
        if depth == 0 and any(text.startswith(end, i) for end in CLAUSE_ENDS) and i > 0:
            best = i
        depth += (ch in "([") - (ch in ")]")
    return text[:best].rstrip(" ,;:") if best else text


def finding_title(f: dict[str, Any]) -> str:
    """The short title in plain words; for a code without one, the summary's first sentence, ended at a
    clause boundary when it is long (never mid-word: the full summary follows it)."""
    code = str(f.get("code", ""))
    own = (f.get("evidence") or {}).get("title")
    if isinstance(own, str) and own:  # an analyser that knows the state says it (a peering pending acceptance)
        return own
    if (f.get("evidence") or {}).get("rule_direction") == "outbound" and code in OUTBOUND_TITLES:
        return OUTBOUND_TITLES[code]
    if code in FINDING_TITLES:
        return FINDING_TITLES[code]
    first = str(f.get("summary", "")).split(". ")[0].strip().rstrip(".")
    return clause_cut(first) if first else code.replace("_", " ").capitalize()


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


# Commands that stop, replace, remove or loosen something: marked, and never copied by default. The analyser's own
# `disrupts` wins; these patterns catch what a primary fix (which has no `disrupts` field) would do.
RISKY_COMMANDS: tuple[tuple[str, str], ...] = (
    (r"\bstop-instances\b", "stops the instance"),
    (r"\bterminate-instances\b", "terminates the instance"),
    (r"\breboot-instances\b", "reboots the instance"),
    (r"--instance-type\b", "changes the instance type, which needs the instance stopped"),
    (r"\breplace-[a-z-]+", "replaces an association or route in place"),
    (r"\bdelete-[a-z-]+", "deletes a resource or setting"),
    (r"\b(detach|disassociate|remove)-[a-z-]+", "removes an attachment or permission"),
    # An access rule for every address (a default route to 0.0.0.0/0 opens nothing: it is not flagged).
    (r"\b(authorize-security-group-\w+|(create|replace)-network-acl-entry)\b[^\n]*(?<![\d.])(0\.0\.0\.0/0|::/0)",
     "opens to every address on the internet"),
)
# "Resource": "*" is ordinary (a key policy always says it); an action or principal "*" allows everything.
WIDE_STATEMENT = (r'"(Action|Principal)"\s*:\s*("\*"|\{\s*"AWS"\s*:\s*"\*"\s*\})',
                  "allows every action or every principal")
# Condition keys that name who may call: a "Principal": "*" statement limited by one of them (the form AWS
# requires in a VPC endpoint policy, or a bucket policy for an organization) does not open to everyone.
# https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_condition-keys.html
PRINCIPAL_KEYS = frozenset({"aws:principalarn", "aws:principalaccount", "aws:principalorgid", "aws:principalorgpaths",
                            "aws:sourceaccount", "aws:sourcearn", "aws:sourceorgid", "aws:sourcevpce", "aws:sourcevpc",
                            "aws:userid", "aws:username"})


def statement_risk(statement: Any) -> str:
    """What one policy statement a fix adds opens up: every action, or every principal with no condition on
    who the caller is; "" for an ordinary grant."""
    if not isinstance(statement, dict) or statement.get("Effect") != "Allow":
        return ""
    actions = statement.get("Action")
    if actions == "*" or (isinstance(actions, list) and "*" in actions):
        return "allows every action"
    principal = statement.get("Principal")
    if principal == "*" or (isinstance(principal, dict) and principal.get("AWS") in ("*", ["*"])):
        keys = {str(k).lower() for block in (statement.get("Condition") or {}).values() if isinstance(block, dict)
                for k in block}
        if not keys & PRINCIPAL_KEYS:
            return "allows every principal"
    return ""


def command_risk(commands: list[str] | tuple[str, ...], added: Any = None) -> str:
    """What running ``commands`` stops, replaces or loosens, in plain words; "" when nothing we can see.
    ``added`` is the statement the fix adds to a policy (a finding's ``evidence.fix.statement``): it alone
    is judged, since the statements the document already had are not the fix's doing."""
    text = "\n".join(c for c in commands if not c.lstrip().startswith("#"))
    words = [what for pattern, what in RISKY_COMMANDS if re.search(pattern, text)]
    if isinstance(added, dict):
        words.append(statement_risk(added))
    elif re.search(WIDE_STATEMENT[0], text):
        words.append(WIDE_STATEMENT[1])
    return "; ".join(dict.fromkeys(w for w in words if w))


@dataclass(frozen=True)
class FixChoice:
    """One way to fix a finding as the user sees it: number 0 is the primary fix, 1.. the alternatives."""

    number: int
    summary: str
    commands: tuple[str, ...]
    disrupts: str

    @property
    def primary(self) -> bool:
        return self.number == 0

    @property
    def careful(self) -> bool:
        """Stops, replaces or loosens something: marked, and copied only when asked twice."""
        return bool(self.disrupts)

    @property
    def label(self) -> str:
        return "Fix" if self.primary else f"Alternative {self.number}"


def fix_choices(f: dict[str, Any]) -> list[FixChoice]:
    """The primary fix (if any) and each alternative, kept apart: never one script."""
    choices: list[FixChoice] = []
    primary = tuple(f.get("remediation") or ())
    if primary:
        added = ((f.get("evidence") or {}).get("fix") or {}).get("statement")
        # An analyser that knows what its primary fix exposes says so (``primary_disrupts``): the command alone
        # cannot tell (a default route to an internet gateway exposes a private subnet, not a public one).
        risk = command_risk(primary, added) or str((f.get("evidence") or {}).get("primary_disrupts") or "")
        choices.append(FixChoice(0, "the least disruptive change", primary, risk))
    for n, alt in enumerate(f.get("alternatives") or [], 1):
        commands = tuple(alt.get("commands") or ())
        disrupts = str(alt.get("disrupts") or "") or command_risk(commands)
        choices.append(FixChoice(n, str(alt.get("summary") or ""), commands, disrupts))
    return choices


def copy_text(f: dict[str, Any], choice: FixChoice) -> str:
    """What the clipboard gets: a comment naming the finding it fixes, then that one fix's commands."""
    lines = [f"# fixes {f.get('code', '?')} on {f.get('resource', '?')}"]
    if not choice.primary:
        lines.append(f"# alternative {choice.number}: {choice.summary}")
    if choice.careful:
        lines.append(f"# CAUTION: {choice.disrupts}")
    lines += list(choice.commands)
    return "\n".join(lines) + "\n"


def _choice_heading(choice: FixChoice) -> str:
    """"Fix" or "Alternative 2: summary", then what it disrupts."""
    head = "Fix (the least disruptive)" if choice.primary else f"{choice.label}: {choice.summary}"
    return head + (f" — CAUTION: {choice.disrupts}" if choice.careful else "")


def _gist(text: str, most: int = 100) -> str:
    """The first clause of ``text`` (up to the first sentence end, colon or semicolon), or "" when even that is
    long: enough to say what went wrong without the 40 words that followed."""
    first = re.split(r"(?<=[^.]{3})\. |: |; ", text.strip(), maxsplit=1)[0].strip().rstrip(".")
    return first if len(first) <= most else ""


def step_detail_once(t: Transcript) -> list[tuple[Any, str]]:
    """Each step with its detail, a sentence already said by an earlier step said only once
    (without credentials every later step is "Not run: <the same 40 words>"): the repeat names the
    step that said it and the gist of what it could not do."""
    said: dict[str, str] = {}  # detail (without "Not run: ") -> title of the step that said it first
    out: list[tuple[Any, str]] = []
    for s in t.steps:
        detail = s.detail or ""
        core = detail.removeprefix("Not run: ")
        if core and core in said:
            gist = _gist(core)
            because = f": {gist}." if gist else " (see there)."
            if detail.startswith("Not run: "):
                detail = f"Not run, for the reason given at '{said[core]}'{because}"
            else:
                detail = f"As at '{said[core]}'{because}"
        elif core:
            said[core] = s.title
        out.append((s, detail))
    return out


def to_json(t: Transcript) -> str:
    """The transcript's JSON; each finding also lists its fixes as numbered choices with what each disrupts."""
    data = t.to_json_dict()
    data["findings"] = [{**f, "fixes": [{"number": c.number, "primary": c.primary, "summary": c.summary,
                                         "commands": list(c.commands), "disrupts": c.disrupts}
                                        for c in fix_choices(f)]} for f in data.get("findings") or []]
    return json.dumps(data, indent=2, default=str) + "\n"


def _graph_mermaid(t: Transcript) -> str | None:
    if not t.graph:
        return None
    from diagnostics.reachability.graph import from_node_link, to_mermaid

    return to_mermaid(from_node_link(t.graph))


def call_lines(calls: list[dict[str, Any]]) -> list[str]:
    """One line per distinct call (service, operation, outcome), repeats counted: "ec2:DescribeRouteTables x9"."""
    groups: dict[tuple[str, str, str], list[dict[str, Any]]] = {}
    for call in calls:
        key = (str(call.get("service")), str(call.get("operation")), str(call.get("error") or "ok"))
        groups.setdefault(key, []).append(call)
    lines = []
    for (service, operation, outcome), group in groups.items():
        if len(group) == 1:
            lines.append(_call_line(group[0]))
            continue
        total = sum(float(c.get("duration_ms") or 0) for c in group)
        retries = sum(int(c.get("retries") or 0) for c in group)
        extra = f", {retries} retries" if retries else ""
        lines.append(f"{service}:{operation} x{len(group)} {total:.0f} ms in all{extra} ({outcome})")
    return lines


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
        out.append("- Inputs: " + ", ".join(md_code(f"{k}={v}") for k, v in t.inputs.items()))
    out.append("")
    mermaid = _graph_mermaid(t)
    if mermaid:
        out += ["## Path", "", "```mermaid", mermaid.rstrip(), "```", ""]
    out += ["## Findings", ""]
    if not t.findings:
        out += ["No findings.", ""]
    for f in sorted_findings(t):
        out += [f"### {f.get('severity', 'info').upper()}: {md_text(finding_title(f))}", "",
                f"At fault: {md_code(f.get('resource'))} ({md_code(f.get('code'))})", "", md_text(f.get("summary", "")),
                ""]
        if certainty_words(f):
            out += [f"_{md_text(certainty_words(f))}_", ""]
        for choice in fix_choices(f):
            heading = _choice_heading(choice)
            out += [f"**{heading}**" if choice.primary else f"- {heading}", ""]
            block = ["```sh", *choice.commands, "```", ""]
            out += block if choice.primary else [f"  {line}" if line else "" for line in block]
        out += proof_markdown(f)
        if f.get("evidence"):  # after the fixes: the ticket reader wants the change first, the data behind it on demand
            out += ["<details><summary>Evidence</summary>", "", "```json",
                    json.dumps(f["evidence"], indent=2, default=str), "```", "", "</details>", ""]
    corroboration = corroboration_lines(t)
    if corroboration:
        out += ["## Not corroborated", "", *[f"- {md_text(line)}" for line in corroboration], ""]
    out += timeline_markdown(t)
    out += ["## Steps", ""]
    for s in t.steps:
        mark = STATUS_MARKS.get(s.status, "?")
        elapsed = f" ({s.elapsed_ms:.0f} ms)" if s.elapsed_ms is not None else ""
        role = "" if s.decides else ", corroborates"
        out += [f"### {mark} {md_text(s.title)} — {s.status}{role}{elapsed}", "", md_text(s.detail), ""]
        if s.missing:
            out += [*[f"- {md_text(line)}" for line in missing_lines(s)], ""]
        if s.api_calls:
            out += ["API calls:", ""] + [f"- `{line}`" for line in call_lines(s.api_calls)] + [""]
    out.append(f"_awstriage {t.version}_")
    return "\n".join(out) + "\n"


def to_text(t: Transcript, color: bool = False, steps: bool = True) -> str:
    """Plain text for a terminal. With ``color`` it is rendered through rich for a TTY. ``steps=False``
    leaves the steps out (a terminal that watched them live does not need them twice)."""
    lines = [f"{t.title or t.playbook}", f"Identity: {_identity_line(t) or 'unknown'}", ""]
    for s, detail in step_detail_once(t) if steps else []:
        mark = STATUS_MARKS.get(s.status, "?")
        lines.append(f" {mark} {s.title}: {detail}")
        lines += [f"     {line}" for line in missing_lines(s)]
    if steps:
        lines.append("")
    for f in sorted_findings(t):
        lines.append(f"[{f.get('severity', 'info').upper()}] {finding_title(f)}: {f.get('resource')} ({f.get('code')})")
        lines.append(f"    {f.get('summary', '')}")
        if certainty_words(f):
            lines.append(f"    {certainty_words(f)}")
        for choice in fix_choices(f):
            lines.append(f"    {_choice_heading(choice)}:")
            lines += [f"        {cmd}" for cmd in choice.commands]
        lines += proof_text(f)
    lines += corroboration_lines(t)
    lines += timeline_text(t)
    lines += ["", f"Verdict: {summary_line(t)}"]
    text = "\n".join(lines) + "\n"
    if not color:
        return text if steps else "\n".join(lines[3:]).lstrip("\n") + "\n"
    return _rich_text(t, steps)


def _rich_text(t: Transcript, steps: bool = True) -> str:
    from io import StringIO

    from rich.console import Console

    style = {"ok": "green", "problem": "bold red", "warning": "yellow", "no_data": "yellow", "skipped": "dim",
             "error": "red"}
    sev = {"error": "bold red", "warning": "yellow", "info": "cyan"}
    buf = StringIO()
    console = Console(file=buf, force_terminal=True, highlight=False, soft_wrap=True)
    if steps:
        console.print(f"[bold]{html.escape(t.title or t.playbook, quote=False)}[/]", markup=True)
        console.print(f"Identity: {_identity_line(t) or 'unknown'}", markup=False)
        for s, detail in step_detail_once(t):
            console.print(f" [{style.get(s.status, '')}]{STATUS_MARKS.get(s.status, '?')}[/] ", end="")
            console.print(f"{s.title}: {detail}", markup=False)
            for line in missing_lines(s):
                console.print(f"     {line}", markup=False, style="yellow")
        console.print()
    for f in sorted_findings(t):
        console.print(f"[{sev.get(f.get('severity'), '')}]{f.get('severity', '').upper()}[/] ", end="")
        console.print(f"{finding_title(f)}: {f.get('resource')} ({f.get('code')})", markup=False)
        console.print(f"    {f.get('summary', '')}", markup=False)
        if certainty_words(f):
            console.print(f"    {certainty_words(f)}", markup=False, style="yellow")
        for choice in fix_choices(f):
            console.print(f"    {_choice_heading(choice)}:", markup=False,
                          style="bold green" if choice.primary else ("yellow" if choice.careful else "dim"))
            for cmd in choice.commands:
                console.print(f"        {cmd}", markup=False, style="green" if choice.primary else "")
        for line in proof_text(f):
            console.print(line, markup=False, style="dim" if line.strip() == "Proof:" else "")
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
body{font-family:system-ui,-apple-system,Segoe UI,sans-serif;max-width:64rem;margin:2rem auto;padding:0 1rem;
color:#1d2329;background:#fff;line-height:1.45}h1{font-size:1.5rem}h2{border-bottom:1px solid #ddd;padding-bottom:.2rem}
.verdict{padding:.6rem 1rem;border-radius:6px;font-weight:600}.problem_found{background:#fde8e8;color:#8a1c1c}
.no_problem_found{background:#e6f6ea;color:#1b5e2b}.incomplete{background:#fff6dd;color:#7a5a00}
.finding{border-left:4px solid #999;padding:.2rem 1rem;margin:1rem 0;background:#fafafa}
.finding.error{border-color:#c62828}.finding.warning{border-color:#e0a800}.finding.info{border-color:#1e88e5}
code,pre{font-family:ui-monospace,SFMono-Regular,Menlo,monospace;font-size:.9em}
pre{background:#f3f4f6;padding:.6rem;border-radius:4px;white-space:pre-wrap;overflow-wrap:anywhere}
code{overflow-wrap:anywhere}.fix.primary pre{border-left:3px solid #2e7d32}
.fix.alternative{margin-left:1rem}.caution{color:#8a4b00;font-weight:600;margin-left:.4rem}
.diagram{width:100%;overflow:visible}.diagram svg{display:block;width:100%;height:auto;max-width:100%}
.diagram text{fill:currentColor}.diagram .box-text{fill:#1d2329}.diagram .box-kind{fill:#455a64}
.diagram .deny{fill:#c62828}
.step{margin:.6rem 0}.status{font-weight:600}.s-ok{color:#1b5e2b}.s-problem,.s-error{color:#c62828}
.s-warning,.s-no_data{color:#a67c00}.s-skipped{color:#777}table{border-collapse:collapse}td,th{padding:.1rem .6rem;
text-align:left;border-bottom:1px solid #eee;font-size:.9em;overflow-wrap:anywhere}th{white-space:nowrap}
@media (prefers-color-scheme: dark){body{background:#15191d;color:#e3e6e8}pre,.finding{background:#1f252b}
h2{border-color:#3a434c}td,th{border-color:#2a3138}a{color:#8ab4f8}
.problem_found{background:#4a1c1c;color:#ffd6d6}.no_problem_found{background:#16361f;color:#d3f5dc}
.incomplete{background:#3d3212;color:#ffeab0}.caution{color:#ffb74d}.s-ok{color:#81c784}
.s-problem,.s-error{color:#ef9a9a}.diagram .deny{fill:#ef9a9a}.s-warning,.s-no_data{color:#ffd54f}
.s-skipped{color:#9aa4ad}}
"""


_SVG_STATUS = {  # stroke, fill
    "blocked": ("#c62828", "#fde8e8"),
    "warning": ("#b26a00", "#fff4e0"),
    "ok": ("#2e7d32", "#eef7ee"),
}


SVG_TITLES = {"forward": "Forward path (client to instance)", "return": "Return path (instance to client)"}


def _svg_note(node: dict, edge: dict | None) -> str:
    """The words under a box: the rule that drops the packets, else a component's own note."""
    if edge and edge.get("verdict") == "deny":
        return str(edge.get("rule") or "")
    return str(node.get("note") or "") if node.get("status", "ok") != "ok" else ""


SVG_COLUMNS = 4  # boxes per line: four fit a 64rem page at full size; a longer path continues below ("↪")


def _wrap_words(text: str, width: int, most: int = 4) -> list[str]:
    import textwrap

    lines = textwrap.wrap(text, width) or [""]
    return [*lines[:most - 1], shorten(" ".join(lines[most - 1:]), width)] if len(lines) > most else lines


def _svg_path_diagram(t: Transcript) -> str:
    """An inline SVG of the forward and the return path: a picture that works offline.

    Each path is a row of columns, one per stage (parallel security groups stack in one column), at
    most ``SVG_COLUMNS`` to a line so it scales to the page with whole labels; the arrow into a box is
    the edge that admits or drops the packet, red with a cross when it drops, and the rule that drops
    it is written under the box in full. Boxes are as wide as their longest ID.
    """
    if not t.graph:
        return ""
    from diagnostics.reachability.graph import from_node_link, path_rows

    e = html.escape
    graph = from_node_link(t.graph)
    forward, back = path_rows(graph)
    titles = {**SVG_TITLES, **(graph.graph.get("titles") or {})}
    labels = [str(n.get("label") or n.get("id", "")) for n, _ in forward + back]
    box_w = max(170, min(220, int(max((len(x) for x in labels), default=10) * 7.4 + 24)))
    label_chars = int((box_w - 20) / 7.4)  # a longer label wraps to a second line, never cut
    box_h, gap, pad, stack_gap, note_line = 66, 44, 20, 10, 14
    note_chars = max(20, int(box_w / 6.2))
    width = pad * 2 + gap + SVG_COLUMNS * box_w + (SVG_COLUMNS - 1) * gap
    parts: list[str] = []
    y = pad
    for name, rows in ((titles["forward"], forward), (titles["return"], back)):
        if not rows:
            continue
        columns: dict[int, list[tuple[dict, dict | None]]] = {}
        for node, edge in rows:
            columns.setdefault(int(node.get("stage", 0)), []).append((node, edge))
        parts.append(f'<text x="{pad}" y="{y + 14}" font-size="14" font-weight="600">{e(name)}</text>')
        y += 26
        ordered = [members for _stage, members in sorted(columns.items())]
        for first in range(0, len(ordered), SVG_COLUMNS):
            chunk = ordered[first:first + SVG_COLUMNS]
            # A box's note sits under it: a box stacked below starts after the note, never over it.
            def note_height(node: dict, edge: dict | None) -> int:
                note = _svg_note(node, edge)
                return len(_wrap_words(note, note_chars)) * note_line if note else 0

            tops = [[sum(box_h + stack_gap + note_height(*m) for m in members[:k]) for k in range(len(members))]
                    for members in chunk]
            row_h = max(tops[c][-1] + box_h + note_height(*members[-1]) for c, members in enumerate(chunk))
            if first:
                parts.append(f'<text x="{pad}" y="{y + box_h / 2 + 5}" font-size="15">↪</text>')
            for col, members in enumerate(chunk):
                x = pad + gap + col * (box_w + gap)
                for k, (node, edge) in enumerate(members):
                    top = y + tops[col][k]
                    status = str(node.get("status", "ok"))
                    stroke, fill = _SVG_STATUS.get(status, _SVG_STATUS["ok"])
                    heavy = 3 if status == "blocked" else 1.5
                    parts.append(f'<rect x="{x}" y="{top}" width="{box_w}" height="{box_h}" rx="6" fill="{fill}" '
                                 f'stroke="{stroke}" stroke-width="{heavy}"/>')
                    kind = str(node.get("kind", "")).replace("_", " ")
                    parts.append(f'<text class="box-kind" x="{x + 10}" y="{top + 20}" font-size="11">{e(kind)}</text>')
                    label = str(node.get("label") or node.get("id", ""))
                    spans = "".join(f'<tspan x="{x + 10}" dy="{15 if i else 0}">{e(line)}</tspan>'
                                    for i, line in enumerate(_wrap_words(label, label_chars, most=2)))
                    parts.append(f'<text class="box-text" x="{x + 10}" y="{top + 38}" font-size="12" '
                                 f'font-weight="600"><title>{e(label)}</title>{spans}</text>')
                    deny = bool(edge) and edge.get("verdict") == "deny"  # type: ignore[union-attr]
                    # Under the box: the rule that drops the packets, else a component's own note.
                    if note := _svg_note(node, edge):
                        spans = "".join(f'<tspan x="{x + 4}" dy="{note_line if i else 0}">{e(line)}</tspan>'
                                        for i, line in enumerate(_wrap_words(note, note_chars)))
                        parts.append(f'<text class="{"deny" if deny or status == "blocked" else "note"}" '
                                     f'x="{x + 4}" y="{top + box_h + 14}" font-size="11">{spans}</text>')
                    if edge is None and not (first and col == 0):
                        continue
                    colour = "#c62828" if deny else "#546e7a"
                    x1 = pad + 14 if col == 0 else x - gap
                    ym = top + box_h / 2
                    marker = "arrow-deny" if deny else "arrow"
                    parts.append(f'<line x1="{x1 + 2}" y1="{y + box_h / 2}" x2="{x - 4}" y2="{ym}" '
                                 f'stroke="{colour}" stroke-width="2" marker-end="url(#{marker})"/>')
                    if deny:
                        parts.append(f'<text class="deny" x="{x - gap / 2 - 6}" y="{ym - 6}" font-size="15">✖</text>')
            y += row_h + pad
        y += 6
    markers = "".join(
        f'<marker id="{mid}" markerWidth="8" markerHeight="8" refX="6" refY="3" orient="auto">'
        f'<path d="M0,0 L6,3 L0,6 z" fill="{colour}"/></marker>'
        for mid, colour in (("arrow", "#546e7a"), ("arrow-deny", "#c62828"))
    )
    return (f'<div class="diagram"><svg xmlns="http://www.w3.org/2000/svg" role="img" aria-label="Network path" '
            f'viewBox="0 0 {width} {y}" preserveAspectRatio="xMinYMin meet"><defs>{markers}</defs>'
            f'{"".join(parts)}</svg></div>')


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
        body.append(f'<div class="finding {e(sev)}"><h3>{e(sev.upper())}: {e(finding_title(f))}</h3>'
                    f'<p class="at-fault">At fault: <code>{e(str(f.get("resource")))}</code> '
                    f'<small><code>{e(str(f.get("code")))}</code></small></p><p>{e(f.get("summary", ""))}</p>')
        if certainty_words(f):
            body.append(f'<p class="conditional"><em>{e(certainty_words(f))}</em></p>')
        for choice in fix_choices(f):
            kind = "fix primary" if choice.primary else "fix alternative"
            caution = f' <span class="caution">CAUTION: {e(choice.disrupts)}</span>' if choice.careful else ""
            head = "Fix (the least disruptive)" if choice.primary else f"{choice.label}: {e(choice.summary)}"
            body.append(f'<div class="{kind}{" careful" if choice.careful else ""}"><p><strong>{head}</strong>'
                        f'{caution}</p><pre class="commands">' + e("\n".join(choice.commands)) + "</pre></div>")
        body.append(proof_html(f))
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
            body.append('<ul class="calls">' + "".join(f"<li><code>{e(line)}</code></li>"
                                                       for line in call_lines(s.api_calls)) + "</ul>")
        body.append("</div>")
    body.append(f"<p><small>awstriage {e(t.version)}</small></p>")
    return ("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
            f"<title>awstriage: {e(t.playbook)}</title><style>{HTML_STYLE}{PROOF_STYLE}</style></head><body>\n"
            + "\n".join(body) + "\n</body></html>\n")


EXPORTERS: dict[str, Callable[[Transcript], str]] = {
    "text": to_text,
    "markdown": to_markdown,
    "json": to_json,
    "html": to_html,
}


# What a run was about, in the order a person names it.
TARGET_KEYS = ("instance", "function", "resource", "principal", "service", "action", "error")


TARGET_CHARS = 60


def journal_summary(path: Path) -> tuple[str, str, str, str, str]:
    """(when, playbook, verdict, target, scenario) of a journal, read from its events: how a past run is found."""
    from playbooks.journal import JournalError, journal_name_parts, read_journal
    from playbooks.transcript import transcript_from_events

    playbook, started = journal_name_parts(path)
    when = started.strftime("%Y-%m-%d %H:%M:%S") if started else "?"
    try:
        t = transcript_from_events(read_journal(path))
    except JournalError:
        return when, playbook, "unreadable", "", ""
    verdict = "cancelled" if t.cancelled else ("unfinished" if t.truncated else
                                               VERDICT_WORDS.get(t.verdict, t.verdict).split(":")[0].lower())
    key = next((k for k in TARGET_KEYS if t.inputs.get(k)), None)
    first = t.inputs.get(key, "") if key else ""
    target = ", ".join(map(str, first)) if isinstance(first, list) else str(first)
    # One line per journal: a pasted error message spans lines and paragraphs; the journal keeps it whole.
    scenario = t.scenario or ("" if not t.sandbox else "sandbox")
    return when, t.playbook or playbook, verdict, shorten(target, TARGET_CHARS), shorten(scenario, TARGET_CHARS)


def export(t: Transcript, fmt: str) -> str:
    return EXPORTERS[fmt](t)


# The format a file's extension asks for: a transcript saved as ``ticket.html`` is a page, not text.
FORMAT_OF_SUFFIX = {".md": "markdown", ".markdown": "markdown", ".json": "json", ".html": "html", ".htm": "html",
                    ".txt": "text", ".text": "text"}


def format_of_path(path: PurePath) -> str | None:
    """The export format ``path``'s extension names (case-insensitive), or None for any other name."""
    return FORMAT_OF_SUFFIX.get(path.suffix.lower())
