"""AWS denied what the policies read here allow: the run names what was not read, and never carries an
"IAM_ALLOWED: the call is allowed" finding beside AWS's denial (a script keying on the code would be told
the opposite of AWS). The local evaluation stays as evidence of the one finding that carries the decision."""

from __future__ import annotations

import json

import pytest

from diagnostics.iam.denial_message import parse_denial
from diagnostics.iam.judgement import judge
from diagnostics.iam.model import PolicySet, Principal
from diagnostics.iam.reads import ResourcePolicyRead
from diagnostics.iam.verdicts import Circumstances, decide
from tests.iam.helpers import ACCOUNT, ALICE, OBJECT, allow, pol, req

ALICE_P = Principal(ALICE, "user", "alice", ACCOUNT, ALICE)
ROLE = f"arn:aws:iam::{ACCOUNT}:role/app-role"
TRUST = pol(ROLE, "resource", {"Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{ACCOUNT}:root"},
                               "Action": "sts:AssumeRole"})


@pytest.mark.parametrize(("action", "resource", "resource_policy", "message"), [
    ("sts:AssumeRole", ROLE, TRUST, f"User: {ALICE} is not authorized to perform: sts:AssumeRole on resource: {ROLE}"),
    ("s3:GetObject", OBJECT, None, f"User: {ALICE} is not authorized to perform: s3:GetObject on resource: {OBJECT}"),
])
def test_a_denial_the_policies_allow_has_no_allowed_finding(action, resource, resource_policy, message) -> None:
    policies = PolicySet(identity=(pol("assume", "identity", allow(action, "*")),), resource=resource_policy)
    decision = decide(req(action, resource), policies)
    assert decision.evaluation.decision == "allowed"
    read = ResourcePolicyRead("read" if resource_policy else "none", "trust policy", "role", "Read.", resource_policy,
                              resource)
    judged = judge(decision, ALICE_P, None, Circumstances(denial=parse_denial(message)), read)
    assert "IAM_ALLOWED" not in [f.code for f in judged.findings]
    [carrier] = [f for f in judged.findings if "decision" in f.evidence]
    assert carrier.evidence["decision"] == "implicitDeny" and carrier.evidence["awstriage_decision"] == "allowed"
    assert carrier.evidence["awstriage_evaluation"]["per_type"]["identity"] == "allow"
    assert "Decision: allowed" not in judged.detail


def test_without_a_denial_the_allow_is_the_finding() -> None:
    decision = decide(req(), PolicySet(identity=(pol("read", "identity", allow("s3:GetObject", "*")),)))
    read = ResourcePolicyRead("none", "bucket policy", "bucket logs", "None.")
    [found] = judge(decision, ALICE_P, None, Circumstances(), read).findings
    assert found.code == "IAM_ALLOWED" and found.evidence["decision"] == "allowed"


@pytest.mark.sandbox
def test_plain_moto_assume_role_denied_yet_allowed(plain_moto) -> None:
    iam = plain_moto.client("iam")
    trust = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::"
                                                     "123456789012:root"}, "Action": "sts:AssumeRole"}]}
    iam.create_role(RoleName="app-role", AssumeRolePolicyDocument=json.dumps(trust))
    iam.create_user(UserName="bob")
    iam.put_user_policy(UserName="bob", PolicyName="assume", PolicyDocument=json.dumps(
        {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "sts:AssumeRole", "Resource": "*"}]}))
    message = ("An error occurred (AccessDenied) when calling the AssumeRole operation: User: arn:aws:iam::"
               "123456789012:user/bob is not authorized to perform: sts:AssumeRole on resource: "
               "arn:aws:iam::123456789012:role/app-role")
    done = plain_moto.cli("run", "access-denied", "--format", "json", "--param", f"error={message}")
    assert "Traceback" not in done.stderr, done.stderr
    t = json.loads(done.stdout)
    assert (done.returncode, t["verdict"]) == (1, "problem_found")
    assert [f["code"] for f in t["findings"]] == ["IAM_DENIED_UNEXPLAINED"]
    assert t["findings"][0]["evidence"]["decision"] == "implicitDeny"
