"""AccessDenied: which policy and statement decide, and the smallest fix.

The steps read, for one principal and one resource, every policy IAM weighs (identity policies,
the permissions boundary, the resource's own policy, the endpoint policy of the VPC endpoint on the
way, the organization's SCPs and RCPs), then the evaluator (``diagnostics.iam``) decides as AWS
does and names the deciding statement. AWS's own words count as evidence: a pasted message that
names a policy type awstriage cannot read makes that type the cause (``diagnostics.iam.aws_words``).
Where AWS's own policy simulator may be asked, its answer corroborates; a disagreement is shown.

Exactly one finding carries ``evidence.decision`` (allowed, explicitDeny, implicitDeny). Its code:

* IAM_EXPLICIT_DENY: a Deny statement matched (in an identity, boundary or resource policy);
* IAM_SCP_BLOCKS: an SCP (or RCP) denies explicitly, or a level of the organization lacks an allow;
* IAM_VPCE_POLICY_BLOCKS: the VPC endpoint's policy denies, or does not allow;
* IAM_BOUNDARY_BLOCKS, IAM_SESSION_POLICY_BLOCKS, IAM_RESOURCE_POLICY_BLOCKS: that guardrail or the
  resource policy (which must allow by itself for KMS keys, role trust and other accounts) lacks an allow;
* IAM_NO_ALLOW: no identity-based policy allows the request;
* IAM_OTHER_ACCOUNT_BLOCKS: a caller from another account, allowed on the side read here;
* IAM_ALLOWED (info; warning when AWS denied it): the request is allowed by what could be read, or
  the action is one IAM never gates (sts:GetCallerIdentity): the failure lies elsewhere;
* IAM_UNSIGNED_REQUEST: AWS names the caller "anonymous": the request carried no signature.

Beside it: IAM_UNKNOWN_ACTION (the action asked for is not one AWS has: the finding is the typo, and
the action meant is what gets evaluated; nothing ever grants the misspelling), IAM_RESOURCE_NOT_FOUND
(the resource is not there), and, where AWS's message names a
type awstriage cannot read while its own evaluation blames another, a second finding carrying
``evidence.aws_decision``.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from diagnostics.cloudtrail.events import EventQuery, lookup_events
from diagnostics.errors import ErrorKind, describe_error, explain_error
from diagnostics.findings import Finding
from diagnostics.findings import Fix as FixOption
from diagnostics.iam import Evaluation, MatchedStatement, Policy, PolicySet, Request, catalog, evaluate
from diagnostics.iam.aws_words import TYPE_WORDS, AwsWords, article, deny_not_found, weigh, where_to_look
from diagnostics.iam.collect import (
    RCP_SERVICES,
    ManagedPolicyReader,
    Principal,
    PrincipalError,
    ResourcePolicyRead,
    ScpRead,
    Simulation,
    VpceRead,
    authorization_details,
    authorization_policy,
    boundary_policy,
    decode_authorization_message,
    endpoint_in_vpc,
    endpoint_service_name,
    foreign_principal,
    function_vpc,
    identity_policies,
    instance_vpc,
    named_resource_arn,
    organization_rcps,
    organization_scps,
    resolve_principal,
    resource_policy,
    s3_object_state,
    simulate_principal,
    simulator_view,
    trusted_services,
    vpc_endpoint,
    vpc_endpoints_for,
)
from diagnostics.iam.context_defaults import (
    assumed_context,
    assumed_words,
    lacking_words,
    unknown_value_condition,
)
from diagnostics.iam.denial_message import ParsedDenial
from diagnostics.iam.denials import denial_text, group_denials, is_denial, pick
from diagnostics.iam.evaluate import compile_document
from diagnostics.iam.explain import CONDITION_HINTS, Fix, NearMiss, fix_for, near_misses
from diagnostics.iam.principals import identify
from diagnostics.iam.request import Ask, other_partition, understand
from diagnostics.iam.resources import account_of, parse_arn
from diagnostics.iam.troubleshooter import compare, denying_policy_uris, read_details
from diagnostics.iam.unexplained import missing_key_finding, s3_object, unexplained_finding
from diagnostics.iam.verify import verify
from playbooks import params as v
from playbooks.common import IDENTITY_STEP
from playbooks.model import Context, Param, Playbook, Step, StepOutcome, StepSkip


def resource_arn(text: str) -> str:
    """An ARN, or * for actions that take no resource (ec2:DescribeInstances, s3:ListAllMyBuckets)."""
    if text.strip() == "*":
        return "*"
    arn = v.arn(text)
    wrong = catalog.malformed_arn(arn)
    if wrong:
        raise ValueError(wrong)
    return arn


PARAMS = (
    Param("principal", "the user, role or assumed-role ARN that was denied (default: you)", v.principal_arn,
          picker="iam-principal", example="arn:aws:iam::123456789012:user/alice"),
    Param("action", "the API action that was denied, as service:Action", v.iam_action,
          example="s3:GetObject"),
    Param("resource", "the ARN of the resource the action was on (* for actions on no resource)", resource_arn,
          example="arn:aws:s3:::acme-reports/2026/q1.csv"),
    Param("context", "a request context key, KEY=VALUE (repeatable)", v.key_value, repeatable=True,
          example="aws:SourceIp=203.0.113.10"),
    Param("hours", "with no request given: how many hours of CloudTrail history to search for denied calls",
          v.positive_int, default="24"),
    Param("event", "with no request given: the CloudTrail event ID of the denial to diagnose (default: the newest)",
          v.text),
    Param("error", "the AccessDenied message as AWS printed it; fills in the rest", v.text,
          example="User: arn:aws:iam::123456789012:user/alice is not authorized to perform: s3:GetObject on "
                  "resource: arn:aws:s3:::acme-reports/q1.csv because no identity-based policy allows the "
                  "s3:GetObject action"),
)

CODES = {"scp": "IAM_SCP_BLOCKS", "rcp": "IAM_RCP_BLOCKS", "boundary": "IAM_BOUNDARY_BLOCKS",
         "session": "IAM_SESSION_POLICY_BLOCKS", "resource": "IAM_RESOURCE_POLICY_BLOCKS", "identity": "IAM_NO_ALLOW",
         "vpce": "IAM_VPCE_POLICY_BLOCKS"}


# --- understanding the request ----------------------------------------------------------------


def _ask(ctx: Context) -> Ask:
    ask = ctx.peek("iam:ask")
    if ask is None:
        raise StepSkip("Not checked: the request is not known (see 'What was asked, and by whom?').")
    if ask.missing():
        raise StepSkip(f"Not checked: the request lacks its {' and '.join(ask.missing())}.")
    return ask


def _nothing_asked(inputs: dict[str, Any]) -> bool:
    return not any(inputs.get(name) for name in ("action", "resource", "error"))


def _recent_denial(ctx: Context, caller: str | None) -> tuple[dict[str, Any], str] | StepOutcome:
    """With no request given: the denied calls in CloudTrail's history, and the one to diagnose."""
    hours = int(ctx.inputs.get("hours") or 24)
    end = datetime.now(UTC)
    start = end - timedelta(hours=hours)
    wanted = ctx.inputs.get("principal") or caller
    region = ctx.session.region or "us-east-1"
    cloudtrail = ctx.client("cloudtrail")
    try:
        window = ctx.memo("iam:recent-denials", lambda: lookup_events(cloudtrail, EventQuery(start, end,
                                                                                             principal=wanted)))
        whose = f"by {wanted}"
        if not any(is_denial(e) for e in window.events) and not ctx.inputs.get("principal"):
            window = ctx.memo("iam:recent-denials-any", lambda: lookup_events(cloudtrail, EventQuery(start, end)))
            whose = f"by any principal (none by {wanted})"
    except ClientError as exc:
        return StepOutcome("error", "No request was given, and CloudTrail's event history could not be searched "
                           "for recent denials: " + explain_error(exc, service="cloudtrail", operation="LookupEvents")
                           + ". Pass --param error=... (the pasted message) or --param action=... --param "
                           "resource=...")
    groups = group_denials(window.events)
    if not groups:
        cut = " (the reading stopped at its page limit)" if window.truncated else ""
        return StepOutcome("no_data", f"No request was given, and CloudTrail's event history in {region} holds no "
                           f"denied call {whose} in the last {hours} h ({window.read} events read{cut}). Widen "
                           "--param hours, try the region where the call was made, or paste the message with "
                           "--param error=...")
    chosen = pick(window.events, ctx.inputs.get("event"))
    if chosen is None:
        return StepOutcome("error", f"No denied call with event ID {ctx.inputs.get('event')} is in CloudTrail's "
                           f"history {whose} in the last {hours} h. The denials there: "
                           + "; ".join(f"{g.latest.event.event_id} ({g.action} on {g.resource})" for g in groups[:5]))
    listing = "; ".join(f"{g.count}× {g.action} on {g.resource} (newest {g.latest.event.at:%Y-%m-%d %H:%M:%S}Z, "
                        f"event {g.latest.event.event_id})" for g in groups[:5])
    more = f" and {len(groups) - 5} more" if len(groups) > 5 else ""
    at = f"{chosen.event.at:%Y-%m-%d %H:%M:%S}Z"
    words = (f"No request was given: CloudTrail's event history in {region} holds {len(groups)} denied "
             f"{'call' if len(groups) == 1 else 'kinds of call'} {whose} in the last {hours} h: {listing}{more}. "
             f"Diagnosing {'the one picked' if ctx.inputs.get('event') else 'the newest'}: event "
             f"{chosen.event.event_id} at {at} (pick another with --param event=ID).")
    inputs = {**ctx.inputs, "error": denial_text(chosen.event)}
    inputs.setdefault("principal", None)
    inputs["principal"] = inputs["principal"] or chosen.principal
    if chosen.resource:
        inputs["resource"] = chosen.resource
    if chosen.action:
        inputs["action"] = chosen.action
    return inputs, words


