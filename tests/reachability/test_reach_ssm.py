"""Session Manager as the way around a blocked path: offered on every blocking finding when the agent
is online, and when it is not, the reason (profile, routes, endpoints) is said."""

from __future__ import annotations

import pytest
from world import INSTANCE, World

from diagnostics.reachability.ssm import internet_route, judge_ssm
from diagnostics.sandbox import scenario_by_name
from playbooks.registry import get_playbook, parse_inputs
from playbooks.runner import run_playbook
from playbooks.workspace import raw_inputs

ONLINE = {"InstanceId": INSTANCE, "PingStatus": "Online", "AgentVersion": "3.3.987.0", "PlatformType": "Linux",
          "PlatformName": "Amazon Linux", "LastPingDateTime": "2026-11-29T22:00:00Z"}


def test_online_agent_gives_start_session() -> None:
    verdict = judge_ssm(INSTANCE, "us-east-1", 22, ONLINE)
    assert verdict.usable and verdict.fix is not None
    assert verdict.fix.commands == (f"aws ssm start-session --target {INSTANCE} --region us-east-1",)
    assert "no inbound port" in verdict.fix.summary and verdict.fix.disrupts


def test_other_ports_are_forwarded() -> None:
    verdict = judge_ssm(INSTANCE, "us-east-1", 3389, ONLINE)
    assert "AWS-StartPortForwardingSession" in verdict.fix.commands[0] and "portNumber=3389" in verdict.fix.commands[0]


def test_connection_lost_is_not_usable() -> None:
    verdict = judge_ssm(INSTANCE, "us-east-1", 22, {**ONLINE, "PingStatus": "ConnectionLost"})
    assert not verdict.usable and "ConnectionLost" in verdict.detail


def test_unregistered_without_profile_or_way_out_says_why() -> None:
    verdict = judge_ssm(INSTANCE, "us-east-1", 22, None, profile_arn="", endpoints=["ssm"], internet_route=False,
                        vpc_id="vpc-0a1", subnet_id="subnet-0a1")
    assert not verdict.usable
    assert "no instance profile" in verdict.detail
    assert "ssmmessages, ec2messages" in verdict.detail
    assert any("associate-iam-instance-profile" in c for c in verdict.commands)
    assert sum("create-vpc-endpoint" in c for c in verdict.commands) == 2


def test_profile_without_the_core_policy_is_named() -> None:
    verdict = judge_ssm(INSTANCE, "us-east-1", 22, None,
                        profile_arn="arn:aws:iam::123456789012:instance-profile/web", role_policies=["ReadOnlyAccess"],
                        endpoints=[], internet_route=True)
    assert "instance profile web has no AmazonSSMManagedInstanceCore" in verdict.detail
    assert "route to the internet" not in verdict.detail


def test_internet_route_needs_a_public_address_or_a_nat() -> None:
    world = World()
    assert internet_route(world.snapshot(), INSTANCE) is True
    world.eni.pop("Association")
    assert internet_route(world.snapshot(), INSTANCE) is False


@pytest.mark.sandbox
def test_every_blocking_finding_offers_session_manager_when_the_agent_is_online(sandbox) -> None:
    scenario = scenario_by_name("ssh-nacl-return-traffic")
    seeded = sandbox.seed(scenario)
    playbook = get_playbook("ssh-timeout")
    # the same world, with the agent registered and online
    from diagnostics.sandbox import gaps
    gaps.set_data({"ssm_instances": [{**ONLINE, "InstanceId": seeded.inputs["instance"]}]})
    transcript = run_playbook(playbook, parse_inputs(playbook, raw_inputs(seeded.inputs)), sandbox.session())
    blocking = [f for f in transcript.findings if f["severity"] == "error"]
    assert blocking
    for finding in blocking:
        assert any("aws ssm start-session" in c for a in finding["alternatives"] for c in a["commands"]), finding
    assert transcript.step("session-manager").status == "ok"
    # and without it: no alternative, the reason instead
    gaps.set_data({})
    transcript = run_playbook(playbook, parse_inputs(playbook, raw_inputs(seeded.inputs)), sandbox.session())
    blocking = [f for f in transcript.findings if f["severity"] == "error"]
    assert all(not f["alternatives"] or not any("ssm" in c for a in f["alternatives"] for c in a["commands"])
               for f in blocking)
    assert all("not registered" in f["evidence"]["session_manager"]["detail"] for f in blocking)
    assert transcript.step("session-manager").status == "warning"
