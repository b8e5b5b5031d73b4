"""A configuration change reaches what the caller runs: $LATEST directly, an alias or a version through a
new published version (published versions are immutable:
https://docs.aws.amazon.com/lambda/latest/dg/versioning-aliases-permissions.html), and a function's log
streams name the version they ran (https://docs.aws.amazon.com/lambda/latest/operatorguide/log-structure.html)."""

from __future__ import annotations

import pytest

from diagnostics.awslambda.deploy import Target, change_summary, configuration_change
from diagnostics.awslambda.memory import function_memory
from diagnostics.awslambda.names import stream_version


def commands(lines: list[str]) -> list[str]:
    return [line for line in lines if not line.startswith("#")]


def test_latest_is_one_command() -> None:
    assert configuration_change(Target("orders"), "eu-west-1", memory_size=1024) == [
        "aws lambda update-function-configuration --function-name orders --memory-size 1024 --region eu-west-1"]
    assert change_summary(Target("orders")) == ""


def test_an_alias_is_updated_published_and_moved_in_order() -> None:
    steps = commands(configuration_change(Target("orders", "prod", "7"), "us-east-1", timeout=30))
    assert steps == [
        "aws lambda update-function-configuration --function-name orders --timeout 30 --region us-east-1",
        "aws lambda wait function-updated --function-name orders --region us-east-1",
        'VERSION=$(aws lambda publish-version --function-name orders --description "timeout 30" --query Version '
        "--output text --region us-east-1)",
        'aws lambda update-alias --function-name orders --name prod --function-version "$VERSION" --region us-east-1',
    ]
    assert "Alias prod runs version 7, which is immutable" in change_summary(Target("orders", "prod", "7"))


def test_a_version_is_immutable_and_its_callers_are_moved() -> None:
    lines = configuration_change(Target("orders", "7", "7"), "us-east-1", memory_size=512)
    assert not any("update-alias" in line for line in lines)
    assert any("publish-version" in line for line in lines)
    assert lines[-1] == "aws lambda list-event-source-mappings --function-name orders:7 --region us-east-1"
    assert "Version 7 is immutable" in change_summary(Target("orders", "7", "7"))


def test_an_alias_on_latest_needs_no_publishing() -> None:
    """An alias may point at $LATEST: then the change reaches it directly."""
    assert len(configuration_change(Target("orders", "dev", "$LATEST"), "us-east-1", memory_size=512)) == 1


def test_the_configuration_of_an_alias_keeps_its_version() -> None:
    fn = function_memory({"FunctionName": "orders", "FunctionArn": "arn:aws:lambda:us-east-1:123456789012:function:"
                          "orders:1", "MemorySize": 128, "Version": "1"}, qualifier="prod")
    assert (fn.qualifier, fn.version, fn.target.alias, fn.target.published) == ("prod", "1", "prod", True)
    assert function_memory({"FunctionName": "orders"}, qualifier="$LATEST").target.published is False


@pytest.mark.parametrize(("stream", "version"), [
    ("2026/11/30/[$LATEST]0a1b2c3d4e5f60718293a4b5c6d7e8f9", "$LATEST"),
    ("2026/11/30/[1]0a1b2c3d4e5f60718293a4b5c6d7e8f9", "1"),
    ("2026/11/30/[42]abcdef", "42"),
    ("my-custom-stream", None),
    ("", None),
])
def test_a_log_stream_names_its_version(stream: str, version: str | None) -> None:
    assert stream_version(stream) == version


@pytest.mark.parametrize(("same", "said"), [
    (True, "holds the same code as version 7"),
    (False, "CAUTION: $LATEST's code differs from version 7's"),
    (None, "compare CodeSha256"),
])
def test_publishing_says_whether_it_ships_other_code(same: bool | None, said: str) -> None:
    lines = configuration_change(Target("orders", "prod", "7", same), "us-east-1", memory_size=512)
    assert any(said in line for line in lines if line.startswith("#"))
    assert ("CAUTION" in change_summary(Target("orders", "prod", "7", same))) is (same is False)


def test_the_code_comparison_comes_from_both_configurations() -> None:
    version = function_memory({"FunctionName": "orders", "Version": "7", "CodeSha256": "abc="}, qualifier="prod")
    assert version.target.same_code is None  # $LATEST's code not read
    from dataclasses import replace
    assert replace(version, latest_code_sha256="abc=").target.same_code is True
    assert replace(version, latest_code_sha256="xyz=").target.same_code is False


@pytest.mark.parametrize(("latest", "wanted", "update"), [
    ((("memory_size", 1024),), {"memory_size": 192}, None),        # $LATEST has more: published as it is
    ((("memory_size", 1024),), {"memory_size": 1024}, None),       # exactly enough
    ((("memory_size", 128),), {"memory_size": 192}, "--memory-size 192"),
    ((("memory_size", 1024), ("timeout", 3)), {"memory_size": 192, "timeout": 30}, "--timeout 30"),
    ((), {"memory_size": 192}, "--memory-size 192"),               # $LATEST's settings unread
])
def test_a_fix_published_from_latest_never_lowers_latest(latest: tuple, wanted: dict, update: str | None) -> None:
    """The breaker's fault 4: billing:prod runs version 1 (128 MB), $LATEST has 1024 MB. Setting 192 MB on $LATEST
    to publish it would lower $LATEST; what $LATEST already exceeds is published as it is."""
    steps = configuration_change(Target("billing", "prod", "1", True, latest), "us-east-1", **wanted)
    updates = [s for s in steps if s.startswith("aws lambda update-function-configuration")]
    if update is None:
        assert updates == [] and not any(s.startswith("aws lambda wait") for s in steps)
        assert any("published as it is, never lowered" in s for s in steps)
    else:
        [command] = updates
        assert update in command
        for key, value in latest:  # a setting $LATEST already meets is never in the command
            if key in wanted and wanted[key] <= value:
                assert f"--{key.replace('_', '-')} " not in command
    assert any("publish-version" in s for s in steps) and steps[-1].startswith("aws lambda update-alias")


def test_a_published_version_found_in_the_logs_gets_its_own_memory_and_alias() -> None:
    from diagnostics.awslambda.memory import version_memory

    latest = function_memory({"FunctionName": "billing", "FunctionArn": "arn:aws:lambda:us-east-1:123456789012:"
                              "function:billing", "MemorySize": 1024, "Timeout": 3, "CodeSha256": "abc="})
    one = version_memory(latest, "1", {"FunctionArn": latest.arn + ":1", "MemorySize": 128, "Timeout": 3,
                                       "CodeSha256": "abc="}, aliases=["prod"])
    assert (one.arn, one.memory_size_mb, one.qualifier, one.version) == (latest.arn + ":1", 128, "prod", "1")
    assert one.target.published and one.target.same_code is True and dict(one.target.latest)["memory_size"] == 1024
    unread = version_memory(latest, "2", None, aliases=["a", "b"], reported_mb=256)
    assert (unread.memory_size_mb, unread.qualifier) == (256, "2")  # from its REPORT lines; two aliases: none named
