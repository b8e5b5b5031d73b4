"""Knowing the source: a client that is a network interface of this account is judged with its own
groups (rules that name a group, its outbound rules) and its own subnet's network ACL."""

from __future__ import annotations

import copy

from world import ACL, INSTANCE, SG, SUBNET, VPC, World, nacl_entry, permission, security_group

from diagnostics.reachability import Probe, Snapshot, evaluate
from diagnostics.reachability.graph import build_graph

BASTION_ENI = "eni-0bastion"
BASTION_SG = "sg-0bastion"
BASTION_SUBNET = "subnet-0bastion"
BASTION_ACL = "acl-0bastion"


def bastion_eni(groups: tuple[str, ...] = (BASTION_SG,), subnet: str = BASTION_SUBNET,
                ip: str = "10.0.0.15") -> dict:
    """A DescribeNetworkInterfaces item, as EC2 returns it."""
    return {"NetworkInterfaceId": BASTION_ENI, "SubnetId": subnet, "VpcId": VPC, "PrivateIpAddress": ip,
            "InterfaceType": "interface", "Status": "in-use",
            "Attachment": {"InstanceId": "i-0bastion0000000001", "DeviceIndex": 0, "Status": "attached"},
            "Groups": [{"GroupId": g, "GroupName": g} for g in groups]}


def world_with_bastion(rule_groups: tuple[str, ...]) -> World:
    world = World()
    world.groups = [security_group(ingress=[permission(groups=rule_groups)]),
                    security_group(BASTION_SG, "bastion"), security_group("sg-0admins", "admins")]
    world.subnets.append({"SubnetId": BASTION_SUBNET, "VpcId": VPC, "CidrBlock": "10.0.0.0/24"})
    return world


def run(world: World, eni: dict | None, source: str = "10.0.0.15/32", note: str = "", unheld: bool = False):
    snap = Snapshot.from_describe(
        instances=[copy.deepcopy(world.instance)], instance_statuses=[world.status],
        security_groups=world.groups, subnets=world.subnets, network_acls=world.acls, route_tables=world.tables,
        internet_gateways=world.igws, source_network_interfaces=[eni] if eni else [], region="us-east-1")
    return evaluate(snap, Probe.make(INSTANCE, source, 22, "tcp", source_eni=BASTION_ENI if eni else None,
                                     source_note=note, source_unheld=unheld))


def test_rule_naming_the_clients_group_admits_it() -> None:
    result = run(world_with_bastion((BASTION_SG,)), bastion_eni())
    assert result.verdict == "open", [(f.code, f.summary) for f in result.findings]
    assert result.stage("security_groups").status == "ok"
    assert not [f for f in result.findings if f.severity == "warning"]


def test_rule_naming_another_group_blocks_the_client_with_a_fix_by_group() -> None:
    result = run(world_with_bastion(("sg-0admins",)), bastion_eni())
    found = next(f for f in result.findings if f.code == "ENI_SG_RULES_MISMATCH")
    assert (found.severity, found.resource) == ("error", SG)
    assert "sg-0admins" in found.summary and BASTION_SG in found.summary
    assert f"UserIdGroupPairs=[{{GroupId={BASTION_SG}}}]" in found.remediation[0]
    assert found.alternatives and "CidrIp=10.0.0.15/32" in found.alternatives[0].commands[0]
    assert result.verdict == "blocked"


def test_without_the_clients_interface_the_group_rules_are_named_as_unjudged() -> None:
    result = run(world_with_bastion((BASTION_SG,)), None, note="no network interface in this account holds it")
    found = next(f for f in result.findings if f.code == "ENI_SG_RULES_MISMATCH")
    assert found.severity == "warning"
    assert found.evidence["group_rules_unjudged"] == [BASTION_SG]
    assert "no network interface in this account holds it" in found.summary
    assert result.stage("source").status == "skipped"


def test_clients_outbound_rules_must_let_the_connection_out_both_ways_of_naming() -> None:
    world = world_with_bastion((BASTION_SG,))
    world.groups[1] = security_group(BASTION_SG, "bastion", egress=[permission(ports=(443, 443),
                                                                               cidrs=("0.0.0.0/0",))])
    result = run(world, bastion_eni())
    found = next(f for f in result.findings if f.severity == "error")
    assert (found.code, found.resource) == ("ENI_SG_RULES_MISMATCH", BASTION_SG)
    assert "authorize-security-group-egress" in found.remediation[0] and "10.0.1.10/32" in found.remediation[0]
    # an outbound rule that names the target's group lets it out
    world.groups[1] = security_group(BASTION_SG, "bastion", egress=[permission(groups=(SG,))])
    assert run(world, bastion_eni()).verdict == "open"


def test_clients_subnet_acl_must_let_the_request_out_and_the_replies_in() -> None:
    world = world_with_bastion((BASTION_SG,))
    world.acls.append({"NetworkAclId": BASTION_ACL, "VpcId": VPC,
                       "Associations": [{"NetworkAclId": BASTION_ACL, "SubnetId": BASTION_SUBNET}],
                       "Entries": [nacl_entry(100, egress=True, protocol="6", ports=(22, 22))]})
    result = run(world, bastion_eni())
    found = next(f for f in result.findings if f.resource == BASTION_ACL)
    assert (found.code, found.severity, found.certainty) == ("SUBNET_ACL_RESTRICTION", "error", "certain")
    assert "--ingress" in found.remediation[0] and "From=1024,To=65535" in found.remediation[0]
    assert found.evidence["client_side"] is True
    graph = build_graph(result)
    assert graph.nodes[BASTION_ACL]["kind"] == "source_network_acl"
    assert graph.nodes[BASTION_ACL]["status"] == "blocked"


def test_one_acl_on_both_subnets_gets_a_node_per_side() -> None:
    world = world_with_bastion((BASTION_SG,))
    world.acl["Associations"].append({"NetworkAclId": ACL, "SubnetId": BASTION_SUBNET})
    graph = build_graph(run(world, bastion_eni()))
    assert graph.nodes[ACL]["kind"] == "network_acl"
    assert graph.nodes[f"{ACL} (client side)"]["kind"] == "source_network_acl"


def test_same_subnet_traffic_never_crosses_the_acl() -> None:
    world = world_with_bastion((BASTION_SG,))
    world.set_acl_entries()  # would drop everything, if it were crossed
    result = run(world, bastion_eni(subnet=SUBNET, ip="10.0.1.15"), source="10.0.1.15/32")
    assert result.stage("network_acl").status == "ok"
    assert "never crosses" in result.stage("network_acl").detail
    assert result.verdict == "open"


def test_an_address_no_interface_holds_is_in_no_group_so_a_group_rule_does_not_admit_it() -> None:
    note = f"no network interface has 10.0.0.99 in {VPC} (10.0.0.0/16), a VPC of this account: is the client running?"
    result = run(world_with_bastion((BASTION_SG,)), None, source="10.0.0.99/32", note=note, unheld=True)
    found = next(f for f in result.findings if f.code == "ENI_SG_RULES_MISMATCH")
    assert (found.severity, found.certainty, found.resource) == ("error", "conditional", SG)
    assert "is in no security group" in found.summary and BASTION_SG in found.summary
    assert found.evidence["group_rules_unjudged"] == []
    assert result.verdict == "conditional" and not any(f.code == "PATH_OPEN" for f in result.findings)
    # a CIDR rule that holds the address still admits it
    world = world_with_bastion((BASTION_SG,))
    world.groups[0]["IpPermissions"].append(permission(cidrs=("10.0.0.0/24",)))
    assert run(world, None, source="10.0.0.99/32", note=note, unheld=True).verdict == "open"
