"""AssumeRoleWithWebIdentity and AssumeRoleWithSAML denials: decided by the role's trust policy for the
identity provider and the token's claims, never by the IAM policies of the person running awstriage
(there is no IAM caller). Trust policies as the IAM User Guide writes them for GitHub Actions and
SAML (https://docs.aws.amazon.com/IAM/latest/UserGuide/id_roles_providers_oidc.html)."""

from __future__ import annotations

import json

import pytest

from diagnostics.iam.federated import FEDERATED, federated_finding, grants
from diagnostics.iam.model import Policy
from diagnostics.iam.reads import ResourcePolicyRead
from diagnostics.iam.request import understand

ROLE = "arn:aws:iam::123456789012:role/deploy"
GH = "token.actions.githubusercontent.com"
GITHUB_TRUST = {"Version": "2012-10-17", "Statement": [{
    "Effect": "Allow", "Principal": {"Federated": f"arn:aws:iam::123456789012:oidc-provider/{GH}"},
    "Action": "sts:AssumeRoleWithWebIdentity",
    "Condition": {"StringEquals": {f"{GH}:aud": "sts.amazonaws.com"},
                  "StringLike": {f"{GH}:sub": "repo:example-org/app:ref:refs/heads/main"}}}]}
EC2_TRUST = {"Version": "2012-10-17", "Statement": [{
    "Effect": "Allow", "Principal": {"Service": "ec2.amazonaws.com"}, "Action": "sts:AssumeRole"}]}
WEB = "sts:AssumeRoleWithWebIdentity"
MESSAGE = ("An error occurred (AccessDenied) when calling the AssumeRoleWithWebIdentity operation: Not authorized to "
           "perform sts:AssumeRoleWithWebIdentity")


def _read(document) -> ResourcePolicyRead:
    return ResourcePolicyRead("read", "trust policy", "role deploy", "Read it.",
                              Policy(ROLE, "resource", document), ROLE)


def test_the_caller_is_the_token_never_the_person_running_awstriage() -> None:
    ask = understand({"error": MESSAGE, "resource": ROLE}, "arn:aws:iam::123456789012:user/oncall")
    assert ask.principal == FEDERATED and ask.action == WEB and ask.resource == ROLE
    saml = understand({"action": "sts:AssumeRoleWithSAML", "resource": ROLE}, "arn:aws:iam::123456789012:user/oncall")
    assert saml.principal == FEDERATED


def test_a_trust_policy_without_a_federated_statement_is_the_finding() -> None:
    _, found, undecided = federated_finding(WEB, ROLE, _read(EC2_TRUST), {}, denied=True)
    assert found is not None and found.code == "IAM_RESOURCE_POLICY_BLOCKS" and found.certainty == "certain"
    assert "no statement allowing sts:AssumeRoleWithWebIdentity for a federated principal" in found.summary
    assert any('"Federated"' in c for c in found.remediation) and undecided == ""


def test_the_conditions_the_token_must_meet_are_named_when_its_claims_are_unknown() -> None:
    _, found, _ = federated_finding(WEB, ROLE, _read(GITHUB_TRUST), {}, denied=True)
    assert found is not None and found.certainty == "conditional"
    assert f"{GH}:sub StringLike repo:example-org/app:ref:refs/heads/main" in found.summary
    assert f"{GH}:aud StringEquals sts.amazonaws.com" in found.summary


def test_claims_given_that_miss_a_condition_are_named() -> None:
    claims = {f"{GH}:aud": "sts.amazonaws.com", f"{GH}:sub": "repo:example-org/app:ref:refs/heads/dev"}
    [grant] = grants(GITHUB_TRUST, WEB, claims)
    assert grant.unmet and not grant.unknown
    _, found, _ = federated_finding(WEB, ROLE, _read(GITHUB_TRUST), claims, denied=True)
    assert found is not None and found.certainty == "certain" and "refs/heads/dev" in found.summary


def test_claims_that_meet_the_trust_policy_point_at_the_token_itself() -> None:
    claims = {f"{GH}:aud": "sts.amazonaws.com", f"{GH}:sub": "repo:example-org/app:ref:refs/heads/main"}
    _, found, _ = federated_finding(WEB, ROLE, _read(GITHUB_TRUST), claims, denied=True)
    assert found is not None and found.code == "IAM_DENIED_UNEXPLAINED" and "expired" in found.summary


@pytest.mark.sandbox
def test_plain_moto_reads_the_trust_policy_not_the_callers_policies(plain_moto) -> None:
    plain_moto.client("iam").create_role(RoleName="deploy", AssumeRolePolicyDocument=json.dumps(GITHUB_TRUST))
    done = plain_moto.cli("run", "access-denied", "--format", "json", "--param", f"error={MESSAGE}", "--param",
                          f"resource={ROLE}", "--param", f"context={GH}:sub=repo:example-org/app:ref:refs/heads/dev")
    assert "Traceback" not in done.stderr, done.stderr
    t = json.loads(done.stdout)
    assert (done.returncode, t["verdict"]) == (1, "problem_found")
    [found] = [f for f in t["findings"] if f["severity"] == "error"]
    assert found["code"] == "IAM_RESOURCE_POLICY_BLOCKS" and found["resource"] == ROLE
    assert "refs/heads/dev" in found["summary"]
    steps = {s["id"]: s for s in t["steps"]}
    assert steps["identity-policies"]["status"] == "skipped"
    assert "judging the caller's own access" not in steps["request"]["detail"]
    calls = [c["operation"] for s in t["steps"] for c in s["api_calls"]]
    assert "GetUser" not in calls and "ListUserPolicies" not in calls  # no IAM caller is read
