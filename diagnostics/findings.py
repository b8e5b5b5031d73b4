"""The one shape every analyser reports in: a finding names the component at fault and its fix."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any, Literal

Severity = Literal["error", "warning", "info"]
SEVERITIES: tuple[Severity, ...] = ("error", "warning", "info")


@dataclass(frozen=True)
class Finding:
    """One conclusion of a diagnosis.

    ``resource`` is the ID or ARN of the component at fault (security group, network ACL, route
    table, policy) so that a person and a script can both act on it. ``code`` uses the name AWS
    Reachability Analyzer uses where one fits (ENI_SG_RULES_MISMATCH, SUBNET_ACL_RESTRICTION, ...).
    ``remediation`` holds ready-to-paste commands; awstriage itself never runs them.
    """

    code: str
    severity: Severity
    resource: str
    summary: str
    evidence: dict[str, Any] = field(default_factory=dict)
    remediation: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Finding:
        return cls(
            code=str(data.get("code", "")),
            severity=data.get("severity", "info"),
            resource=str(data.get("resource", "")),
            summary=str(data.get("summary", "")),
            evidence=dict(data.get("evidence") or {}),
            remediation=list(data.get("remediation") or []),
        )
