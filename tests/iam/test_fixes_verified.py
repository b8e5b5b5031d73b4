"""Every proposed change is applied to a copy of the policies and the request evaluated again."""

from __future__ import annotations

import pytest

from diagnostics.iam import PolicySet, Request
from diagnostics.iam.verify import verify
from diagnostics.sandbox import load_scenarios
from playbooks.access_denied import PLAYBOOK
from playbooks.registry import parse_inputs
from playbooks.runner import run_playbook
from tests.iam.helpers import ALICE, allow, pol

DENIALS = [s for s in load_scenarios() if s.playbook == "access-denied" and s.verdict == "problem_found"]


@pytest.mark.sandbox
@pytest.mark.parametrize("scenario", DENIALS, ids=[s.name for s in DENIALS])
def test_every_sandbox_denial_gets_a_change_that_passes(sandbox, scenario) -> None:
    seeded = sandbox.seed(scenario)
    transcript = run_playbook(PLAYBOOK, parse_inputs(PLAYBOOK, {k: [str(v)] for k, v in seeded.inputs.items()}),
                              sandbox.session())
    writes = ("put-", "create-", "update-", "modify-", "set-")
    commands = [c for f in transcript.findings for c in f["remediation"]
                if c.startswith("aws ") and c.split()[2].startswith(writes)]
    decision = transcript.step("decision")
    if not commands:
        # Nothing to run here: AWS's words name a policy that cannot be read, a guard to meet, or a
        # resource that is not there. The finding says where to look instead.
        assert any(f["severity"] == "error" for f in transcript.findings)
        return
    assert "Applied to a copy of the policies" in decision.detail, decision.detail
    assert "the request allowed" in decision.detail, decision.detail


def test_a_wider_grant_than_needed_is_said_plainly() -> None:
    request = Request(ALICE, "s3:GetObject", "arn:aws:s3:::data/k")
    wide = ('aws iam put-user-policy --user-name alice --policy-name wide --policy-document '
            '\'{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:*","Resource":"*"}]}\'')
    verified = verify(request, PolicySet(), [wide], [{"Effect": "Allow", "Action": "s3:*", "Resource": "*"}])
    assert verified.passes and verified.applied == 1
    assert "also allows more than the request" in verified.sentence(request)
    assert "every resource matching *" in verified.sentence(request)


def test_a_change_that_does_not_fix_it_alone_is_said() -> None:
    boundary = pol("b", "boundary", allow("ec2:*"), arn="arn:aws:iam::111122223333:policy/b")
    request = Request(ALICE, "s3:GetObject", "arn:aws:s3:::data/k")
    only_identity = ('aws iam put-user-policy --user-name alice --policy-name p --policy-document '
                     '\'{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:GetObject",'
                     '"Resource":"arn:aws:s3:::data/k"}]}\'')
    verified = verify(request, PolicySet(boundary=boundary), [only_identity])
    assert not verified.passes and "does not fix it alone" in verified.sentence(request)


@pytest.mark.sandbox
def test_the_two_layer_world_has_both_findings_and_both_steps_are_problems(sandbox) -> None:
    seeded = sandbox.seed(next(s for s in load_scenarios() if s.name == "iam-two-layers"))
    transcript = run_playbook(PLAYBOOK, parse_inputs(PLAYBOOK, {k: [str(v)] for k, v in seeded.inputs.items()}),
                              sandbox.session())
    codes = [f["code"] for f in transcript.findings if f["severity"] == "error"]
    assert codes == ["IAM_NO_ALLOW", "IAM_BOUNDARY_BLOCKS"]
    assert sum("decision" in f["evidence"] for f in transcript.findings) == 1
    assert transcript.step("boundary").status == "problem"
    identity = transcript.step("identity-policies")
    assert identity.status == "problem", identity.detail
    assert "None of them allows s3:PutObject" in identity.detail
    # Each judged on what it read: the organization's policies are the guardrails step's reads.
    for step in ("identity-policies", "boundary"):
        assert "DescribeOrganization" not in [c["operation"] for c in transcript.step(step).api_calls]
    assert all(f["evidence"]["verified_together"]["passes"] for f in transcript.findings if f["severity"] == "error")
