"""Who is asking, and whether a resource policy's Principal or NotPrincipal names them.

A request comes from one principal but AWS knows it under several names: an IAM user is its user
ARN and its account; a role session is its session ARN, its role's ARN and its account. A
Principal element matches if it names any of them, and *how* it matched matters to the evaluator:
naming the session or user directly grants past a permissions boundary, naming the role does not,
and naming the account only delegates to the account's own IAM policies.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from functools import lru_cache
from typing import Any, Literal

from diagnostics.iam.resources import parse_arn

PrincipalKind = Literal["user", "role", "assumed-role", "federated-user", "root", "service", "other"]

# How a Principal element matched: the exact user/session/service ("direct"), the role behind a
# session ("role"), "*" or a NotPrincipal ("wildcard"), or only the account ("account").
MatchKind = Literal["direct", "role", "wildcard", "account"]


@dataclass(frozen=True, slots=True)
class Identity:
    arn: str
    kind: PrincipalKind
    account: str | None
    partition: str
    name: str | None = None           # user name, role name, or federated user name
    session: str | None = None        # the session name of an assumed role

    @property
    def role_arn(self) -> str | None:
        """The role behind a session (without its path, which the session ARN does not carry)."""
        if self.kind in ("role", "assumed-role") and self.account and self.name:
            return self.arn if self.kind == "role" else \
                f"arn:{self.partition}:iam::{self.account}:role/{self.name}"
        return None

    @property
    def principal_arn(self) -> str:
        """What aws:PrincipalArn holds: the role's ARN for a session, the ARN itself otherwise."""
        return self.role_arn if self.kind == "assumed-role" and self.role_arn else self.arn


@lru_cache(maxsize=1024)
def identify(principal: str) -> Identity:
    arn = parse_arn(principal)
    if arn is None:
        kind: PrincipalKind = "service" if principal.endswith(".amazonaws.com") else "other"
        return Identity(principal, kind, principal if principal.isdigit() else None, "aws")
    account = arn.account or None
    rtype, _, rest = arn.resource.partition("/")
    if arn.service == "iam" and arn.resource == "root":
        return Identity(principal, "root", account, arn.partition)
    if arn.service == "iam" and rtype == "user":
        return Identity(principal, "user", account, arn.partition, name=rest.rsplit("/", 1)[-1])
    if arn.service == "iam" and rtype == "role":
        return Identity(principal, "role", account, arn.partition, name=rest.rsplit("/", 1)[-1])
    if arn.service == "sts" and rtype == "assumed-role":
        role, _, session = rest.partition("/")
        return Identity(principal, "assumed-role", account, arn.partition, name=role, session=session or None)
    if arn.service == "sts" and rtype == "federated-user":
        return Identity(principal, "federated-user", account, arn.partition, name=rest)
    return Identity(principal, "other", account, arn.partition)


def _values(value: Any) -> list[str]:
    if isinstance(value, str):
        return [value]
    if isinstance(value, list | tuple):
        return [str(v) for v in value]
    return []


def _entries(element: Any) -> list[tuple[str, str]]:
    """The Principal element as (type, value) pairs; the bare string "*" is {"AWS": "*"}."""
    if isinstance(element, str):
        return [("AWS", element)]
    if isinstance(element, Mapping):
        return [(str(k), v) for k, vs in element.items() for v in _values(vs)]
    return []


def _account_entry(value: str) -> str | None:
    """The account an entry names as a whole ("123456789012" or its root ARN), if it does."""
    if len(value) == 12 and value.isdigit():
        return value
    arn = parse_arn(value)
    if arn and arn.service == "iam" and arn.resource == "root":
        return arn.account
    return None


def _role_name(value: str) -> str | None:
    arn = parse_arn(value)
    if arn and arn.service == "iam" and arn.resource.startswith("role/"):
        return arn.resource.rsplit("/", 1)[-1]
    return None


def _match_entry(kind: str, value: str, who: Identity) -> MatchKind | None:
    if kind == "AWS":
        if value == "*":
            return "wildcard"
        if value == who.arn:
            return "role" if who.kind == "role" else "direct"
        account = _account_entry(value)
        if account is not None:
            return "account" if account == who.account else None
        if who.kind == "assumed-role" and _role_name(value) == who.name:
            arn = parse_arn(value)
            return "role" if arn is not None and arn.account == who.account else None
        return None
    if kind in ("Service", "Federated", "CanonicalUser"):
        return "direct" if value == who.arn else None
    return None


_STRENGTH: dict[MatchKind, int] = {"direct": 3, "role": 2, "wildcard": 1, "account": 0}


def principal_match(element: Any, who: Identity) -> MatchKind | None:
    """How the Principal element names ``who``: the strongest way any entry does, or None."""
    best: MatchKind | None = None
    for kind, value in _entries(element):
        found = _match_entry(kind, value, who)
        if found and (best is None or _STRENGTH[found] > _STRENGTH[best]):
            best = found
    return best


def _names(who: Identity) -> list[str]:
    """Every name AWS checks a NotPrincipal against: all must be listed for the exclusion to hold."""
    names = [who.arn]
    if who.kind == "assumed-role" and who.role_arn:
        names.append(who.role_arn)
    if who.account and who.kind not in ("service", "root"):
        names.append(f"arn:{who.partition}:iam::{who.account}:root")
    return names


def not_principal_applies(element: Any, who: Identity) -> bool:
    """Whether a NotPrincipal statement applies to ``who``.

    AWS documents that excluding a role session takes its session ARN, its role ARN *and* its
    account; naming only some of them leaves the request inside the statement.
    """
    entries = _entries(element)
    if any(kind == "AWS" and value == "*" for kind, value in entries):
        return False
    return not all(any(_lists(kind, value, name, who) for kind, value in entries) for name in _names(who))


def _lists(kind: str, value: str, name: str, who: Identity) -> bool:
    """Whether the NotPrincipal entry (kind, value) names ``name``, one of the caller's names."""
    if kind in ("Service", "Federated", "CanonicalUser"):
        return name == who.arn and value == name
    if kind != "AWS":
        return False
    if value == name:
        return True
    if name.endswith(":root"):
        return _account_entry(value) == who.account
    if name == who.role_arn and who.kind == "assumed-role":
        arn = parse_arn(value)
        return _role_name(value) == who.name and arn is not None and arn.account == who.account
    return False
