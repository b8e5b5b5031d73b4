"""AccessDenied: which policy and statement decide, and the smallest fix.

The steps read, for one principal and one resource, every policy IAM weighs (identity policies,
the permissions boundary, the resource's own policy, the endpoint policy of the VPC endpoint on the
way, the organization's SCPs and RCPs), then the evaluator (``diagnostics.iam``) decides as AWS
does and names the deciding statement. AWS's own words count as evidence: a pasted message that
names a policy type awstriage cannot read makes that type the cause (``diagnostics.iam.aws_words``).
Where AWS's own policy simulator may be asked, its answer corroborates; a disagreement is shown.

This module only reads (through ``ctx``) and sets each step's status; what the steps and findings
say is worded by pure analysers: ``diagnostics.iam.verdicts`` (a decision's findings and fixes),
``diagnostics.iam.judgement`` (the decision against AWS's words), ``diagnostics.iam.request_findings``
(the request itself) and ``diagnostics.iam.wording`` (each step's sentence).

Exactly one finding carries ``evidence.decision`` (allowed, explicitDeny, implicitDeny). Its code:

* IAM_EXPLICIT_DENY: a Deny statement matched (in an identity, boundary or resource policy);
* IAM_SCP_BLOCKS: an SCP (or RCP) denies explicitly, or a level of the organization lacks an allow;
* IAM_VPCE_POLICY_BLOCKS: the VPC endpoint's policy denies, or does not allow;
* IAM_BOUNDARY_BLOCKS, IAM_SESSION_POLICY_BLOCKS, IAM_RESOURCE_POLICY_BLOCKS: that guardrail or the
  resource policy (which must allow by itself for KMS keys, role trust and other accounts) lacks an allow;
* IAM_NO_ALLOW: no identity-based policy allows the request;
* IAM_OTHER_ACCOUNT_BLOCKS: a caller from another account, allowed on the side read here;
* IAM_ALLOWED (info; a warning for an action IAM never gates, sts:GetCallerIdentity, that AWS denied:
  the failure lies elsewhere): the request is allowed by what could be read and no denial was given;
* IAM_DENIED_UNEXPLAINED or S3_KEY_NOT_FOUND_WITHOUT_LIST: AWS denied what the policies read allow
  (the local evaluation is its evidence, ``awstriage_evaluation``: never an IAM_ALLOWED beside it);
* IAM_UNSIGNED_REQUEST: AWS names the caller "anonymous": the request carried no signature.

Beside it: IAM_UNKNOWN_ACTION (the action asked for is not one AWS has: the finding is the typo, and
the action meant is what gets evaluated; nothing ever grants the misspelling), IAM_RESOURCE_NOT_FOUND
(the resource is not there), and, where AWS's message names a
type awstriage cannot read while its own evaluation blames another, a second finding carrying
``evidence.aws_decision``.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from diagnostics.cloudtrail.events import EventQuery, lookup_events
from diagnostics.errors import ErrorKind, describe_error, explain_error
from diagnostics.iam import Policy, PolicySet, catalog, evaluate
from diagnostics.iam.aws_words import weigh
from diagnostics.iam.collect import (
    RCP_SERVICES,
    ManagedPolicyReader,
    PrincipalError,
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
    policy_holder,
    resolve_principal,
    resource_policy,
    s3_object_state,
    simulate_principal,
    trusted_services,
    vpc_endpoint,
    vpc_endpoints_for,
)
from diagnostics.iam.context_defaults import assumed_context
from diagnostics.iam.denials import (
    denial_text,
    group_denials,
    is_denial,
    no_denial_words,
    pick,
    recent_denials_words,
    unknown_event_words,
)
from diagnostics.iam.federated import FEDERATED, federated_finding
from diagnostics.iam.judgement import Judgement, judge, judge_aws_only, with_typo
from diagnostics.iam.model import PolicyHolder, Principal
from diagnostics.iam.principals import identify
from diagnostics.iam.reads import ResourcePolicyRead, ScpRead, VpceRead
from diagnostics.iam.request import Ask, other_partition, understand
from diagnostics.iam.request_findings import (
    not_found_finding,
    type_mismatch_finding,
    ungated_finding,
    unknown_action_finding,
    unsigned_finding,
)
from diagnostics.iam.resources import account_of
from diagnostics.iam.simulator import Simulation, simulation_words
from diagnostics.iam.troubleshooter import compare, denying_policy_uris, read_details, record_words
from diagnostics.iam.unexplained import s3_object
from diagnostics.iam.verdicts import (
    Circumstances,
    Decision,
    boundary_blocks,
    decide,
    identity_blocks,
    request_for,
    unseen,
)
from diagnostics.iam.wording import (
    boundary_words,
    count,
    foreign_words,
    guardrail_words,
    identity_words,
    lacking_words,
    request_words,
    resource_words,
    vpce_words,
)
from playbooks import params as v
from playbooks.common import IDENTITY_STEP, make_clients
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


def request_action(text: str) -> str:
    """One action, as a request names it: a pattern (s3:*) is what policies hold, never a request."""
    action = v.iam_action(text)
    wildcard = catalog.wildcard_request(action)
    if wildcard:
        raise ValueError(wildcard)
    return action


PARAMS = (
    Param("principal", "the user, role or assumed-role ARN that was denied (default: you)", v.principal_arn,
          picker="iam-principal", example="arn:aws:iam::123456789012:user/alice"),
    Param("action", "the API action that was denied, as service:Action", request_action,
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
        return StepOutcome("no_data", no_denial_words(region, whose, hours, window.read, window.truncated))
    chosen = pick(window.events, ctx.inputs.get("event"))
    if chosen is None:
        return StepOutcome("error", unknown_event_words(str(ctx.inputs.get("event")), whose, hours, groups))
    words = recent_denials_words(groups, chosen, region, whose, hours, picked=bool(ctx.inputs.get("event")))
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
        ask = understand(inputs, caller, lambda blob: ctx.read(  # a failed decode is a missing fact
            "the decoded authorization message", lambda: decode_authorization_message(ctx.client("sts"), blob),
            key=f"sts:decoded:{blob}"), region=ctx.session.region)
    except ValueError as exc:
        return StepOutcome("error", f"Could not name the request: {exc}.")
    if ask.anonymous:
        # Not cached as the request: no principal's policies can explain an unsigned request.
        finding = unsigned_finding(ask)
        return StepOutcome("problem", " ".join([found, finding.summary]).strip(), [finding])
    other = other_partition(ask, caller)  # another partition: nothing read here explains it
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
        finding = unknown_action_finding(typed)
        return StepOutcome("problem", " ".join([found, finding.summary]).strip(), [finding])
    wildcard = catalog.wildcard_request(str(ask.action)) if ask.action else None
    if wildcard:
        return StepOutcome("error", f"Could not name the request: {wildcard}.")
    # What AWS's message names together is what AWS authorized: only a pair a person put together is judged.
    given = inputs.get("action") or inputs.get("resource")
    mismatch = catalog.type_mismatch(str(ask.action), str(ask.resource)) if given and ask.action and ask.resource \
        else None
    if mismatch:
        finding = type_mismatch_finding(ask, mismatch)
        return StepOutcome("problem", " ".join([found, request_words(ask), finding.summary]).strip(), [finding])
    ctx.cache["iam:ask"] = ask
    if ask.missing():
        return StepOutcome("error", lacking_words(ask, found))
    _start_reads(ctx, ask)
    return StepOutcome("warning" if ask.warnings or near else "ok", request_words(ask, found, typed, near))


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


# --- collecting -------------------------------------------------------------------------------


def _managed(ctx: Context) -> ManagedPolicyReader:
    return ctx.memo("iam:managed-reader", lambda: ManagedPolicyReader(ctx.client("iam")))


def _read_principal(ctx: Context, ask: Ask) -> Principal:
    caller_account = ctx.identity.get("account") or None
    return foreign_principal(ask.principal, caller_account) or resolve_principal(
        ctx.client("iam"), ask.principal, caller_account)


def _plan(ctx: Context) -> None:
    """Nothing can be read before the request is known (the request step, which needs the caller's
    account): the clients its first reads use are made meanwhile."""
    make_clients(ctx, "iam", "organizations")


def _start_reads(ctx: Context, ask: Ask) -> None:
    """Once the request is known, what it names is asked for at once: the principal, the resource's policy
    and AWS's Access Troubleshooter; and, for a user or role of this account, whose name is in the ARN, its
    identity policies and the organization's policies beside the principal itself. The boundary, the VPC
    endpoint and AWS's simulator follow as soon as the principal is read (see :func:`_plan_principal`)."""
    ctx.prefetch("iam:resource-policy", lambda: _resource_policy(ctx))
    if ask.principal == FEDERATED:
        return  # a token, no IAM caller: only the role's trust policy is read
    ctx.prefetch("iam:principal", lambda: _read_principal(ctx, ask))
    auth_id = ask.denial.authorization_id if ask.denial else None
    if auth_id:
        ctx.prefetch(f"iam:troubleshooter:{auth_id}",
                     lambda: authorization_details(ctx.client("iam-toolbox"), auth_id))
    ungated = catalog.is_ungated(str(ask.action))  # no policy of the principal takes part
    holder = None if ungated else policy_holder(str(ask.principal), ctx.identity.get("account") or None)
    if holder is not None:
        ctx.prefetch(IDENTITY_POLICIES, lambda: _read_identity_policies(ctx, holder))
        for accessor in (_read_scps, _rcps):
            ctx.prefetch(f"iam:plan:{accessor.__name__}", lambda accessor=accessor: accessor(ctx))
    ctx.prefetch("iam:plan:principal", lambda: _plan_principal(ctx, ask, early=holder is not None))


