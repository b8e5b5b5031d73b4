"""The CLI on a plain moto server, with parameters as people paste them: an ARN's region is where the
run goes, an explicit --region or another account that contradicts it stops the run before any read,
and "not found" says where awstriage looked and what to check."""

from __future__ import annotations

import io
import json
import re
import zipfile

import pytest

ARN_EU = "arn:aws:lambda:eu-west-1:123456789012:function:healthy-fn"
POLICY = json.dumps({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "sts:AssumeRole",
                                                             "Principal": {"Service": "lambda.amazonaws.com"}}]})


def _client(moto, service: str, region: str):
    import boto3
    from botocore.config import Config

    return boto3.client(service, region_name=region, endpoint_url=moto.endpoint_url,
                        config=Config(retries={"max_attempts": 1, "mode": "standard"}))


def make_function(moto, region: str, memory: int) -> None:
    role = _client(moto, "iam", region)
    try:
        arn = role.create_role(RoleName="fn-role", AssumeRolePolicyDocument=POLICY)["Role"]["Arn"]
    except role.exceptions.EntityAlreadyExistsException:
        arn = role.get_role(RoleName="fn-role")["Role"]["Arn"]
    code = io.BytesIO()
    with zipfile.ZipFile(code, "w") as archive:
        archive.writestr("app.py", "def handler(event, context):\n    return 'ok'\n")
    lam = _client(moto, "lambda", region)
    lam.create_function(FunctionName="healthy-fn", Runtime="python3.12", Role=arn, Handler="app.handler",
                        Code={"ZipFile": code.getvalue()}, MemorySize=memory)
    version = lam.publish_version(FunctionName="healthy-fn")["Version"]
    lam.create_alias(FunctionName="healthy-fn", Name="prod", FunctionVersion=version)


def make_instance(moto, region: str = "us-east-1") -> str:
    ec2 = _client(moto, "ec2", region)
    return ec2.run_instances(ImageId="ami-12c6146b", MinCount=1, MaxCount=1)["Instances"][0]["InstanceId"]


def run_json(moto, *args: str):
    result = moto.cli("run", *args, "--format", "json")
    data = json.loads(result.stdout) if result.stdout.strip() else {}
    return result, data


def details(data) -> str:
    return json.dumps([s["detail"] for s in data.get("steps", [])])


def test_an_arn_in_another_region_runs_there_and_says_so(plain_moto) -> None:
    make_function(plain_moto, "us-east-1", memory=128)
    make_function(plain_moto, "eu-west-1", memory=640)
    result, data = run_json(plain_moto, "lambda-oom", "--param", f"function={ARN_EU}")
    notices = [line for line in result.stderr.splitlines() if "eu-west-1" in line]
    assert notices == ["awstriage: the function ARN is in eu-west-1: reading eu-west-1, the ARN's region "
                       "(no --region was given)"], result.stderr
    assert data["identity"]["region"] == "eu-west-1"
    text = details(data)
    assert "640" in text and "us-east-1" not in text  # the eu-west-1 function's configuration, nothing else


@pytest.mark.parametrize(("playbook", "param"), [
    ("lambda-oom", f"function={ARN_EU}"),
    ("throttling", f"function={ARN_EU}"),
    ("slow-performance", f"resource={ARN_EU}"),
    ("ssh-timeout", "instance=arn:aws:ec2:eu-west-1:123456789012:instance/i-0ee9f1234567890ab"),
    ("throttling", "table=arn:aws:dynamodb:eu-west-1:123456789012:table/orders"),
])
def test_an_explicit_region_that_contradicts_the_arn_is_a_usage_error(plain_moto, playbook, param) -> None:
    result = plain_moto.cli("--region", "us-east-1", "run", playbook, "--param", param)
    assert result.returncode == 2, result.stderr
    assert result.stderr.strip().splitlines() == [
        f"awstriage: the {param.split('=')[0]} ARN is in eu-west-1 but --region is us-east-1: pass --region "
        "eu-west-1"]


def test_the_throttling_fixes_name_the_arns_region(plain_moto) -> None:
    make_function(plain_moto, "eu-west-1", memory=256)
    _, data = run_json(plain_moto, "throttling", "--param", f"function={ARN_EU}")
    assert data["identity"]["region"] == "eu-west-1"
    assert "--region us-east-1" not in json.dumps(data)


def test_an_arn_in_another_account_is_never_read_in_ours(plain_moto) -> None:
    make_function(plain_moto, "us-east-1", memory=128)
    result = plain_moto.cli("run", "lambda-oom", "--param",
                            "function=arn:aws:lambda:us-east-1:111122223333:function:healthy-fn")
    assert result.returncode == 2
    assert ("the function ARN is in account 111122223333 but these credentials are for account 123456789012"
            in result.stderr)
    assert "Journal:" not in result.stderr  # stopped before any run


