"""Reading what changed: CloudTrail ``LookupEvents`` for write events, by resource or account-wide.

LookupEvents takes one lookup attribute per request. By resource, the collector asks with
``ResourceName`` (the most selective key) and keeps the writes on this side; account-wide it asks with
``ReadOnly=false``. CloudTrail allows two lookups a second per account per Region ("The rate of lookup
requests is limited to two per second, per account, per Region. If this limit is exceeded, a
throttling error occurs", API reference of LookupEvents), so every request waits for its turn (the
session paces LookupEvents for every collector, see :mod:`diagnostics.concurrency`), and the reading
stops after a cap on events read (saying so) rather than walking a busy account's history for minutes.
Pages hold at most 50 events.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from datetime import datetime
from typing import Any

from diagnostics.cloudtrail.timeline import Change, Timeline, build_timeline, is_write, parse_change

PAGE_SIZE = 50
MAX_EVENTS = 500  # events read per history (writes and reads): ten pages, five seconds at CloudTrail's rate
MAX_RESOURCES = 6  # resources looked up per run: the components at fault first


def _lookup(cloudtrail: Any, attribute: dict[str, str], start: datetime, end: datetime, budget: int
            ) -> tuple[list[dict[str, Any]], bool]:
    """Entries for one lookup attribute, newest first, at most ``budget``; and whether more were left."""
    pages = iter(cloudtrail.get_paginator("lookup_events").paginate(
        LookupAttributes=[attribute], StartTime=start, EndTime=end,
        PaginationConfig={"PageSize": min(PAGE_SIZE, max(1, budget))}))
    entries: list[dict[str, Any]] = []
    more = False
    while True:
        page = next(pages, None)
        if page is None:
            break
        entries.extend(page.get("Events", []))
        more = bool(page.get("NextToken")) or len(entries) > budget
        if not page.get("NextToken") or len(entries) >= budget:
            break  # the last page, or the cap: no further request
    return entries[:budget], more


def ordered_resources(at_fault: Sequence[str], others: Iterable[str], limit: int = MAX_RESOURCES
                      ) -> tuple[list[str], list[str]]:
    """The names to look up (components at fault first, no repeats) and those over ``limit``."""
    names = list(dict.fromkeys(n for n in [*at_fault, *others] if n))
    return names[:limit], names[limit:]


def lookup_resource(cloudtrail: Any, name: str, start: datetime, end: datetime, budget: int = MAX_EVENTS
                    ) -> tuple[list[dict[str, Any]], bool]:
    """The events naming one resource, newest first, at most ``budget``; and whether more were left."""
    return _lookup(cloudtrail, {"AttributeKey": "ResourceName", "AttributeValue": name}, start, end, budget)


Lookup = Callable[[str, int], tuple[list[dict[str, Any]], bool]]


def read_changes(cloudtrail: Any, resources: Sequence[str], start: datetime, end: datetime,
                 at_fault: Sequence[str] = (), max_events: int = MAX_EVENTS, skipped: Sequence[str] = (),
                 lookup: Lookup | None = None, unnamed: Sequence[str] = ()) -> Timeline:
    """Write events to each of ``resources`` between ``start`` and ``end`` (LookupEvents by ResourceName).

    ``lookup(name, budget)`` answers for one resource (the playbooks pass one that reuses a lookup started
    early, see :func:`playbooks.changes.plan_changes`); an answer longer than the budget is cut to it.
    ``unnamed``: resources not looked up because no event lists them by name (the summary says so).
    """
    lookup = lookup or (lambda name, budget: lookup_resource(cloudtrail, name, start, end, budget))
    changes: list[Change] = []
    read, capped = 0, False
    for name in resources:
        budget = max_events - read
        if budget <= 0:
            capped = True
            break
        entries, more = lookup(name, budget)
        more = more or len(entries) > budget
        entries = entries[:budget]
        read += len(entries)
        capped = capped or more
        changes += [parse_change(e, name) for e in entries if is_write(e)]
    hours = (end - start).total_seconds() / 3600.0
    return build_timeline(changes, resources, hours, at_fault, read, capped, max_events, skipped, unnamed)


def read_account_changes(cloudtrail: Any, start: datetime, end: datetime, max_events: int = MAX_EVENTS) -> Timeline:
    """The account's latest write events in this Region (LookupEvents with ReadOnly=false)."""
    entries, more = _lookup(cloudtrail, {"AttributeKey": "ReadOnly", "AttributeValue": "false"},
                            start, end, max_events)
    changes = [parse_change(e) for e in entries if is_write(e)]
    hours = (end - start).total_seconds() / 3600.0
    return build_timeline(changes, (), hours, (), len(entries), more, max_events)
