"""Recent denials from CloudTrail's event history: which calls were refused, grouped, newest first.

CloudTrail records a refused call with its error code (AccessDenied, AccessDeniedException, EC2's
Client.UnauthorizedOperation, SNS's AuthorizationError, ...) and, for most services, AWS's denial
message in ``errorMessage``. That message is read like a pasted one; where it says less (S3's bare
"Access Denied"), the event's operation gives the action and its ``resources`` the resource.

Pure: works on events a collector read (``diagnostics.cloudtrail.events``).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from diagnostics.cloudtrail.events import ApiEvent, normalise_error_code
from diagnostics.iam.denial_message import parse_denial
from diagnostics.iam.operations import action_for_operation

DENIAL_CODES = frozenset({"AccessDenied", "AccessDeniedException", "UnauthorizedOperation", "AuthorizationError",
                          "AuthorizationErrorException", "UnauthorizedException", "Forbidden", "ForbiddenException",
                          "AccessDeniedError", "NotAuthorized"})


def is_denial(event: ApiEvent) -> bool:
    return normalise_error_code(event.error_code) in DENIAL_CODES


def denial_text(event: ApiEvent) -> str:
    """The event as the SDK would have printed the error, so the parser gets the operation too."""
    return (f"An error occurred ({event.error_code}) when calling the {event.operation} operation: "
            f"{event.error_message or 'Access Denied'}")


@dataclass(frozen=True)
class DeniedCall:
    event: ApiEvent
    principal: str
    action: str | None
    resource: str | None


def read_denial(event: ApiEvent) -> DeniedCall:
    """Principal, action and resource of one denied event (the message first, then the event's fields)."""
    try:
        parsed = parse_denial(denial_text(event))
        action, resource, principal = parsed.action, parsed.resource, parsed.principal
    except ValueError:
        action = resource = principal = None
    action = action or action_for_operation(event.operation, event.service)
    resource = resource or (event.resources[0] if event.resources else None)
    return DeniedCall(event, principal or event.session_arn or event.caller, action, resource)


@dataclass(frozen=True)
class DenialGroup:
    """Denials of one action on one resource: how many, and the newest."""

    action: str
    resource: str
    count: int
    latest: DeniedCall


def group_denials(events: Iterable[ApiEvent]) -> list[DenialGroup]:
    """Denied calls grouped by action and resource, the group with the newest denial first."""
    groups: dict[tuple[str, str], list[DeniedCall]] = {}
    for event in events:
        if is_denial(event):
            call = read_denial(event)
            groups.setdefault((call.action or event.action, call.resource or "(no resource named)"), []).append(call)
    out = [DenialGroup(action, resource, len(calls), max(calls, key=lambda c: c.event.at))
           for (action, resource), calls in groups.items()]
    return sorted(out, key=lambda g: (-g.latest.event.at.timestamp(), g.action, g.resource))


def pick(events: Iterable[ApiEvent], event_id: str | None) -> DeniedCall | None:
    """The denial with ``event_id``, or the newest one."""
    denied = [e for e in events if is_denial(e)]
    if event_id:
        found = next((e for e in denied if e.event_id == event_id), None)
        return read_denial(found) if found else None
    return read_denial(max(denied, key=lambda e: e.at)) if denied else None


# --- in words, for the step that picks the denial to diagnose ------------------------------------------


def no_denial_words(region: str, whose: str, hours: int, read: int, truncated: bool) -> str:
    """No denied call in the window: what was searched, and how to get data."""
    cut = " (the reading stopped at its page limit)" if truncated else ""
    return (f"No request was given, and CloudTrail's event history in {region} holds no denied call {whose} in the "
            f"last {hours} h ({read} events read{cut}). Widen --param hours, try the region where the call was made, "
            "or paste the message with --param error=...")


def unknown_event_words(event_id: str, whose: str, hours: int, groups: list[DenialGroup]) -> str:
    """The event ID asked for is not among the denials: which ones are."""
    return (f"No denied call with event ID {event_id} is in CloudTrail's history {whose} in the last {hours} h. "
            "The denials there: " + "; ".join(f"{g.latest.event.event_id} ({g.action} on {g.resource})"
                                              for g in groups[:5]))


def recent_denials_words(groups: list[DenialGroup], chosen: DeniedCall, region: str, whose: str, hours: int,
                         picked: bool) -> str:
    """The denied calls found (the five newest kinds), and the one diagnosed (``picked``: by event ID)."""
    listing = "; ".join(f"{g.count}× {g.action} on {g.resource} (newest {g.latest.event.at:%Y-%m-%d %H:%M:%S}Z, "
                        f"event {g.latest.event.event_id})" for g in groups[:5])
    more = f" and {len(groups) - 5} more" if len(groups) > 5 else ""
    at = f"{chosen.event.at:%Y-%m-%d %H:%M:%S}Z"
    return (f"No request was given: CloudTrail's event history in {region} holds {len(groups)} denied "
            f"{'call' if len(groups) == 1 else 'kinds of call'} {whose} in the last {hours} h: {listing}{more}. "
            f"Diagnosing {'the one picked' if picked else 'the newest'}: event "
            f"{chosen.event.event_id} at {at} (pick another with --param event=ID).")