def _request_step(ctx: Context) -> StepOutcome:
    caller = ctx.identity.get("arn") or ctx.peek("sts:identity", {}).get("Arn")
    inputs, found = ctx.inputs, ""
    if _nothing_asked(ctx.inputs):
        recent = _recent_denial(ctx, caller)
        if isinstance(recent, StepOutcome):
            return recent
        inputs, found = recent
    try:
        ask = understand(inputs, caller, lambda blob: ctx.read(  # a failed decode is a missing fact (fault 9a)
            "the decoded authorization message", lambda: decode_authorization_message(ctx.client("sts"), blob),
            key=f"sts:decoded:{blob}"), region=ctx.session.region)
    except ValueError as exc:
        return StepOutcome("error", f"Could not name the request: {exc}.")
    if ask.anonymous:
        # Not cached as the request: no principal's policies can explain an unsigned request.
        finding = _unsigned_finding(ask)
        return StepOutcome("problem", " ".join([found, finding.summary]).strip(), [finding])
    other = other_partition(ask, caller)  # another partition: nothing here explains it (fault 10a)
    if other:
        return StepOutcome("error", other)
    ask = _resolved_name(ctx, ask, inputs)
    typed = str(ask.action) if ask.action and catalog.known_action(str(ask.action)) is False else None
    near = catalog.closest_action(typed) if typed else None
    if typed and near:
        # The finding is the typo; what decides is the action the person meant.
        ctx.cache["iam:typo"] = (typed, near)
        ask = replace(ask, action=near, resource=ask.resource or ("*" if catalog.acts_on_no_resource(near) else None))
    elif typed:
        finding = Finding("IAM_UNKNOWN_ACTION", "error", typed,
                          f"{typed} is not an IAM action (Service Authorization Reference), and none is near it: "
                          "no policy can grant it and no fix is offered. Check the action's name (service:Action, as "
                          "in the service's list of actions).", {"action": typed, "known_action": False},
                          [f"# Check the name of {typed}: aws iam list-policies does not help here; see the "
                           "Service Authorization Reference for the service's actions."])
        return StepOutcome("problem", " ".join([found, finding.summary]).strip(), [finding])
    ctx.cache["iam:ask"] = ask
    if not ask.missing():
        _start_reads(ctx, ask)
    parts = [*ask.notes, *ask.warnings]
    if found:
        parts.insert(0, found)
    if ask.missing():
        lacking = " and ".join(ask.missing())
        said = " The message does not name it." if ask.denial is not None else ""
        parts.append(f"The request lacks its {lacking}:{said} pass --param {ask.missing()[0]}=... (or paste the "
                     "whole AccessDenied message with --param error=...), since nothing can be decided without it.")
        if ask.denial is not None:
            parts.append(_denial_words(ask.denial))
        return StepOutcome("error", " ".join(parts))
    unknown = near is not None
    if near:
        parts.append(f"{typed} is not an IAM action: did you mean {near}? It is judged as {near}.")
    if catalog.is_ungated(str(ask.action)):
        parts.append(f"{ask.action} needs no permission: IAM never denies it, whatever the policies say.")
    who = identify(ask.principal)
    what = {"user": "IAM user", "role": "role", "assumed-role": "role session", "root": "root user",
            "federated-user": "federated user"}.get(who.kind, "principal")
    head = f"The {what} {ask.principal} asks for {ask.action} on {ask.resource}"
    if ask.context:
        head += " with " + ", ".join(f"{k}={v}" for k, v in ask.context.items())
    parts.insert(1 if found else 0, head + ".")
    if ask.denial is not None:
        parts.append(_denial_words(ask.denial))
    return StepOutcome("warning" if ask.warnings or unknown else "ok", " ".join(parts))


def _unsigned_finding(ask: Ask) -> Finding:
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


def _resolved_name(ctx: Context, ask: Ask, inputs: dict[str, Any]) -> Ask:
    """A resource AWS named without an ARN ("role app-role", "prod/db"): its real ARN when readable."""
    if inputs.get("resource") or not ask.resource or ask.denial is None or not ask.denial.resource_name:
        return ask
    try:
        real = ctx.memo(f"iam:named:{ask.resource}", lambda: named_resource_arn(ctx.client, str(ask.resource)))
    except (ClientError, BotoCoreError) as exc:
        info = describe_error(exc)
        return replace(ask, notes=(*ask.notes, f"Its real ARN could not be read ({info.sentence}): the assumed one "
                                              "is used."))
    if real and real != ask.resource:
        return replace(ask, resource=real, notes=(*ask.notes, f"Read its ARN: {real}."))
    return ask


def _denial_words(denial: ParsedDenial) -> str:
    words = []
    if denial.explicit:
        where = TYPE_WORDS.get(denial.policy_type or "", "policy")
        arn = f" ({denial.policy_arn})" if denial.policy_arn else ""
        words.append(f"AWS's message says an explicit deny in {article(where)} {where}{arn} refused it.")
    elif denial.policy_type:
        words.append(f"AWS's message says no {TYPE_WORDS[denial.policy_type]} allows it.")
    else:
        words.append("AWS's message does not say which kind of policy refused it.")
    if denial.key_may_not_exist:
        words.append("KMS gives the same answer for a key that does not exist (or is in another region) as for "
                     "one that refuses: the key is checked below.")
    if denial.authorization_id:
        words.append(f"It carries the authorization ID {denial.authorization_id} for AWS's Access Troubleshooter.")
    return " ".join(words)


# --- collecting -------------------------------------------------------------------------------


def _managed(ctx: Context) -> ManagedPolicyReader:
    return ctx.memo("iam:managed-reader", lambda: ManagedPolicyReader(ctx.client("iam")))


def _read_principal(ctx: Context, ask: Ask) -> Principal:
    caller_account = ctx.identity.get("account") or None
    return foreign_principal(ask.principal, caller_account) or resolve_principal(
        ctx.client("iam"), ask.principal, caller_account)


def _start_reads(ctx: Context, ask: Ask) -> None:
    """Once the request is known, what it names is asked for at once: the principal, the resource's policy
    and AWS's Access Troubleshooter; the principal's policies, boundary, organization policies and VPC
    endpoint as soon as the principal is read (see :func:`_plan_principal`)."""
    ctx.prefetch("iam:principal", lambda: _read_principal(ctx, ask))
    ctx.prefetch("iam:resource-policy", lambda: _resource_policy(ctx))
    auth_id = ask.denial.authorization_id if ask.denial else None
    if auth_id:
        ctx.prefetch(f"iam:troubleshooter:{auth_id}",
                     lambda: authorization_details(ctx.client("iam-toolbox"), auth_id))
    ctx.prefetch("iam:plan:principal", lambda: _plan_principal(ctx, ask))


def _plan_principal(ctx: Context, ask: Ask) -> None:
    """With the principal read (a failure stops here: its step reports it), the reads that hang on it.
    Each goes through the accessor its step uses, under the same key."""
    principal = ctx.memo("iam:principal", lambda: _read_principal(ctx, ask))
    parts: list[Any] = [_scps, _rcps, _vpce]
    if principal.readable:
        parts += [_identity_policies, _boundary]
    for accessor in parts:
        ctx.prefetch(f"iam:plan:{accessor.__name__}", lambda accessor=accessor: accessor(ctx))


def _principal(ctx: Context) -> Principal:
    ask = _ask(ctx)
    if catalog.is_ungated(str(ask.action)):
        raise StepSkip(f"Not read: {ask.action} needs no permission, so no policy of the principal takes part.")
    if ctx.peek("iam:principal:failed"):
        raise StepSkip("Not checked: the principal could not be read (see 'Which policies does the principal "
                       "carry?').")
    ask = _ask(ctx)
    try:
        return ctx.memo("iam:principal", lambda: _read_principal(ctx, ask))
    except Exception as exc:
        ctx.cache["iam:principal:failed"] = str(exc)
        raise


def _identity_policies(ctx: Context) -> list[Policy]:
    principal = _principal(ctx)
    if not principal.readable:
        raise StepSkip(_foreign_words(principal))
    def read_all() -> list[Policy]:
        before = len(ctx.missing)
        policies = identity_policies(ctx.client("iam"), principal, _managed(ctx), ctx.read, ctx.read_all)
        # What could not be read is kept apart: never evaluated as if those policies were empty.
        ctx.cache["iam:identity-unread"] = [m.sentence() for m in ctx.missing[before:]]
        return policies

    return ctx.memo("iam:identity-policies", read_all)


