"""Findings about the request itself, before or beside any policy.

An unsigned request (AWS names the caller "anonymous"), an action AWS does not have (a typo, with the
action meant when one is near), an action IAM never gates (sts:GetCallerIdentity: the failure lies
elsewhere), and a resource that is not there (AWS answers AccessDenied for it as often as NotFound).
None of them is decided by a policy, so each says so and points at what to check instead.

Pure: the playbook passes the request (:class:`~diagnostics.iam.request.Ask`) and what it read.
"""

from __future__ import annotations

from diagnostics.findings import Finding
from diagnostics.findings import Fix as FixOption
from diagnostics.iam.reads import ResourcePolicyRead
from diagnostics.iam.request import Ask
from diagnostics.iam.resources import parse_arn


def unsigned_finding(ask: Ask) -> Finding:
    """AWS named the caller "anonymous": the request carried no signature, so no policy of any caller
    explains it (API Gateway answers so for a method with AWS_IAM authorization called unsigned)."""
    resource = ask.resource or (ask.denial.masked_resource if ask.denial else None) or "the resource"
    summary = (f"AWS names the caller 'anonymous': the request for {ask.action} on {resource} was not signed, so "
               "no credentials reached AWS and no one's policies were weighed. The API requires IAM authorization, so "
               "sign the request with SigV4 (an AWS SDK or awscurl), or change the method's authorization type if "
               "it should be public.")
    remediation = [f"# Sign the request with SigV4 as a principal allowed to {ask.action} (an AWS SDK, or "
                   "awscurl --service execute-api URL)"]
    alternatives = []
    if str(ask.action).lower() == "execute-api:invoke":
        alternatives.append(FixOption(("aws apigateway update-method --rest-api-id API_ID --resource-id RESOURCE_ID "
                                       "--http-method METHOD --patch-operations op=replace,path=/authorizationType,"
                                       "value=NONE",), "Make the method public (authorization type NONE)",
                                      "lets anyone call the method without credentials"))
    return Finding("IAM_UNSIGNED_REQUEST", "error", resource, summary,
                   {"decision": "implicitDeny", "principal": "anonymous", "action": ask.action,
                    "resource": ask.resource, "masked_resource": ask.denial.masked_resource if ask.denial else None},
                   remediation, alternatives=alternatives)


def unknown_action_finding(typed: str) -> Finding:
    """An action AWS does not have, with no real one near it: nothing can grant it, so no fix is offered."""
    return Finding("IAM_UNKNOWN_ACTION", "error", typed,
                   f"{typed} is not an IAM action (Service Authorization Reference), and none is near it: "
                   "no policy can grant it and no fix is offered. Check the action's name (service:Action, as "
                   "in the service's list of actions).", {"action": typed, "known_action": False},
                   [f"# Check the name of {typed}: aws iam list-policies does not help here; see the "
                    "Service Authorization Reference for the service's actions."])


def type_mismatch_finding(ask: Ask, sentence: str) -> Finding:
    """The request names a resource of a type its action never acts on (``catalog.type_mismatch``): the
    request is what is wrong; a grant on that ARN would never match, so none is offered."""
    return Finding("IAM_RESOURCE_TYPE_MISMATCH", "error", str(ask.resource), sentence + ".",
                   {"action": ask.action, "resource": ask.resource, "principal": ask.principal, "fits": False},
                   [f"# Run again with the resource {ask.action} acted on (--param resource=ARN); no policy change "
                    "is proposed for this one."])


def typo_finding(typed: str, meant: str, principal: str, resource: str | None, verdict: str | None) -> Finding:
    """The typo is the finding; ``verdict``, the decision on the action meant (None when not evaluated),
    says whether anything else is wrong."""
    if verdict == "allowed":
        tail = f"With it, {principal} is already allowed {meant} on {resource}: nothing to grant."
    elif verdict:
        tail = f"With it, the request is still {verdict}: see the other finding for {meant}."
    else:
        tail = f"The request was not evaluated with {meant}."
    return Finding("IAM_UNKNOWN_ACTION", "error", typed,
                   f"{typed} is not an IAM action: did you mean {meant}? {tail}",
                   {"action": typed, "did_you_mean": meant, "known_action": False, "meant_decision": verdict},
                   [f"# Use {meant} (not {typed}) in the request and in any policy that names it."])


def ungated_finding(ask: Ask) -> Finding:
    """An action IAM never gates (IAM User Guide, GetCallerIdentity): allowed whatever the policies say,
    so a denial of it lies elsewhere (a warning then, else information)."""
    summary = (f"{ask.action} cannot be denied: IAM never gates it, whatever the policies say (no permission is "
               "needed, even under an explicit deny).")
    if ask.denial is not None:
        summary += (" The failure lies elsewhere: look at the credentials (expired, missing, or not the ones you "
                    "think), the endpoint the call went to, and the region.")
    return Finding("IAM_ALLOWED", "warning" if ask.denial is not None else "info", str(ask.action), summary,
                   {"decision": "allowed", "principal": ask.principal, "action": ask.action,
                    "resource": ask.resource, "ungated": True})


def not_found_finding(ask: Ask, read: ResourcePolicyRead, caller_account: str, region: str | None) -> Finding:
    """The resource is not there: its own finding, with where it was looked for (the account and region
    the ARN names, else the credentials' account and the session's region)."""
    resource = str(ask.resource)
    arn = parse_arn(resource)
    account = (arn.account if arn and arn.account else None) or caller_account
    region = (arn.region if arn and arn.region else None) or region or ""
    where = f"account {account}" + (f", region {region}" if arn is None or arn.region else "")
    summary = (f"{resource} does not exist in {where} (looked up as the {read.kind or 'resource'} holder). AWS "
               f"answers a request on a missing resource with AccessDenied as often as with NotFound, so "
               f"{ask.action} fails whatever the policies say: check the name, the account and the region.")
    return Finding("IAM_RESOURCE_NOT_FOUND", "error", resource, summary,
                   {"resource": resource, "account": account, "region": region, "detail": read.detail},
                   [f"# Check the name, account and region of {resource} (the request may have meant another)."])