def _plan_principal(ctx: Context, ask: Ask, early: bool) -> None:
    """With the principal read (a failure stops here: its step reports it), the reads that hang on it, and
    those :func:`_start_reads` could not start before it (``early``: it started the identity policies and
    the organization's policies). Each goes through the accessor its step uses, under the same key."""
    principal = ctx.memo("iam:principal", lambda: _read_principal(ctx, ask))
    parts: list[Any] = [_vpce] if early else [_scps, _rcps, _vpce]
    if principal.readable:
        parts += [_boundary, _simulation] if early else [_identity_policies, _boundary, _simulation]
    for accessor in parts:
        ctx.prefetch(f"iam:plan:{accessor.__name__}", lambda accessor=accessor: accessor(ctx))


def _principal(ctx: Context) -> Principal:
    ask = _ask(ctx)
    if catalog.is_ungated(str(ask.action)):
        raise StepSkip(f"Not read: {ask.action} needs no permission, so no policy of the principal takes part.")
    if ask.principal == FEDERATED:
        raise StepSkip(f"Not read: {ask.action} is called with a token from an identity provider, not with AWS "
                       "credentials, so no IAM caller's policies take part: the role's trust policy decides (see "
                       "'Does the resource have its own policy?').")
    if ctx.peek("iam:principal:failed"):
        raise StepSkip("Not checked: the principal could not be read (see 'Which policies does the principal "
                       "carry?').")
    ask = _ask(ctx)
    try:
        return ctx.memo("iam:principal", lambda: _read_principal(ctx, ask))
    except Exception as exc:
        ctx.cache["iam:principal:failed"] = str(exc)
        raise