def _boundary(ctx: Context) -> Policy | None:
    principal = _principal(ctx)
    if not principal.readable:
        raise StepSkip(_foreign_words(principal))
    return ctx.memo("iam:boundary", lambda: boundary_policy(ctx.client("iam"), principal, _managed(ctx)))


def _resource_policy(ctx: Context) -> ResourcePolicyRead:
    ask = _ask(ctx)
    return ctx.memo("iam:resource-policy", lambda: resource_policy(
        ctx.client, str(ask.resource), str(ask.action), ctx.session.region))


def _foreign_words(principal: Principal) -> str:
    return (f"Not read: {principal.arn} is in account {principal.account}, and the credentials are for another "
            f"account. Its identity policies, permissions boundary and session policy can only be read in account "
            f"{principal.account}; the decision evaluates the side readable here (the resource's policy) and says "
            "what that account's administrator must check.")


def _scps(ctx: Context) -> ScpRead:
    account = _principal(ctx).account or ctx.identity.get("account", "")
    return ctx.memo("iam:scps", lambda: organization_scps(ctx.client("organizations"), account,
                                                          ctx.identity.get("account") or None))


def _rcps(ctx: Context) -> ScpRead:
    """RCPs cap the resource, so they are read for the resource's account (an S3 ARN names none: the
    bucket was read with these credentials, so their account holds it)."""
    ask = _ask(ctx)
    service = str(ask.action).split(":", 1)[0].lower()
    if service not in RCP_SERVICES:
        return ScpRead("none", f"Resource control policies do not apply to {service}.", ())
    # A resource whose ARN names no account (S3) is read in the credentials' account.
    account = account_of(str(ask.resource)) or ctx.identity.get("account") or _principal(ctx).account
    return ctx.memo("iam:rcps", lambda: organization_rcps(ctx.client("organizations"), account,
                                                          ctx.identity.get("account") or None))


def _count(n: int, one: str, many: str) -> str:
    return f"{n} {one if n == 1 else many}"


def _mentions(policy: Policy, action: str) -> list[int]:
    """Indexes of the statements of ``policy`` whose Action (or NotAction) takes ``action``."""
    return [st.index for st in compile_document(policy.document, policy.name).for_action(action.lower())]


def _alone(ask: Ask, principal: Principal, policies: PolicySet) -> str:
    return evaluate(_request(ask, principal), policies).decision


def _principal_step(ctx: Context) -> StepOutcome:
    ask = _ask(ctx)
    try:
        principal = _principal(ctx)
    except PrincipalError as exc:
        return StepOutcome("error", str(exc))
    policies = _identity_policies(ctx)
    kind = {"user": "IAM user", "role": "role", "assumed-role": "role"}[principal.kind]
    parts = []
    if principal.kind == "assumed-role":
        parts.append(f"{ask.principal} is a session of the role {principal.entity_arn}: its permissions are the "
                     "role's (and, if one was passed when the role was assumed, a session policy's, which no API "
                     "can read).")
    unread = ctx.peek("iam:identity-unread") or []
    if not policies and not unread:
        parts.append(f"The {kind} {principal.name} carries no identity-based policy at all, so nothing grants it "
                     "anything on its own.")
        return StepOutcome("ok", " ".join(parts))
    if unread:
        parts.append(f"Not every identity policy could be read ({len(unread)} not read): the decision judges with "
                     "the rest and never as if the unread ones were empty.")
    listed = "; ".join(f"{p.name} ({'managed' if p.arn else 'inline'}, on {p.attached_to})" for p in policies)
    carried = _count(len(policies), "identity-based policy", "identity-based policies")
    parts.append(f"The {kind} {principal.name} carries {carried}: {listed}.")
    mentioning = [p.name for p in policies if _mentions(p, str(ask.action))]
    if mentioning:
        verb = "mentions" if len(mentioning) == 1 else "mention"
        parts.append(f"{len(mentioning)} of them {verb} {ask.action}: {', '.join(mentioning)}.")
    else:
        parts.append(f"None of them mentions {ask.action} (not even by a wildcard).")
    if principal.tags:
        parts.append("Tags (for ${aws:PrincipalTag/...} conditions): "
                     + ", ".join(f"{k}={val}" for k, val in principal.tags.items()) + ".")
    return StepOutcome("warning" if unread else "ok", " ".join(parts))


def _boundary_step(ctx: Context) -> StepOutcome:
    ask = _ask(ctx)
    principal = _principal(ctx)
    boundary = _boundary(ctx)
    if boundary is None:
        return StepOutcome("ok", f"The {principal.holder} has no permissions boundary: its identity policies are "
                                 "not capped.")
    as_identity = Policy(boundary.name, "identity", boundary.document, boundary.arn, boundary.attached_to)
    alone = _alone(ask, principal, PolicySet(identity=(as_identity,)))
    verdict = ("On its own it allows the request." if alone == "allowed" else
               f"On its own it does not allow {ask.action} on {ask.resource}, so no identity policy can grant it."
               if alone == "implicitDeny" else "It explicitly denies the request.")
    # A boundary that blocks the request blocks it whatever else is fixed: a problem here. (A
    # resource policy naming the user directly grants past the boundary, so the decision is asked.)
    try:
        evaluation = _decision(ctx).evaluation
        blocks = "boundary" in evaluation.blocking_types or any(
            m.policy_type == "boundary" for m in evaluation.deciding if m.effect == "Deny")
    except Exception:  # the rest could not be read: the decision step says so
        blocks = alone != "allowed"
    return StepOutcome("problem" if blocks else "ok",
                       f"The {principal.holder} has the permissions boundary {boundary.arn}. {verdict}")


def _resource_step(ctx: Context) -> StepOutcome:
    ask = _ask(ctx)
    read = _resource_policy(ctx)
    status = {"read": "ok", "none": "ok", "unsupported": "skipped", "missing": "warning",
              "unreadable": "warning"}[read.status]
    detail = read.detail
    if read.policy is not None:
        statements = len(compile_document(read.policy.document, read.policy.name).statements)
        mentions = _mentions(read.policy, str(ask.action))
        mention = {0: "none mentions", 1: "1 mentions"}.get(len(mentions), f"{len(mentions)} mention")
        detail += f" It has {_count(statements, 'statement', 'statements')}; {mention} {ask.action}."
    if read.status == "none" and read.kind in ("key policy", "trust policy"):
        detail += f" Without a {read.kind} allowing it, no identity policy can grant access."
    if read.status == "missing":
        return StepOutcome("problem", detail, [_not_found(ctx, read)])
    return StepOutcome(status, detail)


def _not_found(ctx: Context, read: ResourcePolicyRead) -> Finding:
    """The resource is not there: its own finding, with where it was looked for."""
    ask = _ask(ctx)
    resource = str(ask.resource)
    arn = parse_arn(resource)
    account = (arn.account if arn and arn.account else None) or ctx.identity.get("account", "")
    region = (arn.region if arn and arn.region else None) or ctx.session.region or ""
    where = f"account {account}" + (f", region {region}" if arn is None or arn.region else "")
    summary = (f"{resource} does not exist in {where} (looked up as the {read.kind or 'resource'} holder). AWS "
               f"answers a request on a missing resource with AccessDenied as often as with NotFound, so "
               f"{ask.action} fails whatever the policies say: check the name, the account and the region.")
    return Finding("IAM_RESOURCE_NOT_FOUND", "error", resource, summary,
                   {"resource": resource, "account": account, "region": region, "detail": read.detail},
                   [f"# Check the name, account and region of {resource} (the request may have meant another)."])


def _vpce(ctx: Context) -> VpceRead:
    """The endpoint the request went through: aws:SourceVpce when given, else the endpoint for the
    service in the VPC of the instance or Lambda function whose role made the request."""
    def read() -> VpceRead:
        ask, principal = _ask(ctx), _principal(ctx)
        region = ctx.session.region or "us-east-1"
        service_name = endpoint_service_name(str(ask.action), region)
        # The EC2 client is made only when an endpoint or a VPC is read (most runs read neither): making it
        # costs a few hundred milliseconds of start-up.
        source = next((val for key, val in ask.context.items() if key.lower() == "aws:sourcevpce"), None)
        if source:
            endpoint_id = source if isinstance(source, str) else source[0]
            got = ctx.read(f"the VPC endpoint {endpoint_id}", lambda: vpc_endpoint(ctx.client("ec2"), endpoint_id))
            return got or VpceRead("unreadable", f"The VPC endpoint {endpoint_id} could not be read.",
                                   endpoint_id=endpoint_id)
        session = identify(principal.arn).session or "" if principal.kind == "assumed-role" else ""
        trusted = trusted_services(principal.trust_policy) if principal.readable else set()
        if re.fullmatch(r"i-[0-9a-f]{8,17}", session) and "ec2.amazonaws.com" in trusted:
            how, fetch = f"instance {session}", lambda: instance_vpc(ctx.client("ec2"), session)
        elif session and "lambda.amazonaws.com" in trusted:
            how, fetch = f"Lambda function {session}", lambda: function_vpc(ctx.client("lambda"), session)
        else:
            return VpceRead("unknown", "Which VPC endpoint the request went through, if any, is not known here: the "
                            "caller is not an instance or Lambda function of this account, and the request gave no "
                            "aws:SourceVpce (pass --param context=aws:SourceVpce=vpce-... to check one).")
        missing_before = len(ctx.missing)
        vpc = ctx.read(f"the VPC of {how}", fetch)
        if vpc is None:
            if len(ctx.missing) > missing_before:
                return VpceRead("unreadable", f"The VPC of {how} could not be read, so neither could its endpoints.")
            return VpceRead("none", f"The {how} is not attached to a VPC: its requests pass no endpoint policy.")
        endpoints = ctx.read(f"the VPC endpoints of {vpc}",
                             lambda: vpc_endpoints_for(ctx.client("ec2"), vpc, service_name))
        if endpoints is None:
            return VpceRead("unreadable", f"The VPC endpoints of {vpc} could not be read.")
        return endpoint_in_vpc(endpoints, vpc, how, service_name)

    return ctx.memo("iam:vpce", read)


