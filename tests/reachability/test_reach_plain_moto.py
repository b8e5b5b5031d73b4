"""ssh-timeout end to end against a plain moto server seeded with plain boto3 calls (no sandbox code),
through the CLI as a user runs it: the verdict, the step status, the graph and every export."""

from __future__ import annotations

import json

import pytest
from plain_world import (
    CLIENT,
    acl_rule,
    bastion_world,
    launch,
    peered_world,
    public_web,
    ssh_group,
    transit_world,
    vpc_with_subnet,
)

from diagnostics.reachability import from_node_link
from playbooks.registry import get_playbook, parse_inputs
from playbooks.runner import run_playbook

pytestmark = pytest.mark.sandbox


def _run(plain_moto, instance: str, source: str = CLIENT, **more: str):
    playbook = get_playbook("ssh-timeout")
    raw = {"instance": [instance], "source": [source], **{k: [v] for k, v in more.items()}}
    transcript = run_playbook(playbook, parse_inputs(playbook, raw), plain_moto.session())
    _one_answer(transcript)
    return transcript


def _one_answer(transcript) -> None:
    """One snapshot, one answer: every step judges with the facts the verdict has, so a blocking finding
    never stands next to 'path open', and the verdict names every component a step found blocking."""
    blocking = {f["resource"] for f in transcript.findings if f["severity"] == "error"}
    if any(f["code"] == "PATH_OPEN" for f in transcript.findings):
        assert not blocking, blocking
    verdict = transcript.step("verdict").detail
    assert all(resource in verdict for resource in blocking), (blocking, verdict)


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


# --- know the source: a bastion, by address, instance ID or network interface ID -----------------


def test_bastion_whose_group_is_not_referenced_is_blocked_at_the_targets_group(plain_moto) -> None:
    world = bastion_world(plain_moto.client("ec2"), referenced=False)
    transcript = _run(plain_moto, world.instance, source="10.0.0.15")
    assert transcript.verdict == "problem_found"
    blocking = [f for f in transcript.findings if f["severity"] == "error"]
    assert [(f["code"], f["resource"]) for f in blocking] == [("ENI_SG_RULES_MISMATCH", world.sg)]
    found = blocking[0]
    assert world.extra["admins"] in found["summary"] and world.extra["bastion_sg"] in found["summary"]
    assert f"UserIdGroupPairs=[{{GroupId={world.extra['bastion_sg']}}}]" in found["remediation"][0]
    assert "10.0.0.15/32" in found["alternatives"][0]["commands"][0]
    source = transcript.step("source")
    assert source.status == "ok" and world.extra["bastion"] in source.detail
    ops = [c["operation"] for c in transcript.step("source").api_calls]
    assert "DescribeNetworkInterfaces" in ops


def test_bastion_whose_group_is_referenced_is_let_in_without_membership_warnings(plain_moto) -> None:
    world = bastion_world(plain_moto.client("ec2"), referenced=True)
    for source in ("10.0.0.15", world.extra["bastion"]):
        transcript = _run(plain_moto, world.instance, source=source)
        assert transcript.verdict == "no_problem_found", [(s.id, s.status, s.detail) for s in transcript.steps]
        warnings = [f for f in transcript.findings if f["severity"] == "warning"]
        assert not warnings, warnings
        assert "admit only" not in " ".join(s.detail for s in transcript.steps)
        graph = from_node_link(transcript.graph)
        kinds = {d["kind"] for _, d in graph.nodes(data=True)}
        assert {"source_eni", "source_security_group", "source_network_acl"} <= kinds


def test_source_by_network_interface_id(plain_moto) -> None:
    ec2 = plain_moto.client("ec2")
    world = bastion_world(ec2, referenced=True)
    eni = ec2.describe_instances(InstanceIds=[world.extra["bastion"]])["Reservations"][0]["Instances"][0][
        "NetworkInterfaces"][0]["NetworkInterfaceId"]
    transcript = _run(plain_moto, world.instance, source=eni)
    assert transcript.verdict == "no_problem_found"


def test_address_in_the_vpc_that_no_interface_holds_is_in_no_group(plain_moto) -> None:
    world = bastion_world(plain_moto.client("ec2"), referenced=True)
    transcript = _run(plain_moto, world.instance, source="10.0.5.99")
    # The only rule names the bastion's group; no interface holds 10.0.5.99, so it is in no group: never
    # "No problem found".
    assert transcript.verdict == "problem_found", [(s.id, s.status, s.detail) for s in transcript.steps]
    sg = next(f for f in transcript.findings if f["code"] == "ENI_SG_RULES_MISMATCH")
    assert (sg["severity"], sg["certainty"], sg["resource"]) == ("error", "conditional", world.sg)
    # 10.0.5.99 is inside the world's own VPC: that is said, never "the client is in another account".
    assert world.extra["bastion_sg"] in sg["summary"]
    assert f"no network interface has 10.0.5.99 in {world.vpc} (10.0.0.0/16)" in sg["summary"]
    assert "is in no security group" in sg["summary"] and "the client is in another account" not in sg["summary"]
    assert "shared with another account" in sg["condition"]
    assert f"Values={world.extra['bastion_sg']}" in sg["remediation"][0]  # who is in the group
    assert not any(f["code"] == "PATH_OPEN" for f in transcript.findings)
    assert transcript.step("source").status == "skipped"