IDENTITY_POLICIES = "iam:identity-policies"


def _read_identity_policies(ctx: Context, holder: PolicyHolder | Principal) -> list[Policy]:
    before = len(ctx.missing)
    policies = identity_policies(ctx.client("iam"), holder, _managed(ctx), ctx.read, ctx.read_all)
    # What could not be read is kept apart: never evaluated as if those policies were empty.
    ctx.cache["iam:identity-unread"] = [m.sentence() for m in ctx.missing[before:]]
    return policies


def _identity_policies(ctx: Context) -> list[Policy]:
    principal = _principal(ctx)
    if not principal.readable:
        raise StepSkip(foreign_words(principal))
    return ctx.memo(IDENTITY_POLICIES, lambda: _read_identity_policies(ctx, principal))


def _boundary(ctx: Context) -> Policy | None:
    principal = _principal(ctx)
    if not principal.readable:
        raise StepSkip(foreign_words(principal))
    return ctx.memo("iam:boundary", lambda: boundary_policy(ctx.client("iam"), principal, _managed(ctx)))


def _resource_policy(ctx: Context) -> ResourcePolicyRead:
    ask = _ask(ctx)
    return ctx.memo("iam:resource-policy", lambda: resource_policy(
        ctx.client, str(ask.resource), str(ask.action), ctx.session.region, ctx.identity.get("account") or None))