def _vpce_step(ctx: Context) -> StepOutcome:
    ask = _ask(ctx)
    read = _vpce(ctx)
    detail = read.detail
    if read.policy is not None:
        statements = len(compile_document(read.policy.document, read.policy.name).statements)
        mentions = _mentions(read.policy, str(ask.action))
        detail += f" It has {_count(statements, 'statement', 'statements')}; {len(mentions)} take {ask.action}."
    status = {"read": "ok", "none": "ok", "unknown": "skipped", "unreadable": "warning"}[read.status]
    return StepOutcome(status, detail)


def _scp_step(ctx: Context) -> StepOutcome:
    _ask(ctx)
    scps, rcps = _scps(ctx), _rcps(ctx)
    unreadable = "unreadable" in (scps.status, rcps.status)
    if scps.detail.replace("SCP", "RCP") == rcps.detail:  # the same answer for both: say it once
        detail = scps.detail.replace("SCPs", "SCPs or RCPs")
    else:
        detail = f"{scps.detail} {rcps.detail}"
    return StepOutcome("warning" if unreadable else "ok", detail)


# --- deciding ---------------------------------------------------------------------------------


def _assumed(ctx: Context) -> dict[str, str]:
    """The context keys AWS always sends that the request did not give (fixed once per run)."""
    ask = _ask(ctx)
    return ctx.memo("iam:assumed-context", lambda: assumed_context(
        ask.context, resource=ask.resource, region=ctx.session.region, now=datetime.now(UTC)))


def _request(ask: Ask, principal: Principal, assumed: dict[str, str] | None = None,
             resource_account: str | None = None) -> Request:
    """``resource_account``: the account whose resource was read, for ARNs that name none (S3): a
    caller from another account then needs both sides to allow."""
    return Request(principal.arn, str(ask.action), str(ask.resource), {**(assumed or {}), **ask.context},
                   principal_account=principal.account or None, principal_tags=principal.tags,
                   resource_account=account_of(str(ask.resource)) or resource_account)


def _policy_set(ctx: Context) -> PolicySet:
    read = _resource_policy(ctx)
    if not _principal(ctx).readable:
        # The caller's side lives in another account: only the resource side takes part. Its SCPs
        # are the caller's account's, read only if this account can see that organization.
        return ctx.memo("iam:policy-set", lambda: PolicySet(resource=read.policy, rcps=_rcps(ctx).policies,
                                                             vpce=_vpce(ctx).policy,
                                                             resource_absent=read.status == "none"))
    return ctx.memo("iam:policy-set", lambda: PolicySet(
        identity=tuple(_identity_policies(ctx)), boundary=_boundary(ctx), resource=read.policy,
        scps=_scps(ctx).policies, rcps=_rcps(ctx).policies, vpce=_vpce(ctx).policy,
        resource_absent=read.status == "none"))


@dataclass(frozen=True)
class Decision:
    request: Request
    policies: PolicySet
    evaluation: Evaluation
    misses: tuple[NearMiss, ...]
    fix: Fix | None


def _decision(ctx: Context) -> Decision:
    def decide() -> Decision:
        request = _request(_ask(ctx), _principal(ctx), _assumed(ctx), ctx.identity.get("account") or None)
        policies = _policy_set(ctx)
        evaluation = evaluate(request, policies)
        return Decision(request, policies, evaluation, tuple(near_misses(request, policies, evaluation)),
                        fix_for(request, policies, evaluation))

    return ctx.memo("iam:decision", decide)


def _where(m: MatchedStatement) -> str:
    return f"statement {m.index}" + (f" ({m.sid})" if m.sid else "")


def _statement(m: MatchedStatement) -> dict[str, Any]:
    return {"policy": m.policy_arn or m.policy, "policy_type": m.policy_type, "index": m.index, "sid": m.sid,
            "effect": m.effect, "statement": dict(m.statement)}


def _unseen(ctx: Context, principal: Principal) -> dict[str, str]:
    """The policy types that take part but could not be read here, each with the reason."""
    out: dict[str, str] = {}
    if not principal.readable:
        for kind in ("identity", "boundary", "session"):
            out[kind] = f"the caller is in account {principal.account}, whose IAM cannot be read with these credentials"
    scps = _scps(ctx)
    if scps.policies is None:
        out["scp"] = scps.detail
    rcps = _rcps(ctx)
    if rcps.policies is None:
        out["rcp"] = rcps.detail
    read = _resource_policy(ctx)
    if read.status == "unreadable":
        out["resource"] = read.detail
    unread = ctx.peek("iam:identity-unread") or []
    if unread and "identity" not in out:
        out["identity"] = "some identity policies could not be read: " + "; ".join(unread)
    if principal.kind == "assumed-role":
        out.setdefault("session", "no AWS API reads back the session policy passed when a role was assumed")
    vpce = ctx.peek("iam:vpce")
    if vpce is None or vpce.status in ("unknown", "unreadable"):
        out["vpce"] = vpce.detail if vpce is not None else "VPC endpoint policies were not read for this request"
    return out


def _not_checked(ctx: Context, principal: Principal) -> list[str]:
    return [k for k in _unseen(ctx, principal) if k not in ("identity", "boundary", "vpce")]


def _blocking_policy(decision: Decision, principal: Principal, kind: str) -> str:
    """The ID or ARN of the component at fault for an implicit deny."""
    policies, fix = decision.policies, decision.fix
    if kind == "boundary" and policies.boundary is not None:
        return policies.boundary.arn or policies.boundary.name
    if kind in ("scp", "rcp"):
        group = policies.scps if kind == "scp" else policies.rcps
        return (fix.policy if fix and fix.policy else None) or next(
            (p.arn or p.name for p in group or ()), kind)
    if kind == "resource":
        return policies.resource.name if policies.resource else decision.request.resource
    if kind == "vpce" and policies.vpce is not None:
        return policies.vpce.name
    if kind == "session":
        return f"{principal.arn} (session policy)"
    return (fix.policy if fix and fix.policy else None) or principal.entity_arn


def _summary(decision: Decision, principal: Principal, kind: str) -> str:
    request, evaluation = decision.request, decision.evaluation
    who = f"{request.principal} cannot {request.action} on {request.resource}"
    if evaluation.decision == "explicitDeny":
        m = evaluation.deciding[0]
        return (f"{who}: {_where(m)} of the {TYPE_WORDS[m.policy_type]} {m.policy_arn or m.policy} explicitly "
                "denies it, and an explicit deny beats every allow.")
    allowing = [m for m in evaluation.matched if m.effect == "Allow" and m.policy_type == "identity"]
    granted = (f" The allow in {_where(allowing[0])} of {allowing[0].policy_arn or allowing[0].policy} has no "
               "effect.") if allowing else ""
    target = _blocking_policy(decision, principal, kind)
    if kind == "boundary":
        return (f"{who}: the permissions boundary {target} does not allow it, and a boundary caps what identity "
                f"policies can grant.{granted}")
    if kind in ("scp", "rcp"):
        return (f"{who}: the {TYPE_WORDS[kind]} {target} does not allow it (every level of the organization must "
                f"allow a request).{granted}")
    if kind == "session":
        return f"{who}: the session policy passed when the role was assumed does not allow it.{granted}"
    if kind == "vpce":
        return (f"{who}: the endpoint policy of the VPC endpoint {target}, which the request goes through, does not "
                f"allow it, and every request through an endpoint must be allowed by its policy.{granted}")
    if kind == "resource":
        return (f"{who}: the resource-based policy of {target} does not allow it, and here it must (a KMS key "
                "policy, a role trust policy, or access from another account).")
    near = next((m for m in decision.misses if m.index >= 0), None)
    if near is not None:
        return f"{who}: no identity-based policy allows it. Near miss: {near.summary}"
    return f"{who}: no identity-based policy allows it (nothing mentions the action on this resource)."