def test_an_address_outside_every_vpc_of_the_account_may_be_elsewhere(plain_moto) -> None:
    world = bastion_world(plain_moto.client("ec2"), referenced=True)
    transcript = _run(plain_moto, world.instance, source="192.168.77.5")
    sg = next(f for f in transcript.findings if f["code"] == "ENI_SG_RULES_MISMATCH")
    assert "no network interface and no VPC of this account in this region holds 192.168.77.5" in sg["summary"]
    assert "may be in another account or region" in sg["summary"]


def test_bastion_whose_own_group_lets_nothing_out_is_blocked_on_its_side(plain_moto) -> None:
    ec2 = plain_moto.client("ec2")
    world = bastion_world(ec2, referenced=True)
    ec2.revoke_security_group_egress(GroupId=world.extra["bastion_sg"], IpPermissions=[{
        "IpProtocol": "-1", "IpRanges": [{"CidrIp": "0.0.0.0/0"}]}])
    transcript = _run(plain_moto, world.instance, source="10.0.0.15")
    assert transcript.verdict == "problem_found"
    found = next(f for f in transcript.findings if f["severity"] == "error")
    assert (found["code"], found["resource"]) == ("ENI_SG_RULES_MISMATCH", world.extra["bastion_sg"])
    assert "authorize-security-group-egress" in found["remediation"][0]


# --- between VPCs ------------------------------------------------------------------------------


def test_peered_client_without_a_return_route_names_the_route_table(plain_moto) -> None:
    world = peered_world(plain_moto.client("ec2"), return_route=False)
    transcript = _run(plain_moto, world.instance, source="10.1.0.25")
    assert transcript.verdict == "problem_found"
    blocking = [(f["code"], f["resource"]) for f in transcript.findings if f["severity"] == "error"]
    assert blocking == [("NO_ROUTE_TO_DESTINATION", world.route_table)]
    found = next(f for f in transcript.findings if f["resource"] == world.route_table)
    assert f"--destination-cidr-block 10.1.0.0/16 --vpc-peering-connection-id {world.extra['pcx']}" in \
        found["remediation"][0]
    assert transcript.step("route-table").status == "problem"


def test_peered_client_with_routes_both_ways_has_no_problem(plain_moto) -> None:
    world = peered_world(plain_moto.client("ec2"), return_route=True)
    transcript = _run(plain_moto, world.instance, source=world.extra["client"])
    assert transcript.verdict == "no_problem_found", [(s.id, s.status, s.detail) for s in transcript.steps]
    kinds = {d["kind"] for _, d in from_node_link(transcript.graph).nodes(data=True)}
    assert "source_route_table" in kinds
    assert not [s.missing for s in transcript.steps if s.missing]  # peerings and VPN gateways were read
    ops = {c["operation"] for c in transcript.api_calls}
    assert {"DescribeVpcPeeringConnections", "DescribeVpnGateways"} <= ops


def test_transit_gateway_table_without_the_clients_propagation_is_named(plain_moto) -> None:
    world = transit_world(plain_moto.client("ec2"), client_propagates=False)
    transcript = _run(plain_moto, world.instance, source="10.1.0.25")
    assert transcript.verdict == "problem_found", [(s.id, s.status, s.detail) for s in transcript.steps]
    blocking = [(f["code"], f["resource"]) for f in transcript.findings if f["severity"] == "error"]
    assert blocking == [("NO_ROUTE_TO_DESTINATION", world.extra["tgw_rtb"])]
    found = next(f for f in transcript.findings if f["severity"] == "error")
    assert f"--transit-gateway-attachment-id {world.extra['client_attachment']}" in found["remediation"][0]
    world_ok = transit_world(plain_moto.client("ec2"), client_propagates=True)
    transcript = _run(plain_moto, world_ok.instance, source=world_ok.extra["client"])
    assert transcript.verdict == "no_problem_found", [(s.id, s.status, s.detail) for s in transcript.steps]


# --- security group references between VPCs: every step judges with the facts the verdict has -------


def _steps(transcript) -> list[tuple[str, str, str]]:
    return [(s.id, s.status, s.detail) for s in transcript.steps]


