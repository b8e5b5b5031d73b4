"""The access-denied wording as pure functions over snapshots: a decision's findings (verdicts), the
decision step's judgement against AWS's words (judgement), the request's own findings and the step
sentences. No AWS, no Context: what the playbook passes in is built here by hand."""

from __future__ import annotations

from diagnostics.iam.aws_words import weigh
from diagnostics.iam.denial_message import parse_denial
from diagnostics.iam.judgement import judge, judge_aws_only, with_typo
from diagnostics.iam.model import PolicySet, Principal
from diagnostics.iam.reads import ResourcePolicyRead, ScpRead, VpceRead
from diagnostics.iam.request import Ask
from diagnostics.iam.request_findings import typo_finding, ungated_finding
from diagnostics.iam.verdicts import (
    Circumstances,
    boundary_blocks,
    decide,
    finding,
    identity_blocks,
    layer_findings,
    request_for,
    unseen,
    verify_all,
)
from diagnostics.iam.wording import guardrail_words, identity_words
from tests.iam.helpers import ACCOUNT, ALICE, BUCKET, OBJECT, OTHER, allow, cond, deny, pol, ps, req

ALICE_P = Principal(ALICE, "user", "alice", ACCOUNT, ALICE)
CAROL_P = Principal(f"arn:aws:iam::{OTHER}:user/carol", "user", "carol", OTHER, f"arn:aws:iam::{OTHER}:user/carol",
                    readable=False)
NO_BUCKET_POLICY = ResourcePolicyRead("none", "bucket policy", "bucket logs", "The bucket logs has no bucket policy.",
                                      holder_arn=BUCKET)
NONE_SCP = ScpRead("none", f"Account {ACCOUNT} is not in an AWS Organization, so no SCPs apply.", ())
NONE_RCP = ScpRead("none", f"Account {ACCOUNT} is not in an AWS Organization, so no RCPs apply.", ())
NO_ENDPOINT = VpceRead("none", "No endpoint.")


def two_layers() -> PolicySet:
    """Alice may read logs/* but not write; her boundary allows reading only."""
    return ps([allow("s3:GetObject", BUCKET + "/*")], boundary=[allow("s3:GetObject")])


# --- verdicts: every blocking layer, each with a fix that fixes ------------------------------------


def test_a_two_layer_decision_yields_two_findings_each_with_its_own_fix() -> None:
    decision = decide(req("s3:PutObject"), two_layers())
    assert decision.evaluation.blocking_types == ("identity", "boundary")
    local = finding(decision, ALICE_P, Circumstances())
    layers = layer_findings(decision, ALICE_P, local, Circumstances())
    assert [f.code for f in layers] == ["IAM_NO_ALLOW", "IAM_BOUNDARY_BLOCKS"]
    assert [f.resource for f in layers] == [ALICE, f"arn:aws:iam::{ACCOUNT}:policy/boundary"]
    # Only the first carries the decision; each fix alone leaves the request denied by the other layer.
    assert ["decision" in f.evidence for f in layers] == [True, False]
    assert all(f.evidence["verified"]["decision"] == "implicitDeny" for f in layers)
    assert any(c.startswith("aws iam put-user-policy") for c in layers[0].remediation)
    assert any(c.startswith("aws iam put-user-permissions-boundary") for c in layers[1].remediation)
    # Widening the shared boundary is never the primary: an alternative that says whom else it loosens.
    [widen] = layers[1].alternatives
    assert any(c.startswith("aws iam create-policy-version") for c in widen.commands)
    assert "every user and role it caps" in widen.disrupts


def test_the_changes_of_every_layer_are_verified_together_and_pass() -> None:
    decision = decide(req("s3:PutObject"), two_layers())
    layers = layer_findings(decision, ALICE_P, finding(decision, ALICE_P, Circumstances()), Circumstances())
    sentence = verify_all(decision, layers)
    assert sentence.startswith("Applied to a copy of the policies, the proposed changes make the request allowed")
    assert all(f.evidence["verified_together"]["passes"] for f in layers)


def test_one_blocking_layer_is_one_finding_and_nothing_is_verified_for_an_allow() -> None:
    decision = decide(req(), ps([allow("s3:GetObject", BUCKET + "/*")], boundary=[allow("ec2:*")]))
    layers = layer_findings(decision, ALICE_P, finding(decision, ALICE_P, Circumstances()), Circumstances())
    assert [f.code for f in layers] == ["IAM_BOUNDARY_BLOCKS"]
    allowed = decide(req(), ps([allow("s3:GetObject", BUCKET + "/*")]))
    local = finding(allowed, ALICE_P, Circumstances())
    assert local.code == "IAM_ALLOWED" and local.severity == "info"
    assert verify_all(allowed, [local]) == ""


