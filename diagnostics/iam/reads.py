"""What the collector read besides the principal, as plain data: the resource's own policy, the
organization's SCPs or RCPs, the VPC endpoint's policy, each with why it is absent when it is.

``diagnostics.iam.collect`` fills them; the analysers (``diagnostics.iam.verdicts``,
``diagnostics.iam.judgement``, ``diagnostics.iam.wording``) judge and word them without calling AWS.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from diagnostics.iam.model import Policy

ResourceStatus = Literal["read", "none", "unsupported", "missing", "unreadable"]


@dataclass(frozen=True)
class ResourcePolicyRead:
    """The resource's own policy, or why there is none.

    ``status``: read (``policy`` holds it), none (the resource has no policy), unsupported (the
    service has no resource-based policies, or the request names no resource), missing (the
    resource does not exist), unreadable (the credentials or the region kept us from reading it).
    """

    status: ResourceStatus
    kind: str              # "bucket policy", "key policy", "trust policy", ... or ""
    holder: str            # "bucket acme-reports", ...
    detail: str
    policy: Policy | None = None
    holder_arn: str = ""   # the ARN of the bucket, key, queue, topic, function, secret or role


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
