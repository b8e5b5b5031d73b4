"""Action and NotAction matching.

Actions are case-insensitive ("S3:getobject" is s3:GetObject) and take * and ? wildcards that may
span the colon ("s3:*", "*", "iam:Get*", "ec2:Describe?pcs"). Patterns are compiled once and cached
by their text, because a realistic account repeats the same few hundred patterns everywhere.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from functools import lru_cache

Matcher = Callable[[str], bool]


@lru_cache(maxsize=8192)
def action_matcher(pattern: str) -> Matcher:
    """A predicate over a *lowercased* action name."""
    low = pattern.lower()
    if low == "*":
        return lambda _action: True
    if "*" not in low and "?" not in low:
        return low.__eq__
    regex = re.compile("".join(".*" if c == "*" else "." if c == "?" else re.escape(c) for c in low),
                       re.DOTALL)
    return lambda action: regex.fullmatch(action) is not None


def action_matches(pattern: str, action: str) -> bool:
    return action_matcher(pattern)(action.lower())


def any_action_matches(patterns: Sequence[str], action: str) -> bool:
    low = action.lower()
    return any(action_matcher(p)(low) for p in patterns)


def service_of(action_or_pattern: str) -> str | None:
    """The service prefix of an action or pattern, lowercased, or None when a wildcard hides it."""
    service, sep, _ = action_or_pattern.partition(":")
    if not sep or "*" in service or "?" in service:
        return None
    return service.lower()
