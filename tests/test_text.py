"""Shortened texts end at a word boundary: a word cut in half reads as a different word."""

from __future__ import annotations

import pytest
from botocore.exceptions import ClientError

from diagnostics.errors import explain_error
from diagnostics.text import shorten


@pytest.mark.parametrize(("text", "most", "expected"), [
    ("short  text\n", 40, "short text"),
    ("The rule SUBNET_ACL_RESTRICTION drops the reply", 32, "The rule SUBNET_ACL_RESTRICTION…"),
    ("Traffic from 198.51.100.7 is dropped by SUBNET_ACL_RESTRICTION", 42, "Traffic from 198.51.100.7 is dropped by…"),
    ("arn:aws:iam::123456789012:policy/service-role/AWSLambdaBasicExecutionRole-0123456789", 30,
     "arn:aws:iam::123456789012:pol…"),
    ("alpha beta gamma", 16, "alpha beta gamma"),
    ("alpha beta gamma", 15, "alpha beta…"),
])
def test_shorten_ends_at_a_word_boundary_or_cuts_a_long_word_where_it_must(text, most, expected) -> None:
    assert shorten(text, most) == expected
    assert len(shorten(text, most)) <= most


def test_a_long_aws_message_is_cut_between_words() -> None:
    words = "The security group sg-0123456789abcdef0 does not exist in default VPC vpc-0123456789abcdef0 " * 6
    exc = ClientError({"Error": {"Code": "InvalidParameterValue", "Message": words}}, "DescribeInstances")
    sentence = explain_error(exc, service="ec2", operation="DescribeInstances")
    quoted = sentence[sentence.index("The security group"):]
    cut = quoted[:quoted.index("…")]
    assert words.startswith(cut) and words[len(cut)] == " "


def test_a_mermaid_label_is_cut_between_words() -> None:
    from diagnostics.reachability.graph import _quote

    assert _quote("Network ACL acl-0123456789abcdef0 rule 100 denies TCP 22 from 198.51.100.0/24 back", 40) == \
        "Network ACL acl-0123456789abcdef0 rule…"
