"""ssh-timeout end to end against a plain moto server seeded with plain boto3 calls (no sandbox code),
through the CLI as a user runs it: the verdict, the step status, the graph and every export."""

from __future__ import annotations

import json

import pytest
from plain_world import CLIENT, acl_rule, public_web

from diagnostics.reachability import from_node_link
from playbooks.registry import get_playbook, parse_inputs
from playbooks.runner import run_playbook

pytestmark = pytest.mark.sandbox


def _run(plain_moto, instance: str, source: str = CLIENT, **more: str):
    playbook = get_playbook("ssh-timeout")
    raw = {"instance": [instance], "source": [source], **{k: [v] for k, v in more.items()}}
    return run_playbook(playbook, parse_inputs(playbook, raw), plain_moto.session())


def _nacl(transcript) -> dict:
    return next(f for f in transcript.findings if f["code"] == "SUBNET_ACL_RESTRICTION")


def test_recommended_public_subnet_acl_is_conditional_in_every_output(plain_moto, tmp_path) -> None:
    world = public_web(plain_moto.client("ec2"), [acl_rule(100, False, (22, 22), "203.0.113.0/24"),
                                                  acl_rule(100, True, (32768, 65535))])
    out = plain_moto.cli("run", "ssh-timeout", "--param", f"instance={world.instance}", "--param",
                         f"source={CLIENT}", "--format", "json")
    assert out.returncode == 1, out.stderr
    data = json.loads(out.stdout)
    nacl = next(f for f in data["findings"] if f["code"] == "SUBNET_ACL_RESTRICTION")
    assert (nacl["resource"], nacl["severity"], nacl["certainty"]) == (world.acl, "error", "conditional")
    assert "NAT gateway" in nacl["condition"] and "XP / Server 2003" in nacl["condition"]
    steps = {s["id"]: s for s in data["steps"]}
    assert steps["network-acl"]["status"] == "problem"
    assert steps["network-acl"]["detail"].startswith("Conditional: ")
    assert steps["verdict"]["detail"].startswith("Conditional: ")
    graph = from_node_link(data["graph"])
    assert graph.nodes[world.acl]["certainty"] == "conditional"
    assert data["verdict"] == "problem_found"
    assert data["headline"].startswith(f"Problem found: 1 conditional blocking finding ({world.acl})")
    for fmt in ("markdown", "html", "text"):
        text = plain_moto.cli("run", "ssh-timeout", "--param", f"instance={world.instance}", "--param",
                              f"source={CLIENT}", "--format", fmt).stdout
        assert "Conditional: The replies are dropped for" in text.replace("&#x27;", "'"), fmt


def test_acl_that_allows_no_reply_port_is_a_certain_blocker(plain_moto) -> None:
    world = public_web(plain_moto.client("ec2"), [acl_rule(100, False, (22, 22), "203.0.113.0/24")])
    transcript = _run(plain_moto, world.instance)
    nacl = _nacl(transcript)
    assert (nacl["resource"], nacl["severity"], nacl["certainty"]) == (world.acl, "error", "certain")
    assert transcript.verdict == "problem_found"
    assert not transcript.step("network-acl").detail.startswith("Conditional")
    assert from_node_link(transcript.graph).nodes[world.acl]["certainty"] == "certain"


def test_open_path_on_plain_moto_has_no_problem(plain_moto) -> None:
    world = public_web(plain_moto.client("ec2"))
    transcript = _run(plain_moto, world.instance)
    assert transcript.verdict == "no_problem_found", [(s.id, s.status, s.detail) for s in transcript.steps]
