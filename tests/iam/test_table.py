"""The evaluator against a table of requests whose answers come from AWS's documentation.

Each row: (name, policies, request, expected decision), with a comment naming the AWS rule it
checks. Sources: "Policy evaluation logic", "Determining whether a request is allowed or denied
within an account", "Cross-account policy evaluation logic", "IAM JSON policy elements: Resource /
NotResource / NotAction / NotPrincipal / Condition operators", "Single-valued vs. multivalued
context keys", "IAM policy elements: Variables and tags", and the KMS key policy and role trust
policy pages.
"""

from __future__ import annotations

import pytest

from diagnostics.iam import evaluate
from tests.iam.helpers import (
    ACCOUNT,
    ALICE,
    BOB,
    BUCKET,
    KEY,
    OBJECT,
    OTHER,
    OUTSIDER,
    ROLE,
    SESSION,
    allow,
    cond,
    deny,
    ps,
    req,
)

# A: allowed, X: explicit deny, N: no allow (implicit deny)
A, X, N = "allowed", "explicitDeny", "implicitDeny"
ROOT = f"arn:aws:iam::{ACCOUNT}:root"
OTHER_ROOT = f"arn:aws:iam::{OTHER}:root"
OTHER_BUCKET_OBJ = "arn:aws:s3:::shared/x.csv"
ASSUME = "sts:AssumeRole"
MFA = "aws:MultiFactorAuthPresent"
IP = "aws:SourceIp"
NOW = "aws:CurrentTime"
TEAM_DIR = "arn:aws:s3:::teams/${aws:PrincipalTag/team, 'shared'}/*"
HOME_DIR = "arn:aws:s3:::home/${aws:username}/*"


def _res(principal, action="s3:GetObject", resource="*", effect="Allow", **extra):
    """A resource-policy statement; resource=None leaves Resource out, as trust policies do."""
    st = {"Effect": effect, "Principal": principal, "Action": action, **extra}
    if resource is not None:
        st["Resource"] = resource
    return st


