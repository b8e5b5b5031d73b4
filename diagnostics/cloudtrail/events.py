"""CloudTrail event history (``LookupEvents``): read a window of API calls into typed events.

LookupEvents covers the last 90 days of management events in one region. It accepts only one lookup
attribute per request and answers at most 50 events a page, at about two requests a second per
account, so the collector picks the most selective attribute it can, filters the rest on this side,
and stops after a bounded number of pages (saying so) rather than reading a busy account for minutes.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from diagnostics.timestamps import utc

# Error codes AWS services use when they throttle a caller. EC2 prefixes its codes with "Client." in
# CloudTrail ("Client.RequestLimitExceeded"); normalise_error_code removes that.
THROTTLE_CODES = frozenset({
    "ThrottlingException",
    "Throttling",
    "ThrottledException",
    "RequestLimitExceeded",
    "TooManyRequestsException",
    "SlowDown",
    "ProvisionedThroughputExceededException",
    "RequestThrottled",
    "RequestThrottledException",
    "RateExceeded",
    "PriorRequestNotComplete",  # Route 53
    "BandwidthLimitExceeded",
    "EC2ThrottledException",
    "LimitExceededException",
})
# LimitExceededException also means "too many resources" in some services (IAM, EC2); it counts as a
# throttle only where the service uses it for request rates.
RATE_LIMIT_EXCEEDED_SOURCES = frozenset({"dynamodb.amazonaws.com", "kinesis.amazonaws.com",
                                         "apigateway.amazonaws.com", "cloudformation.amazonaws.com"})

# Event sources whose name is not "<service>.amazonaws.com".
EVENT_SOURCES = {
    "cloudwatch": "monitoring.amazonaws.com",
    "elb": "elasticloadbalancing.amazonaws.com",
    "elbv2": "elasticloadbalancing.amazonaws.com",
    "stepfunctions": "states.amazonaws.com",
    "opensearch": "es.amazonaws.com",
    "events": "events.amazonaws.com",
    "eventbridge": "events.amazonaws.com",
    "service-quotas": "servicequotas.amazonaws.com",
}
# Request parameters worth keeping as evidence: they name the resource a call was about, never data.
REQUEST_KEYS = ("functionName", "tableName", "bucketName", "streamName", "queueUrl", "logGroupName",
                "roleName", "userName", "stackName")
ASSUMED_ROLE = re.compile(r"^arn:([^:]+):sts::(\d{12}):assumed-role/([^/]+)/(.+)$")
IAM_USER = re.compile(r"^arn:[^:]+:iam::\d{12}:user/(?:.*/)?([^/]+)$")

PAGE_SIZE = 50
MAX_PAGES = 40


def normalise_error_code(code: str | None) -> str:
    if not code:
        return ""
    for prefix in ("Client.", "Server."):
        if code.startswith(prefix):
            return code[len(prefix):]
    return code


def is_throttle(code: str | None, source: str = "") -> bool:
    code = normalise_error_code(code)
    if code == "LimitExceededException":
        return source in RATE_LIMIT_EXCEEDED_SOURCES
    return code in THROTTLE_CODES


def event_source(service: str) -> str:
    """``ec2`` -> ``ec2.amazonaws.com``; an event source is returned as it is."""
    service = service.strip().lower()
    if service.endswith(".amazonaws.com"):
        return service
    return EVENT_SOURCES.get(service, f"{service}.amazonaws.com")


def role_of_session(arn: str) -> str:
    """``arn:aws:sts::1:assumed-role/R/session`` -> ``arn:aws:iam::1:role/R`` (the role, not the session)."""
    match = ASSUMED_ROLE.match(arn)
    if not match:
        return arn
    partition, account, role, _ = match.groups()
    return f"arn:{partition}:iam::{account}:role/{role}"


@dataclass(frozen=True)
class ApiEvent:
    """One API call as CloudTrail recorded it."""

    at: datetime
    source: str
    operation: str
    caller: str  # the principal: a role for assumed-role sessions, else the user or the AWS service
    session_arn: str = ""
    user_agent: str = ""
    source_ip: str = ""
    error_code: str = ""
    region: str = ""
    request: tuple[tuple[str, str], ...] = field(default_factory=tuple)
    # For denied calls (access-denied's recent denials): the event's ID, AWS's error message, and
    # the ARNs CloudTrail lists under "resources".
    event_id: str = ""
    error_message: str = ""
    resources: tuple[str, ...] = ()

    @property
    def service(self) -> str:
        return self.source.split(".")[0]

    @property
    def action(self) -> str:
        return f"{self.service}:{self.operation}"

    @property
    def throttled(self) -> bool:
        return is_throttle(self.error_code, self.source)

    def param(self, key: str) -> str:
        return dict(self.request).get(key, "")


def caller_of(identity: Mapping[str, Any]) -> tuple[str, str]:
    """(principal, session ARN) of a CloudTrail ``userIdentity``.

    Sessions of one role are grouped under the role: an application on ten instances is one caller.
    """
    arn = str(identity.get("arn") or "")
    issuer = (identity.get("sessionContext") or {}).get("sessionIssuer") or {}
    if identity.get("type") == "AssumedRole" or ASSUMED_ROLE.match(arn):
        return str(issuer.get("arn") or role_of_session(arn)), arn
    if arn:
        return arn, arn
    invoked = identity.get("invokedBy")
    if invoked:
        return str(invoked), ""
    return str(identity.get("type") or "unknown"), ""


def parse_record(record: Mapping[str, Any]) -> ApiEvent:
    """A CloudTrail record (the JSON document inside a LookupEvents entry)."""
    principal, session = caller_of(record.get("userIdentity") or {})
    params = record.get("requestParameters") or {}
    request = tuple((k, str(params[k])) for k in REQUEST_KEYS
                    if isinstance(params, Mapping) and isinstance(params.get(k), (str, int)))
    return ApiEvent(
        at=utc(record.get("eventTime")),
        source=str(record.get("eventSource") or ""),
        operation=str(record.get("eventName") or ""),
        caller=principal,
        session_arn=session,
        user_agent=str(record.get("userAgent") or ""),
        source_ip=str(record.get("sourceIPAddress") or ""),
        error_code=normalise_error_code(record.get("errorCode")),
        region=str(record.get("awsRegion") or ""),
        request=request,
        event_id=str(record.get("eventID") or ""),
        error_message=str(record.get("errorMessage") or ""),
        resources=tuple(str(r["ARN"]) for r in record.get("resources") or []
                        if isinstance(r, Mapping) and r.get("ARN")),
    )


def parse_lookup_event(entry: Mapping[str, Any]) -> ApiEvent:
    """One entry of a LookupEvents answer; falls back on the entry's own fields if the document is absent."""
    raw = entry.get("CloudTrailEvent")
    record: dict[str, Any] = json.loads(raw) if raw else {}
    record.setdefault("eventTime", entry.get("EventTime"))
    record.setdefault("eventSource", entry.get("EventSource"))
    record.setdefault("eventName", entry.get("EventName"))
    record.setdefault("eventID", entry.get("EventId"))
    return parse_record(record)


