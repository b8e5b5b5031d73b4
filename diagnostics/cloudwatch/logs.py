"""CloudWatch Logs lines: one typed shape for a log event, and the bounded ``FilterLogEvents`` read.

``FilterLogEvents`` with plain terms and quoted phrases works on every CloudWatch Logs endpoint. A
read is bounded twice: in lines (a busy log group holds millions a day) and in pages, because the
API searches a large group a slice at a time and may answer many empty pages before the next match.
The answer says when either bound was reached, so an analyser can say its count is a floor.

The client is passed in (this module imports no boto3): the domain collectors hand it over.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from diagnostics.concurrency import pause
from diagnostics.timestamps import utc

MAX_PAGES = 50


@dataclass(frozen=True)
class LogLine:
    at: datetime
    message: str
    stream: str = ""


@dataclass(frozen=True)
class LogRead:
    """What one filtered read returned. ``log_group_exists`` is False when the group is not there at
    all (which is worth saying: nothing ever wrote to it), not when it is merely empty."""

    lines: tuple[LogLine, ...]
    truncated: bool
    log_group_exists: bool = True


def epoch_ms(at: datetime) -> int:
    return int(at.timestamp() * 1000)


def filter_lines(logs: Any, group: str, pattern: str, start: datetime, end: datetime, limit: int,
                 max_pages: int = MAX_PAGES, streams: Sequence[str] = ()) -> LogRead:
    """Matching lines of a log group in the window, oldest first, at most ``limit`` of them.

    ``pattern`` may be empty (every line); ``streams`` narrows the read to those log streams.
    """
    paginator = logs.get_paginator("filter_log_events")
    kwargs: dict[str, Any] = {"logGroupName": group, "startTime": epoch_ms(start), "endTime": epoch_ms(end),
                              "PaginationConfig": {"MaxItems": limit}}
    if pattern:
        kwargs["filterPattern"] = pattern
    if streams:
        kwargs["logStreamNames"] = list(streams)
    pages = paginator.paginate(**kwargs)
    lines: list[LogLine] = []
    read_pages = 0
    try:
        for page in pages:
            read_pages += 1
            for event in page.get("events", []):
                at = datetime.fromtimestamp(event.get("timestamp", 0) / 1000.0, UTC)
                lines.append(LogLine(at, str(event.get("message", "")), str(event.get("logStreamName", ""))))
            if read_pages >= max_pages and page.get("nextToken"):
                return LogRead(tuple(lines), truncated=True)
    except logs.exceptions.ResourceNotFoundException:
        # No log group: nothing ever wrote to it. Worth saying, not failing.
        return LogRead((), False, log_group_exists=False)
    return LogRead(tuple(lines), truncated=bool(pages.resume_token))


# --- CloudWatch Logs Insights ------------------------------------------------------------------

INSIGHTS_MAX_ROWS = 10000          # the most one Insights query returns
INSIGHTS_MAX_WAIT_S = 60.0
INSIGHTS_MAX_BYTES = 10 * 1024**3  # stop a query once it has scanned this much (Insights bills per byte)
DONE = frozenset({"Complete", "Failed", "Cancelled", "Timeout", "Unknown"})


class InsightsFailed(Exception):  # a query that ran and failed: one plain sentence
    pass


@dataclass(frozen=True)
class InsightsRead(LogRead):
    bytes_scanned: float = 0.0
    stopped: str = ""  # why awstriage stopped the query early, if it did


def _insights_time(value: str) -> datetime:
    """Insights answers "2026-11-29 21:00:00.000" (UTC); some endpoints answer epoch milliseconds."""
    if value.isdigit():
        return datetime.fromtimestamp(int(value) / 1000.0, UTC)
    return utc(value)


def insights_lines(logs: Any, group: str, query: str, start: datetime, end: datetime,
                   limit: int = INSIGHTS_MAX_ROWS, max_wait_s: float = INSIGHTS_MAX_WAIT_S,
                   max_bytes: float = INSIGHTS_MAX_BYTES, sleep: Any = None, clock: Any = None,
                   cancelled: Any = None) -> InsightsRead:
    """The lines a Logs Insights query returns (its ``@timestamp``, ``@message``, ``@logStream``).

    Bounded in time and in bytes scanned: past either bound, or when ``cancelled()`` turns true (the
    person cancelled the run), the query is stopped and what it found so far is returned with
    ``stopped`` saying why. A missing log group answers like
    :func:`filter_lines`; a query that fails raises :class:`InsightsFailed`.
    """
    import time

    sleep = sleep or time.sleep
    clock = clock or time.monotonic
    try:
        query_id = logs.start_query(logGroupName=group, startTime=int(start.timestamp()),
                                    endTime=int(end.timestamp()), queryString=query, limit=limit)["queryId"]
    except logs.exceptions.ResourceNotFoundException:
        return InsightsRead((), False, log_group_exists=False)
    began = clock()
    delay = 0.5
    stopped = ""
    while True:
        answer = logs.get_query_results(queryId=query_id)
        status = str(answer.get("status", "Unknown"))
        scanned = float((answer.get("statistics") or {}).get("bytesScanned") or 0.0)
        if status in DONE:
            break
        if cancelled is not None and cancelled():
            stopped = "the run was cancelled"
        elif clock() - began > max_wait_s:
            stopped = f"it ran longer than {max_wait_s:g} s"
        elif scanned > max_bytes:
            stopped = f"it had scanned {scanned / 1024**3:.1f} GB"
        if stopped:
            logs.stop_query(queryId=query_id)
            answer = logs.get_query_results(queryId=query_id)
            break
        if cancelled is None:
            sleep(delay)
        else:
            pause(delay, cancelled, sleep)  # a cancel is seen within a slice, not after five seconds
        delay = min(delay * 2, 5.0)
    if status in ("Failed", "Cancelled", "Timeout", "Unknown") and not stopped:
        raise InsightsFailed(f"the Logs Insights query on {group} ended with status {status}")
    lines = []
    for row in answer.get("results", []):
        fields = {f.get("field"): f.get("value", "") for f in row}
        if "@message" not in fields:
            continue
        at = _insights_time(str(fields.get("@timestamp") or "0"))
        lines.append(LogLine(at, str(fields["@message"]), str(fields.get("@logStream", ""))))
    lines.sort(key=lambda line: line.at)
    return InsightsRead(tuple(lines), truncated=bool(stopped) or len(lines) >= limit, bytes_scanned=scanned,
                        stopped=stopped)
