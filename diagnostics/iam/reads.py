"""What the collector read besides the principal, as plain data: the resource's own policy, the
organization's SCPs or RCPs, the VPC endpoint's policy, each with why it is absent when it is.

``diagnostics.iam.collect`` fills them; the analysers (``diagnostics.iam.verdicts``,
``diagnostics.iam.judgement``, ``diagnostics.iam.wording``) judge and word them without calling AWS.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from diagnostics.iam.model import Policy
from diagnostics.iam.resources import parse_arn

ResourceStatus = Literal["read", "none", "unsupported", "missing", "unreadable", "elsewhere"]


@dataclass(frozen=True)
class ResourcePolicyRead:
    """The resource's own policy, or why there is none.

    ``status``: read (``policy`` holds it), none (the resource has no policy), unsupported (the
    service has no resource-based policies, or the request names no resource), missing (the
    resource does not exist), unreadable (the credentials or the region kept us from reading it),
    elsewhere (the resource lives in another account whose API reads only its own: a role's trust
    policy there cannot be read from here, and is never read from a same-named role here).
    """

    status: ResourceStatus
    kind: str              # "bucket policy", "key policy", "trust policy", ... or ""
    holder: str            # "bucket acme-reports", ...
    detail: str
    policy: Policy | None = None
    holder_arn: str = ""   # the ARN of the bucket, key, queue, topic, function, secret or role


def trust_elsewhere(resource: str, caller_account: str | None) -> ResourcePolicyRead | None:
    """A role of another account than the credentials': its trust policy cannot be read from here.

    iam:GetRole takes a role name and no account: it reads only the credentials' own account (IAM API
    Reference, GetRole), so asking it about arn:aws:iam::999988887777:role/x would read a same-named
    role of this account, or say one "does not exist". None for a role of this account (or when the
    credentials' account is not known)."""
    arn = parse_arn(resource)
    if arn is None or arn.service != "iam" or arn.resource_type != "role":
        return None
    if not (caller_account and arn.account and arn.account != caller_account):
        return None
    name = arn.resource.rsplit("/", 1)[-1]
    return ResourcePolicyRead(
        "elsewhere", "trust policy", f"role {name} in account {arn.account}",
        f"The role {resource} is in account {arn.account}, and the credentials are for account {caller_account}: "
        f"its trust policy can only be read in account {arn.account} (IAM reads a role by name, in the credentials' "
        "own account), so it was not read.", holder_arn=resource)


ScpStatus = Literal["none", "management", "read", "unreadable"]


@dataclass(frozen=True)
class ScpRead:
    """The SCPs (or RCPs) that apply to an account, level by level (``Policy.attached_to`` names the level).

    ``policies`` is None when they could not be read (not checked), an empty tuple when none apply.
    """

    status: ScpStatus
    detail: str
    policies: tuple[Policy, ...] | None
    levels: tuple[str, ...] = ()


VpceStatus = Literal["read", "none", "unknown", "unreadable"]


@dataclass(frozen=True)
class VpceRead:
    """The endpoint policy of the VPC endpoint a request went through, or why there is none.

    ``status``: read (``policy`` holds it), none (the caller's VPC has no endpoint for the service:
    no endpoint policy applies), unknown (which endpoint, if any, is not known from here),
    unreadable (the endpoint is known but its policy could not be read: another account, refused).
    """

    status: VpceStatus
    detail: str
    policy: Policy | None = None
    endpoint_id: str = ""