def _scps(ctx: Context) -> ScpRead:
    _principal(ctx)  # a principal that cannot be read (or needs none) answers for its SCPs too, as it always did
    return _read_scps(ctx)


def _read_scps(ctx: Context) -> ScpRead:
    """The SCPs of the principal's account: named in its ARN, so they are read beside the principal."""
    account = identify(str(_ask(ctx).principal)).account or ctx.identity.get("account", "")
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


def _alone(ask: Ask, principal: Principal, policies: PolicySet) -> str:
    return evaluate(request_for(ask, principal), policies).decision


def _principal_step(ctx: Context) -> StepOutcome:
    ask = _ask(ctx)
    try:
        principal = _principal(ctx)
    except PrincipalError as exc:
        return StepOutcome("error", str(exc))
    policies = _identity_policies(ctx)
    unread = ctx.peek("iam:identity-unread") or []
    if unread:  # never judged as if the unread ones were empty: they could allow
        return StepOutcome("warning", identity_words(ask, principal, policies, unread))
    # A layer that blocks on its own is a problem here, judged on what this step read, not on the
    # later steps.
    request = request_for(ask, principal, _assumed(ctx), ctx.identity.get("account") or None)
    blocks = _layer_blocks(ctx, lambda resource: identity_blocks(request, policies, resource))
    return StepOutcome("problem" if blocks else "ok", identity_words(ask, principal, policies, unread, blocks))


def _layer_blocks(ctx: Context, blocks: Callable[[Policy | None], bool]) -> bool:
    """Whether a layer refuses the request on its own, judged without the resource's policy and, only when
    it would, again with it: within one account a resource policy naming the principal grants in place of
    identity policies and past a boundary. (The resource's read is then the asking step's.)"""
    if not blocks(None):
        return False
    try:
        resource = _resource_policy(ctx).policy
    except Exception:  # its own step says why; without it, the layer is judged alone
        resource = None
    return blocks(resource)


def _boundary_step(ctx: Context) -> StepOutcome:
    ask = _ask(ctx)
    principal = _principal(ctx)
    boundary = _boundary(ctx)
    if boundary is None:
        return StepOutcome("ok", boundary_words(ask, principal, None, None))
    as_identity = Policy(boundary.name, "identity", boundary.document, boundary.arn, boundary.attached_to)
    alone = _alone(ask, principal, PolicySet(identity=(as_identity,)))
    # A boundary that blocks the request blocks it whatever else is fixed: a problem here, judged on
    # what the principal carries (and the resource's policy), not on the later steps.
    try:
        identity = _identity_policies(ctx)
    except Exception:  # the identity policies could not be read: their step says so
        blocks = alone != "allowed"
    else:
        request = request_for(ask, principal, _assumed(ctx), ctx.identity.get("account") or None)
        blocks = _layer_blocks(ctx, lambda resource: boundary_blocks(request, identity, boundary, resource))
    return StepOutcome("problem" if blocks else "ok", boundary_words(ask, principal, boundary, alone))


