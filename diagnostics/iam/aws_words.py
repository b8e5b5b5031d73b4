"""AWS's own words as evidence: what the denial message says against what awstriage could evaluate.

AWS's message is authoritative for the request as it was made: it saw every policy, including the
ones that cannot be read from here (SCPs and RCPs from a member account, the session policy passed
when a role was assumed, the endpoint policy of a VPC endpoint in another account, the policies of a
caller in another account). awstriage's evaluation is authoritative only for the policies it read,
as they are now. So:

* the message names a policy type awstriage could not read: that type is the cause (AWS said so),
  with where to look; what awstriage read is shown beside it, never a "Decision: allowed";
* the message names a type awstriage read and its evaluation blames the same type: they agree;
* the message names a type awstriage read and its evaluation disagrees: both are shown, and AWS's
  message is the authority for the request as made (the policy may have changed since, or the
  request carried context that was not given here).

Pure: no AWS calls; the playbook passes what it read and could not read.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Literal

from diagnostics.iam.model import Evaluation
from diagnostics.iam.principals import identify

TYPE_WORDS = {"identity": "identity-based policy", "boundary": "permissions boundary", "session": "session policy",
              "resource": "resource-based policy", "scp": "service control policy",
              "rcp": "resource control policy", "vpce": "VPC endpoint policy"}

def article(words: str) -> str:
    return "an" if words[:1].lower() in "aeiou" else "a"


Agreement = Literal["agrees", "unseen", "disagrees", "silent"]


@dataclass(frozen=True)
class AwsWords:
    """How AWS's message relates to the local evaluation.

    ``agreement``: agrees (the evaluation blames the type AWS named), unseen (AWS named a type that
    could not be read here), disagrees (AWS named a type that was read, and the evaluation does not
    blame it), silent (the message names no type).
    """

    policy_type: str | None
    explicit: bool
    agreement: Agreement
    why_unseen: str = ""
    where_to_look: str = ""
    look_commands: tuple[str, ...] = ()

    @property
    def decision(self) -> str:
        return "explicitDeny" if self.explicit else "implicitDeny"

    def said(self) -> str:
        """AWS's words in one clause: "an explicit deny in a service control policy refused it"."""
        words = TYPE_WORDS.get(self.policy_type or "", "policy")
        if self.explicit:
            return f"an explicit deny in {article(words)} {words} refused it"
        return f"no {words} allows it"


def where_to_look(policy_type: str, *, account: str | None, region: str | None, service: str | None,
                  principal: str, resource: str | None, action: str | None = None) -> tuple[str, tuple[str, ...]]:
    """Where a person finds a policy type awstriage could not read, and the read-only commands."""
    region = region or "us-east-1"
    account = account or "ACCOUNT"
    if policy_type in ("scp", "rcp"):
        kind = "SERVICE_CONTROL_POLICY" if policy_type == "scp" else "RESOURCE_CONTROL_POLICY"
        whose = "the caller's account" if policy_type == "scp" else "the resource's account"
        return (f"in the organization's management account (or a delegated administrator): the "
                f"{TYPE_WORDS[policy_type].replace('policy', 'policies')} attached to {whose} {account}, to "
                "every OU above it and to the root",
                (f"aws organizations list-policies-for-target --target-id {account} --filter {kind}",
                 f"aws organizations list-parents --child-id {account}"))
    if policy_type == "session":
        return ("in the session policy passed when the role was assumed (the Policy or PolicyArns of "
                "sts:AssumeRole, AssumeRoleWithWebIdentity or GetFederationToken, in the code, tool or SSO "
                "permission set that assumed it); no API reads it back, but CloudTrail's AssumeRole event shows "
                "whether one was passed",
                (f"aws cloudtrail lookup-events --lookup-attributes AttributeKey=EventName,AttributeValue=AssumeRole "
                 f"--region {region}",))
    if policy_type == "vpce":
        svc = service or "SERVICE"
        return (f"in the endpoint policy of the VPC endpoint the request went through (the endpoint for "
                f"com.amazonaws.{region}.{svc} in the caller's VPC, in the account that owns that VPC)",
                (f"aws ec2 describe-vpc-endpoints --filters Name=service-name,Values=com.amazonaws.{region}.{svc} "
                 f"--region {region}",))
    if policy_type == "resource":
        return (f"in the resource-based policy of {resource or 'the resource'}", ())
    if policy_type in ("identity", "boundary"):
        # SimulatePrincipalPolicy takes "a user, group, or role" (IAM API Reference, PolicySourceArn):
        # a session is simulated through its role (whose ARN carries a path the session ARN lacks).
        who = identify(principal)
        source = (who.role_arn or principal) if who.kind == "assumed-role" else principal
        return (f"in account {account}'s IAM: the {TYPE_WORDS[policy_type]} of {source}",
                (f"aws iam simulate-principal-policy --policy-source-arn {source} --action-names "
                 f"{action or 'ACTION'}" + (f" --resource-arns {resource}" if resource and resource != "*" else ""),))
    return ("", ())


