"""AWS's words against the local evaluation: agree, unseen, disagree, silent."""

from __future__ import annotations

import pytest

from diagnostics.iam import PolicySet, Request, evaluate
from diagnostics.iam.aws_words import weigh, where_to_look
from tests.iam.helpers import ALICE, OBJECT, allow, deny, pol

ALLOWED = evaluate(Request(ALICE, "s3:GetObject", OBJECT), PolicySet(identity=(pol("p", "identity", allow()),)))
NO_ALLOW = evaluate(Request(ALICE, "s3:GetObject", OBJECT),
                    PolicySet(identity=(pol("p", "identity", allow("s3:Put*")),)))
DENIED = evaluate(Request(ALICE, "s3:GetObject", OBJECT),
                  PolicySet(identity=(pol("p", "identity", allow(), deny("s3:GetObject")),)))


@pytest.mark.parametrize(("kind", "explicit", "evaluation", "unseen", "agreement"), [
    ("scp", True, ALLOWED, {"scp": "SCPs were not checked"}, "unseen"),
    ("vpce", True, ALLOWED, {"vpce": "not read"}, "unseen"),
    ("identity", False, NO_ALLOW, {}, "agrees"),
    ("identity", True, DENIED, {}, "agrees"),
    ("identity", False, ALLOWED, {}, "disagrees"),
    ("boundary", False, NO_ALLOW, {}, "disagrees"),
    (None, False, ALLOWED, {}, "silent"),
])
def test_weigh(kind, explicit, evaluation, unseen, agreement) -> None:
    words = weigh(kind, explicit, evaluation, unseen)
    assert words.agreement == agreement
    if kind:
        assert words.decision == ("explicitDeny" if explicit else "implicitDeny")


def test_where_to_look_gives_read_only_commands() -> None:
    where, commands = where_to_look("scp", account="123456789012", region="eu-west-1", service="s3",
                                    principal=ALICE, resource=OBJECT)
    assert "management account" in where
    assert commands[0] == ("aws organizations list-policies-for-target --target-id 123456789012 "
                           "--filter SERVICE_CONTROL_POLICY")
    where, commands = where_to_look("vpce", account=None, region="eu-west-1", service="s3", principal=ALICE,
                                    resource=OBJECT)
    assert "com.amazonaws.eu-west-1.s3" in commands[0] and "describe-vpc-endpoints" in commands[0]
    assert "no API reads it back" in where_to_look("session", account=None, region=None, service=None,
                                                   principal=ALICE, resource=None)[0]