def _resource_step(ctx: Context) -> StepOutcome:
    ask = _ask(ctx)
    read = _resource_policy(ctx)
    status = {"read": "ok", "none": "ok", "unsupported": "skipped", "missing": "warning",
              "unreadable": "warning", "elsewhere": "warning"}[read.status]
    detail = resource_words(ask, read)
    if read.status == "missing":
        return StepOutcome("problem", detail, [not_found_finding(ask, read, ctx.identity.get("account", ""),
                                                                 ctx.session.region)])
    return StepOutcome(status, detail)


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
    status = {"read": "ok", "none": "ok", "unknown": "skipped", "unreadable": "warning"}[read.status]
    return StepOutcome(status, vpce_words(ask, read))


def _scp_step(ctx: Context) -> StepOutcome:
    _ask(ctx)
    scps, rcps = _scps(ctx), _rcps(ctx)
    unreadable = "unreadable" in (scps.status, rcps.status)
    return StepOutcome("warning" if unreadable else "ok", guardrail_words(scps, rcps))


# --- deciding ---------------------------------------------------------------------------------


def _assumed(ctx: Context) -> dict[str, str]:
    """The context keys AWS always sends that the request did not give (fixed once per run)."""
    ask = _ask(ctx)
    return ctx.memo("iam:assumed-context", lambda: assumed_context(
        ask.context, resource=ask.resource, region=ctx.session.region, now=datetime.now(UTC)))


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


def _decision(ctx: Context) -> Decision:
    return ctx.memo("iam:decision", lambda: decide(
        request_for(_ask(ctx), _principal(ctx), _assumed(ctx), ctx.identity.get("account") or None),
        _policy_set(ctx)))


def _circumstances(ctx: Context, principal: Principal) -> Circumstances:
    """What surrounds the decision, read once it is made: the context assumed, what could not be read
    (and why), AWS's message, the region, and what reading the organization's policies said."""
    scps, rcps = _scps(ctx), _rcps(ctx)
    return Circumstances(
        assumed=_assumed(ctx),
        unseen=unseen(principal, scps, rcps, _resource_policy(ctx), ctx.peek("iam:identity-unread") or [],
                      ctx.peek("iam:vpce")),
        denial=_ask(ctx).denial, region=ctx.session.region, guardrails={"scp": scps.detail, "rcp": rcps.detail},
        guardrail_status={"scp": scps.status, "rcp": rcps.status})


def _outcome(judged: Judgement) -> StepOutcome:
    """The decision step's status follows from its findings: a blocking one is a problem; without one,
    an undecided judgement is an error (a policy could not be read) or no data (the rest lies in another
    account); a warning finding is a warning."""
    severities = {f.severity for f in judged.findings}
    if "error" in severities:
        status = "problem"
    elif judged.undecided:
        status = {"unread": "error", "elsewhere": "no_data"}[judged.undecided]
    else:
        status = "warning" if "warning" in severities else "ok"
    return StepOutcome(status, judged.detail, list(judged.findings))


def _evaluate_step(ctx: Context) -> StepOutcome:
    ask = _ask(ctx)
    if catalog.is_ungated(str(ask.action)):
        finding = ungated_finding(ask)
        return _outcome(Judgement(f"Decision: allowed. {finding.summary}", [finding]))
    try:
        judged = _evaluate_read(ctx)
    except Exception as exc:
        # AWS's message names the policy type that decided: that finding stands whatever else could
        # not be read here (the principal, the resource); what failed is added, never substituted.
        if ask.denial is None or not ask.denial.policy_type:
            raise
        why = ctx.peek("iam:principal:failed") or (
            f"{ask.resource} does not exist here" if _resource_policy(ctx).status == "missing" else str(exc))
        judged = judge_aws_only(ask, str(why).rstrip("."), ctx.identity.get("account") or None, ctx.session.region)
    typo = ctx.peek("iam:typo")
    if typo:
        decision = ctx.peek("iam:decision")
        judged = with_typo(judged, *typo, ask, decision.evaluation.decision if decision is not None else None)
    return _outcome(judged)


