"""Pasted AccessDenied messages and decoded authorization messages read back into their parts."""

from __future__ import annotations

import json

import pytest

from diagnostics.iam.denial_message import encoded_message, parse_decoded_authorization, parse_denial

ALICE = "arn:aws:iam::123456789012:user/alice"
SCP = "arn:aws:organizations::111111111111:policy/o-abc123/service_control_policy/p-xyz789"


@pytest.mark.parametrize(
    ("text", "principal", "action", "resource", "policy_type", "explicit", "policy_arn"),
    [
        (f'User: {ALICE} is not authorized to perform: s3:GetObject on resource: "arn:aws:s3:::bucket/key.txt" '
         "because no identity-based policy allows the s3:GetObject action",
         ALICE, "s3:GetObject", "arn:aws:s3:::bucket/key.txt", "identity", False, None),
        ("An error occurred (AccessDenied) when calling the ListUsers operation: User: "
         "arn:aws:sts::123456789012:assumed-role/app/s1 is not authorized to perform: iam:ListUsers on resource: "
         f"arn:aws:iam::123456789012:user/ with an explicit deny in a service control policy: {SCP}",
         "arn:aws:sts::123456789012:assumed-role/app/s1", "iam:ListUsers", "arn:aws:iam::123456789012:user/",
         "scp", True, SCP),
        (f"User: {ALICE} is not authorized to perform: s3:GetObject on resource: arn:aws:s3:::b/k.txt.",
         ALICE, "s3:GetObject", "arn:aws:s3:::b/k.txt", None, False, None),  # the old form, no "because"
        ("An error occurred (AccessDeniedException) when calling the Decrypt operation: User: "
         f"{ALICE} is not authorized to perform: kms:Decrypt on resource: arn:aws:kms:us-east-1:1:key/k "
         "because no resource-based policy allows the kms:Decrypt action",
         ALICE, "kms:Decrypt", "arn:aws:kms:us-east-1:1:key/k", "resource", False, None),
        (f"User: {ALICE} is not authorized to perform: ec2:DescribeInstances because no permissions boundary "
         "allows the ec2:DescribeInstances action", ALICE, "ec2:DescribeInstances", None, "boundary", False, None),
        (f"User: {ALICE} is not authorized to perform: s3:ListBucket on resource: \"arn:aws:s3:::b\" because no "
         "session policy allows the s3:ListBucket action", ALICE, "s3:ListBucket", "arn:aws:s3:::b", "session",
         False, None),
        (f"User: {ALICE} is not authorized to perform: s3:PutObject on resource: \"arn:aws:s3:::b/k\" with an "
         "explicit deny in an identity-based policy: arn:aws:iam::123456789012:policy/DenyS3",
         ALICE, "s3:PutObject", "arn:aws:s3:::b/k", "identity", True, "arn:aws:iam::123456789012:policy/DenyS3"),
        (f"User: {ALICE} is not authorized to perform: s3:PutObject on resource: \"arn:aws:s3:::b/k\" with an "
         "explicit deny in a resource-based policy", ALICE, "s3:PutObject", "arn:aws:s3:::b/k", "resource", True,
         None),
        (f"User: {ALICE} is not authorized to perform: sqs:SendMessage on resource: "
         "arn:aws:sqs:us-east-1:123456789012:q because no resource control policy allows the sqs:SendMessage "
         "action", ALICE, "sqs:SendMessage", "arn:aws:sqs:us-east-1:123456789012:q", "rcp", False, None),
    ],
)
def test_parse_denial(text, principal, action, resource, policy_type, explicit, policy_arn) -> None:
    parsed = parse_denial(text)
    assert (parsed.principal, parsed.action, parsed.resource) == (principal, action, resource)
    assert (parsed.policy_type, parsed.explicit, parsed.policy_arn) == (policy_type, explicit, policy_arn)


@pytest.mark.parametrize("junk", ["", "   ", "hello world", "User: alice is not happy", "Timeout after 30 s"])
def test_junk_is_one_plain_sentence(junk) -> None:
    with pytest.raises(ValueError) as info:
        parse_denial(junk)
    message = str(info.value)
    assert message and "\n" not in message and "Traceback" not in message


def test_encoded_message_is_recognised() -> None:
    text = ("An error occurred (UnauthorizedOperation) when calling the RunInstances operation: You are not "
            "authorized to perform this operation. Encoded authorization failure message: AbC-12_xYz/+=")
    assert encoded_message(text) == "AbC-12_xYz/+="
    parsed = parse_denial(text)  # what the wrapper says is kept; the blob waits for sts to decode it
    assert (parsed.encoded, parsed.action, parsed.principal) == ("AbC-12_xYz/+=", "ec2:RunInstances", None)
    assert encoded_message(f"User: {ALICE} is not authorized to perform: s3:GetObject") is None


DECODED = {
    "allowed": False,
    "explicitDeny": True,
    "matchedStatements": {"items": [{"statementId": "DenyBig", "effect": "DENY"}]},
    "failures": {"items": []},
    "context": {
        "principal": {"id": "AIDAEXAMPLE", "name": "alice", "arn": ALICE},
        "action": "ec2:RunInstances",
        "resource": "arn:aws:ec2:us-east-1:123456789012:instance/*",
        "conditions": {"items": [
            {"key": "ec2:InstanceType", "values": {"items": [{"value": "m5.24xlarge"}]}},
            {"key": "aws:TagKeys", "values": {"items": [{"value": "env"}, {"value": "team"}]}},
        ]},
    },
}


@pytest.mark.parametrize("form", ["dict", "json", "response"])
def test_parse_decoded_authorization(form) -> None:
    decoded = {"dict": DECODED, "json": json.dumps(DECODED),
               "response": {"DecodedMessage": json.dumps(DECODED)}}[form]
    parsed = parse_decoded_authorization(decoded)
    assert parsed.principal == ALICE and parsed.action == "ec2:RunInstances"
    assert parsed.resource == "arn:aws:ec2:us-east-1:123456789012:instance/*"
    assert parsed.explicit is True
    assert parsed.context == {"ec2:InstanceType": "m5.24xlarge", "aws:TagKeys": ["env", "team"]}


@pytest.mark.parametrize("bad", ["not json", {"allowed": False}, {"context": {"action": "s3:GetObject"}}])
def test_decoded_junk(bad) -> None:
    with pytest.raises(ValueError):
        parse_decoded_authorization(bad)
