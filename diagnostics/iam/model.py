"""The vocabulary of IAM policy evaluation, shared by the evaluator, the collector and the playbook.

Everything here is plain data: a request, the policies that apply to it grouped by type, and the
evaluation that comes out. The evaluator (``diagnostics.iam.evaluate``) is a pure function from the
first two to the third, so it can be tested, benchmarked and run offline (``awstriage iam simulate``).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

# Named as IAM's policy simulator names them, so the two can be compared word for word.
Decision = Literal["allowed", "explicitDeny", "implicitDeny"]

# vpce: the endpoint policy of the VPC endpoint the request went through (it must allow, like a boundary).
PolicyType = Literal["identity", "boundary", "session", "resource", "scp", "rcp", "vpce"]

# Per policy type: did it allow, deny explicitly, deny implicitly (present but no match), or was it
# absent / not checked.
TypeResult = Literal["allow", "explicitDeny", "implicitDeny", "absent", "notChecked"]

ContextValue = str | list[str]


@dataclass(frozen=True)
class Policy:
    """One policy document and where it came from.

    ``name`` is what a person calls it: the managed policy's ARN, or the inline policy's name.
    ``attached_to`` says where it sits ("user alice", "group developers", "role app", "bucket logs").
    """

    name: str
    type: PolicyType
    document: Mapping[str, Any]
    arn: str | None = None
    attached_to: str = ""


@dataclass(frozen=True)
class PolicySet:
    """All the policies that take part in one decision.

    ``scps``/``rcps`` are None when they were not checked (Organizations unreadable), which is not
    the same as an empty tuple (checked, none apply).
    """

    identity: tuple[Policy, ...] = ()
    boundary: Policy | None = None
    session: Policy | None = None
    resource: Policy | None = None
    scps: tuple[Policy, ...] | None = None
    rcps: tuple[Policy, ...] | None = None
    vpce: Policy | None = None
    # The resource was read and holds no policy of its own (not: its policy could not be read), so a
    # fix may write a new one without overwriting anything.
    resource_absent: bool = False


@dataclass(frozen=True)
class Request:
    """One API request as IAM sees it.

    ``context`` holds the request's condition keys (``aws:SourceIp``, ``s3:prefix``, ...); keys are
    matched case-insensitively as AWS does. ``principal_tags`` fill ``${aws:PrincipalTag/...}``.
    """

    principal: str
    action: str
    resource: str
    context: Mapping[str, ContextValue] = field(default_factory=dict)
    principal_account: str | None = None
    resource_account: str | None = None
    principal_tags: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class MatchedStatement:
    """A statement that matched the request: which policy, which statement, and its effect."""

    policy: str
    policy_type: PolicyType
    index: int
    sid: str | None
    effect: Literal["Allow", "Deny"]
    statement: Mapping[str, Any]
    policy_arn: str | None = None


@dataclass(frozen=True)
class Evaluation:
    """What the evaluator decided and why.

    ``deciding`` are the statements that made the decision: the explicit denies for explicitDeny,
    the allows that were needed for allowed, nothing for implicitDeny (``blocking_types`` then names
    the policy types that lacked an allow). ``missing_context_keys`` are keys a condition asked for
    that the request did not carry.
    """

    decision: Decision
    deciding: tuple[MatchedStatement, ...]
    matched: tuple[MatchedStatement, ...]
    per_type: Mapping[PolicyType, TypeResult]
    blocking_types: tuple[PolicyType, ...] = ()
    missing_context_keys: tuple[str, ...] = ()


@dataclass(frozen=True)
class Principal:
    """Who asks, as IAM knows them.

    ``arn`` is what the request is evaluated as: the user's or role's ARN (with its path, as
    GetUser/GetRole give it) or the role session's ARN. ``kind``/``name`` name the IAM user or role
    that holds the policies (an assumed-role session's policies are its role's).
    """

    arn: str
    kind: Literal["user", "role", "assumed-role"]
    name: str
    account: str
    entity_arn: str
    tags: Mapping[str, str] = field(default_factory=dict)
    boundary_arn: str | None = None
    trust_policy: Mapping[str, Any] | None = None
    # False for a caller in another account: its policies can only be read there, so they are
    # not read (and never evaluated as if it had none).
    readable: bool = True

    @property
    def holder(self) -> str:
        """How ``Policy.attached_to`` names the principal: "user alice" or "role app"."""
        return f"{'user' if self.kind == 'user' else 'role'} {self.name}"


@dataclass(frozen=True)
class PolicyHolder:
    """The IAM user or role whose identity policies apply to a principal (a role session's are its role's).

    Its name is in the principal's ARN, so its policies can be listed beside the read of the principal
    itself (GetUser/GetRole), not after it."""

    kind: Literal["user", "role", "assumed-role"]
    name: str
