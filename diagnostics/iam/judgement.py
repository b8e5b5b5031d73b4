"""The decision step's judgement: awstriage's own decision weighed against AWS's words.

AWS's message is authoritative for the request as it was made (``diagnostics.iam.aws_words``);
awstriage's evaluation is authoritative for the policies it read, as they are now. This module puts
the two together into what the decision step says and the findings it makes:

* AWS names a policy type that cannot be read here: that type is the cause, with where to look;
* AWS names a type that was read and the evaluation blames another (or allows): both are shown;
* a policy that could not be read is never evaluated as if empty: a denial becomes conditional on
  it, an allow cannot be decided;
* a caller from another account: the resource's side is judged here, the rest is for that account;
* a role in another account (its trust policy cannot be read from here): the caller's side is judged
  here, and the trust policy is for that account's administrator, never read or rewritten here;
* awstriage could not evaluate at all (the principal or the resource could not be read): AWS's
  message alone makes the finding.

Pure: the playbook passes the decision, the principal, AWS's words and the :class:`Circumstances`.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from typing import Any, Literal

from diagnostics.findings import Finding
from diagnostics.iam.aws_words import TYPE_WORDS, AwsWords, deny_not_found, where_to_look
from diagnostics.iam.context_defaults import assumed_words, missing_key_words, unknown_value_condition
from diagnostics.iam.explain import fix_for, near_misses
from diagnostics.iam.model import Evaluation, Principal
from diagnostics.iam.reads import ResourcePolicyRead
from diagnostics.iam.request import Ask
from diagnostics.iam.request_findings import typo_finding
from diagnostics.iam.resources import account_of
from diagnostics.iam.unexplained import denied_yet_allowed
from diagnostics.iam.verdicts import CODES, Circumstances, Decision, finding, layer_findings, verify_all


@dataclass(frozen=True)
class Judgement:
    """What the decision step says and the findings it makes.

    ``undecided``: why nothing could be decided when no finding blocks: "unread" (a policy that
    could not be read could refuse what the rest allows), "elsewhere" (the rest of the decision lies
    in another account, which cannot be read from here); "" when decided.
    """

    detail: str
    findings: list[Finding] = field(default_factory=list)
    undecided: Literal["", "unread", "elsewhere"] = ""


def evaluation_words(evaluation: Evaluation, assumed: Mapping[str, str]) -> str:
    """The evaluation per policy type, the context keys it lacked and the ones it assumed."""
    per_type = ", ".join(f"{TYPE_WORDS[k]}: {r}" for k, r in evaluation.per_type.items() if r != "absent")
    detail = f"awstriage's evaluation: {evaluation.decision}. Per policy type: {per_type}."
    if evaluation.missing_context_keys:  # a key AWS always sends is "not given", never lacked
        detail += " " + missing_key_words(evaluation.missing_context_keys)
    words = assumed_words(assumed)
    if words:
        detail += " " + words
    return detail


def judge(decision: Decision, principal: Principal, words: AwsWords | None, seen: Circumstances,
          read: ResourcePolicyRead, object_state: str | None = None) -> Judgement:
    """The decision, weighed against AWS's ``words`` (None without a message); ``read`` is the
    resource's policy as read (a caller from another account is judged on that side alone);
    ``object_state``: for an S3 object read, whether the key exists ("exists", "missing", "unknown")."""
    evaluation = decision.evaluation
    detail = evaluation_words(evaluation, seen.assumed)
    if not principal.readable:
        detail = detail.replace("awstriage's evaluation:", "On the side readable here (the resource's), "
                                "awstriage's evaluation:", 1)
        return judge_foreign(decision, principal, words, detail, seen, read)
    if read.status == "elsewhere" and evaluation.decision != "allowed":
        return judge_elsewhere(decision, principal, words, detail, seen, read)
    local = finding(decision, principal, seen)
    if words is not None and words.agreement == "unseen":
        aws = aws_finding(decision, principal, words, local if evaluation.decision != "allowed" else None, seen)
        findings = [aws] if evaluation.decision == "allowed" else [local, aws]
        return Judgement(f"Decision: {words.decision} (AWS's message). {aws.summary} {detail}", findings)
    if words is not None and words.agreement == "disagrees" and (evaluation.decision == "allowed" or (
            words.explicit and evaluation.decision == "implicitDeny" and words.policy_type in (
                "identity", "boundary", "session", "resource"))):  # AWS's explicit deny is the finding
        aws = aws_finding(decision, principal, words, None, seen)
        return Judgement(f"Decision: {words.decision} (AWS's message). {aws.summary} {detail}", [aws])
    if words is not None and words.agreement == "agrees":
        local = replace(local, summary=local.summary + f" AWS's message says the same: {words.said()}.")
    elif words is not None and words.agreement == "disagrees":
        local = replace(local, summary=local.summary + f" AWS's message names another cause ({words.said()}): "
                        "both block; AWS's message is authoritative for the request as it was made.")
    # A policy that could not be read is never evaluated as if empty: it could allow, or deny.
    for kind, what in (("identity", "an identity policy that could not be read"),
                       ("resource", "the resource's policy, which could not be read,")):
        if kind not in seen.unseen or evaluation.decision == "explicitDeny":
            continue
        if evaluation.decision == "allowed":
            return Judgement(f"Could not decide: what was read allows it, but {seen.unseen[kind].rstrip('.')}. "
                             f"A deny in {what.split(',')[0]} would refuse the request. {detail}", undecided="unread")
        local = replace(local, certainty="conditional", condition=f"unless {what} allows it")
    unknown = unknown_value_condition(evaluation.missing_context_keys)  # aws:SourceIp not given
    if unknown and evaluation.decision != "allowed" and local.certainty == "certain":
        local = replace(local, certainty="conditional", condition=unknown)
    layers = layer_findings(decision, principal, local, seen)
    detail = f"Decision: {evaluation.decision}. {' '.join(f.summary for f in layers)} {detail}"
    check = verify_all(decision, layers)
    if check:
        detail += " " + check
    if evaluation.decision == "allowed":
        if seen.denial is not None:  # AWS denied what the policies read allow: never "no problem"
            found = denied_yet_allowed(decision.request, decision.policies, local, seen.unseen, object_state,
                                       "explicitDeny" if seen.denial.explicit else "implicitDeny")
            # AWS's denial is the decision: the evaluation's "allowed" is named as its own, never as the answer.
            detail = detail.replace("Decision: allowed.", "awstriage's evaluation of the policies read here allows "
                                    "it:", 1)
            return Judgement(f"{found[0].summary} {detail}", found)
        return Judgement(detail, [local])
    return Judgement(detail, layers)


def _aws_account(words: AwsWords, resource: str, principal: Principal) -> str:
    if words.policy_type == "rcp":
        return account_of(resource) or principal.account
    return principal.account


def aws_finding(decision: Decision, principal: Principal, words: AwsWords, local: Finding | None,
                seen: Circumstances) -> Finding:
    """The finding AWS's message makes where awstriage cannot read (or disagrees on) the type it names."""
    request, evaluation, denial = decision.request, decision.evaluation, seen.denial
    service = request.action.split(":", 1)[0]
    kind = str(words.policy_type)
    type_words = TYPE_WORDS[kind]
    account = _aws_account(words, request.resource, principal)
    where, commands = where_to_look(kind, account=account, region=seen.region, service=service,
                                    principal=principal.entity_arn, resource=request.resource, action=request.action)
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
        guardrail = seen.guardrails.get(kind, "")
        summary = (f"{who}: AWS's message says {words.said()}, but awstriage's evaluation of the policies as they "
                   f"read now {local_words}" + (f" ({guardrail.rstrip('.')})" if guardrail else "")
                   + ". AWS's message is authoritative for the request as it was made: the "
                   f"{type_words} may have changed since the denial, or the request carried context that was not "
                   "given here")
        missing = evaluation.missing_context_keys
        summary += (f" (it lacked {', '.join(missing)})." if missing else
                    " (pass it with --param context=KEY=VALUE).")
    at_fault = denial.policy_arn if denial and denial.policy_arn else {
        "session": f"{principal.arn} (session policy)",
        "identity": principal.entity_arn, "boundary": principal.boundary_arn or principal.entity_arn,
        "resource": (decision.policies.resource.name if decision.policies.resource else request.resource),
        "vpce": f"VPC endpoint policy (com.amazonaws.{seen.region}.{service})",
    }.get(kind, f"{type_words.replace('policy', 'policies')} of account {account}")
    evidence: dict[str, Any] = {
        "aws_decision": words.decision, "policy_type": kind, "agreement": words.agreement,
        "authoritative": "AWS's message (it saw every policy when the request was made)",
        "awstriage_decision": evaluation.decision, "where_to_look": where,
        "not_readable_because": words.why_unseen,
        "aws_message": {"policy_type": kind, "explicit": words.explicit,
                        "policy_arn": denial.policy_arn if denial else None},
    }
    if local is None or "decision" not in local.evidence:
        evidence["decision"] = words.decision
    remediation = [f"# Look {where}", *commands] if words.agreement == "unseen" else list(
        local.remediation if local else [])
    if kind in ("scp", "rcp") and seen.guardrail_status.get(kind) in ("none", "management") and not remediation:
        remediation = _guardrail_gone(kind, account, seen)
    elif not remediation and commands:
        remediation = [f"# Look {where}", *commands]
    if words.explicit and words.agreement == "disagrees" and evaluation.decision != "explicitDeny" and kind in (
            "identity", "boundary", "session", "resource"):
        # AWS named an explicit deny the policies read do not hold: still an explicit deny (issue 9).
        places, look = deny_not_found(kind, principal=principal.arn, kind=principal.kind, region=seen.region,
                                      resource=request.resource)
        condition = f"if AWS's message stands and the deny is not in the policies read here: look for {places}"
        return Finding("IAM_EXPLICIT_DENY", "error", at_fault, summary, evidence,
                       [f"# Find the deny AWS named: {places}", *look, *remediation],
                       certainty="conditional", condition=condition)
    return Finding(CODES.get(kind, "IAM_NO_ALLOW"), "error", at_fault, summary, evidence, remediation)


