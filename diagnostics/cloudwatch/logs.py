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