def _finding(ctx: Context, decision: Decision, principal: Principal) -> Finding:
    ask = _ask(ctx)
    evaluation, fix, request = decision.evaluation, decision.fix, decision.request
    evidence: dict[str, Any] = {
        "decision": evaluation.decision,
        "principal": request.principal,
        "action": request.action,
        "resource": request.resource,
        "context": dict(request.context),
        "deciding": [_statement(m) for m in evaluation.deciding],
        "per_type": dict(evaluation.per_type),
        "blocking_types": list(evaluation.blocking_types),
        "missing_context_keys": list(evaluation.missing_context_keys),
        "assumed_context": dict(_assumed(ctx)),
        "near_misses": [{"kind": m.kind, "policy": m.policy, "sid": m.sid, "index": m.index, "summary": m.summary}
                        for m in decision.misses],
        "policies": [{"name": p.name, "type": p.type, "arn": p.arn, "attached_to": p.attached_to}
                     for p in _all_policies(decision.policies)],
        "not_checked": _not_checked(ctx, principal),
    }
    if ask.denial is not None:
        evidence["aws_message"] = {"policy_type": ask.denial.policy_type, "explicit": ask.denial.explicit,
                                   "policy_arn": ask.denial.policy_arn}
    if evaluation.decision == "allowed":
        # The principal's own grant first: it is what the principal carries wherever the resource goes.
        allows = sorted((m for m in evaluation.matched if m.effect == "Allow" and m.policy_type in
                         ("identity", "resource")), key=lambda m: m.policy_type != "identity")
        deciding = tuple(allows) or evaluation.deciding
        by = "; ".join(f"{_where(m)} of the {TYPE_WORDS[m.policy_type]} {m.policy_arn or m.policy}"
                       for m in deciding[:3]) or "the policies read"
        summary = f"{request.principal} may {request.action} on {request.resource}: allowed by {by}."
        if ask.denial is not None:
            unseen = ", ".join(TYPE_WORDS[t] for t in evidence["not_checked"]) or "none"
            summary += (" Yet AWS denied it: what decided is something awstriage did not see (policy types not "
                        f"checked: {unseen}; also VPC endpoint policies, or a policy changed since).")
        evidence["statement"] = _statement(deciding[0]) if deciding else None
        return Finding("IAM_ALLOWED", "info", deciding[0].policy_arn or deciding[0].policy if deciding
                       else principal.entity_arn, summary, evidence)
    if evaluation.decision == "explicitDeny":
        deny = evaluation.deciding[0]
        code = {"scp": "IAM_SCP_BLOCKS", "rcp": "IAM_SCP_BLOCKS", "vpce": "IAM_VPCE_POLICY_BLOCKS"}.get(
            deny.policy_type, "IAM_EXPLICIT_DENY")
        resource = deny.policy_arn or deny.policy
        kind = deny.policy_type
        evidence["statement"] = _statement(deny)
    else:
        kind = evaluation.blocking_types[0] if evaluation.blocking_types else "identity"
        code = CODES.get(kind, "IAM_NO_ALLOW")
        resource = _blocking_policy(decision, principal, kind)
        near = next((m for m in decision.misses if m.index >= 0), None)
        evidence["statement"] = ({"policy": near.policy, "sid": near.sid, "index": near.index, "near_miss": near.kind}
                                 if near else None)
    evidence["policy_type"] = kind
    remediation: list[str] = []
    alternatives: list[FixOption] = []
    if fix is not None:
        evidence["fix"] = {"summary": fix.summary, "policy": fix.policy, "statement": fix.statement}
        guards = _guard_keys(evidence["statement"]) if evaluation.decision == "explicitDeny" else []
        if (guards or fix.disrupts) and fix.commands:
            # Meeting the guard is the fix; exempting the principal from it weakens the guard, so it
            # is never the first or only command: it is an alternative that says what it disrupts.
            remediation.append(f"# {fix.summary}")
            remediation += list(fix.first)
            alternatives.append(FixOption(tuple(fix.commands), fix.alternative or f"Exempt {request.principal} from "
                                          "the deny with an ArnNotEquals condition on aws:PrincipalArn",
                                          fix.disrupts or f"exempts {request.principal} from the guard on "
                                          f"{', '.join(guards)}"))
        else:
            remediation.append(f"# {fix.summary}")
            remediation += list(fix.first)
            if fix.statement:
                remediation.append("# Statement: " + json.dumps(fix.statement, separators=(",", ":")))
            remediation += list(fix.commands)
        verified = verify(request, decision.policies, fix.commands, [fix.statement])
        if fix.commands and not guards and not fix.disrupts:
            evidence["verified"] = {"decision": verified.decision, "passes": verified.passes,
                                    "beyond": list(verified.beyond), "sentence": verified.sentence(request)}
        elif fix.commands:  # the alternative that weakens a guard: checked too, and what else it allows said
            evidence["verified_alternative"] = {"decision": verified.decision, "passes": verified.passes,
                                                "beyond": list(verified.beyond),
                                                "sentence": verified.sentence(request)}
    return Finding(code, "error", resource, _summary(decision, principal, kind), evidence, remediation,
                   alternatives=alternatives)


def _guard_keys(statement: dict[str, Any] | None) -> list[str]:
    """The guard keys (MFA, source IP, VPC endpoint, ...) a deny's condition tests."""
    condition = ((statement or {}).get("statement") or {}).get("Condition") or {}
    keys = [key for block in condition.values() if isinstance(block, dict) for key in block]
    return [k for k in keys if k.lower() in CONDITION_HINTS]


def _all_policies(policies: PolicySet) -> list[Policy]:
    singles = [p for p in (policies.boundary, policies.session, policies.resource) if p is not None]
    return [*policies.identity, *singles, *(policies.scps or ()), *(policies.rcps or ())]


def _aws_account(words: AwsWords, ask: Ask, principal: Principal) -> str:
    if words.policy_type == "rcp":
        return account_of(str(ask.resource)) or principal.account
    return principal.account


def _aws_finding(ctx: Context, decision: Decision, principal: Principal, words: AwsWords,
                 local: Finding | None) -> Finding:
    """The finding AWS's message makes where awstriage cannot read (or disagrees on) the type it names."""
    ask, request, evaluation = _ask(ctx), decision.request, decision.evaluation
    kind = str(words.policy_type)
    type_words = TYPE_WORDS[kind]
    where, commands = where_to_look(kind, account=_aws_account(words, ask, principal), region=ctx.session.region,
                                    service=str(ask.action).split(":", 1)[0], principal=principal.entity_arn,
                                    resource=request.resource, action=request.action)
    who = f"{request.principal} cannot {request.action} on {request.resource}"
    read_types = ", ".join(TYPE_WORDS[k] for k, r in evaluation.per_type.items() if r not in ("absent", "notChecked"))
    local_words = {"allowed": "allows it", "explicitDeny": "denies it explicitly",
                   "implicitDeny": "does not allow it"}[evaluation.decision]
    if words.agreement == "unseen":
        summary = (f"{who}: AWS's message says {words.said()}. This {type_words} cannot be read from here "
                   f"({words.why_unseen.rstrip('.')}), so AWS's word stands: look {where}.")
        if read_types:
            summary += f" What awstriage could read ({read_types}) {local_words}."
    else:
        seen = {"scp": _scps(ctx).detail, "rcp": _rcps(ctx).detail}.get(kind, "")
        summary = (f"{who}: AWS's message says {words.said()}, but awstriage's evaluation of the policies as they "
                   f"read now {local_words}" + (f" ({seen.rstrip('.')})" if seen else "")
                   + ". AWS's message is authoritative for the request as it was made: the "
                   f"{type_words} may have changed since the denial, or the request carried context that was not "
                   "given here")
        missing = evaluation.missing_context_keys
        summary += (f" (it lacked {', '.join(missing)})." if missing else
                    " (pass it with --param context=KEY=VALUE).")
    at_fault = ask.denial.policy_arn if ask.denial and ask.denial.policy_arn else {
        "session": f"{principal.arn} (session policy)",
        "identity": principal.entity_arn, "boundary": principal.boundary_arn or principal.entity_arn,
        "resource": (decision.policies.resource.name if decision.policies.resource else request.resource),
        "vpce": f"VPC endpoint policy (com.amazonaws.{ctx.session.region}.{str(ask.action).split(':', 1)[0]})",
    }.get(kind, f"{type_words.replace('policy', 'policies')} of account {_aws_account(words, ask, principal)}")
    evidence: dict[str, Any] = {
        "aws_decision": words.decision, "policy_type": kind, "agreement": words.agreement,
        "authoritative": "AWS's message (it saw every policy when the request was made)",
        "awstriage_decision": evaluation.decision, "where_to_look": where,
        "not_readable_because": words.why_unseen,
        "aws_message": {"policy_type": kind, "explicit": words.explicit,
                        "policy_arn": ask.denial.policy_arn if ask.denial else None},
    }
    if local is None or "decision" not in local.evidence:
        evidence["decision"] = words.decision
    remediation = [f"# Look {where}", *commands] if words.agreement == "unseen" else list(
        local.remediation if local else [])
    if words.explicit and words.agreement == "disagrees" and evaluation.decision != "explicitDeny" and kind in (
            "identity", "boundary", "session", "resource"):
        # AWS named an explicit deny the policies read do not hold: still an explicit deny (issue 9).
        places, look = deny_not_found(kind, principal=principal.arn, kind=principal.kind, region=ctx.session.region)
        condition = f"if AWS's message stands and the deny is not in the policies read here: look for {places}"
        return Finding("IAM_EXPLICIT_DENY", "error", at_fault, summary, evidence,
                       [f"# Find the deny AWS named: {places}", *look, *remediation],
                       certainty="conditional", condition=condition)
    return Finding(CODES.get(kind, "IAM_NO_ALLOW"), "error", at_fault, summary, evidence, remediation)