@pytest.mark.parametrize("form", ["healthy-fn:prod", "123456789012:function:healthy-fn",
                                  "arn:aws:lambda:us-east-1:123456789012:function:healthy-fn:$LATEST",
                                  "arn:aws:lambda:us-east-1:123456789012:function:healthy-fn:prod"])
def test_every_function_form_lambda_takes_reads_the_configuration(plain_moto, form) -> None:
    make_function(plain_moto, "us-east-1", memory=384)
    result, data = run_json(plain_moto, "lambda-oom", "--param", f"function={form}")
    assert result.returncode in (0, 1, 3), result.stderr
    text = details(data)
    assert "384" in text and "does not implement lambda:" not in text
    assert "lambda:GetFunctionConfiguration" not in text  # the configuration was read, not missed
    assert "/aws/lambda/healthy-fn" in text and not re.search(r"/aws/lambda/healthy-fn:[\w$]", text)


@pytest.mark.parametrize("form", ["arn:aws:ec2:us-east-1:123456789012:instance/{id}", "{upper}"])
def test_an_instance_arn_or_upper_case_id_finds_the_instance(plain_moto, form) -> None:
    instance = make_instance(plain_moto)
    result, data = run_json(plain_moto, "ssh-timeout", "--param",
                            "instance=" + form.format(id=instance, upper=instance.upper()))
    assert result.returncode != 2, result.stderr
    assert data["inputs"]["instance"] == instance
    assert "not found" not in details(data)


def test_not_found_says_which_account_and_region_were_searched(plain_moto) -> None:
    instance = make_instance(plain_moto, "us-east-1")
    result, data = run_json(plain_moto, "--region", "eu-west-1", "ssh-timeout", "--param", f"instance={instance}")
    assert result.returncode == 3
    assert ("InvalidInstanceID.NotFound" in details(data) and "looked in account 123456789012, region eu-west-1: "
            "check the name or ID, the region (--region) and the account (--profile)" in details(data))


def test_a_name_that_is_a_table_suggests_the_prefix(plain_moto) -> None:
    _client(plain_moto, "dynamodb", "us-east-1").create_table(
        TableName="orders", KeySchema=[{"AttributeName": "id", "KeyType": "HASH"}],
        AttributeDefinitions=[{"AttributeName": "id", "AttributeType": "S"}], BillingMode="PAY_PER_REQUEST")
    _, data = run_json(plain_moto, "slow-performance", "--param", "resource=orders")
    assert ("There is no Lambda function or RDS DB instance named orders; but a DynamoDB table named orders "
            "exists: use resource=dynamodb:orders (looked in account 123456789012, region us-east-1)."
            in details(data))
    _, data = run_json(plain_moto, "slow-performance", "--param", "resource=nothing-here")
    assert "named nothing-here; looked in account 123456789012, region us-east-1: check" in details(data)


def test_the_identity_step_says_whose_region_and_refuses_another_accounts_arn(plain_moto) -> None:
    """For callers that run a playbook without the workspace (which stops such a run first)."""
    from playbooks.registry import get_playbook, parse_inputs
    from playbooks.runner import run_playbook

    playbook = get_playbook("lambda-oom")
    ours = parse_inputs(playbook, {"function": ["arn:aws:lambda:us-east-1:123456789012:function:healthy-fn"]})
    identity = run_playbook(playbook, ours, plain_moto.session()).steps[0]
    assert identity.status == "ok" and "region us-east-1 (the function ARN's)" in identity.detail
    theirs = parse_inputs(playbook, {"function": ["arn:aws:lambda:us-east-1:111122223333:function:healthy-fn"]})
    identity = run_playbook(playbook, theirs, plain_moto.session()).steps[0]
    assert identity.status == "error"
    assert "the function ARN is in account 111122223333" in identity.detail


def test_the_workspace_goes_back_to_its_region_after_an_arns_run(plain_moto) -> None:
    """The TUI keeps one workspace: a run on an eu-west-1 ARN must not move the next run there."""
    from diagnostics.session import SessionOptions
    from playbooks.params import function_name
    from playbooks.workspace import Workspace

    workspace = Workspace(demo=False, options=SessionOptions(endpoint_url=plain_moto.endpoint_url, use_keyring=False,
                                                             max_attempts=1))
    home = workspace.connect().region
    assert home == "us-east-1"
    assert workspace.aim({"function": function_name(ARN_EU)}).startswith("the function ARN is in eu-west-1")
    assert workspace.connect().region == "eu-west-1"
    assert workspace.aim({"function": function_name("healthy-fn")}) is None
    assert workspace.connect().region == home
    workspace.switch(None, "us-east-1")  # chosen explicitly, as the TUI's region switch does
    with pytest.raises(ValueError, match="pass --region eu-west-1"):
        workspace.aim({"function": function_name(ARN_EU)})