def _allow_group(ec2, group: str, referenced: str) -> None:
    ec2.revoke_security_group_ingress(GroupId=group, IpPermissions=[{
        "IpProtocol": "tcp", "FromPort": 22, "ToPort": 22, "IpRanges": [{"CidrIp": "10.1.0.0/16"}]}])
    ec2.authorize_security_group_ingress(GroupId=group, IpPermissions=[{
        "IpProtocol": "tcp", "FromPort": 22, "ToPort": 22, "UserIdGroupPairs": [{"GroupId": referenced}]}])


def _client_group(ec2, client: str) -> str:
    return ec2.describe_instances(InstanceIds=[client])["Reservations"][0]["Instances"][0]["NetworkInterfaces"][0][
        "Groups"][0][
        "GroupId"]


def test_rule_naming_a_peered_vpcs_group_admits_its_member_in_every_step(plain_moto) -> None:
    ec2 = plain_moto.client("ec2")
    world = peered_world(ec2, return_route=True)
    _allow_group(ec2, world.sg, _client_group(ec2, world.extra["client"]))
    transcript = _run(plain_moto, world.instance, source=world.extra["client"])
    assert transcript.step("security-groups").status == "ok", _steps(transcript)
    assert transcript.verdict == "no_problem_found", _steps(transcript)
    assert not [f for f in transcript.findings if f["severity"] == "error"]


def test_rule_naming_a_group_across_a_transit_gateway_follows_its_referencing_option(plain_moto) -> None:
    ec2 = plain_moto.client("ec2")
    world = transit_world(ec2, client_propagates=True, sg_referencing="enable")
    _allow_group(ec2, world.sg, _client_group(ec2, world.extra["client"]))
    transcript = _run(plain_moto, world.instance, source=world.extra["client"])
    assert transcript.verdict == "no_problem_found", _steps(transcript)
    ops = {c["operation"] for c in transcript.api_calls}
    assert {"DescribeTransitGateways", "DescribeTransitGatewayVpcAttachments"} <= ops
    # AWS's default: referencing disabled on the gateway, so the rule admits nobody across it
    plain_moto.reset()
    ec2 = plain_moto.client("ec2")
    world = transit_world(ec2, client_propagates=True, sg_referencing="disable")
    _allow_group(ec2, world.sg, _client_group(ec2, world.extra["client"]))
    transcript = _run(plain_moto, world.instance, source=world.extra["client"])
    assert transcript.verdict == "problem_found", _steps(transcript)
    found = next(f for f in transcript.findings if f["severity"] == "error")
    assert (found["code"], found["resource"]) == ("ENI_SG_RULES_MISMATCH", world.sg)
    assert f"security group referencing is disabled on transit gateway {world.extra['tgw']}" in found["summary"]
    assert any("SecurityGroupReferencingSupport=enable" in a["commands"][0] for a in found["alternatives"])


def test_private_instance_without_a_way_in_gets_exposing_fixes_marked_caution(plain_moto) -> None:
    """N2 (breaker_c seed_c2 priv_open): a private subnet (local route only), no public address, a group open
    to 0.0.0.0/0, no bastion. The route to the internet gateway and the public address stay the primary fixes
    (nothing else is in place), but each says it puts the instance on the internet, in every output."""
    ec2 = plain_moto.client("ec2")
    vpc, subnet, rtb = vpc_with_subnet(ec2, "10.0.0.0/16", "10.0.143.0/24", "priv")
    igw = ec2.create_internet_gateway()["InternetGateway"]["InternetGatewayId"]
    ec2.attach_internet_gateway(InternetGatewayId=igw, VpcId=vpc)
    instance = launch(ec2, subnet, ssh_group(ec2, vpc, "priv-open", ("0.0.0.0/0",)), "priv-open", public=False)
    out = plain_moto.cli("run", "ssh-timeout", "--param", f"instance={instance}", "--param", f"source={CLIENT}",
                         "--format", "text")
    assert out.returncode == 1, out.stderr
    blocks = out.stdout.split("\n[")
    route = next(b for b in blocks if "(NO_ROUTE_TO_DESTINATION)" in b and rtb in b)
    address = next(b for b in blocks if "(IGW_PRIVATE_IP_ASSOCIATION_FOR_INGRESS)" in b)
    assert f"Fix (the least disruptive) — CAUTION: makes subnet {subnet} public" in route
    assert "Fix (the least disruptive) — CAUTION: puts the instance on the internet" in address
    for block in (route, address):
        assert f"create-instance-connect-endpoint --subnet-id {subnet}" in block