def _foreign_outcome(ctx: Context, decision: Decision, principal: Principal, words: AwsWords | None,
                     detail: str) -> StepOutcome:
    """A caller from another account: the resource side is evaluated here; the rest is for that account."""
    evaluation, request = decision.evaluation, decision.request
    read = _resource_policy(ctx)
    resource_result = evaluation.per_type.get("resource", "absent")
    if evaluation.decision == "explicitDeny" or (resource_result != "allow" and read.status in ("read", "none")):
        # The side read here already refuses: a caller from another account needs the resource's allow.
        finding = _finding(ctx, decision, principal)
        if evaluation.decision != "explicitDeny":
            finding = replace(finding, code="IAM_RESOURCE_POLICY_BLOCKS", resource=read.holder_arn or request.resource,
                              summary=(f"{request.principal} cannot {request.action} on {request.resource}: it comes "
                                       f"from account {principal.account}, so the {read.kind or 'resource policy'} "
                                       f"must allow it, and "
                                       + ("there is none." if read.status == "none" else "it does not.")
                                       + f" Account {principal.account} must also allow it in the caller's "
                                       "identity policies."))
        if words is not None and words.policy_type in ("identity", "boundary", "session") and \
                evaluation.decision != "explicitDeny":
            # AWS blames the caller's own account: that is the headline; the resource side is a second cause.
            aws = _aws_finding(ctx, decision, principal, replace(words, agreement="unseen"), finding)
            return StepOutcome("problem", f"{detail} {aws.summary} {finding.summary}", [aws, finding])
        return StepOutcome("problem", f"{detail} {finding.summary}", [finding])
    if words is not None and words.policy_type:
        finding = _aws_finding(ctx, decision, principal, replace(words, agreement="unseen") if words.agreement
                               != "unseen" and words.policy_type in ("identity", "boundary", "session") else words,
                               None)
        return StepOutcome("problem", f"{detail} {finding.summary}", [finding])
    side = (f"the {read.kind} of the {read.holder} allows it" if resource_result == "allow"
            else f"the resource's policy could not be read ({read.detail})")
    must = (f"Account {principal.account}'s administrator must check that the caller's identity policies allow "
            f"{request.action} on {request.resource}, and that no permissions boundary, session policy or SCP of "
            "that account refuses it.")
    if ask_denial(ctx) is not None:
        finding = Finding("IAM_OTHER_ACCOUNT_BLOCKS", "error", principal.entity_arn,
                          f"{request.principal} cannot {request.action} on {request.resource}: on this side {side}, "
                          f"so what refused it lies in account {principal.account}. {must}",
                          {"decision": "implicitDeny", "awstriage_decision": evaluation.decision,
                           "resource_side": resource_result, "where_to_look": f"account {principal.account}'s IAM"},
                          [f"# In account {principal.account}:",
                           f"aws iam simulate-principal-policy --policy-source-arn {principal.entity_arn} "
                           f"--action-names {request.action} --resource-arns {request.resource}"],
                          certainty="conditional",
                          condition="if AWS denied the request (as the pasted message says) and the resource policy "
                                    "read here is the one AWS weighed")
        return StepOutcome("problem", f"{detail} {finding.summary}", [finding])
    return StepOutcome("no_data", f"{detail} On this side {side}; the rest of the decision lies in account "
                                  f"{principal.account}, which cannot be read with these credentials. {must}")


def ask_denial(ctx: Context) -> ParsedDenial | None:
    return _ask(ctx).denial


def _evaluate_step(ctx: Context) -> StepOutcome:
    ask = _ask(ctx)
    if catalog.is_ungated(str(ask.action)):
        return _ungated_outcome(ask)
    try:
        outcome = _evaluate_read(ctx)
    except Exception as exc:
        # AWS's message names the policy type that decided: that finding stands whatever else could
        # not be read here (the principal, the resource); what failed is added, never substituted.
        if ask.denial is None or not ask.denial.policy_type:
            raise
        why = ctx.peek("iam:principal:failed") or (
            f"{ask.resource} does not exist here" if _resource_policy(ctx).status == "missing" else str(exc))
        outcome = _aws_only(ctx, ask, str(why).rstrip("."))
    typo = ctx.peek("iam:typo")
    if typo:
        outcome = _with_typo(ctx, outcome, *typo)
    return outcome


def _ungated_outcome(ask: Ask) -> StepOutcome:
    summary = (f"{ask.action} cannot be denied: IAM never gates it, whatever the policies say (no permission is "
               "needed, even under an explicit deny).")
    if ask.denial is not None:
        summary += (" The failure lies elsewhere: look at the credentials (expired, missing, or not the ones you "
                    "think), the endpoint the call went to, and the region.")
    finding = Finding("IAM_ALLOWED", "warning" if ask.denial is not None else "info", str(ask.action), summary,
                      {"decision": "allowed", "principal": ask.principal, "action": ask.action,
                       "resource": ask.resource, "ungated": True})
    return StepOutcome("warning" if ask.denial is not None else "ok", f"Decision: allowed. {summary}", [finding])


def _aws_only(ctx: Context, ask: Ask, why: str) -> StepOutcome:
    """The finding AWS's message makes when awstriage could not evaluate (the principal or the resource
    could not be read): AWS saw every policy, so the type it names is the cause."""
    denial = ask.denial
    assert denial is not None and denial.policy_type
    kind = denial.policy_type
    words = AwsWords(kind, denial.explicit, "unseen", why)
    principal_arn = str(ask.principal)
    account = account_of(principal_arn) or ctx.identity.get("account") or None
    if kind == "rcp":
        account = account_of(str(ask.resource)) or account
    where, commands = where_to_look(kind, account=account, region=ctx.session.region,
                                    service=str(ask.action).split(":", 1)[0], principal=principal_arn,
                                    resource=ask.resource, action=ask.action)
    summary = (f"{ask.principal} cannot {ask.action} on {ask.resource}: AWS's message says {words.said()}. "
               f"awstriage could not evaluate the rest here ({why}), but AWS's word stands: look {where}.")
    code = ("IAM_EXPLICIT_DENY" if denial.explicit and kind in ("identity", "boundary", "session", "resource")
            else CODES.get(kind, "IAM_NO_ALLOW"))
    at_fault = denial.policy_arn or {
        "vpce": f"VPC endpoint policy (com.amazonaws.{ctx.session.region}.{str(ask.action).split(':', 1)[0]})",
        "resource": str(ask.resource)}.get(kind, f"{TYPE_WORDS[kind].replace('policy', 'policies')} of account "
                                                 f"{account}" if kind in ("scp", "rcp") else principal_arn)
    finding = Finding(code, "error", at_fault, summary, {
        "decision": words.decision, "aws_decision": words.decision, "policy_type": kind, "agreement": "unseen",
        "authoritative": "AWS's message (it saw every policy when the request was made)",
        "awstriage_decision": None, "not_evaluated_because": why, "where_to_look": where,
        "aws_message": {"policy_type": kind, "explicit": denial.explicit, "policy_arn": denial.policy_arn}},
        [f"# Look {where}", *commands])
    return StepOutcome("problem", f"Decision: {words.decision} (AWS's message). {summary}", [finding])


def _with_typo(ctx: Context, outcome: StepOutcome, typed: str, meant: str) -> StepOutcome:
    """The typo is the finding; the evaluation of the action meant says whether anything else is wrong."""
    decision = ctx.peek("iam:decision")
    ask = _ask(ctx)
    verdict = decision.evaluation.decision if decision is not None else None
    if verdict == "allowed":
        tail = f"With it, {ask.principal} is already allowed {meant} on {ask.resource}: nothing to grant."
    elif verdict:
        tail = f"With it, the request is still {verdict}: see the other finding for {meant}."
    else:
        tail = f"The request was not evaluated with {meant}."
    finding = Finding("IAM_UNKNOWN_ACTION", "error", typed,
                      f"{typed} is not an IAM action: did you mean {meant}? {tail}",
                      {"action": typed, "did_you_mean": meant, "known_action": False, "meant_decision": verdict},
                      [f"# Use {meant} (not {typed}) in the request and in any policy that names it."])
    findings = [finding, *outcome.findings]
    if verdict == "allowed":  # the IAM_ALLOWED finding stays as evidence, never as the cause
        findings = [finding, *(replace(f, severity="info") for f in outcome.findings)]
    return StepOutcome("problem", f"{finding.summary} {outcome.detail}", findings)


