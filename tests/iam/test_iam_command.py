"""`awstriage iam simulate` in-process: text and JSON output, exit codes, bad input."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from awstriage.cli import main

POLICIES = Path(__file__).resolve().parents[2] / "assets" / "policies"
LOGS_ONLY = str(POLICIES / "s3-read-logs-bucket-only.json")
HOME = str(POLICIES / "home-folder-per-user.json")
OFFICE = str(POLICIES / "deny-outside-office.json")
BOUNDARY = str(POLICIES / "developer-boundary.json")
SCP = str(POLICIES / "scp-deny-outside-regions.json")
ALICE = "arn:aws:iam::123456789012:user/alice"


def _run(capsys, *args: str) -> tuple[int, str, str]:
    try:
        code = main(["iam", "simulate", *args])
    except SystemExit as exc:  # argparse's own errors
        code = exc.code
    out = capsys.readouterr()
    return code, out.out, out.err


def test_implicit_deny_text_names_the_near_miss_and_fix(capsys) -> None:
    code, out, err = _run(capsys, "--policy", LOGS_ONLY, "--action", "s3:GetObject",
                          "--resource", "arn:aws:s3:::logs/app.log")
    assert code == 1 and err == ""
    assert out.startswith("Decision: implicitDeny")
    assert "identity  implicitDeny" in out
    assert "arn:aws:s3:::logs/*" in out
    # No --principal: the statement is shown, but no command for the stand-in user.
    assert "simulated-user --policy-name" not in out and "$ aws" not in out
    assert "Pass --principal to get the command" in out
    code, out, _ = _run(capsys, "--policy", LOGS_ONLY, "--action", "s3:GetObject", "--principal", ALICE,
                        "--resource", "arn:aws:s3:::logs/app.log")
    assert "$ aws iam put-user-policy --user-name alice --policy-name s3-read-logs-bucket-only" in out


def test_the_context_aws_always_sends_is_assumed_and_listed(capsys) -> None:
    code, out, _ = _run(capsys, "--policy", OFFICE, "--principal", ALICE, "--action", "ec2:RunInstances",
                        "--resource", "*", "--context", "aws:SourceIp=198.51.100.7", "--format", "json")
    report = json.loads(out)
    assert code == 1 and report["decision"] == "explicitDeny"  # aws:ViaAWSService is false on a direct call
    assert report["assumed_context"]["aws:ViaAWSService"] == "false"
    assert report["assumed_context"]["aws:SecureTransport"] == "true"
    code, out, _ = _run(capsys, "--policy", OFFICE, "--principal", ALICE, "--action", "ec2:RunInstances",
                        "--resource", "*", "--context", "aws:SourceIp=198.51.100.7", "--context",
                        "aws:ViaAWSService=true")
    assert code == 0 and "Assumed, as AWS sends them on a direct call: aws:SecureTransport=true" in out


def test_allowed_json(capsys) -> None:
    code, out, _ = _run(capsys, "--policy", HOME, "--principal", ALICE, "--action", "s3:PutObject",
                        "--resource", "arn:aws:s3:::home/home/alice/notes.txt", "--format", "json")
    report = json.loads(out)
    assert code == 0 and report["decision"] == "allowed"
    assert report["deciding"] == [{"policy": HOME, "policy_type": "identity", "index": 1,
                                   "sid": "ReadWriteOwnHome", "effect": "Allow"}]
    assert report["fix"] is None and report["near_misses"] == []


def test_explicit_deny_from_context(capsys) -> None:
    args = ["--policy", OFFICE, "--action", "ec2:RunInstances", "--resource", "*",
            "--context", "aws:ViaAWSService=false"]
    code, out, _ = _run(capsys, *args, "--context", "aws:SourceIp=198.51.100.7", "--format", "json")
    report = json.loads(out)
    assert code == 1 and report["decision"] == "explicitDeny"
    assert report["deciding"][0]["sid"] == "DenyOutsideOffice"
    assert "ArnNotEquals" in report["fix"]["statement"]["Condition"]
    code, out, _ = _run(capsys, *args, "--context", "aws:SourceIp=2001:db8::1")
    assert code == 0 and out.startswith("Decision: allowed")


def test_boundary_and_scp(capsys) -> None:
    code, out, _ = _run(capsys, "--policy", OFFICE, "--boundary", BOUNDARY, "--scp", SCP,
                        "--action", "s3:GetObject", "--resource", "arn:aws:s3:::logs/x",
                        "--context", "aws:SourceIp=203.0.113.5", "--context", "aws:RequestedRegion=eu-west-1",
                        "--context", "aws:ViaAWSService=false", "--format", "json")
    report = json.loads(out)
    assert code == 1 and report["decision"] == "implicitDeny"
    assert report["blocking_types"] == ["boundary"]
    assert report["per_type"]["scp"] == "allow"
    assert report["near_misses"][0]["kind"] == "boundary-lacks-action"


def test_missing_context_keys_are_listed(capsys) -> None:
    code, out, _ = _run(capsys, "--policy", HOME, "--principal", ALICE, "--action", "s3:ListBucket",
                        "--resource", "arn:aws:s3:::home")
    assert code == 1
    assert "Context keys the request lacked: s3:prefix" in out


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--policy", "/nonexistent/p.json", "--action", "s3:GetObject", "--resource", "*"], "no policy file at"),
        (["--policy", __file__, "--action", "s3:GetObject", "--resource", "*"], "is not valid JSON"),
        (["--action", "s3:GetObject", "--resource", "bucket"], "is not an ARN"),
        (["--action", "GetObject", "--resource", "*"], "service:Action"),
        (["--action", "s3:GetObject", "--resource", "*", "--context", "novalue"], "KEY=VALUE"),
        (["--resource", "*"], "--action"),
    ],
)
def test_bad_input_is_one_line_and_exit_2(capsys, args, message) -> None:
    code, out, err = _run(capsys, *args)
    assert code == 2 and out == ""
    assert message in err
    assert "Traceback" not in err and len(err.strip().splitlines()) == 1


def test_invalid_policy_is_refused(capsys, tmp_path) -> None:
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps({"Statement": [{"Effect": "Maybe", "Action": "*", "Resource": "*"}]}))
    code, _, err = _run(capsys, "--policy", str(bad), "--action", "s3:GetObject", "--resource", "*")
    assert code == 2 and "Effect must be Allow or Deny" in err
    bad.write_text(json.dumps({"Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*",
                                              "Condition": {"StringEqualz": {"a": "b"}}}]}))
    code, _, err = _run(capsys, "--policy", str(bad), "--action", "s3:GetObject", "--resource", "*")
    assert code == 2 and "not an IAM condition operator" in err


def test_aws_cli_output_shapes_are_accepted(capsys, tmp_path) -> None:
    document = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "s3:*", "Resource": "*"}]}
    shapes = [{"PolicyVersion": {"Document": document, "VersionId": "v1"}},
              {"Policy": json.dumps(document)},
              {"UserName": "alice", "PolicyName": "p", "PolicyDocument": document}]
    for n, shape in enumerate(shapes):
        path = tmp_path / f"p{n}.json"
        path.write_text(json.dumps(shape))
        code, _, err = _run(capsys, "--policy", str(path), "--action", "s3:GetObject", "--resource", "*")
        assert (code, err) == (0, ""), (shape, err)


def test_a_misspelt_action_is_refused_with_the_real_one(capsys) -> None:
    code, out, err = _run(capsys, "--policy", LOGS_ONLY, "--action", "s3:GetObjet", "--resource", "*")
    assert code == 2 and out == ""
    assert "s3:GetObjet is not an IAM action: did you mean s3:GetObject?" in err


def test_exempting_from_a_guard_deny_is_printed_as_an_alternative_with_caution(capsys) -> None:
    code, out, _ = _run(capsys, "--policy", OFFICE, "--action", "ec2:RunInstances", "--resource", "*",
                        "--principal", ALICE, "--context", "aws:SourceIp=198.51.100.7")
    assert code == 1
    fix, alternative = out.split("Fix: ", 1)[1].split("Alternative (CAUTION: ", 1)
    assert "make the request from an address the policy allows" in fix and "$ aws" not in fix
    assert alternative.startswith(f"exempts {ALICE} from the guard on aws:SourceIp")
    assert "$ aws iam put-user-policy --user-name alice" in alternative


def test_a_boundary_from_a_file_is_fixed_by_a_new_version_of_a_managed_policy_and_the_fix_is_checked(capsys,
                                                                                                    tmp_path) -> None:
    """A permissions boundary is a managed policy, never an inline one: the fix writes a new version of it
    (named by a variable, since a file does not say which policy it is), not put-user-policy, which would
    add an inline identity policy and leave the boundary as it was. Every proposed change is then applied
    to a copy and the request evaluated again.
    https://docs.aws.amazon.com/IAM/latest/UserGuide/access_policies_boundaries.html"""
    read_only = {"Version": "2012-10-17",
                 "Statement": [{"Effect": "Allow", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::data/*"}]}
    identity, boundary = tmp_path / "identity.json", tmp_path / "boundary.json"
    identity.write_text(json.dumps(read_only))
    boundary.write_text(json.dumps(read_only))
    code, out, _ = _run(capsys, "--policy", str(identity), "--boundary", str(boundary), "--action", "s3:PutObject",
                        "--resource", "arn:aws:s3:::data/report.csv", "--principal", ALICE, "--format", "json")
    fix = json.loads(out)["fix"]
    assert code == 1
    [inline, new_version] = fix["commands"]
    assert inline.startswith("aws iam put-user-policy --user-name alice --policy-name awstriage-s3-putobject ")
    assert new_version.startswith('aws iam create-policy-version --policy-arn "$BOUNDARY_POLICY_ARN" ')
    assert "BOUNDARY_POLICY_ARN" in fix["summary"] and "boundary.json" not in new_version
    assert fix["verified"]["passes"] and fix["verified"]["beyond"] == []
    code, text, _ = _run(capsys, "--policy", str(identity), "--boundary", str(boundary), "--action", "s3:PutObject",
                         "--resource", "arn:aws:s3:::data/report.csv", "--principal", ALICE)
    assert "Checked: Applied to a copy of the policies, the proposed changes make the request allowed" in text