def test_peering_pending_acceptance_is_one_cause_with_the_accept_command(plain_moto) -> None:
    """N3 (breaker_c seed_c2 pend_ref): a peering requested, never accepted, routes over it both ways, and the
    target's rule names the client's group. Each route finding says the peering awaits acceptance and has the
    accept command as its fix; no rule change is asked for."""
    ec2 = plain_moto.client("ec2")
    vpc, subnet, rtb = vpc_with_subnet(ec2, "10.0.0.0/16", "10.0.140.0/24", "target")
    peer_vpc, peer_subnet, peer_rtb = vpc_with_subnet(ec2, "10.85.0.0/16", "10.85.1.0/24", "client")
    pcx = ec2.create_vpc_peering_connection(VpcId=peer_vpc, PeerVpcId=vpc)["VpcPeeringConnection"][
        "VpcPeeringConnectionId"]
    ec2.create_route(RouteTableId=peer_rtb, DestinationCidrBlock="10.0.0.0/16", VpcPeeringConnectionId=pcx)
    ec2.create_route(RouteTableId=rtb, DestinationCidrBlock="10.85.0.0/16", VpcPeeringConnectionId=pcx)
    client_sg = ssh_group(ec2, peer_vpc, "f-client")
    client = launch(ec2, peer_subnet, client_sg, "client", public=False, private_ip="10.85.1.10")
    target = launch(ec2, subnet, ssh_group(ec2, vpc, "pend-ref", groups=(client_sg,)), "pend-ref", public=False,
                    private_ip="10.0.140.10")
    out = plain_moto.cli("run", "ssh-timeout", "--param", f"instance={target}", "--param", f"source={client}",
                         "--format", "json")
    assert out.returncode == 1, out.stderr
    data = json.loads(out.stdout)
    errors = [f for f in data["findings"] if f["severity"] == "error"]
    assert sorted(f["resource"] for f in errors) == sorted([rtb, peer_rtb]), errors
    for found in errors:
        assert found["code"] == "BAD_STATE_ROUTE"
        assert found["evidence"]["title"] == "The peering connection is waiting to be accepted"
        assert found["remediation"] == [f"aws ec2 accept-vpc-peering-connection --vpc-peering-connection-id {pcx} "
                                        "--region us-east-1"]
    text = plain_moto.cli("run", "ssh-timeout", "--param", f"instance={target}", "--param", f"source={client}",
                          "--format", "text").stdout
    assert "gateway that is gone" not in text and "authorize-security-group-ingress" not in text
    assert text.count("The peering connection is waiting to be accepted") == 2


def test_reply_route_to_a_detached_interface_has_a_fix(plain_moto) -> None:
    """N3 (breaker_c seed_c4): the public instance's subnet sends 198.18.0.0/15 to a network interface no
    instance holds. The finding for it has a fix and a title that names the interface, not a gone gateway."""
    ec2 = plain_moto.client("ec2")
    world = public_web(ec2, ssh_from=("0.0.0.0/0",))
    eni = ec2.create_network_interface(SubnetId=world.subnet)["NetworkInterface"]["NetworkInterfaceId"]
    ec2.create_route(RouteTableId=world.route_table, DestinationCidrBlock="198.18.0.0/15", NetworkInterfaceId=eni)
    out = plain_moto.cli("run", "ssh-timeout", "--param", f"instance={world.instance}", "--param",
                         "source=198.18.0.7", "--format", "json")
    assert out.returncode == 1, out.stderr
    found = next(f for f in json.loads(out.stdout)["findings"] if f["resource"] == world.route_table)
    assert found["remediation"], (found["summary"], found["evidence"].get("chosen_routes"))
    assert any(eni in " ".join(a["commands"]) for a in found["alternatives"]) or eni in found["summary"]
    assert "gateway that is gone" not in json.dumps(found)


def test_reply_route_naming_an_instance_reads_its_source_dest_check(plain_moto) -> None:
    """N7 (breaker_c seed_c4 c_instroute): moto answers a route to an instance with InstanceId only; the
    instance's SourceDestCheck (on by default) is read, so the replies are known to be dropped."""
    ec2 = plain_moto.client("ec2")
    world = public_web(ec2, ssh_from=("0.0.0.0/0",))
    other = launch(ec2, world.subnet, world.sg, "other")
    ec2.create_route(RouteTableId=world.route_table, DestinationCidrBlock="192.0.2.0/24", InstanceId=other)
    out = plain_moto.cli("run", "ssh-timeout", "--param", f"instance={world.instance}", "--param",
                         "source=192.0.2.7", "--format", "json")
    assert out.returncode == 1, out.stderr
    found = next(f for f in json.loads(out.stdout)["findings"] if f["resource"] == world.route_table)
    assert "source/destination check is on" in found["summary"] and "was not read" not in found["summary"]