def _evaluate_read(ctx: Context) -> StepOutcome:
    ask = _ask(ctx)
    principal = _principal(ctx)
    read = _resource_policy(ctx)
    if read.status == "missing":
        raise StepSkip("Not evaluated: the resource does not exist (see 'Does the resource have its own policy?'), "
                       "so no policy decides about it.")
    decision = _decision(ctx)
    evaluation = decision.evaluation
    unseen = _unseen(ctx, principal)
    words = weigh(ask.denial.policy_type, ask.denial.explicit, evaluation, unseen) if ask.denial else None
    per_type = ", ".join(f"{TYPE_WORDS[k]}: {r}" for k, r in evaluation.per_type.items() if r != "absent")
    detail = f"awstriage's evaluation: {evaluation.decision}. Per policy type: {per_type}."
    if evaluation.missing_context_keys:  # a key AWS always sends is "not given", never lacked (fault 8c)
        detail += " " + lacking_words(evaluation.missing_context_keys)
    assumed = assumed_words(_assumed(ctx))
    if assumed:
        detail += " " + assumed
    if not principal.readable:
        detail = detail.replace("awstriage's evaluation:", "On the side readable here (the resource's), "
                                "awstriage's evaluation:", 1)
        return _foreign_outcome(ctx, decision, principal, words, detail)
    local = _finding(ctx, decision, principal)
    if words is not None and words.agreement == "unseen":
        aws = _aws_finding(ctx, decision, principal, words, local if evaluation.decision != "allowed" else None)
        findings = [aws] if evaluation.decision == "allowed" else [local, aws]
        return StepOutcome("problem", f"Decision: {words.decision} (AWS's message). {aws.summary} {detail}", findings)
    if words is not None and words.agreement == "disagrees" and (evaluation.decision == "allowed" or (
            words.explicit and evaluation.decision == "implicitDeny" and words.policy_type in (
                "identity", "boundary", "session", "resource"))):  # AWS's explicit deny is the finding
        aws = _aws_finding(ctx, decision, principal, words, None)
        return StepOutcome("problem", f"Decision: {words.decision} (AWS's message). {aws.summary} {detail}", [aws])
    if words is not None and words.agreement == "agrees":
        local = replace(local, summary=local.summary + f" AWS's message says the same: {words.said()}.")
    elif words is not None and words.agreement == "disagrees":
        local = replace(local, summary=local.summary + f" AWS's message names another cause ({words.said()}): "
                        "both block; AWS's message is authoritative for the request as it was made.")
    # A policy that could not be read is never evaluated as if empty: it could allow, or deny.
    for kind, what in (("identity", "an identity policy that could not be read"),
                       ("resource", "the resource's policy, which could not be read,")):
        if kind not in unseen or evaluation.decision == "explicitDeny":
            continue
        if evaluation.decision == "allowed":
            return StepOutcome("error", f"Could not decide: what was read allows it, but {unseen[kind].rstrip('.')}. "
                                        f"A deny in {what.split(',')[0]} would refuse the request. {detail}")
        local = replace(local, certainty="conditional", condition=f"unless {what} allows it")
    unknown = unknown_value_condition(evaluation.missing_context_keys)  # aws:SourceIp not given (fault 8c)
    if unknown and evaluation.decision != "allowed" and local.certainty == "certain":
        local = replace(local, certainty="conditional", condition=unknown)
    layers = _layer_findings(ctx, decision, principal, local)
    detail = f"Decision: {evaluation.decision}. {' '.join(f.summary for f in layers)} {detail}"
    check = _verify_all(decision, layers)
    if check:
        detail += " " + check
    if evaluation.decision == "allowed":
        if ask.denial is not None:  # AWS denied what the policies read allow: never "no problem" (fault 6)
            return _denied_yet_allowed(ctx, decision, principal, replace(local, severity="info"), detail)
        return StepOutcome("ok", detail, [local])
    return StepOutcome("problem", detail, layers)


def _denied_yet_allowed(ctx: Context, decision: Decision, principal: Principal, local: Finding,
                        detail: str) -> StepOutcome:
    """AWS denied what the policies read allow: S3's 403 for a missing key, or what was not read."""
    request = decision.request
    state, list_allowed = None, None
    target = s3_object(request)
    if target is not None:
        bucket, key = target
        state, _ = ctx.read(f"whether s3://{bucket}/{key} exists", lambda: s3_object_state(
            ctx.client("s3"), bucket, key), default=("unknown", ""), key=f"s3:object:{bucket}/{key}")
        arn = parse_arn(request.resource)
        bucket_arn = f"arn:{arn.partition if arn else 'aws'}:s3:::{bucket}"
        listing = replace(request, action="s3:ListBucket", resource=bucket_arn)
        listed = evaluate(listing, decision.policies)
        list_allowed = listed.decision == "allowed"
        if state == "missing" and not list_allowed:
            grant = fix_for(listing, decision.policies, listed)
            option = FixOption(tuple(grant.commands), grant.summary, f"lets {request.principal} list every key in "
                               f"{bucket} (then a missing key answers 404)") if grant and grant.commands else None
            finding = missing_key_finding(request, bucket, key, bucket_arn, option)
            return StepOutcome("problem", f"{finding.summary} {detail}", [finding, local])
    st = local.evidence.get("statement") or {}
    by = f"statement {st.get('index')} of {st.get('policy')}" if st else "the policies read"
    missing = tuple(decision.evaluation.missing_context_keys)
    finding = unexplained_finding(request, _unseen(ctx, principal), allowed_by=by, object_state=state,
                                  list_allowed=list_allowed, missing_keys=missing)
    return StepOutcome("problem", f"{finding.summary} {detail}", [finding, local])


def _layer_findings(ctx: Context, decision: Decision, principal: Principal, local: Finding) -> list[Finding]:
    """Every policy type that blocks on its own, as its own finding with its own fix (the first one
    carries the decision): fixing only the first would leave the request denied."""
    evaluation = decision.evaluation
    if evaluation.decision != "implicitDeny" or len(evaluation.blocking_types) < 2:
        return [local]
    out = [local]
    # Within one account a resource policy that does not allow is no layer of its own: an identity
    # allow suffices. Only the layers that would still refuse count.
    later = [k for k in evaluation.blocking_types[1:]
             if not (k == "resource" and evaluation.blocking_types[0] == "identity")]
    if not later:
        return [local]
    for kind in later:
        single = replace(evaluation, blocking_types=(kind,))
        layer = _finding(ctx, replace(decision, evaluation=single, fix=fix_for(
            decision.request, decision.policies, single)), principal)
        evidence = {k: v for k, v in layer.evidence.items() if k != "decision"}
        evidence["layer_decision"] = evaluation.decision
        out.append(replace(layer, evidence=evidence))
    # The first finding's fix was written for every layer at once; give it its own layer's.
    first_only = replace(evaluation, blocking_types=evaluation.blocking_types[:1])
    first = _finding(ctx, replace(decision, evaluation=first_only, fix=fix_for(
        decision.request, decision.policies, first_only)), principal)
    first.evidence["blocking_types"] = list(evaluation.blocking_types)
    out[0] = replace(first, certainty=local.certainty, condition=local.condition)  # keep what holds it
    return out


def _verify_all(decision: Decision, findings: list[Finding]) -> str:
    """Apply every finding's proposed change to a copy of the policies and evaluate again."""
    writes = ("put-", "create-", "update-", "modify-", "set-")
    commands = [c for f in findings for c in f.remediation if c.startswith("aws ") and c.split()[2].startswith(writes)]
    if not commands or decision.evaluation.decision == "allowed":
        return ""
    statements = [f.evidence.get("fix", {}).get("statement") for f in findings]
    verified = verify(decision.request, decision.policies, commands, statements)
    for f in findings:
        f.evidence["verified_together"] = {"decision": verified.decision, "passes": verified.passes,
                                           "beyond": list(verified.beyond)}
    return verified.sentence(decision.request)


def _troubleshooter_step(ctx: Context) -> StepOutcome:
    ask = _ask(ctx)
    auth_id = ask.denial.authorization_id if ask.denial else None
    if not auth_id:
        raise StepSkip("Not asked: the message carries no authorization ID (AWS adds one to the denials of "
                       "supported APIs; paste the whole message, up to 'authorization id: ...', to use it).")
    toolbox = ctx.client("iam-toolbox")
    try:
        answer = ctx.memo(f"iam:troubleshooter:{auth_id}", lambda: authorization_details(toolbox, auth_id))
    except (ClientError, BotoCoreError) as exc:
        info = describe_error(exc, service="iam-toolbox", operation="GetRequestAuthorizationDetails")
        return StepOutcome("error", f"AWS's Access Troubleshooter could not be asked about authorization ID "
                                    f"{auth_id}: {info.sentence}. The evaluation above stands without it.")
    evaluated = read_details(answer)
    if not evaluated:
        return StepOutcome("no_data", f"AWS's Access Troubleshooter holds no evaluation for authorization ID "
                                      f"{auth_id} (it keeps them for at least 24 hours after the denial).")
    first = next((e for e in evaluated if e.action.lower() == str(ask.action).lower()), evaluated[0])
    as_they_were = []
    for uri in denying_policy_uris(answer)[:5]:
        doc = ctx.read(f"the policy {uri} as it was at the denial",
                       lambda uri=uri: authorization_policy(toolbox, auth_id, uri), key=f"iam:at-denial:{uri}")
        if doc is not None:
            as_they_were.append(f"{uri} ({_count(len(doc.get('Statement') or []), 'statement', 'statements')})")
    decision = ctx.peek("iam:decision")
    per_type = dict(decision.evaluation.per_type) if decision is not None else {}
    comparisons = compare(first, per_type)
    checks = "; ".join(c.sentence() for c in comparisons) or "no per-check verdicts"
    detail = (f"AWS's Access Troubleshooter ({auth_id}) evaluated {first.action} on {first.resource}: "
              f"{first.effect}. Per check: {checks}.")
    if as_they_were:
        detail += " Read as they were at the denial: " + ", ".join(as_they_were) + "."
    against = [c for c in comparisons if c.agrees is False]
    if not against:
        return StepOutcome("ok", detail + " Nothing awstriage checked disagrees with AWS's record.")
    summary = (f"AWS's Access Troubleshooter and awstriage disagree on {first.action} on {first.resource}: "
               + "; ".join(c.sentence() for c in against) + ". AWS's record is authoritative for the request as it "
               "was made; a policy changed since, or context awstriage was not given, explains the difference.")
    finding = Finding("IAM_TROUBLESHOOTER_DISAGREES", "warning", auth_id, summary, {
        "authorization_id": auth_id, "aws_effect": first.effect,
        "checks": [{"policy_type": c.policy_type, "aws": c.aws, "awstriage": c.awstriage, "agrees": c.agrees}
                   for c in comparisons]})
    return StepOutcome("warning", detail, [finding])


