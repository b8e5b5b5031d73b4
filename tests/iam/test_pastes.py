"""Pastes a terminal, a chat client or a JSON log changed (the forms that parse are rows of
tests/iam/denial_table.py): what is joined, what is not, and a caller that cannot be read cleanly,
which stops the run rather than judging the person running awstriage in its place."""

from __future__ import annotations

import json

import pytest

from diagnostics.iam.denial_message import normalise_paste, parse_denial, whole_principal
from diagnostics.iam.request import understand

ALICE = "arn:aws:iam::123456789012:user/alice"
CALLER = "arn:aws:iam::123456789012:user/oncall"
OBJ = "arn:aws:s3:::example-bucket/key"


@pytest.mark.parametrize(("text", "kept"), [
    # A clean wrap at a word boundary: the next line starts a new word of the message.
    (f"User: {ALICE}\nis not authorized", f"User: {ALICE}\nis not authorized"),
    ("is not authorized to perform:\ns3:GetObject on resource:", "is not authorized to perform:\ns3:GetObject on "
                                                                 "resource:"),
    (f"on resource: {OBJ}\nbecause no identity-based policy", f"on resource: {OBJ}\nbecause no identity-based policy"),
    (f"on resource: {OBJ}\n(Service: S3, Status Code: 403)", f"on resource: {OBJ}\n(Service: S3, Status Code: 403)"),
    # Whitespace at the break: the break was at a space.
    (f"User: {ALICE[:-2]} \nce is", f"User: {ALICE[:-2]} \nce is"),
    # A complete action followed by a piece that makes none is not joined.
    ("perform: s3:GetObject\nfoo", "perform: s3:GetObject\nfoo"),
])
def test_a_break_at_a_word_boundary_is_kept(text, kept) -> None:
    assert normalise_paste(text) == kept


@pytest.mark.parametrize(("text", "joined"), [
    (f"User: {ALICE[:-3]}\nice is", f"User: {ALICE} is"),
    ("perform: s3:Get\nObject on", "perform: s3:GetObject on"),
    ("resource: arn:aws:s3:::example-\nbucket/key because", f"resource: {OBJ} because"),
    ('resource: "arn:aws:s3:::examp\nle-bucket/key" because', f'resource: "{OBJ}" because'),
    ("on resource: \u201carn:aws:s3:::b/k\u201d", 'on resource: "arn:aws:s3:::b/k"'),
    ('on resource: \\"arn:aws:s3:::b/k\\" because', 'on resource: "arn:aws:s3:::b/k" because'),
])
def test_a_break_inside_a_token_is_joined_and_quotes_made_plain(text, joined) -> None:
    assert normalise_paste(text) == joined


def test_a_key_with_spaces_inside_quotes_survives() -> None:
    text = f'User: {ALICE} is not authorized to perform: s3:GetObject on resource: "arn:aws:s3:::b/q3 report (1).csv"'
    assert parse_denial(text).resource == "arn:aws:s3:::b/q3 report (1).csv"


def test_an_action_cut_into_one_aws_does_not_have_is_taken_from_the_message_tail() -> None:
    # "s3:GetObj" + " ect" (a space at the break) stays cut; the tail names the action whole.
    text = (f"User: {ALICE} is not authorized to perform: s3:GetObj ect on resource: {OBJ} because no identity-based "
            "policy allows the s3:GetObject action")
    parsed = parse_denial(text)
    assert parsed.action == "s3:GetObject" and any("s3:GetObj" in n for n in parsed.notes)


@pytest.mark.parametrize("arn", [ALICE, "arn:aws:iam::123456789012:role/service-role/app",
                                 "arn:aws:sts::123456789012:assumed-role/app/i-0abc", "arn:aws:iam::123456789012:root",
                                 "arn:aws-us-gov:iam::123456789012:user/a.b@c"])
def test_whole_principals(arn) -> None:
    assert whole_principal(arn)


@pytest.mark.parametrize("arn", ["arn:aws:iam::123456789012:user/", "arn:aws:iam::1234567:user/alice",
                                 "arn:aws:sts::123456789012:assumed-role/app", "arn:aws:s3:::bucket", "ob"])
def test_cut_principals(arn) -> None:
    assert not whole_principal(arn)


@pytest.mark.parametrize("message", [
    # A space at the break, so the ARN stays cut: "ob" is what AWS seems to name.
    f"User: {ALICE[:-4]} ce is not authorized to perform: s3:GetObject on resource: {OBJ}",
    f"User: arn:aws:iam::123456789012:user/\nis not authorized to perform: s3:GetObject on resource: {OBJ}",
])
def test_a_caller_that_cannot_be_read_stops_the_request_never_the_person_running_it(message) -> None:
    with pytest.raises(ValueError, match="not a whole principal ARN") as caught:
        understand({"error": message}, CALLER)
    assert "--param principal=" in str(caught.value)
    # Named explicitly, the parameter wins and the run goes on.
    assert understand({"error": message, "principal": ALICE}, CALLER).principal == ALICE


def test_a_message_that_names_no_caller_still_judges_the_caller() -> None:
    ask = understand({"error": "An error occurred (AccessDenied) when calling the GetObject operation: Access "
                               "Denied", "resource": OBJ}, CALLER)
    assert ask.principal == CALLER


@pytest.mark.sandbox
@pytest.mark.parametrize(("message", "code", "principal"), [
    (f"User: arn:aws:iam::123456789012:user/b\nob is not authorized to perform: s3:GetObject on resource: "
     f'"{OBJ}" because no identity-based policy allows the s3:GetObject action', 1, "bob"),
    (f"User: arn:aws:iam::123456789012:user/bob is not authorized to perform: s3:Get\nObject on resource: "
     f"\u201c{OBJ}\u201d because no identity-based policy allows the s3:GetObject action", 1, "bob"),
    (f"User: b ob is not authorized to perform: s3:GetObject on resource: {OBJ}", 3, None),
])
def test_plain_moto_judges_the_principal_the_message_names(plain_moto, message, code, principal) -> None:
    plain_moto.client("iam").create_user(UserName="bob")
    plain_moto.client("s3").create_bucket(Bucket="example-bucket")
    done = plain_moto.cli("run", "access-denied", "--format", "json", "--param", f"error={message}")
    assert "Traceback" not in done.stderr, done.stderr
    t = json.loads(done.stdout)
    assert done.returncode == code, done.stdout
    request = next(s for s in t["steps"] if s["id"] == "request")
    assert "judging the caller's own access" not in request["detail"]
    if principal:
        assert [f["code"] for f in t["findings"] if f["severity"] == "error"] == ["IAM_NO_ALLOW"]
        assert t["findings"][0]["evidence"]["principal"] == f"arn:aws:iam::123456789012:user/{principal}"
        assert t["findings"][0]["evidence"]["action"] == "s3:GetObject"
        assert t["findings"][0]["evidence"]["resource"] == OBJ
    else:
        assert request["status"] == "error" and "not a whole principal ARN" in request["detail"]
        assert not t["findings"]
