"""Times as AWS APIs hand them over, made into aware UTC datetimes: one parser for the whole engine.

boto3 gives ``datetime`` objects for ``timestamp`` members, but the same times arrive as text in places
botocore does not parse: a CloudTrail record's ``eventTime`` (``2026-11-29T21:04:05Z``), a Health event
read from JSON, a transcript read back, CloudWatch Logs Insights' ``@timestamp`` (``2026-11-29
21:00:00.000``, UTC without an offset) and epoch numbers from some endpoints. A time without an offset
is UTC: every AWS API answers in UTC (CloudTrail record contents, "eventTime":
https://docs.aws.amazon.com/awscloudtrail/latest/userguide/cloudtrail-event-reference-record-contents.html).
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any


def utc(value: Any) -> datetime:
    """``value`` (a datetime, epoch seconds, or ISO 8601 text with ``Z``, an offset, a space for ``T``, or
    no offset) as an aware UTC datetime. Raises ``ValueError`` for text that is not a time."""
    if isinstance(value, datetime):
        return value.astimezone(UTC) if value.tzinfo else value.replace(tzinfo=UTC)
    if isinstance(value, int | float) and not isinstance(value, bool):
        return datetime.fromtimestamp(value, UTC)
    text = str(value).strip()
    if len(text) > 10 and text[10] == " ":
        text = text[:10] + "T" + text[11:]
    parsed = datetime.fromisoformat(text.replace("Z", "+00:00").replace("z", "+00:00"))
    return parsed.astimezone(UTC) if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def maybe_utc(value: Any) -> datetime | None:
    """:func:`utc`, or None for a missing value or text that is not a time."""
    if value is None or value == "":
        return None
    try:
        return utc(value)
    except (ValueError, TypeError, OverflowError, OSError):
        return None