ROWS = [
    # --- The default and explicit deny: "an explicit deny in any policy overrides any allow" ---
    ("nothing-allows", ps(), req(), N),  # default: implicit deny
    ("identity-allows", ps([allow("s3:GetObject", OBJECT)]), req(), A),  # an allow in an identity policy
    ("identity-deny-beats-allow", ps([allow(), deny("s3:GetObject")]), req(), X),  # deny wins in one policy
    ("deny-in-group-policy", ps([allow()], more_identity=[[deny("s3:*")]]), req(), X),  # deny across policies
    ("deny-in-boundary", ps([allow()], boundary=[allow(), deny("s3:GetObject")]), req(), X),  # deny in boundary
    ("deny-in-session", ps([allow()], session=[deny("s3:*")]), req(principal=SESSION), X),  # deny in session policy
    ("deny-in-resource", ps([allow()], resource=[_res("*", effect="Deny")]), req(), X),  # deny in resource policy
    ("deny-in-scp", ps([allow()], scps=[("root", [allow(), deny("s3:GetObject")])]), req(), X),  # deny in SCP
    ("deny-in-rcp", ps([allow()], rcps=[("root", [allow(), _res("*", effect="Deny")])]), req(), X),  # RCP deny
    ("deny-condition-false", ps([allow(), deny("s3:*", **cond({"Bool": {"aws:SecureTransport": "false"}}))]),
     req(ctx={"aws:SecureTransport": "true"}), A),  # a deny whose condition fails does not apply
    ("deny-other-action", ps([allow(), deny("s3:PutObject")]), req(), A),  # a deny for another action
    ("deny-resource-other-principal", ps([allow()], resource=[_res({"AWS": BOB}, effect="Deny")]), req(), A),
    # ^ a resource-policy deny that names another principal does not apply to this one
    ("deny-beats-direct-resource-allow", ps([deny()], resource=[_res({"AWS": ALICE})]), req(), X),
    # ^ explicit deny in identity wins even over a resource policy that names the user

    # --- Organizations: SCPs and RCPs must allow at every level (None = not checked) ---
    ("scp-not-checked", ps([allow()], scps=None), req(), A),  # SCPs unreadable: not part of the decision
    ("scp-full-access", ps([allow()], scps=[("root", [allow()])]), req(), A),  # FullAWSAccess
    ("scp-lacks-service", ps([allow()], scps=[("root", [allow("ec2:*")])]), req(), N),  # SCP must allow
    ("scp-allows-identity-lacks", ps([], scps=[("root", [allow()])]), req(), N),  # SCPs never grant
    ("scp-ou-level-lacks", ps([allow()], scps=[("root", [allow()]), ("ou", [allow("ec2:*")])]), req(), N),
    # ^ every level of the hierarchy must allow
    ("scp-one-of-level-allows", ps([allow()], scps=[("ou", [allow("ec2:*")]), ("ou", [allow("s3:*")])]), req(), A),
    # ^ within one level, an allow in any attached SCP suffices
    ("scp-deny-notaction", ps([allow()], scps=[("root", [allow(), {"Effect": "Deny", "NotAction": ["iam:*"],
                                                                   "Resource": "*"}])]), req(), X),
    # ^ deny-all-except with NotAction in an SCP
    ("rcp-allows", ps([allow()], rcps=[("root", [_res("*", action="*")])]), req(), A),  # RCPFullAWSAccess
    ("rcp-lacks", ps([allow()], rcps=[("root", [_res("*", action="sqs:*")])]), req(), N),  # RCP must allow

    # --- Permissions boundary and session policy: intersection with identity policies ---
    ("boundary-allows", ps([allow("s3:*")], boundary=[allow("s3:Get*")]), req(), A),  # both allow
    ("boundary-lacks-action", ps([allow("s3:*")], boundary=[allow("s3:Get*")]), req("s3:PutObject"), N),
    # ^ the boundary caps what identity policies grant
    ("boundary-alone-grants-nothing", ps([], boundary=[allow()]), req(), N),  # a boundary never grants
    ("boundary-condition-unmet", ps([allow()], boundary=[allow("s3:*", **cond({"Bool": {MFA: "true"}}))]),
     req(), N),  # condition in a boundary: missing key -> false
    ("session-allows", ps([allow()], session=[allow("s3:GetObject")]), req(principal=SESSION), A),
    ("session-lacks", ps([allow()], session=[allow("ec2:*")]), req(principal=SESSION), N),  # session caps
    ("session-alone-grants-nothing", ps([], session=[allow()]), req(principal=SESSION), N),
    ("boundary-and-session", ps([allow()], boundary=[allow("s3:*")], session=[allow("s3:Get*")]),
     req(principal=SESSION), A),  # all three intersect

    # --- Same-account resource policies: union with identity, with the principal nuances ---
    ("bucket-names-user", ps([], resource=[_res({"AWS": ALICE})]), req(), A),  # resource policy alone
    ("bucket-names-user-past-boundary", ps([], boundary=[allow("ec2:*")], resource=[_res({"AWS": ALICE})]),
     req(), A),  # user ARN named directly: not limited by an implicit deny in the boundary
    ("bucket-names-role", ps([], resource=[_res({"AWS": ROLE})]), req(principal=SESSION), A),
    # ^ role ARN named: sessions of the role are allowed without identity policy
    ("bucket-names-role-boundary-lacks", ps([], boundary=[allow("ec2:*")], resource=[_res({"AWS": ROLE})]),
     req(principal=SESSION), N),  # role ARN named: limited by the boundary
    ("bucket-names-session-past-boundary", ps([], boundary=[allow("ec2:*")],
                                              resource=[_res({"AWS": SESSION})]), req(principal=SESSION), A),
    # ^ session ARN named: not limited by the boundary
    ("bucket-names-role-session-policy-lacks", ps([], session=[allow("ec2:*")], resource=[_res({"AWS": ROLE})]),
     req(principal=SESSION), N),  # role ARN named: limited by the session policy
    ("bucket-names-session-past-session-policy", ps([], session=[allow("ec2:*")],
                                                    resource=[_res({"AWS": SESSION})]), req(principal=SESSION), A),
    # ^ session ARN named: resource permissions are added after the session, not limited by it
    ("bucket-names-account-only", ps([], resource=[_res({"AWS": ROOT})]), req(), N),
    # ^ naming the account delegates to the account's IAM policies
    ("bucket-names-account-id", ps([], resource=[_res({"AWS": ACCOUNT})]), req(), N),  # same, bare account ID
    ("bucket-names-account-plus-identity", ps([allow("s3:GetObject")], resource=[_res({"AWS": ROOT})]), req(), A),
    ("bucket-public", ps([], resource=[_res("*")]), req(), A),  # Principal "*" grants in the same account
    ("bucket-public-boundary-lacks", ps([], boundary=[allow("ec2:*")], resource=[_res("*")]), req(), N),
    # ^ a grant to "*" does not name the user: the boundary still applies
    ("bucket-names-someone-else", ps([], resource=[_res({"AWS": BOB})]), req(), N),  # another user named
    ("bucket-principal-list", ps([], resource=[_res({"AWS": [BOB, ALICE]})]), req(), A),  # any listed principal
    ("identity-only-with-bucket-policy", ps([allow("s3:GetObject")], resource=[_res({"AWS": BOB})]), req(), A),
    # ^ union: the identity policy suffices in the same account

    # --- Cross account: both the identity side and the resource policy must allow ---
    ("cross-both-allow", ps([allow("s3:GetObject")], resource=[_res({"AWS": OTHER_ROOT})]),
     req(principal=OUTSIDER, resource_account=ACCOUNT), A),
    ("cross-resource-only", ps([], resource=[_res({"AWS": OTHER_ROOT})]),
     req(principal=OUTSIDER, resource_account=ACCOUNT), N),  # the caller's account must allow too
    ("cross-identity-only", ps([allow()]), req(principal=OUTSIDER, resource_account=ACCOUNT), N),
    # ^ without a resource policy a cross-account request is denied
    ("cross-boundary-lacks", ps([allow()], boundary=[allow("ec2:*")], resource=[_res({"AWS": OUTSIDER})]),
     req(principal=OUTSIDER, resource_account=ACCOUNT), N),  # the caller's boundary applies cross-account
    ("cross-names-user-and-identity", ps([allow("s3:*")], resource=[_res({"AWS": OUTSIDER})]),
     req(principal=OUTSIDER, resource_account=ACCOUNT), A),
    ("cross-names-user-no-identity", ps([], resource=[_res({"AWS": OUTSIDER})]),
     req(principal=OUTSIDER, resource_account=ACCOUNT), N),  # naming the user is not enough cross-account
    ("cross-resource-names-wrong-account", ps([allow()], resource=[_res({"AWS": ROOT})]),
     req(principal=OUTSIDER, resource_account=ACCOUNT), N),  # the bucket trusts only its own account

    # --- KMS key policies must allow by themselves ---
    ("kms-key-policy-enables-iam", ps([allow("kms:Decrypt", KEY)], resource=[_res({"AWS": ROOT}, "kms:*")]),
     req("kms:Decrypt", KEY), A),  # root in the key policy lets IAM policies grant
    ("kms-enables-iam-no-identity", ps([], resource=[_res({"AWS": ROOT}, "kms:*")]), req("kms:Decrypt", KEY), N),
    ("kms-key-policy-names-user", ps([], resource=[_res({"AWS": ALICE}, "kms:Decrypt")]), req("kms:Decrypt", KEY), A),
    ("kms-no-key-policy", ps([allow("kms:*")]), req("kms:Decrypt", KEY), N),  # identity alone is never enough
    ("kms-key-policy-other-principal", ps([allow("kms:*")], resource=[_res({"AWS": BOB}, "kms:*")]),
     req("kms:Decrypt", KEY), N),  # key policy neither names alice nor enables IAM

    # --- Role trust policies must allow sts:AssumeRole themselves ---
    ("trust-names-user", ps([], resource=[_res({"AWS": ALICE}, ASSUME, resource=None)]), req(ASSUME, ROLE), A),
    ("trust-names-account-identity-allows", ps([allow(ASSUME, ROLE)], resource=[_res({"AWS": ROOT}, ASSUME)]),
     req(ASSUME, ROLE), A),
    ("trust-names-account-no-identity", ps([], resource=[_res({"AWS": ROOT}, ASSUME)]), req(ASSUME, ROLE), N),
    ("trust-missing", ps([allow(ASSUME, ROLE)]), req(ASSUME, ROLE), N),  # identity allow is not enough
    ("trust-service", ps(None, resource=[_res({"Service": "ec2.amazonaws.com"}, ASSUME)]),
     req(ASSUME, ROLE, "ec2.amazonaws.com"), A),  # service principal in a trust policy
    ("trust-cross-account", ps([allow(ASSUME, ROLE)], resource=[_res({"AWS": OTHER_ROOT}, ASSUME)]),
     req(ASSUME, ROLE, OUTSIDER), A),
    ("trust-external-id-wrong", ps([allow(ASSUME)], resource=[_res({"AWS": OTHER_ROOT}, ASSUME, **cond(
        {"StringEquals": {"sts:ExternalId": "x1"}}))]), req(ASSUME, ROLE, OUTSIDER, {"sts:ExternalId": "x2"}), N),
    ("trust-external-id-right", ps([allow(ASSUME)], resource=[_res({"AWS": OTHER_ROOT}, ASSUME, **cond(
        {"StringEquals": {"sts:ExternalId": "x1"}}))]), req(ASSUME, ROLE, OUTSIDER, {"sts:ExternalId": "x1"}), A),

    # --- NotAction, NotResource, NotPrincipal ---
    ("notaction-allow-other", ps([{"Effect": "Allow", "NotAction": "iam:*", "Resource": "*"}]), req(), A),
    ("notaction-allow-excluded", ps([{"Effect": "Allow", "NotAction": "iam:*", "Resource": "*"}]),
     req("iam:ListUsers", "*"), N),  # NotAction excludes the listed actions from the allow
    ("notaction-deny-all-but", ps([allow(), {"Effect": "Deny", "NotAction": ["iam:*", "sts:*"], "Resource": "*"}]),
     req(), X),
    ("notaction-deny-spares", ps([allow(), {"Effect": "Deny", "NotAction": ["iam:*", "sts:*"], "Resource": "*"}]),
     req("iam:GetUser", ALICE), A),
    ("notresource-allow-other", ps([{"Effect": "Allow", "Action": "s3:*", "NotResource": "arn:aws:s3:::secret/*"}]),
     req(), A),
    ("notresource-allow-excluded", ps([{"Effect": "Allow", "Action": "s3:*", "NotResource": "arn:aws:s3:::secret/*"}]),
     req(resource="arn:aws:s3:::secret/k"), N),
    ("notresource-deny-outside",
     ps([allow(), {"Effect": "Deny", "Action": "s3:*", "NotResource": [BUCKET, BUCKET + "/*"]}]),
     req(resource=OTHER_BUCKET_OBJ), X),  # deny everything except the listed bucket
    ("notprincipal-user-and-account", ps([allow()], resource=[{"Effect": "Deny", "NotPrincipal": {"AWS": [ALICE, ROOT]},
                                                               "Action": "s3:*", "Resource": "*"}]), req(), A),
    ("notprincipal-user-only", ps([allow()], resource=[{"Effect": "Deny", "NotPrincipal": {"AWS": ALICE},
                                                        "Action": "s3:*", "Resource": "*"}]), req(), X),
    # ^ the account must be listed too, or the request is still denied (NotPrincipal page)
    ("notprincipal-session-all-names", ps([allow()], resource=[{"Effect": "Deny", "NotPrincipal": {
        "AWS": [SESSION, ROLE, ROOT]}, "Action": "s3:*", "Resource": "*"}]), req(principal=SESSION), A),
    ("notprincipal-role-without-session", ps([allow()], resource=[{"Effect": "Deny", "NotPrincipal": {
        "AWS": [ROLE, ROOT]}, "Action": "s3:*", "Resource": "*"}]), req(principal=SESSION), X),
    # ^ excluding a role session takes its session ARN as well
    ("notprincipal-deny-with-boundary", ps([allow()], boundary=[allow()], resource=[{
        "Effect": "Deny", "NotPrincipal": {"AWS": [ALICE, ROOT]}, "Action": "s3:*", "Resource": "*"}]), req(), X),
    # ^ boundaries page: Deny+NotPrincipal always denies a principal that has a boundary
    ("notprincipal-other-user", ps([allow()], resource=[{"Effect": "Deny", "NotPrincipal": {"AWS": [BOB, ROOT]},
                                                         "Action": "s3:*", "Resource": "*"}]), req(), X),

    # --- Wildcards in actions and resources ---
    ("action-star-suffix", ps([allow("s3:Get*")]), req(), A),
    ("action-question-mark", ps([allow("s3:Get?bject")]), req(), A),  # ? is exactly one character
    ("action-question-mark-too-short", ps([allow("s3:Get?bject")]), req("s3:GetObjectAcl"), N),
    ("action-star", ps([allow("*")]), req(), A),
    ("action-wildcard-spans-colon", ps([allow("*Object")]), req(), A),  # action wildcards are plain globs
    ("action-other-service", ps([allow("s3:*")]), req("s3express:CreateSession", "*"), N),
    ("resource-objects-nested", ps([allow("s3:*", "arn:aws:s3:::logs/*")]), req(resource="arn:aws:s3:::logs/a/b/c"), A),
    ("resource-question-mark", ps([allow("s3:ListBucket", "arn:aws:s3:::log?")]), req("s3:ListBucket", BUCKET), A),
    ("resource-region-wildcard", ps([allow("ec2:*", f"arn:aws:ec2:*:{ACCOUNT}:instance/*")]),
     req("ec2:StartInstances", f"arn:aws:ec2:eu-west-1:{ACCOUNT}:instance/i-0abc"), A),
    ("resource-mid-segment", ps([allow("ec2:*", f"arn:aws:ec2:us-*-1:{ACCOUNT}:instance/*")]),
     req("ec2:StartInstances", f"arn:aws:ec2:us-east-1:{ACCOUNT}:instance/i-0abc"), A),
    ("resource-mid-segment-stays-in-segment", ps([allow("ec2:*", "arn:aws:ec2:us-*1:instance/i-1")]),
     req("ec2:StartInstances", "arn:aws:ec2:us-east-1:123456789011:instance/i-1"), N),
    # ^ a wildcard inside a segment does not run across colons
    ("resource-trailing-star-crosses", ps([allow("logs:*", f"arn:aws:logs:us-east-1:{ACCOUNT}:*")]),
     req("logs:PutLogEvents", f"arn:aws:logs:us-east-1:{ACCOUNT}:log-group:app:log-stream:x"), A),
    # ^ a * that ends a segment may expand past colon boundaries
    ("resource-all-s3", ps([allow("s3:*", "arn:aws:s3:::*")]), req(), A),
    ("resource-bucket-is-not-objects", ps([allow("s3:GetObject", BUCKET)]), req(), N),  # bucket ARN without /*
    ("resource-list", ps([allow("s3:GetObject", [BUCKET, BUCKET + "/*"])]), req(), A),

    # --- Case rules: actions case-insensitive, ARNs case-sensitive, condition keys case-insensitive ---
    ("action-case-insensitive", ps([allow("S3:GETOBJECT", OBJECT)]), req(), A),
    ("resource-case-sensitive", ps([allow("s3:*", "arn:aws:s3:::Logs/*")]), req(), N),
    ("iam-user-name-case-sensitive", ps([allow("iam:GetUser", f"arn:aws:iam::{ACCOUNT}:user/Alice")]),
     req("iam:GetUser", ALICE), N),
    ("condition-key-case-insensitive", ps([allow(**cond({"IpAddress": {"AWS:SOURCEIP": "203.0.113.0/24"}}))]),
     req(ctx={"aws:sourceip": "203.0.113.9"}), A),
    ("string-equals-value-case-sensitive", ps([allow(**cond({"StringEquals": {"aws:RequestedRegion": "EU-WEST-1"}}))]),
     req(ctx={"aws:RequestedRegion": "eu-west-1"}), N),
    ("string-equals-ignore-case", ps([allow(**cond({"StringEqualsIgnoreCase": {"aws:RequestedRegion": "EU-WEST-1"}}))]),
     req(ctx={"aws:RequestedRegion": "eu-west-1"}), A),

    # --- String operators ---
    ("string-equals", ps([allow(**cond({"StringEquals": {"s3:prefix": "home/"}}))]),
     req(ctx={"s3:prefix": "home/"}), A),
    ("string-equals-values-are-or",
     ps([allow(**cond({"StringEquals": {"aws:RequestedRegion": ["us-east-1", "eu-west-1"]}}))]),
     req(ctx={"aws:RequestedRegion": "eu-west-1"}), A),
    ("string-equals-missing-key", ps([allow(**cond({"StringEquals": {"s3:prefix": "home/"}}))]), req(), N),
    ("string-equals-no-wildcards", ps([allow(**cond({"StringEquals": {"s3:prefix": "home/*"}}))]),
     req(ctx={"s3:prefix": "home/alice"}), N),  # StringEquals treats * literally
    ("string-not-equals-match", ps([allow(**cond({"StringNotEquals": {"aws:RequestedRegion": "us-east-1"}}))]),
     req(ctx={"aws:RequestedRegion": "us-east-1"}), N),
    ("string-not-equals-missing", ps([allow(**cond({"StringNotEquals": {"aws:RequestedRegion": "us-east-1"}}))]),
     req(), A),  # negated operators are true when the key is missing
    ("string-not-equals-list-is-nor", ps([allow(**cond({"StringNotEquals": {"aws:RequestedRegion": ["a", "b"]}}))]),
     req(ctx={"aws:RequestedRegion": "b"}), N),  # must match none of the values
    ("string-like-prefix", ps([allow(**cond({"StringLike": {"s3:prefix": "home/*"}}))]),
     req(ctx={"s3:prefix": "home/alice/x"}), A),
    ("string-like-question", ps([allow(**cond({"StringLike": {"ec2:InstanceType": "t3.?large"}}))]),
     req(ctx={"ec2:InstanceType": "t3.xlarge"}), A),
    ("string-like-question-no-match", ps([allow(**cond({"StringLike": {"ec2:InstanceType": "t3.?large"}}))]),
     req(ctx={"ec2:InstanceType": "t3.large"}), N),
    ("string-not-like", ps([allow(**cond({"StringNotLike": {"ec2:InstanceType": "*.metal"}}))]),
     req(ctx={"ec2:InstanceType": "m5.metal"}), N),
    ("string-equals-if-exists-missing", ps([allow(**cond({"StringEqualsIfExists": {"ec2:InstanceType": "t3.micro"}}))]),
     req(), A),  # IfExists: true when the key is absent
    ("string-equals-if-exists-present", ps([allow(**cond({"StringEqualsIfExists": {"ec2:InstanceType": "t3.micro"}}))]),
     req(ctx={"ec2:InstanceType": "m5.large"}), N),  # ... and checked when present
    ("keys-are-and", ps([allow(**cond({"StringEquals": {"s3:prefix": "a", "aws:RequestedRegion": "us-east-1"}}))]),
     req(ctx={"s3:prefix": "a", "aws:RequestedRegion": "eu-west-1"}), N),
    ("operators-are-and", ps([allow(**cond({"StringEquals": {"s3:prefix": "a"}, "Bool": {MFA: "true"}}))]),
     req(ctx={"s3:prefix": "a", MFA: "true"}), A),

    # --- Numeric ---
    ("numeric-less-than", ps([allow(**cond({"NumericLessThan": {"s3:max-keys": "10"}}))]),
     req(ctx={"s3:max-keys": "5"}), A),
    ("numeric-less-than-equal-edge", ps([allow(**cond({"NumericLessThan": {"s3:max-keys": "10"}}))]),
     req(ctx={"s3:max-keys": "10"}), N),
    ("numeric-greater-equals", ps([allow(**cond({"NumericGreaterThanEquals": {"aws:MultiFactorAuthAge": 0}}))]),
     req(ctx={"aws:MultiFactorAuthAge": "0"}), A),
    ("numeric-not-equals-missing", ps([allow(**cond({"NumericNotEquals": {"s3:max-keys": "10"}}))]), req(), A),
    ("numeric-not-a-number", ps([allow(**cond({"NumericEquals": {"s3:max-keys": "10"}}))]),
     req(ctx={"s3:max-keys": "ten"}), N),
    ("numeric-equals-decimal", ps([allow(**cond({"NumericEquals": {"s3:max-keys": "10"}}))]),
     req(ctx={"s3:max-keys": "10.0"}), A),

    # --- Date (ISO 8601 and epoch) ---
    ("date-greater-iso", ps([allow(**cond({"DateGreaterThan": {NOW: "2024-01-01T00:00:00Z"}}))]),
     req(ctx={NOW: "2024-06-01T12:00:00Z"}), A),
    ("date-less-iso-fails", ps([allow(**cond({"DateLessThan": {NOW: "2024-01-01T00:00:00Z"}}))]),
     req(ctx={NOW: "2024-06-01T12:00:00Z"}), N),
    ("date-epoch-condition", ps([allow(**cond({"DateLessThan": {NOW: "1735689600"}}))]),  # 2025-01-01
     req(ctx={NOW: "2024-06-01T12:00:00Z"}), A),
    ("date-epoch-request", ps([allow(**cond({"DateGreaterThan": {"aws:EpochTime": "2024-01-01T00:00:00Z"}}))]),
     req(ctx={"aws:EpochTime": "1717243200"}), A),  # 2024-06-01
    ("date-offset", ps([allow(**cond({"DateLessThan": {NOW: "2024-06-01T12:00:00+02:00"}}))]),
     req(ctx={NOW: "2024-06-01T11:00:00Z"}), N),  # 12:00+02:00 is 10:00Z, earlier than 11:00Z
    ("date-not-equals-missing", ps([allow(**cond({"DateNotEquals": {NOW: "2024-01-01"}}))]), req(), A),

    # --- Bool ---
    ("bool-true", ps([allow(**cond({"Bool": {MFA: "true"}}))]), req(ctx={MFA: "true"}), A),
    ("bool-json-true-vs-string", ps([allow(**cond({"Bool": {MFA: True}}))]), req(ctx={MFA: "True"}), A),
    ("bool-missing", ps([allow(**cond({"Bool": {MFA: "true"}}))]), req(), N),
    ("bool-if-exists-deny", ps([allow(), deny(**cond({"BoolIfExists": {MFA: "false"}}))]), req(), X),
    # ^ the documented MFA pattern: key absent (long-term keys) -> IfExists true -> deny applies
    ("bool-deny-without-if-exists", ps([allow(), deny(**cond({"Bool": {MFA: "false"}}))]), req(), A),
    # ^ without IfExists the absent key makes the deny's condition false

    # --- IpAddress / NotIpAddress, IPv4 and IPv6 ---
    ("ip-in-cidr", ps([allow(**cond({"IpAddress": {IP: "203.0.113.0/24"}}))]), req(ctx={IP: "203.0.113.77"}), A),
    ("ip-outside", ps([allow(**cond({"IpAddress": {IP: "203.0.113.0/24"}}))]), req(ctx={IP: "198.51.100.1"}), N),
    ("ip-single-address", ps([allow(**cond({"IpAddress": {IP: "203.0.113.5"}}))]), req(ctx={IP: "203.0.113.5"}), A),
    ("not-ip-deny-outside", ps([allow(), deny(**cond({"NotIpAddress": {IP: ["203.0.113.0/24", "2001:db8::/32"]}}))]),
     req(ctx={IP: "198.51.100.1"}), X),
    ("not-ip-deny-inside-v6", ps([allow(), deny(**cond({"NotIpAddress": {IP: ["203.0.113.0/24", "2001:db8::/32"]}}))]),
     req(ctx={IP: "2001:db8:1234::1"}), A),
    ("not-ip-missing-key", ps([allow(), deny(**cond({"NotIpAddress": {IP: "203.0.113.0/24"}}))]), req(), X),
    # ^ negated operator with the key absent is true (requests via an AWS service carry no SourceIp)
    ("ipv6-cidr", ps([allow(**cond({"IpAddress": {IP: "2001:DB8::/32"}}))]), req(ctx={IP: "2001:db8::abcd"}), A),
    ("ipv4-address-v6-cidr", ps([allow(**cond({"IpAddress": {IP: "::/0"}}))]), req(ctx={IP: "203.0.113.5"}), N),

    # --- Arn operators ---
    ("arn-like", ps([allow(**cond({"ArnLike": {"aws:SourceArn": f"arn:aws:sns:*:{ACCOUNT}:topic-*"}}))]),
     req(ctx={"aws:SourceArn": f"arn:aws:sns:us-east-1:{ACCOUNT}:topic-alerts"}), A),
    ("arn-equals", ps([allow(**cond({"ArnEquals": {"aws:PrincipalArn": ALICE}}))]), req(), A),
    # ^ aws:PrincipalArn is always in the request context
    ("arn-equals-case", ps([allow(**cond({"ArnEquals": {"aws:PrincipalArn": ALICE.upper()}}))]), req(), N),
    ("arn-not-equals-missing", ps([allow(**cond({"ArnNotEquals": {"aws:SourceArn": "arn:aws:sns:*:*:x"}}))]), req(), A),
    ("arn-like-role-of-session",
     ps([allow(**cond({"ArnLike": {"aws:PrincipalArn": f"arn:aws:iam::{ACCOUNT}:role/a*"}}))]),
     req(principal=SESSION), A),  # aws:PrincipalArn of a session is its role's ARN
    ("arn-like-segments", ps([allow(**cond({"ArnLike": {"aws:SourceArn": "arn:aws:s3:::*"}}))]),
     req(ctx={"aws:SourceArn": "arn:aws:sqs:us-east-1:1:q"}), N),

    # --- Null and Binary ---
    ("null-true-absent", ps([allow(**cond({"Null": {"aws:TokenIssueTime": "true"}}))]), req(), A),
    ("null-true-present", ps([allow(**cond({"Null": {"aws:TokenIssueTime": "true"}}))]),
     req(ctx={"aws:TokenIssueTime": "2024-01-01T00:00:00Z"}), N),
    ("null-false-present", ps([allow(**cond({"Null": {"aws:RequestTag/team": "false"}}))]),
     req(ctx={"aws:RequestTag/team": "blue"}), A),
    ("null-false-absent-deny", ps([allow(), deny(**cond({"Null": {"aws:RequestTag/team": "true"}}))]), req(), X),
    ("binary-equals", ps([allow(**cond({"BinaryEquals": {"s3:x-amz-meta-blob": "QmluYXJ5VmFsdWU="}}))]),
     req(ctx={"s3:x-amz-meta-blob": "QmluYXJ5VmFsdWU="}), A),
    ("binary-differs", ps([allow(**cond({"BinaryEquals": {"s3:x-amz-meta-blob": "QmluYXJ5VmFsdWU="}}))]),
     req(ctx={"s3:x-amz-meta-blob": "T3RoZXI="}), N),

    # --- Set operators on multivalued keys ---
    ("for-any-value-hit", ps([allow(**cond({"ForAnyValue:StringEquals": {"aws:TagKeys": ["env", "team"]}}))]),
     req(ctx={"aws:TagKeys": ["team", "cost"]}), A),
    ("for-any-value-miss", ps([allow(**cond({"ForAnyValue:StringEquals": {"aws:TagKeys": ["env", "team"]}}))]),
     req(ctx={"aws:TagKeys": ["cost"]}), N),
    ("for-any-value-missing-key", ps([allow(**cond({"ForAnyValue:StringEquals": {"aws:TagKeys": ["env"]}}))]),
     req(), N),
    ("for-any-value-empty-set", ps([allow(**cond({"ForAnyValue:StringEquals": {"aws:TagKeys": ["env"]}}))]),
     req(ctx={"aws:TagKeys": []}), N),  # ForAnyValue over an empty set is false
    ("for-all-values-subset", ps([allow(**cond({"ForAllValues:StringEquals": {"aws:TagKeys": ["env", "team"]}}))]),
     req(ctx={"aws:TagKeys": ["env"]}), A),
    ("for-all-values-extra", ps([allow(**cond({"ForAllValues:StringEquals": {"aws:TagKeys": ["env", "team"]}}))]),
     req(ctx={"aws:TagKeys": ["env", "cost"]}), N),
    ("for-all-values-missing-key", ps([allow(**cond({"ForAllValues:StringEquals": {"aws:TagKeys": ["env"]}}))]),
     req(), A),  # ForAllValues is true when the key is absent...
    ("for-all-values-empty-set", ps([allow(**cond({"ForAllValues:StringEquals": {"aws:TagKeys": ["env"]}}))]),
     req(ctx={"aws:TagKeys": []}), A),  # ...and when its set is empty
    ("for-all-values-like", ps([allow(**cond({"ForAllValues:StringLike": {"aws:TagKeys": "Created*"}}))]),
     req(ctx={"aws:TagKeys": ["CreatedBy", "CreatedAt"]}), A),
    ("for-any-value-not-equals-deny", ps([allow(), deny(**cond({"ForAnyValue:StringNotEquals": {
        "aws:TagKeys": ["env", "team"]}}))]), req(ctx={"aws:TagKeys": ["env", "owner"]}), X),
    # ^ one request value outside the list is enough for ForAnyValue with a negated operator
    ("for-any-value-not-equals-clean", ps([allow(), deny(**cond({"ForAnyValue:StringNotEquals": {
        "aws:TagKeys": ["env", "team"]}}))]), req(ctx={"aws:TagKeys": ["env"]}), A),
    ("for-all-values-not-equals", ps([allow(**cond({"ForAllValues:StringNotEquals": {"aws:TagKeys": ["secret"]}}))]),
     req(ctx={"aws:TagKeys": ["env", "secret"]}), N),

    # --- Policy variables (Version 2012-10-17 only) ---
    ("var-username-own-folder", ps([allow("s3:*", HOME_DIR)]),
     req(resource="arn:aws:s3:::home/alice/notes.txt"), A),
    ("var-username-other-folder", ps([allow("s3:*", HOME_DIR)]),
     req(resource="arn:aws:s3:::home/bob/notes.txt"), N),
    ("var-principal-tag", ps([allow(**cond({"StringEquals": {"aws:ResourceTag/team": "${aws:PrincipalTag/team}"}}))]),
     req(ctx={"aws:ResourceTag/team": "blue"}, tags={"team": "blue"}), A),
    ("var-principal-tag-missing",
     ps([allow(**cond({"StringEquals": {"aws:ResourceTag/team": "${aws:PrincipalTag/team}"}}))]),
     req(ctx={"aws:ResourceTag/team": "blue"}), N),  # unresolvable variable: the value matches nothing
    ("var-default", ps([allow("s3:*", TEAM_DIR)]),
     req(resource="arn:aws:s3:::teams/shared/a"), A),
    ("var-default-not-used-when-present", ps([allow("s3:*", TEAM_DIR)]),
     req(resource="arn:aws:s3:::teams/shared/a", tags={"team": "blue"}), N),
    ("var-2008-is-literal", ps([allow("s3:*", HOME_DIR)], version="2008-10-17"),
     req(resource="arn:aws:s3:::home/alice/notes.txt"), N),  # no variables before 2012-10-17
    ("var-2008-matches-literally", ps([allow("s3:*", HOME_DIR)], version="2008-10-17"),
     req(resource="arn:aws:s3:::home/${aws:username}/x"), A),
    ("var-no-version-is-literal", ps([allow("s3:*", HOME_DIR)], version=None),
     req(resource="arn:aws:s3:::home/alice/notes.txt"), N),  # a missing Version means 2008-10-17
    ("var-escape-star", ps([allow("s3:*", "arn:aws:s3:::b/${*}")]), req(resource="arn:aws:s3:::b/x"), N),
    ("var-escape-star-literal", ps([allow("s3:*", "arn:aws:s3:::b/${*}")]), req(resource="arn:aws:s3:::b/*"), A),
    ("var-userid", ps([allow("s3:*", "arn:aws:s3:::home/${aws:userid}/*")]),
     req(resource="arn:aws:s3:::home/AIDAEXAMPLE/x", ctx={"aws:userid": "AIDAEXAMPLE"}), A),
    ("var-in-string-like",
     ps([allow("s3:ListBucket", BUCKET, **cond({"StringLike": {"s3:prefix": "home/${aws:username}/*"}}))]),
     req("s3:ListBucket", BUCKET, ctx={"s3:prefix": "home/alice/docs/"}), A),
    ("var-session-has-no-username", ps([allow("s3:*", HOME_DIR)]),
     req(resource="arn:aws:s3:::home/worker/x", principal=SESSION), N),  # aws:username exists only for users
    ("var-value-is-literal", ps([allow("s3:*", "arn:aws:s3:::b/${aws:PrincipalTag/p}/x")]),
     req(resource="arn:aws:s3:::b/anything/x", tags={"p": "*"}), N),  # a substituted * is not a wildcard

    # --- Document shapes ---
    ("statement-as-object", None, None, A),  # a single statement may be an object, not a list (built below)
    ("action-as-string", ps([allow("s3:GetObject", OBJECT)]), req(), A),
    ("action-as-list", ps([allow(["s3:PutObject", "s3:GetObject"], [OBJECT])]), req(), A),
    ("second-statement-matches", ps([allow("ec2:*"), allow("s3:GetObject")]), req(), A),
    ("effect-deny-only", ps([deny("ec2:*")]), req(), N),  # a deny elsewhere grants nothing
]


def _single_statement_object():
    from diagnostics.iam.model import Policy, PolicySet

    document = {"Version": "2012-10-17", "Statement": allow("s3:GetObject", OBJECT)}
    return PolicySet(identity=(Policy("single", "identity", document),))


ROWS = [(n, _single_statement_object(), req(), e) if n == "statement-as-object" else (n, p, r, e)
        for n, p, r, e in ROWS]


def test_table_has_enough_rows() -> None:
    assert len(ROWS) >= 120
    assert len({r[0] for r in ROWS}) == len(ROWS), "row names must be unique"


@pytest.mark.parametrize(("name", "policies", "request_", "expected"), ROWS, ids=[r[0] for r in ROWS])
def test_decision(name, policies, request_, expected) -> None:
    assert evaluate(request_, policies).decision == expected