# Who logs a change to a resource's own policy in CloudTrail: the service that owns the resource
# (PutBucketPolicy is s3.amazonaws.com, PutKeyPolicy kms.amazonaws.com, ...; Amazon S3 User Guide,
# "Logging Amazon S3 API calls using AWS CloudTrail"). A role's trust policy is IAM's.
POLICY_CHANGES = {"s3": ("s3.amazonaws.com", "PutBucketPolicy and DeleteBucketPolicy"),
                  "kms": ("kms.amazonaws.com", "PutKeyPolicy"),
                  "sqs": ("sqs.amazonaws.com", "SetQueueAttributes"),
                  "sns": ("sns.amazonaws.com", "SetTopicAttributes"),
                  "lambda": ("lambda.amazonaws.com", "AddPermission and RemovePermission"),
                  "secretsmanager": ("secretsmanager.amazonaws.com", "PutResourcePolicy"),
                  "iam": ("iam.amazonaws.com", "UpdateAssumeRolePolicy")}
_IDENTITY_CHANGES = ("iam.amazonaws.com", "Put*Policy, CreatePolicyVersion and Attach*")


def policy_changes(policy_type: str, resource: str | None) -> tuple[str, str]:
    """(CloudTrail event source, the calls) that change a policy of ``policy_type``: for a resource's own
    policy, the service that owns it; the organization's for SCPs and RCPs, EC2's for an endpoint policy."""
    if policy_type == "resource":
        service = (resource or "").split(":")[2] if (resource or "").count(":") >= 5 else ""
        return POLICY_CHANGES.get(service, ("", "the calls that change the resource's policy"))
    if policy_type in ("scp", "rcp"):
        return "organizations.amazonaws.com", "UpdatePolicy, AttachPolicy and DetachPolicy"
    if policy_type == "vpce":
        return "ec2.amazonaws.com", "ModifyVpcEndpoint"
    return _IDENTITY_CHANGES


def deny_not_found(policy_type: str, *, principal: str, kind: str, region: str | None,
                   resource: str | None = None) -> tuple[str, tuple[str, ...]]:
    """AWS named an explicit deny in ``policy_type`` that the policies read here do not hold: where
    the deny may be ("a policy changed since ...; or ..."), and read-only commands to find it. It
    stays an explicit deny: the remedy is to find and narrow a deny, never to add an allow.
    ``resource``: the request's resource, whose service logs changes to its own policy."""
    region = region or "us-east-1"
    source, calls = policy_changes(policy_type, resource)
    places = [f"a policy changed since the denial (CloudTrail shows {calls} calls)"]
    if source:
        commands = [f"aws cloudtrail lookup-events --lookup-attributes AttributeKey=EventSource,"
                    f"AttributeValue={source} --region {region}"]
    else:  # a service awstriage has no table row for: the resource's name finds its events
        name = (resource or "").rsplit(":", 1)[-1].rsplit("/", 1)[-1]
        commands = [f"aws cloudtrail lookup-events --lookup-attributes AttributeKey=ResourceName,"
                    f"AttributeValue={name} --region {region}"] if name else []
    if policy_type == "identity":
        if kind == "user":
            name = principal.rsplit("/", 1)[-1]
            places.append("a policy of a group the user is in that could not be read here")
            commands.append(f"aws iam list-groups-for-user --user-name {name}")
        if kind in ("assumed-role", "federated-user"):
            places.append("the session policy passed when the session was created (no API reads it back)")
        else:
            places.append("a session policy, if the call was made with temporary credentials "
                          "(GetFederationToken or an assumed role) rather than the user's own keys")
    elif policy_type == "resource":
        places.append("a statement of the resource's policy that matched context not given here")
    return "; or ".join(places), tuple(commands)


def weigh(policy_type: str | None, explicit: bool, evaluation: Evaluation | None,
          unseen: Mapping[str, str]) -> AwsWords:
    """Compare AWS's words with the evaluation; ``unseen`` maps each type not read here to why."""
    if not policy_type:
        return AwsWords(None, explicit, "silent")
    if policy_type in unseen:
        return AwsWords(policy_type, explicit, "unseen", unseen[policy_type])
    if evaluation is not None:
        if evaluation.decision == "explicitDeny" and any(m.policy_type == policy_type for m in evaluation.deciding):
            return AwsWords(policy_type, explicit, "agrees")
        if evaluation.decision == "implicitDeny" and not explicit and policy_type in evaluation.blocking_types:
            return AwsWords(policy_type, explicit, "agrees")
    return AwsWords(policy_type, explicit, "disagrees")
