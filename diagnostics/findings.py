"""The one shape every analyser reports in: a finding names the component at fault and its fix."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any, Literal

from diagnostics.proof import Proof, proofs_from

Severity = Literal["error", "warning", "info"]
SEVERITIES: tuple[Severity, ...] = ("error", "warning", "info")
Certainty = Literal["certain", "conditional"]


@dataclass(frozen=True)
class Fix:
    """One way to resolve a finding: the commands that make one change, in the order to run them.

    ``summary`` says what the change does; ``disrupts`` what it interrupts or loosens beyond that
    ("stops the instance", "allows every principal in the account"), empty when nothing.
    """

    commands: tuple[str, ...]
    summary: str = ""
    disrupts: str = ""

    def to_dict(self) -> dict[str, Any]:
        return {"summary": self.summary, "commands": list(self.commands), "disrupts": self.disrupts}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Fix:
        return cls(commands=tuple(data.get("commands") or ()), summary=str(data.get("summary", "")),
                   disrupts=str(data.get("disrupts", "")))


@dataclass(frozen=True)
class Finding:
    """One conclusion of a diagnosis.

    ``resource`` is the ID or ARN of the component at fault (security group, network ACL, route
    table, policy) so that a person and a script can both act on it. ``code`` uses the name AWS
    Reachability Analyzer uses where one fits (ENI_SG_RULES_MISMATCH, SUBNET_ACL_RESTRICTION, ...).
    ``remediation`` holds the primary fix: the commands of the least disruptive change that
    resolves the finding, ready to paste (awstriage itself never runs them). ``alternatives`` are the
    other ways, each its own :class:`Fix` saying what it disrupts; they are never pasted together
    with the primary.

    ``certainty`` is ``"certain"`` when what was observed decides the finding on its own, and
    ``"conditional"`` when it holds only under ``condition`` (plain words: "for clients whose source
    port is below 32768: NAT gateways, Elastic Load Balancing, Windows XP/2003").

    ``proof`` holds the data a reader checks the finding against (:mod:`diagnostics.proof`): the metric series
    with the limit it is judged by, the two or three log lines that show it; empty where the story rests on no
    series or line.
    """

    code: str
    severity: Severity
    resource: str
    summary: str
    evidence: dict[str, Any] = field(default_factory=dict)
    remediation: list[str] = field(default_factory=list)
    certainty: Certainty = "certain"
    condition: str = ""
    alternatives: list[Fix] = field(default_factory=list)
    proof: list[Proof] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["alternatives"] = [fix.to_dict() for fix in self.alternatives]
        data["proof"] = [p.to_dict() for p in self.proof]
        return data

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Finding:
        return cls(
            code=str(data.get("code", "")),
            severity=data.get("severity", "info"),
            resource=str(data.get("resource", "")),
            summary=str(data.get("summary", "")),
            evidence=dict(data.get("evidence") or {}),
            remediation=list(data.get("remediation") or []),
            certainty=data.get("certainty") or "certain",
            condition=str(data.get("condition") or ""),
            alternatives=[Fix.from_dict(a) for a in data.get("alternatives") or []],
            proof=proofs_from(data.get("proof")),
        )