def test_a_guard_is_met_never_exempted_first() -> None:
    mfa = deny("s3:*", "*", **cond({"BoolIfExists": {"aws:MultiFactorAuthPresent": "false"}}))
    decision = decide(req(), ps([allow("s3:*"), mfa]))
    local = finding(decision, ALICE_P, Circumstances())
    assert local.code == "IAM_EXPLICIT_DENY"
    assert not any(c.startswith("aws ") for c in local.remediation)
    [exempt] = local.alternatives
    assert "aws:MultiFactorAuthPresent" in exempt.disrupts


def test_the_finding_records_what_surrounds_the_decision() -> None:
    denial = parse_denial(f"User: {ALICE} is not authorized to perform: s3:GetObject on resource: {OBJECT} "
                          "because no identity-based policy allows the s3:GetObject action")
    seen = Circumstances(assumed={"aws:SecureTransport": "true"}, unseen={"scp": "SCPs were not checked", "vpce": "x"},
                         denial=denial)
    local = finding(decide(req(), ps([])), ALICE_P, seen)
    assert local.evidence["assumed_context"] == {"aws:SecureTransport": "true"}
    assert local.evidence["not_checked"] == ["scp"]
    assert local.evidence["aws_message"]["policy_type"] == "identity"


def test_unseen_names_each_type_that_could_not_be_read_and_why() -> None:
    session = Principal(f"arn:aws:sts::{ACCOUNT}:assumed-role/app/w", "assumed-role", "app", ACCOUNT,
                        f"arn:aws:iam::{ACCOUNT}:role/app")
    unreadable = ScpRead("unreadable", "SCPs were not checked: refused.", None)
    got = unseen(session, unreadable, NONE_RCP, NO_BUCKET_POLICY, ["the group policies of alice"], None)
    assert set(got) == {"scp", "identity", "session", "vpce"}
    assert got["identity"].endswith("the group policies of alice")
    foreign = unseen(CAROL_P, NONE_SCP, NONE_RCP, NO_BUCKET_POLICY, [], NO_ENDPOINT)
    assert set(foreign) == {"identity", "boundary", "session"} and OTHER in foreign["identity"]


def test_identity_blocks_unless_an_identity_policy_or_the_resource_grants() -> None:
    request = req("s3:PutObject")
    assert identity_blocks(request, two_layers().identity, None)
    assert not identity_blocks(request, ps([allow("s3:PutObject")]).identity, None)
    # Within one account, a bucket policy naming the user grants in place of an identity policy.
    bucket = pol("logs", "resource", allow("s3:PutObject", BUCKET + "/*", Principal={"AWS": ALICE}))
    assert not identity_blocks(request, two_layers().identity, bucket)
    # A bucket policy that names someone else grants nothing to alice.
    someone = {"AWS": f"arn:aws:iam::{OTHER}:root"}
    other = pol("logs", "resource", allow("s3:PutObject", BUCKET + "/*", Principal=someone))
    assert identity_blocks(request, two_layers().identity, other)


def test_boundary_blocks_unless_it_allows_or_a_resource_policy_grants_past_it() -> None:
    request, identity = req("s3:PutObject"), ps([allow("s3:PutObject")]).identity
    reading = two_layers().boundary
    assert boundary_blocks(request, identity, reading, None)
    assert not boundary_blocks(request, identity, pol("b", "boundary", allow("s3:*")), None)
    assert boundary_blocks(request, identity, pol("b", "boundary", allow("s3:*"), deny("s3:PutObject")), None)
    # A bucket policy naming alice herself grants past her boundary; one naming her account does not.
    naming = pol("logs", "resource", allow("s3:PutObject", BUCKET + "/*", Principal={"AWS": ALICE}))
    account = pol("logs", "resource", allow("s3:PutObject", BUCKET + "/*",
                                            Principal={"AWS": f"arn:aws:iam::{ACCOUNT}:root"}))
    assert not boundary_blocks(request, identity, reading, naming)
    assert boundary_blocks(request, identity, reading, account)


def test_request_for_lets_the_given_context_win_over_the_assumed() -> None:
    ask = Ask(ALICE, "s3:GetObject", OBJECT, context={"aws:SecureTransport": "false"})
    request = request_for(ask, ALICE_P, {"aws:SecureTransport": "true", "aws:ViaAWSService": "false"}, ACCOUNT)
    assert request.context == {"aws:SecureTransport": "false", "aws:ViaAWSService": "false"}
    assert request.resource_account == ACCOUNT and request.principal_account == ACCOUNT


# --- judgement: the decision against AWS's words ------------------------------------------------


def test_an_allow_with_an_unread_identity_policy_is_not_decided() -> None:
    decision = decide(req(), ps([allow("s3:GetObject")]))
    seen = Circumstances(unseen={"identity": "some identity policies could not be read: group developers"})
    judged = judge(decision, ALICE_P, None, seen, NO_BUCKET_POLICY)
    assert judged.undecided == "unread" and not judged.findings
    assert judged.detail.startswith("Could not decide: what was read allows it, but some identity policies")


