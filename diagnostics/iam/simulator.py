"""AWS's policy simulator (iam:SimulatePrincipalPolicy) beside awstriage's evaluation.

The simulator weighs the principal's identity policies, its permissions boundary and the SCPs; not
resource or session policies unless given them. So awstriage compares its own answer on those same
policies (never its full decision) with the simulator's, and words the result: agreement, or a
warning finding that shows the difference, never hides it. Pure: the collector asks the simulator.
"""

from __future__ import annotations

from dataclasses import dataclass

from diagnostics.findings import Finding
from diagnostics.iam.evaluate import evaluate
from diagnostics.iam.model import Evaluation, PolicySet, Request


@dataclass(frozen=True)
class Simulation:
    decision: str
    matched: tuple[str, ...]
    missing_context_keys: tuple[str, ...]
    allowed_by_boundary: bool | None = None
    allowed_by_organizations: bool | None = None


def simulator_view(evaluation: Evaluation) -> str:
    """The decision IAM's simulator gives, from an evaluation over identity policies, boundary and SCPs.

    The simulator weighs those alone: a KMS key or a role trust policy it was not given does not
    make it deny, as awstriage's full evaluation rightly does. So the comparison is made on the
    per-type results, not on the full decision.
    """
    results = evaluation.per_type
    if "explicitDeny" in results.values():
        return "explicitDeny"
    if (results.get("identity") == "allow" and results.get("boundary") in ("allow", "absent")
            and results.get("scp") in ("allow", "absent", "notChecked")):
        return "allowed"
    return "implicitDeny"


def simulation_words(answer: Simulation, request: Request, policies: PolicySet,
                     principal: str) -> tuple[str, Finding | None]:
    """The simulator's ``answer`` against awstriage's on the same policies; a warning finding on
    ``principal`` (the user or role asked about) when they differ."""
    same = PolicySet(identity=policies.identity, boundary=policies.boundary, scps=policies.scps)
    ours = simulator_view(evaluate(request, same))
    if answer.decision == ours:
        return (f"AWS's policy simulator agrees: on the identity policies, the boundary and the SCPs both say {ours} "
                "(the simulator leaves resource and session policies out, so its answer can differ from the decision "
                "above without either being wrong)."), None
    summary = (f"AWS's policy simulator says {answer.decision} where awstriage says {ours} for {request.action} on "
               f"{request.resource}, on the same identity policies, boundary and SCPs. Trust AWS's answer and check "
               "the statements it matched; please report the difference.")
    return summary, Finding("IAM_SIMULATOR_DISAGREES", "warning", principal, summary, {
        "simulator_decision": answer.decision, "awstriage_decision": ours,
        "simulator_matched": list(answer.matched), "simulator_missing_context_keys": list(answer.missing_context_keys),
        "allowed_by_boundary": answer.allowed_by_boundary,
    })
