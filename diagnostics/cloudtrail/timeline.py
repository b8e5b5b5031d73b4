"""What changed recently: write events from CloudTrail turned into a timeline, and the change that most
plausibly caused a finding.

Pure analyser over LookupEvents entries (no boto3 here; :mod:`diagnostics.cloudtrail.changes` reads
them). A change is a *write* event that succeeded: read-only calls and refused writes changed nothing.
The "suspect" is the last write to a component a finding named as at fault. That is a correlation in
time, not a proof: the timeline says so every time it names one.

Request parameters are kept as flat ``key=value`` pairs (the rule added or removed, the policy version
set as default, the memory size set), after :func:`diagnostics.redact.redact` removed secrets; CloudTrail
itself hides Lambda environment values ("HIDDEN_DUE_TO_SECURITY_REASONS").
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any

from diagnostics.cloudtrail.events import parse_record
from diagnostics.redact import redact

MAX_PARAMS = 10  # request parameters shown per change; the rest is counted
MAX_VALUE = 120  # characters of one parameter value (a policy document is summarised, not pasted)
# Keys that only repeat what the event already says or carry bulk, never the change itself.
DROPPED_KEYS = frozenset({"dryRun", "clientToken", "DryRun", "ClientToken"})


@dataclass(frozen=True)
class Change:
    """One successful write call CloudTrail recorded against a resource."""

    at: datetime
    event: str  # the API call, "DeleteNetworkAclEntry"
    source: str  # "ec2.amazonaws.com"
    principal: str  # the role for an assumed-role session, else the user, root or AWS service
    resource: str  # the resource name the lookup asked about (or CloudTrail listed)
    session_arn: str = ""
    user_agent: str = ""
    source_ip: str = ""
    region: str = ""
    event_id: str = ""
    params: tuple[tuple[str, str], ...] = ()
    more_params: int = 0  # parameters left out of ``params``
    suspect: bool = False  # the last write to a component at fault

    @property
    def when(self) -> str:
        return self.at.strftime("%Y-%m-%dT%H:%M:%SZ")

    def params_text(self) -> str:
        text = ", ".join(f"{k}={v}" for k, v in self.params)
        if self.more_params:
            text += f" (and {self.more_params} more)"
        return text

    @property
    def session_name(self) -> str:
        """The session of an assumed role ("dana"): who, behind the role."""
        if not self.session_arn or self.session_arn == self.principal or ":assumed-role/" not in self.session_arn:
            return ""
        return self.session_arn.rsplit("/", 1)[-1]

    @property
    def agent(self) -> str:
        """The tool, without its platform details: "aws-cli/2.15.30", "Boto3/1.34.1", "console.amazonaws.com"."""
        return self.user_agent.split(" ", 1)[0] if self.user_agent else ""

    def line(self) -> str:
        """``2026-11-29T21:40:03Z DeleteNetworkAclEntry on acl-1 by arn:...:role/admin (session dana, aws-cli/2.15.0):
        ruleNumber=120``."""
        how = ", ".join(p for p in (f"session {self.session_name}" if self.session_name else "", self.agent) if p)
        how = f" ({how})" if how else ""
        params = f": {self.params_text()}" if self.params else ""
        on = f" on {self.resource}" if self.resource else ""
        return f"{self.when} {self.event}{on} by {self.principal}{how}{params}"

    def to_dict(self) -> dict[str, Any]:
        data: dict[str, Any] = {
            "at": self.when, "principal": self.principal, "event": self.event, "resource": self.resource,
            "source": self.source, "user_agent": self.user_agent, "source_ip": self.source_ip,
            "region": self.region, "params": dict(self.params), "suspect": self.suspect,
        }
        if self.session_arn and self.session_arn != self.principal:
            data["session"] = self.session_arn
        if self.session_name:
            data["session_name"] = self.session_name
        if self.agent:
            data["agent"] = self.agent
        data["line"] = self.line()
        if self.more_params:
            data["more_params"] = self.more_params
        if self.event_id:
            data["event_id"] = self.event_id
        return data


def _flatten(value: Any, prefix: str = "") -> Iterable[tuple[str, str]]:
    """``{"ipPermissions": {"items": [{"fromPort": 22}]}}`` -> ``("ipPermissions.fromPort", "22")``.

    EC2's ``items`` wrappers and list positions are dropped from the key: people read the values.
    """
    if isinstance(value, Mapping):
        for key, inner in value.items():
            if key in DROPPED_KEYS:
                continue
            name = prefix if key == "items" else (f"{prefix}.{key}" if prefix else str(key))
            yield from _flatten(inner, name)
    elif isinstance(value, (list, tuple)):
        for inner in value:
            yield from _flatten(inner, prefix)
    elif value is not None and value != "" and value != {}:
        text = value if isinstance(value, str) else json.dumps(value)
        if len(text) > MAX_VALUE:
            text = f"({len(text)} characters)"
        yield prefix or "value", text


def request_summary(params: Any) -> tuple[tuple[tuple[str, str], ...], int]:
    """The redacted request parameters as (key, value) pairs, at most :data:`MAX_PARAMS`, and how many
    were left out. A JSON document passed as a string (a policy) is summarised by its length."""
    if isinstance(params, str):
        try:
            params = json.loads(params)
        except ValueError:
            params = {"value": params}
    pairs = list(_flatten(redact(params or {})))
    return tuple(pairs[:MAX_PARAMS]), max(0, len(pairs) - MAX_PARAMS)


def _record(entry: Mapping[str, Any]) -> dict[str, Any]:
    raw = entry.get("CloudTrailEvent")
    try:
        record: dict[str, Any] = json.loads(raw) if raw else {}
    except ValueError:
        record = {}
    record.setdefault("eventTime", entry.get("EventTime"))
    record.setdefault("eventSource", entry.get("EventSource"))
    record.setdefault("eventName", entry.get("EventName"))
    record.setdefault("eventID", entry.get("EventId"))
    if "readOnly" not in record and entry.get("ReadOnly") is not None:
        record["readOnly"] = str(entry.get("ReadOnly")).lower() == "true"
    return record


def is_write(entry: Mapping[str, Any]) -> bool:
    """A successful call that can change something (CloudTrail's ``readOnly`` is false)."""
    record = _record(entry)
    read_only = record.get("readOnly")
    if isinstance(read_only, str):
        read_only = read_only.lower() == "true"
    return read_only is False and not record.get("errorCode")


def parse_change(entry: Mapping[str, Any], resource: str = "") -> Change:
    """One LookupEvents entry as a :class:`Change`; ``resource`` is the name it was looked up by
    (without it, the first resource CloudTrail lists for the event)."""
    record = _record(entry)
    api = parse_record(record)
    listed = [str(r.get("ResourceName")) for r in entry.get("Resources") or [] if r.get("ResourceName")]
    params, more = request_summary(record.get("requestParameters"))
    return Change(
        at=api.at, event=api.operation, source=api.source, principal=api.caller,
        resource=resource or (listed[0] if listed else "") or (api.request[0][1] if api.request else ""),
        session_arn=api.session_arn,
        user_agent=api.user_agent, source_ip=api.source_ip, region=api.region,
        event_id=str(record.get("eventID") or ""), params=params, more_params=more,
    )


@dataclass(frozen=True)
class Timeline:
    """The changes read, oldest first, with the suspects marked; what was asked and what was cut."""

    changes: tuple[Change, ...]
    resources: tuple[str, ...]  # what was looked up (empty: the whole account)
    hours: float
    read: int = 0  # events read (writes and reads) before filtering
    capped: bool = False  # the cap on events read stopped the reading
    cap: int = 0
    at_fault: tuple[str, ...] = ()
    skipped_resources: tuple[str, ...] = field(default_factory=tuple)  # not looked up (over the limit)
    unnamed: tuple[str, ...] = ()  # not looked up: no event lists them by name (an IP target, a URL)

    @property
    def suspects(self) -> list[Change]:
        return [c for c in self.changes if c.suspect]

    @property
    def newest_suspect(self) -> Change | None:
        suspects = self.suspects
        return suspects[-1] if suspects else None

    def cap_sentence(self) -> str:
        if not self.capped:
            return ""
        return (f"Stopped after reading {self.read} events (the cap is {self.cap}, to stay within CloudTrail's "
                "two lookups a second): older changes may be missing; lower changes_hours to see a complete window.")

    def to_list(self) -> list[dict[str, Any]]:
        return [c.to_dict() for c in self.changes]


def build_timeline(
    changes: Iterable[Change],
    resources: Sequence[str],
    hours: float,
    at_fault: Sequence[str] = (),
    read: int = 0,
    capped: bool = False,
    cap: int = 0,
    skipped_resources: Sequence[str] = (),
    unnamed: Sequence[str] = (),
) -> Timeline:
    """Order by time (oldest first; the same event found under two names once) and mark, for every
    component at fault, its last write as the suspect."""
    unique: dict[str, Change] = {}
    for change in changes:
        key = change.event_id or f"{change.when}/{change.event}/{change.resource}/{change.principal}"
        if key not in unique:
            unique[key] = change
    ordered = sorted(unique.values(), key=lambda c: (c.at, c.event, c.resource))
    fault = [r for r in at_fault if r]
    marked = list(ordered)
    for component in fault:
        last = next((i for i in range(len(marked) - 1, -1, -1) if _names(marked[i], component)), None)
        if last is not None:
            marked[last] = replace(marked[last], suspect=True)
    return Timeline(tuple(marked), tuple(resources), hours, read, capped, cap, tuple(fault), tuple(skipped_resources),
                    tuple(unnamed))


def _names(change: Change, component: str) -> bool:
    """The change is about ``component``: looked up by that name, or the name is in its parameters
    (an ARN's last part counts: a role ARN and the role name are the same component)."""
    short = component.rsplit("/", 1)[-1].rsplit(":", 1)[-1]
    if change.resource in (component, short):
        return True
    return any(value in (component, short) for _, value in change.params)


def _window_words(hours: float) -> str:
    if hours % 24 == 0 and hours >= 48:
        return f"{int(hours // 24)} days"
    return f"{hours:g} h"


def summary(timeline: Timeline) -> str:
    """One paragraph for the step's detail: how many changes, and the suspect as a correlation."""
    what = ", ".join(timeline.resources) if timeline.resources else "the account"
    window = _window_words(timeline.hours)
    skipped = (f" ({', '.join(timeline.skipped_resources)} not looked up: at most {len(timeline.resources)} "
               "names a run)") if timeline.skipped_resources else ""
    if timeline.unnamed:
        skipped += f" ({', '.join(timeline.unnamed)} not looked up: no CloudTrail event lists it by name)"
    cap = f" {timeline.cap_sentence()}" if timeline.capped else ""
    if not timeline.changes and timeline.capped:
        # The cap stopped the reading: only the newest events were seen, so nothing is said of the rest.
        return (f"No successful write to {what} among the {timeline.read} newest events of the last "
                f"{window}{skipped}.{cap}")
    if not timeline.changes:
        names = "that name" if len(timeline.resources) == 1 else "those names"
        return (f"CloudTrail's event history has no successful write listed under {what} in the last "
                f"{window}{skipped}: nothing recorded in this region under {names} changed it (widen "
                f"changes_hours, up to 2160, to look further back).")
    count = len(timeline.changes)
    # Name what changed, not what was looked up: a lookup by one name also returns writes to its neighbours.
    changed = ", ".join(dict.fromkeys(c.resource for c in timeline.changes if c.resource)) or what
    words = (f"{count} change{'' if count == 1 else 's'} in the last {window} (to {changed}; looked up: "
             f"{what}{skipped})")
    suspect = timeline.newest_suspect
    newest = timeline.changes[-1]
    if suspect is not None:
        words += (f". Most plausible cause: {suspect.line()}. It is the last change to the component at fault "
                  "before this diagnosis: a correlation in time, not a proof")
    elif timeline.at_fault:
        words += (f"; none to the component at fault ({', '.join(timeline.at_fault)}); the latest change: "
                  f"{newest.line()}")
    else:
        words += f"; the latest: {newest.line()}"
    return words + "." + cap