def test_a_denial_with_an_unread_identity_policy_is_conditional() -> None:
    decision = decide(req(), ps([]))
    seen = Circumstances(unseen={"identity": "some identity policies could not be read: group developers"})
    [local] = judge(decision, ALICE_P, None, seen, NO_BUCKET_POLICY).findings
    assert local.certainty == "conditional" and "could not be read" in local.condition


def test_aws_naming_an_unreadable_scp_makes_the_scp_the_cause() -> None:
    denial = parse_denial(f"User: {ALICE} is not authorized to perform: s3:GetObject on resource: {OBJECT} "
                          "with an explicit deny in a service control policy")
    decision = decide(req(), ps([allow("s3:GetObject")]))
    seen = Circumstances(unseen={"scp": "SCPs were not checked: refused."}, denial=denial, region="us-east-1")
    words = weigh("scp", True, decision.evaluation, seen.unseen)
    judged = judge(decision, ALICE_P, words, seen, NO_BUCKET_POLICY)
    [aws] = judged.findings
    assert aws.code == "IAM_SCP_BLOCKS" and aws.evidence["decision"] == "explicitDeny"
    assert judged.detail.startswith("Decision: explicitDeny (AWS's message).")
    assert any(c.startswith("aws organizations list-policies-for-target") for c in aws.remediation)


def test_a_foreign_caller_allowed_here_without_a_message_has_the_rest_elsewhere() -> None:
    bucket = pol(BUCKET, "resource", allow("s3:GetObject", BUCKET + "/*", Principal={"AWS": CAROL_P.arn}))
    read = ResourcePolicyRead("read", "bucket policy", "bucket logs", "Read it.", bucket, BUCKET)
    decision = decide(req(principal=CAROL_P.arn, resource_account=ACCOUNT), PolicySet(resource=bucket))
    judged = judge(decision, CAROL_P, None, Circumstances(), read)
    assert judged.undecided == "elsewhere" and not judged.findings
    assert f"the rest of the decision lies in account {OTHER}" in judged.detail
    denial = parse_denial(f"User: {CAROL_P.arn} is not authorized to perform: s3:GetObject on resource: {OBJECT}")
    [other] = judge(decision, CAROL_P, None, Circumstances(denial=denial), read).findings
    assert other.code == "IAM_OTHER_ACCOUNT_BLOCKS" and other.certainty == "conditional"


def test_aws_alone_decides_when_nothing_could_be_evaluated() -> None:
    denial = parse_denial(f"User: {ALICE} is not authorized to perform: s3:GetObject on resource: {OBJECT} "
                          "because no permissions boundary allows the s3:GetObject action")
    judged = judge_aws_only(Ask(ALICE, "s3:GetObject", OBJECT, denial=denial), "the user could not be read",
                            ACCOUNT, "us-east-1")
    [aws] = judged.findings
    assert aws.code == "IAM_BOUNDARY_BLOCKS" and aws.evidence["awstriage_decision"] is None
    assert "the user could not be read" in aws.summary


def test_a_typo_is_the_finding_and_an_allow_of_the_action_meant_stays_evidence() -> None:
    allowed = decide(req(), ps([allow("s3:GetObject")]))
    judged = judge(allowed, ALICE_P, None, Circumstances(), NO_BUCKET_POLICY)
    typed = with_typo(judged, "s3:GetObjets", "s3:GetObject", Ask(ALICE, "s3:GetObject", OBJECT), "allowed")
    assert [(f.code, f.severity) for f in typed.findings] == [("IAM_UNKNOWN_ACTION", "error"), ("IAM_ALLOWED", "info")]
    assert "nothing to grant" in typed.findings[0].summary
    assert "still implicitDeny" in typo_finding("s3:GetObjets", "s3:GetObject", ALICE, OBJECT, "implicitDeny").summary


def test_an_ungated_action_is_allowed_and_a_denial_of_it_is_a_warning() -> None:
    assert ungated_finding(Ask(ALICE, "sts:GetCallerIdentity", "*")).severity == "info"
    denial = parse_denial(f"User: {ALICE} is not authorized to perform: sts:GetCallerIdentity")
    warned = ungated_finding(Ask(ALICE, "sts:GetCallerIdentity", "*", denial=denial))
    assert warned.severity == "warning" and "lies elsewhere" in warned.summary


# --- wording: the steps' sentences ---------------------------------------------------------------


def test_the_identity_step_says_when_its_layer_refuses_on_its_own() -> None:
    ask = Ask(ALICE, "s3:PutObject", OBJECT)
    policies = list(two_layers().identity)
    assert "refuses the request on its own" not in identity_words(ask, ALICE_P, policies, [])
    said = identity_words(ask, ALICE_P, policies, [], blocks=True)
    assert f"None of them allows s3:PutObject on {OBJECT}" in said
    assert "carries 1 identity-based policy: inline-main" in said


def test_the_same_answer_for_scps_and_rcps_is_said_once() -> None:
    assert guardrail_words(NONE_SCP, NONE_RCP) == (f"Account {ACCOUNT} is not in an AWS Organization, so no SCPs or "
                                                   "RCPs apply.")