def _simulator_step(ctx: Context) -> StepOutcome:
    ask = _ask(ctx)
    principal = _principal(ctx)
    if not principal.readable:
        raise StepSkip(f"Not compared: AWS's simulator can only be asked about {principal.arn} in its own account "
                       f"{principal.account}.")
    decision = _decision(ctx)
    try:
        answer: Simulation = ctx.memo("iam:simulation", lambda: simulate_principal(
            ctx.client("iam"), principal.entity_arn, str(ask.action), str(ask.resource), decision.request.context))
    except (ClientError, ValueError) as exc:
        # Refused, not implemented (plain moto) or empty: nothing to compare. The step only
        # corroborates, so the decision above stands; the transcript lists it as not corroborated.
        info = describe_error(exc, service="iam", operation="SimulatePrincipalPolicy")
        hint = (" AWS's simulator needs iam:SimulatePrincipalPolicy." if info.kind is ErrorKind.ACCESS_DENIED
                else "")
        return StepOutcome("error", f"Could not ask AWS's policy simulator to corroborate the decision: "
                                    f"{info.sentence}.{hint} The decision above does not depend on it.")
    # The simulator weighs the identity policies, the boundary and the SCPs; not resource or session
    # policies unless given. awstriage's answer on the same policies is what it must match.
    same = PolicySet(identity=decision.policies.identity, boundary=decision.policies.boundary,
                     scps=decision.policies.scps)
    ours = simulator_view(evaluate(decision.request, same))
    if answer.decision == ours:
        return StepOutcome("ok", f"AWS's policy simulator agrees: on the identity policies, the boundary and the "
                                 f"SCPs both say {ours} (the simulator leaves resource and session policies out, "
                                 "so its answer can differ from the decision above without either being wrong).")
    summary = (f"AWS's policy simulator says {answer.decision} where awstriage says {ours} for {ask.action} on "
               f"{ask.resource}, on the same identity policies, boundary and SCPs. Trust AWS's answer and check "
               "the statements it matched; please report the difference.")
    finding = Finding("IAM_SIMULATOR_DISAGREES", "warning", principal.entity_arn, summary, {
        "simulator_decision": answer.decision, "awstriage_decision": ours,
        "simulator_matched": list(answer.matched), "simulator_missing_context_keys": list(answer.missing_context_keys),
        "allowed_by_boundary": answer.allowed_by_boundary,
    })
    return StepOutcome("warning", summary, [finding])


# --- the steps -------------------------------------------------------------------------------

REQUEST_STEP = Step(
    id="request",
    title="What was asked, and by whom?",
    why=(
        "IAM decides about one request: a principal (a user, a role, or a session of a role) asking for one "
        "action on one resource, with context such as the source IP or MFA. The AccessDenied message names all "
        "three, and often which kind of policy said no; an EC2 error hides them in an encoded message that "
        "sts:DecodeAuthorizationMessage opens. Parameters you pass win over the message."
    ),
    good="The principal, action and resource are the ones that failed.",
    run=_request_step,
)

PRINCIPAL_STEP = Step(
    id="identity-policies",
    title="Which policies does the principal carry?",
    why=(
        "Identity-based policies grant a user or role its permissions: inline policies written into it, managed "
        "policies attached to it, and for a user the policies of its groups. Within one account, a request needs "
        "an allow in one of them (or in the resource's own policy). A role session carries its role's policies."
    ),
    good="At least one policy allows the action on the resource.",
    run=_principal_step,
)

BOUNDARY_STEP = Step(
    id="boundary",
    title="Is there a permissions boundary?",
    why=(
        "A permissions boundary is a managed policy set as the ceiling of a user or role: the principal may only "
        "do what both its identity policies and its boundary allow. A boundary grants nothing by itself, and it "
        "is easy to forget: the allow is there, but the boundary silently hides it."
    ),
    good="No boundary, or one that allows the action.",
    run=_boundary_step,
)

RESOURCE_STEP = Step(
    id="resource-policy",
    title="Does the resource have its own policy?",
    why=(
        "Some resources carry a policy of their own: S3 bucket policies, KMS key policies, SQS queue, SNS topic, "
        "Lambda function and Secrets Manager secret policies, and a role's trust policy. Within one account their "
        "allow adds to the identity policies, and their deny overrides everything. A KMS key policy and a role "
        "trust policy must allow by themselves, and so must any resource policy for a caller from another account."
    ),
    good="No policy, or one that does not deny this principal (and allows it where it must).",
    run=_resource_step,
)

VPCE_STEP = Step(
    id="vpc-endpoint",
    title="Did the request pass a VPC endpoint policy?",
    why=(
        "A request from inside a VPC to an AWS service often goes through a VPC endpoint, and the endpoint's own "
        "policy must allow it too: a deny there, or no allow, refuses the request whatever the identity and "
        "resource policies say. The endpoint is the one named by aws:SourceVpce, or the one for the service in "
        "the VPC of the instance or Lambda function that made the request."
    ),
    good="No endpoint on the way, or one whose policy allows the request.",
    run=_vpce_step,
)

SCP_STEP = Step(
    id="scps",
    title="Do the organization's guardrails allow it?",
    why=(
        "In an AWS Organization, service control policies (SCPs) cap every principal of a member account, the root "
        "user included, and resource control policies (RCPs) cap who may touch the resources of a member account "
        "(S3, STS, KMS, SQS, Secrets Manager). Each level (the root, every OU down to the account) must allow the "
        "action, and one deny anywhere wins. They are read from the organization, which takes the management "
        "account or a delegated administrator; when they cannot be read, this diagnosis says so instead of guessing."
    ),
    good="Not in an organization, or every level allows the action.",
    run=_scp_step,
)

EVALUATE_STEP = Step(
    id="decision",
    title="The decision, and the statement that made it",
    why=(
        "AWS weighs every policy in a fixed order: an explicit deny anywhere wins; SCPs must allow; then the "
        "resource policy and the identity policies, capped by the boundary and any session policy. awstriage "
        "follows the same order locally and names the statement that decided, the near misses (a bucket ARN "
        "without /*, a case slip, a condition key the request lacked) and the smallest change that fixes it."
    ),
    good="allowed, with the statement that grants it.",
    run=_evaluate_step,
)

TROUBLESHOOTER_STEP = Step(
    id="access-troubleshooter",
    title="What does AWS's Access Troubleshooter say?",
    why=(
        "Newer denial messages carry an authorization ID. With it, AWS's Access Troubleshooter (iam-toolbox "
        "GetRequestAuthorizationDetails) tells how AWS itself evaluated the request, check by check (SCPs, RCPs, "
        "the VPC endpoint, the resource policy, the principal's policies, the boundary, the session), with the "
        "policies as they were at that moment. It corroborates awstriage's evaluation; any disagreement is shown."
    ),
    good="Every check AWS recorded agrees with awstriage's evaluation.",
    run=_troubleshooter_step,
    decides=False,
)

SIMULATOR_STEP = Step(
    id="simulator",
    title="Does AWS's policy simulator agree?",
    why=(
        "AWS's policy simulator (iam:SimulatePrincipalPolicy) evaluates the principal's identity policies and "
        "boundary on AWS's side. Comparing its answer with awstriage's on the same policies catches anything the "
        "local evaluator got wrong; a disagreement is shown, never hidden. The simulator needs its own "
        "permission, so without it this step is skipped."
    ),
    good="Both say the same.",
    run=_simulator_step,
    decides=False,
)

PLAYBOOK = Playbook(
    name="access-denied",
    title="AccessDenied",
    purpose="Evaluates every policy that applies to a request, names the policy and statement that "
            "decide, and gives the smallest change that fixes it.",
    params=PARAMS,
    steps=(IDENTITY_STEP, REQUEST_STEP, PRINCIPAL_STEP, BOUNDARY_STEP, RESOURCE_STEP, VPCE_STEP, SCP_STEP,
           EVALUATE_STEP, TROUBLESHOOTER_STEP, SIMULATOR_STEP),
    default_scenario="iam-boundary-hides-allow",
)