def _guardrail_gone(kind: str, account: str, seen: Circumstances) -> list[str]:
    """AWS named an SCP (or RCP) where none applies now (no organization, or the management account):
    the request was made from another account than the one read, or the account's organization changed
    since the denial. Read-only commands to tell which."""
    region = seen.region or "us-east-1"
    short = "SCP" if kind == "scp" else "RCP"
    return [f"# AWS named an {short}, but none applies to account {account} now "
            f"({seen.guardrails.get(kind, '').rstrip('.')}): check which account and role really made the request "
            "(run aws sts get-caller-identity where it failed), and whether the account left or changed "
            "organization since the denial",
            "aws sts get-caller-identity",
            f"aws cloudtrail lookup-events --lookup-attributes AttributeKey=EventSource,"
            f"AttributeValue=organizations.amazonaws.com --region {region}"]


def judge_foreign(decision: Decision, principal: Principal, words: AwsWords | None, detail: str,
                  seen: Circumstances, read: ResourcePolicyRead) -> Judgement:
    """A caller from another account: the resource side is evaluated here; the rest is for that account."""
    evaluation, request = decision.evaluation, decision.request
    resource_result = evaluation.per_type.get("resource", "absent")
    if evaluation.decision == "explicitDeny" or (resource_result != "allow" and read.status in ("read", "none")):
        # The side read here already refuses: a caller from another account needs the resource's allow.
        local = finding(decision, principal, seen)
        if evaluation.decision != "explicitDeny":
            local = replace(local, code="IAM_RESOURCE_POLICY_BLOCKS", resource=read.holder_arn or request.resource,
                            summary=(f"{request.principal} cannot {request.action} on {request.resource}: it comes "
                                     f"from account {principal.account}, so the {read.kind or 'resource policy'} "
                                     f"must allow it, and "
                                     + ("there is none." if read.status == "none" else "it does not.")
                                     + f" Account {principal.account} must also allow it in the caller's "
                                     "identity policies."))
        if words is not None and words.policy_type in ("identity", "boundary", "session") and \
                evaluation.decision != "explicitDeny":
            # AWS blames the caller's own account: that is the headline; the resource side is a second cause.
            aws = aws_finding(decision, principal, replace(words, agreement="unseen"), local, seen)
            return Judgement(f"{detail} {aws.summary} {local.summary}", [aws, local])
        return Judgement(f"{detail} {local.summary}", [local])
    if words is not None and words.policy_type:
        aws = aws_finding(decision, principal, replace(words, agreement="unseen") if words.agreement
                          != "unseen" and words.policy_type in ("identity", "boundary", "session") else words,
                          None, seen)
        return Judgement(f"{detail} {aws.summary}", [aws])
    side = (f"the {read.kind} of the {read.holder} allows it" if resource_result == "allow"
            else f"the resource's policy could not be read ({read.detail})")
    must = (f"Account {principal.account}'s administrator must check that the caller's identity policies allow "
            f"{request.action} on {request.resource}, and that no permissions boundary, session policy or SCP of "
            "that account refuses it.")
    if seen.denial is not None:
        other = Finding("IAM_OTHER_ACCOUNT_BLOCKS", "error", principal.entity_arn,
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
        return Judgement(f"{detail} {other.summary}", [other])
    return Judgement(f"{detail} On this side {side}; the rest of the decision lies in account "
                     f"{principal.account}, which cannot be read with these credentials. {must}", undecided="elsewhere")


def judge_elsewhere(decision: Decision, principal: Principal, words: AwsWords | None, detail: str,
                    seen: Circumstances, read: ResourcePolicyRead) -> Judgement:
    """A role in another account: its trust policy (``read.status == "elsewhere"``) cannot be read from
    here, so the caller's side is judged alone and the trust policy is named for that account to check.
    Nothing here is said to be in that trust policy, and no command writes a role of this account."""
    evaluation, request = decision.evaluation, decision.request
    account = account_of(request.resource) or "the role's account"
    readable = replace(evaluation, blocking_types=tuple(k for k in evaluation.blocking_types if k != "resource"))
    must = _trust_must(request.principal, principal, request.action, request.resource, account)
    if readable.decision == "explicitDeny" or readable.blocking_types:
        # The side read here refuses on its own: that is the finding; the trust policy must allow too.
        # The caller's policies are this account's (only the role is elsewhere): their fix is written here.
        local = replace(request, resource_account=principal.account or request.resource_account)
        here = replace(decision, request=local, evaluation=readable,
                       misses=tuple(near_misses(local, decision.policies, readable)),
                       fix=fix_for(local, decision.policies, readable))
        layers = layer_findings(here, principal, finding(here, principal, seen), seen)
        layers[0] = replace(layers[0], summary=f"{layers[0].summary} Besides, {must[0].lower()}{must[1:]}")
        return Judgement(f"Decision: {readable.decision}. {' '.join(f.summary for f in layers)} {detail}", layers)
    said = words is not None and words.policy_type == "resource"
    allowed_by = _allowed_by(evaluation)
    summary = (f"{request.principal} cannot {request.action} on {request.resource}: on this side {allowed_by}, and "
               f"the role is in account {account}, whose trust policy must allow it too. That trust policy cannot be "
               f"read with these credentials (IAM reads a role by name, in the credentials' own account only). {must}")
    if seen.denial is None:
        return Judgement(f"{detail} {summary}", undecided="elsewhere")
    role = request.resource.rsplit("/", 1)[-1]
    statement = {"Effect": "Allow", "Principal": {"AWS": request.principal}, "Action": request.action}
    found = Finding(
        "IAM_RESOURCE_POLICY_BLOCKS", "error", request.resource, summary,
        {"decision": "implicitDeny", "awstriage_decision": evaluation.decision, "policy_type": "resource",
         "per_type": dict(evaluation.per_type), "where_to_look": f"the trust policy of {request.resource}, in "
         f"account {account}", "not_readable_because": read.detail, "resource_account": account},
        [f"# With credentials for account {account} (not these): read the trust policy of {role} there",
         f"aws iam get-role --role-name {role} --query Role.AssumeRolePolicyDocument",
         f"# It must hold a statement like: {json.dumps(statement, separators=(',', ':'))} (or name account "
         f"{principal.account}'s root), with any condition it sets (sts:ExternalId, MFA, tags) met by the caller."],
        certainty="certain" if said else "conditional",
        condition="" if said else ("if AWS denied the request (as the pasted message says) and the caller's policies "
                                   "read here are the ones AWS weighed; an SCP or RCP of either account could "
                                   "refuse it too"))
    return Judgement(f"Decision: implicitDeny. {summary} {detail}", [found])


def _trust_must(arn: str, principal: Principal, action: str, role: str, account: str) -> str:
    return (f"Account {account}'s administrator must check that the trust policy of {role} allows {action} for "
            f"{arn} (or for account {principal.account}), and that the caller meets its conditions.")


def _allowed_by(evaluation: Evaluation) -> str:
    allows = [m for m in evaluation.matched if m.effect == "Allow" and m.policy_type == "identity"]
    if not allows:
        return "the caller's identity policies allow it"
    m = allows[0]
    where = f"statement {m.index}" + (f" ({m.sid})" if m.sid else "")
    return f"the caller's identity policies allow it ({where} of {m.policy_arn or m.policy})"


def judge_aws_only(ask: Ask, why: str, caller_account: str | None, region: str | None) -> Judgement:
    """The finding AWS's message makes when awstriage could not evaluate (the principal or the resource
    could not be read): AWS saw every policy, so the type it names is the cause."""
    denial = ask.denial
    assert denial is not None and denial.policy_type
    kind = denial.policy_type
    words = AwsWords(kind, denial.explicit, "unseen", why)
    principal_arn = str(ask.principal)
    service = str(ask.action).split(":", 1)[0]
    account = account_of(principal_arn) or caller_account or None
    if kind == "rcp":
        account = account_of(str(ask.resource)) or account
    where, commands = where_to_look(kind, account=account, region=region, service=service, principal=principal_arn,
                                    resource=ask.resource, action=ask.action)
    summary = (f"{ask.principal} cannot {ask.action} on {ask.resource}: AWS's message says {words.said()}. "
               f"awstriage could not evaluate the rest here ({why}), but AWS's word stands: look {where}.")
    code = ("IAM_EXPLICIT_DENY" if denial.explicit and kind in ("identity", "boundary", "session", "resource")
            else CODES.get(kind, "IAM_NO_ALLOW"))
    at_fault = denial.policy_arn or {
        "vpce": f"VPC endpoint policy (com.amazonaws.{region}.{service})",
        "resource": str(ask.resource)}.get(kind, f"{TYPE_WORDS[kind].replace('policy', 'policies')} of account "
                                                 f"{account}" if kind in ("scp", "rcp") else principal_arn)
    aws = Finding(code, "error", at_fault, summary, {
        "decision": words.decision, "aws_decision": words.decision, "policy_type": kind, "agreement": "unseen",
        "authoritative": "AWS's message (it saw every policy when the request was made)",
        "awstriage_decision": None, "not_evaluated_because": why, "where_to_look": where,
        "aws_message": {"policy_type": kind, "explicit": denial.explicit, "policy_arn": denial.policy_arn}},
        [f"# Look {where}", *commands])
    return Judgement(f"Decision: {words.decision} (AWS's message). {summary}", [aws])


def with_typo(judged: Judgement, typed: str, meant: str, ask: Ask, verdict: str | None) -> Judgement:
    """The typo is the finding; the evaluation of the action meant (``verdict``) says whether anything
    else is wrong. An IAM_ALLOWED finding then stays as evidence, never as the cause."""
    typo = typo_finding(typed, meant, ask.principal, ask.resource, verdict)
    findings = [typo, *judged.findings]
    if verdict == "allowed":
        findings = [typo, *(replace(f, severity="info") for f in judged.findings)]
    return Judgement(f"{typo.summary} {judged.detail}", findings)