@dataclass(frozen=True)
class EventQuery:
    """What to look for: all optional; ``principal`` matches the role, the user or one session."""

    start: datetime
    end: datetime
    source: str | None = None
    operation: str | None = None
    principal: str | None = None

    def lookup_attribute(self) -> dict[str, str] | None:
        """The one attribute LookupEvents may filter on, the most selective first."""
        if self.operation:
            return {"AttributeKey": "EventName", "AttributeValue": self.operation}
        if self.principal and (user := IAM_USER.match(self.principal)):
            return {"AttributeKey": "Username", "AttributeValue": user.group(1)}
        if self.source:
            return {"AttributeKey": "EventSource", "AttributeValue": self.source}
        return None

    def matches(self, event: ApiEvent) -> bool:
        if self.source and event.source != self.source:
            return False
        if self.operation and event.operation != self.operation:
            return False
        if self.principal:
            wanted = self.principal
            if wanted not in (event.caller, event.session_arn) and role_of_session(wanted) != event.caller:
                return False
        return self.start <= event.at <= self.end


@dataclass(frozen=True)
class EventWindow:
    """The events read for a query, and whether the page limit cut the reading short."""

    query: EventQuery
    events: tuple[ApiEvent, ...]
    read: int
    truncated: bool
    oldest: datetime | None = None  # of every event read: where a truncated reading stopped

    @property
    def covered_minutes(self) -> float:
        start = self.oldest if self.truncated and self.oldest else self.query.start
        return max((self.query.end - start).total_seconds() / 60.0, 1.0)

    def throttled(self) -> list[ApiEvent]:
        return [e for e in self.events if e.throttled]


def lookup_events(cloudtrail: Any, query: EventQuery, max_pages: int = MAX_PAGES) -> EventWindow:
    """Page through LookupEvents for the window (newest first), keeping the events the query matches."""
    kwargs: dict[str, Any] = {"StartTime": query.start, "EndTime": query.end}
    attribute = query.lookup_attribute()
    if attribute:
        kwargs["LookupAttributes"] = [attribute]
    pages = cloudtrail.get_paginator("lookup_events").paginate(
        **kwargs, PaginationConfig={"MaxItems": max_pages * PAGE_SIZE, "PageSize": PAGE_SIZE})
    events: list[ApiEvent] = []
    read = 0
    oldest: datetime | None = None
    for page in pages:
        for entry in page.get("Events", []):
            read += 1
            event = parse_lookup_event(entry)
            oldest = event.at if oldest is None else min(oldest, event.at)
            if query.matches(event):
                events.append(event)
    return EventWindow(query, tuple(events), read, truncated=bool(pages.resume_token), oldest=oldest)


def count(values: Iterable[str]) -> list[tuple[str, int]]:
    """Most common first; ties in name order, so answers are deterministic."""
    tally: dict[str, int] = {}
    for value in values:
        tally[value] = tally.get(value, 0) + 1
    return sorted(tally.items(), key=lambda kv: (-kv[1], kv[0]))
