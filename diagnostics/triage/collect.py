"""Reading the first five minutes: alarms in ALARM (CloudWatch DescribeAlarms) and open AWS Health events.

``DescribeAlarms`` filters on the server with ``StateValue=ALARM`` and is paginated (metric and composite
alarms). AWS Health has one global endpoint; its ``DescribeEvents`` is filtered to open events in this
Region and the global ones. The Health API needs a Business, Enterprise On-Ramp or Enterprise Support
plan: other accounts get ``SubscriptionRequiredException`` (AWS Health API reference, "Welcome"), which
the caller turns into one sentence.
"""

from __future__ import annotations

from typing import Any

from diagnostics.triage.overview import Alarm, HealthEvent, parse_alarm, parse_health_event

MAX_ALARMS = 100
MAX_HEALTH_EVENTS = 50


def read_alarms(cloudwatch: Any, limit: int = MAX_ALARMS) -> list[Alarm]:
    """Alarms in ALARM, the most recently fired first."""
    pages = cloudwatch.get_paginator("describe_alarms").paginate(
        StateValue="ALARM", AlarmTypes=["MetricAlarm", "CompositeAlarm"], PaginationConfig={"MaxItems": limit})
    alarms: list[Alarm] = []
    for page in pages:
        alarms += [parse_alarm(a) for a in page.get("MetricAlarms", [])]
        alarms += [parse_alarm(a, composite=True) for a in page.get("CompositeAlarms", [])]
    alarms.sort(key=lambda a: a.since.timestamp() if a.since else 0.0, reverse=True)
    return alarms[:limit]


def read_health_events(health: Any, region: str, limit: int = MAX_HEALTH_EVENTS) -> list[HealthEvent]:
    """Open Health events for ``region`` and the global ones, newest first."""
    pages = health.get_paginator("describe_events").paginate(
        filter={"eventStatusCodes": ["open"], "regions": [region, "global"]},
        PaginationConfig={"MaxItems": limit})
    events = [parse_health_event(e) for page in pages for e in page.get("events", [])]
    events.sort(key=lambda e: e.start.timestamp() if e.start else 0.0, reverse=True)
    return events


def subscription_required(exc: BaseException) -> bool:
    """The account's support plan does not include the Health API."""
    error = (getattr(exc, "response", None) or {}).get("Error") or {}
    return error.get("Code") == "SubscriptionRequiredException"
