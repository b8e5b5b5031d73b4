"""One parser for the times AWS hands over as text (diagnostics.timestamps)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest

from diagnostics.timestamps import maybe_utc, utc

WHEN = datetime(2026, 11, 29, 21, 4, 5, tzinfo=UTC)


@pytest.mark.parametrize(("value", "expected"), [
    ("2026-11-29T21:04:05Z", WHEN),  # CloudTrail record eventTime
    ("2026-11-29T21:04:05.000Z", WHEN),  # CloudWatch/Health JSON with milliseconds
    ("2026-11-29 21:04:05.000", WHEN),  # Logs Insights @timestamp: UTC, a space, no offset
    ("2026-11-29T22:04:05+01:00", WHEN),  # an offset is honoured, not dropped
    ("2026-11-29T21:04:05", WHEN),  # no offset: UTC, as every AWS API answers
    (WHEN.timestamp(), WHEN),  # epoch seconds
    (int(WHEN.timestamp()), WHEN),
    (WHEN.replace(tzinfo=None), WHEN),  # a naive datetime from a JSON round trip
    (WHEN.astimezone(timezone(timedelta(hours=-5))), WHEN),  # boto3 hands tzlocal/tzutc datetimes
])
def test_every_form_aws_answers_is_the_same_utc_moment(value, expected) -> None:
    assert utc(value) == expected
    assert utc(value).utcoffset() == timedelta(0)


@pytest.mark.parametrize("value", ["", None, "yesterday", "2026-13-01T00:00:00Z"])
def test_what_is_not_a_time_is_none_for_maybe_and_an_error_for_utc(value) -> None:
    assert maybe_utc(value) is None
    if value not in ("", None):
        with pytest.raises(ValueError):
            utc(value)