def _evaluate_read(ctx: Context) -> Judgement:
    ask = _ask(ctx)
    read = _resource_policy(ctx)
    if read.status == "missing":
        raise StepSkip("Not evaluated: the resource does not exist (see 'Does the resource have its own policy?'), "
                       "so no policy decides about it.")
    if ask.principal == FEDERATED:
        detail, found, undecided = federated_finding(str(ask.action), str(ask.resource), read, ask.context,
                                                     denied=ask.denial is not None)
        return Judgement(detail, [found] if found else [], undecided)  # type: ignore[arg-type]
    principal = _principal(ctx)
    decision = _decision(ctx)
    seen = _circumstances(ctx, principal)
    words = (weigh(ask.denial.policy_type, ask.denial.explicit, decision.evaluation, seen.unseen)
             if ask.denial else None)
    return judge(decision, principal, words, seen, read, _object_state(ctx, decision))


def _object_state(ctx: Context, decision: Decision) -> str | None:
    """For an S3 object read AWS denied but the policies allow: whether the key exists (S3 answers a
    missing key with 403 to a caller without s3:ListBucket). None when it does not matter."""
    target = s3_object(decision.request)
    if target is None or decision.evaluation.decision != "allowed" or _ask(ctx).denial is None:
        return None
    bucket, key = target
    state, _ = ctx.read(f"whether s3://{bucket}/{key} exists", lambda: s3_object_state(ctx.client("s3"), bucket, key),
                        default=("unknown", ""), key=f"s3:object:{bucket}/{key}")
    return state


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
            as_they_were.append(f"{uri} ({count(len(doc.get('Statement') or []), 'statement', 'statements')})")
    decision = ctx.peek("iam:decision")
    per_type = dict(decision.evaluation.per_type) if decision is not None else {}
    detail, disagreement = record_words(auth_id, first, compare(first, per_type), as_they_were)
    return StepOutcome("warning", detail, [disagreement]) if disagreement else StepOutcome("ok", detail)


def _simulation(ctx: Context) -> Simulation:
    """AWS's simulator on the principal's own policies, asked as soon as the principal is read: what it is
    asked (the principal, the request and its context) needs no other read."""
    ask, principal = _ask(ctx), _principal(ctx)
    context = request_for(ask, principal, _assumed(ctx)).context  # the decision's request context
    return ctx.memo("iam:simulation", lambda: simulate_principal(
        ctx.client("iam"), principal.entity_arn, str(ask.action), str(ask.resource), context))


def _simulator_step(ctx: Context) -> StepOutcome:
    _ask(ctx)
    principal = _principal(ctx)
    if not principal.readable:
        raise StepSkip(f"Not compared: AWS's simulator can only be asked about {principal.arn} in its own account "
                       f"{principal.account}.")
    decision = _decision(ctx)
    try:
        answer = _simulation(ctx)
    except (ClientError, ValueError) as exc:
        # Refused, not implemented (plain moto) or empty: nothing to compare. The step only
        # corroborates, so the decision above stands; the transcript lists it as not corroborated.
        info = describe_error(exc, service="iam", operation="SimulatePrincipalPolicy")
        hint = (" AWS's simulator needs iam:SimulatePrincipalPolicy." if info.kind is ErrorKind.ACCESS_DENIED
                else "")
        return StepOutcome("error", f"Could not ask AWS's policy simulator to corroborate the decision: "
                                    f"{info.sentence}.{hint} The decision above does not depend on it.")
    detail, disagreement = simulation_words(answer, decision.request, decision.policies, principal.entity_arn)
    return StepOutcome("warning", detail, [disagreement]) if disagreement else StepOutcome("ok", detail)


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
    plan=_plan,
)
