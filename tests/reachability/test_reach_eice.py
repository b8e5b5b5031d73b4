"""Connecting through an EC2 Instance Connect Endpoint (source=eice-...): the endpoint's own network
interface and security group are the client, and an endpoint that is not ready is named."""

from __future__ import annotations

import pytest

from diagnostics.sandbox import gaps, scenario_by_name
from playbooks.registry import get_playbook, parse_inputs
from playbooks.runner import run_playbook
from playbooks.workspace import raw_inputs

pytestmark = pytest.mark.sandbox


def _run(sandbox, seeded):
    playbook = get_playbook("ssh-timeout")
    return run_playbook(playbook, parse_inputs(playbook, raw_inputs(seeded.inputs)), sandbox.session())


def test_endpoint_group_not_allowed_is_fixed_by_naming_the_endpoints_group(sandbox) -> None:
    seeded = sandbox.seed(scenario_by_name("ssh-eice-group-not-allowed"))
    transcript = _run(sandbox, seeded)
    found = next(f for f in transcript.findings if f["severity"] == "error")
    assert (found["code"], found["resource"]) == ("ENI_SG_RULES_MISMATCH", seeded.refs["sg.web"]["id"])
    assert f"UserIdGroupPairs=[{{GroupId={seeded.refs['sg.eice']['id']}}}]" in found["remediation"][0]
    source = transcript.step("source")
    assert "EC2 Instance Connect Endpoint eice-0123456789abcdef0" in source.detail
    assert seeded.refs["eni.eice"]["id"] in source.detail


def test_endpoint_not_ready_is_a_blocker(sandbox) -> None:
    seeded = sandbox.seed(scenario_by_name("ssh-eice-group-not-allowed"))
    endpoint = dict(gaps.get("instance_connect_endpoints")[0], State="create-in-progress")
    gaps.set_data({"instance_connect_endpoints": [endpoint]})
    transcript = _run(sandbox, seeded)
    assert any(f["code"] == "BAD_STATE" and f["resource"] == "eice-0123456789abcdef0" for f in transcript.findings)
    assert transcript.step("source").status == "problem"


def test_unknown_endpoint_fails_in_a_sentence(sandbox) -> None:
    seeded = sandbox.seed(scenario_by_name("ssh-eice-group-not-allowed"))
    playbook = get_playbook("ssh-timeout")
    inputs = parse_inputs(playbook, raw_inputs({**seeded.inputs, "source": "eice-0fffffffffffffff0"}))
    transcript = run_playbook(playbook, inputs, sandbox.session())
    assert transcript.step("source").status == "error"
    assert "eice-0fffffffffffffff0" in transcript.step("source").detail
    assert transcript.verdict == "incomplete"
