"""AWS's Access Troubleshooter (iam-toolbox GetRequestAuthorizationDetails) beside awstriage's evaluation.

For a denial that carried an authorization ID, AWS keeps (for at least 24 hours) how it evaluated the
request: one evaluation per action and resource, each with per-check verdicts (SCPs, RCPs, the VPC
endpoint, the resource policy, the principal's policies, the boundary, the session) and the policies
it matched (IAM User Guide, "Troubleshoot access denied error messages with authorization ID").
This module turns that answer into typed checks and compares each with awstriage's result for the
same policy type, and words the result: what AWS recorded, check by check, and a finding where the
two disagree. Pure: the collector reads the answer.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from diagnostics.findings import Finding
from diagnostics.iam.aws_words import TYPE_WORDS

CHECK_TYPES = {"SERVICE_CONTROL_POLICY": "scp", "RESOURCE_CONTROL_POLICY": "rcp", "VPC_ENDPOINT": "vpce",
               "RESOURCE": "resource", "PRINCIPAL": "identity", "PERMISSIONS_BOUNDARY": "boundary",
               "SESSION": "session"}
# AWS's check verdict -> awstriage's per-type results that agree with it.
AGREEING = {"ALLOW": {"allow"}, "EXPLICIT_DENY": {"explicitDeny"}, "IMPLICIT_DENY": {"implicitDeny"},
            "NO_IMPACT": {"absent", "allow"}}


@dataclass(frozen=True)
class Check:
    policy_type: str           # identity, resource, boundary, session, scp, rcp, vpce
    effect: str                # ALLOW, NO_IMPACT, IMPLICIT_DENY, EXPLICIT_DENY
    target: str                # the ARN the check was about
    matched: tuple[str, ...]   # "policy-uri (sid: DENY)" per matched statement


@dataclass(frozen=True)
class Evaluated:
    action: str
    resource: str
    effect: str                # ALLOW, EXPLICIT_DENY, IMPLICIT_DENY
    checks: tuple[Check, ...]


@dataclass(frozen=True)
class Comparison:
    policy_type: str
    aws: str
    awstriage: str             # the per-type result, or "notChecked"
    agrees: bool | None        # None: awstriage did not check this type

    def sentence(self) -> str:
        words = TYPE_WORDS.get(self.policy_type, self.policy_type)
        mark = {True: "agrees", False: "DISAGREES", None: "not checked by awstriage"}[self.agrees]
        return f"{words}: AWS {self.aws}, awstriage {self.awstriage} ({mark})"


def _matched(policies: Any) -> tuple[str, ...]:
    out = []
    for policy in policies or []:
        for st in policy.get("matchedStatements") or [None]:
            sid = f" (sid {st.get('sid')}: {st.get('evaluatedEffect')})" if isinstance(st, Mapping) else ""
            out.append(f"{policy.get('uri')}{sid}")
    return tuple(out)


def read_details(answer: Mapping[str, Any]) -> list[Evaluated]:
    out = []
    for ev in answer.get("evaluations") or []:
        checks = tuple(Check(CHECK_TYPES.get(str(c.get("checkType")), str(c.get("checkType"))),
                             str(c.get("evaluatedEffect")), str(c.get("targetArn") or ""),
                             _matched(c.get("matchedPolicies")))
                       for c in ev.get("checks") or [])
        out.append(Evaluated(str(ev.get("action")), str(ev.get("resource")), str(ev.get("evaluatedEffect")), checks))
    return out


def denying_policy_uris(answer: Mapping[str, Any]) -> list[str]:
    """URIs of the policies matched by checks that denied: the ones worth reading as they were."""
    uris: list[str] = []
    for ev in answer.get("evaluations") or []:
        for check in ev.get("checks") or []:
            if str(check.get("evaluatedEffect")) in ("EXPLICIT_DENY", "IMPLICIT_DENY"):
                uris += [str(p.get("uri")) for p in check.get("matchedPolicies") or [] if p.get("uri")]
    return list(dict.fromkeys(uris))


def compare(evaluated: Evaluated, per_type: Mapping[str, str]) -> list[Comparison]:
    out = []
    for check in evaluated.checks:
        ours = per_type.get(check.policy_type, "notChecked")
        agrees = None if ours == "notChecked" else ours in AGREEING.get(check.effect, set())
        out.append(Comparison(check.policy_type, check.effect, ours, agrees))
    return out


def record_words(authorization_id: str, evaluated: Evaluated, comparisons: list[Comparison],
                 as_they_were: list[str]) -> tuple[str, Finding | None]:
    """What AWS's record says, check by check, beside awstriage's evaluation; with a warning finding
    when a check awstriage made disagrees (``as_they_were``: the denying policies read as they were)."""
    checks = "; ".join(c.sentence() for c in comparisons) or "no per-check verdicts"
    detail = (f"AWS's Access Troubleshooter ({authorization_id}) evaluated {evaluated.action} on {evaluated.resource}: "
              f"{evaluated.effect}. Per check: {checks}.")
    if as_they_were:
        detail += " Read as they were at the denial: " + ", ".join(as_they_were) + "."
    against = [c for c in comparisons if c.agrees is False]
    if not against:
        return detail + " Nothing awstriage checked disagrees with AWS's record.", None
    summary = (f"AWS's Access Troubleshooter and awstriage disagree on {evaluated.action} on {evaluated.resource}: "
               + "; ".join(c.sentence() for c in against) + ". AWS's record is authoritative for the request as it "
               "was made; a policy changed since, or context awstriage was not given, explains the difference.")
    return detail, Finding("IAM_TROUBLESHOOTER_DISAGREES", "warning", authorization_id, summary, {
        "authorization_id": authorization_id, "aws_effect": evaluated.effect,
        "checks": [{"policy_type": c.policy_type, "aws": c.aws, "awstriage": c.awstriage, "agrees": c.agrees}
                   for c in comparisons]})
