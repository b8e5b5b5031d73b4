"""access-denied end to end against a plain moto server (no seeders, no gap fillers), through the CLI
as a user would run it with AWS_ENDPOINT_URL: moto lacks iam:SimulatePrincipalPolicy, Organizations
policies and CloudTrail LookupEvents, as a restricted real account may."""

from __future__ import annotations

import json

import pytest

ACCOUNT = "123456789012"
ALICE = f"arn:aws:iam::{ACCOUNT}:user/alice"

pytestmark = pytest.mark.sandbox


@pytest.fixture(autouse=True)
def _simulator_unavailable():
    """The moto server runs in this process: once a sandbox test has run, the sandbox's gap fillers
    (process-wide patches of moto) serve iam:SimulatePrincipalPolicy on it too. Then make that
    simulator refuse, so the simulator cannot run either way: not implemented, or refused."""
    from diagnostics.sandbox import gaps

    saved = gaps._data
    gaps.set_data({"iam_simulator": {"access_denied": True}})
    yield
    gaps.set_data(saved)


def _doc(*statements: dict) -> str:
    return json.dumps({"Version": "2012-10-17", "Statement": list(statements)})


def seed_alice(plain_moto, *statements: dict) -> None:
    iam = plain_moto.client("iam")
    iam.create_user(UserName="alice")
    if statements:
        iam.put_user_policy(UserName="alice", PolicyName="read", PolicyDocument=_doc(*statements))
    plain_moto.client("s3").create_bucket(Bucket="acme")


def run_json(plain_moto, *params: str):
    args = ["run", "access-denied", "--format", "json"]
    for p in params:
        args += ["--param", p]
    done = plain_moto.cli(*args)
    assert "Traceback" not in done.stderr, done.stderr
    return done.returncode, json.loads(done.stdout)


def test_an_allowed_request_stays_decided_when_the_simulator_cannot_run(plain_moto) -> None:
    seed_alice(plain_moto, {"Effect": "Allow", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::acme/*"})
    code, t = run_json(plain_moto, f"principal={ALICE}", "action=s3:GetObject",
                       "resource=arn:aws:s3:::acme/a.txt")
    assert (code, t["verdict"]) == (0, "no_problem_found")
    steps = {s["id"]: s for s in t["steps"]}
    assert steps["decision"]["status"] == "ok" and steps["simulator"]["status"] == "error"
    assert steps["simulator"]["role"] == "corroborates"
    assert "SimulatePrincipalPolicy" in steps["simulator"]["detail"]


def test_the_text_output_says_what_could_not_be_corroborated(plain_moto) -> None:
    seed_alice(plain_moto, {"Effect": "Allow", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::acme/*"})
    done = plain_moto.cli("run", "access-denied", "--param", f"principal={ALICE}", "--param", "action=s3:GetObject",
                          "--param", "resource=arn:aws:s3:::acme/a.txt")
    assert done.returncode == 0, done.stdout + done.stderr
    assert "Could not corroborate with 'Does AWS's policy simulator agree?'" in done.stdout


def test_a_denied_request_is_a_problem_even_without_the_simulator(plain_moto) -> None:
    seed_alice(plain_moto)
    code, t = run_json(plain_moto, f"principal={ALICE}", "action=s3:GetObject", "resource=arn:aws:s3:::acme/a.txt")
    assert (code, t["verdict"]) == (1, "problem_found")
    assert [f["code"] for f in t["findings"] if f["severity"] == "error"] == ["IAM_NO_ALLOW"]
