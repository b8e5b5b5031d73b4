"""Every rule of the evaluator, each with a world it must block and one it must let through."""

from __future__ import annotations

from world import (
    ACL,
    CLIENT,
    ENI,
    IGW,
    INSTANCE,
    RTB_MAIN,
    SG,
    SUBNET,
    VPC,
    World,
    codes,
    nacl_entry,
    permission,
    route,
    security_group,
)

from diagnostics.reachability import Probe, evaluate
from diagnostics.reachability.snapshot import PeeringConnection


def finding(result, code):
    matches = [f for f in result.findings if f.code == code]
    assert matches, f"no {code} in {[(f.code, f.resource) for f in result.findings]}"
    return matches[0]


# --- the healthy world ------------------------------------------------------------------------


def test_healthy_world_is_open_with_one_info_finding() -> None:
    result = World().evaluate()
    assert result.verdict == "open"
    assert [(f.code, f.severity, f.resource) for f in result.findings] == [("PATH_OPEN", "info", INSTANCE)]
    assert all(s.status == "ok" for s in result.stages if s.stage != "source")
    assert result.stage("source").status == "skipped"  # an internet client: its own side is not visible


def test_path_open_lists_what_the_api_cannot_see_and_next_steps() -> None:
    found = finding(World().evaluate(), "PATH_OPEN")
    hidden = " ".join(found.evidence["not_visible_to_api"])
    for word in ("sshd", "firewall", "key pair", "user"):
        assert word in hidden
    # One next step to run first (it only looks); every other way in is a choice of its own.
    assert found.remediation == ["ssh -v -i ~/.ssh/ops.pem ec2-user@54.0.0.10"]
    others = "\n".join(c for fix in found.alternatives for c in fix.commands)
    assert f"aws ssm start-session --target {INSTANCE}" in others
    assert "get-console-output" in others and "ec2-instance-connect ssh" in others
    serial = next(fix for fix in found.alternatives if "serial" in fix.summary)
    assert serial.disrupts and len(serial.commands) == 2


def test_without_a_source_the_check_assumes_the_internet_and_says_so() -> None:
    result = World().evaluate(source=None)
    assert result.verdict == "open"
    found = finding(result, "PATH_OPEN")
    assert "No source was given" in found.summary
    assert found.evidence["assumed_source"] is True


# --- the instance -----------------------------------------------------------------------------


def test_stopped_instance_is_bad_state_with_start_command() -> None:
    world = World()
    world.instance["State"] = {"Code": 80, "Name": "stopped"}
    result = world.evaluate()
    found = finding(result, "BAD_STATE")
    assert (found.severity, found.resource) == ("error", INSTANCE)
    assert "stopped" in found.summary
    assert f"aws ec2 start-instances --instance-ids {INSTANCE} --region us-east-1" in found.remediation
    assert result.verdict == "blocked"


def test_stopped_instance_without_public_address_only_warns_about_it() -> None:
    world = World()
    world.instance["State"] = {"Code": 80, "Name": "stopped"}
    world.eni.pop("Association")  # a stopped instance gives its automatic public address back
    result = world.evaluate()
    assert codes(result) == {("BAD_STATE", INSTANCE)}
    assert ("IGW_PRIVATE_IP_ASSOCIATION_FOR_INGRESS", ENI) in codes(result, "warning")


def test_impaired_system_status_is_bad_state() -> None:
    world = World()
    world.status["SystemStatus"] = {"Status": "impaired"}
    found = finding(world.evaluate(), "BAD_STATE")
    assert found.severity == "error"
    assert "system status check" in found.summary
    assert any("stop-instances" in c for c in found.remediation)


def test_impaired_instance_status_is_bad_state() -> None:
    world = World()
    world.status["InstanceStatus"] = {"Status": "impaired"}
    found = finding(world.evaluate(), "BAD_STATE")
    assert found.severity == "error"
    assert any("get-console-output" in c for c in found.remediation)


def test_initializing_and_pending_are_warnings_not_blocks() -> None:
    world = World()
    world.status["InstanceStatus"] = {"Status": "initializing"}
    assert finding(world.evaluate(), "BAD_STATE").severity == "warning"
    world = World()
    world.instance["State"] = {"Code": 0, "Name": "pending"}
    result = world.evaluate()
    assert finding(result, "BAD_STATE").severity == "warning"
    assert result.verdict == "partial"


# --- security groups --------------------------------------------------------------------------


def test_sg_that_does_not_allow_the_source_blocks_and_the_fix_uses_the_users_cidr() -> None:
    world = World()
    world.group["IpPermissions"] = [permission(cidrs=("198.51.100.0/24",))]
    result = world.evaluate()
    found = finding(result, "ENI_SG_RULES_MISMATCH")
    assert (found.severity, found.resource) == ("error", SG)
    assert "198.51.100.0/24" in found.summary and CLIENT in found.summary
    command = found.remediation[-1]
    assert command.startswith(f"aws ec2 authorize-security-group-ingress --group-id {SG}")
    assert f"CidrIp={CLIENT}" in command and "0.0.0.0/0" not in command
    assert found.evidence["packet"]["port"] == 22


def test_sg_without_any_egress_rule_still_answers() -> None:
    world = World()
    world.group["IpPermissionsEgress"] = []
    assert world.evaluate().verdict == "open"


def test_udp_rule_does_not_open_tcp() -> None:
    world = World()
    world.group["IpPermissions"] = [permission("udp", (22, 22), ("0.0.0.0/0",))]
    assert ("ENI_SG_RULES_MISMATCH", SG) in codes(world.evaluate())
    assert world.evaluate(protocol="udp").verdict == "open"


def test_port_ranges_and_protocol_numbers_and_all_traffic() -> None:
    world = World()
    world.group["IpPermissions"] = [permission("6", (20, 30), ("0.0.0.0/0",))]
    assert world.evaluate().verdict == "open"
    world.group["IpPermissions"] = [permission("tcp", (23, 30), ("0.0.0.0/0",))]
    assert world.evaluate().verdict == "blocked"
    world.group["IpPermissions"] = [permission("-1", None, ("203.0.113.0/24",))]
    assert world.evaluate().verdict == "open"


def test_two_groups_on_one_eni_add_up() -> None:
    world = World()
    world.group["IpPermissions"] = [permission(cidrs=("198.51.100.0/24",))]
    world.groups.append(security_group("sg-0ops", "ops", [permission(cidrs=("203.0.113.0/24",))], []))
    assert world.evaluate().verdict == "blocked"  # the second group is not on the ENI yet
    world.eni["Groups"].append({"GroupId": "sg-0ops", "GroupName": "ops"})
    result = world.evaluate()
    assert result.verdict == "open"
    assert "sg-0ops" in result.stage("security_groups").detail


def test_ipv6_source_needs_an_ipv6_rule_route_and_address() -> None:
    world = World()
    client = "2001:db8:1::10/128"
    result = world.evaluate(source=client)
    errors = codes(result)
    assert ("ENI_SG_RULES_MISMATCH", SG) in errors  # 0.0.0.0/0 does not cover IPv6
    assert ("SUBNET_ACL_RESTRICTION", ACL) in errors  # only IPv4 entries: the IPv6 implicit deny drops it
    assert ("NO_ROUTE_TO_DESTINATION", RTB_MAIN) in errors
    assert ("IGW_PRIVATE_IP_ASSOCIATION_FOR_INGRESS", ENI) in errors
    # It says precisely what the interface lacks (an IPv6 address) and names the public IPv4 address it has.
    words = finding(result, "IGW_PRIVATE_IP_ASSOCIATION_FOR_INGRESS").summary
    public = world.eni["Association"]["PublicIp"]
    assert "has no IPv6 address" in words and f"the public IPv4 address {public}" in words
    assert "only the private address" not in words
    world.group["IpPermissions"].append(permission(cidrs=("::/0",)))
    world.acl["Entries"] += [nacl_entry(101, cidr="::/0"), nacl_entry(101, egress=True, cidr="::/0")]
    world.main_table["Routes"].append(route("::/0", IGW))
    world.eni["Ipv6Addresses"] = [{"Ipv6Address": "2600:1f18::10"}]
    assert world.evaluate(source=client).verdict == "open"


def test_an_ipv6_address_fix_gives_the_subnet_an_ipv6_block_first_when_it_has_none() -> None:
    """EC2 assigns IPv6 addresses only from the subnet's IPv6 block, and a subnet takes a /64 of its VPC's
    block (VPC user guide, "Add IPv6 support for your VPC"): assign-ipv6-addresses alone would fail."""
    def fix_for(world: World) -> list[str]:
        return finding(world.evaluate(source="2001:db8:1::10"), "IGW_PRIVATE_IP_ASSOCIATION_FOR_INGRESS").remediation

    world = World()
    world.vpcs = [{"VpcId": "vpc-0a1", "CidrBlock": "10.0.0.0/16",
                   "Ipv6CidrBlockAssociationSet": [{"Ipv6CidrBlock": "2600:1f18:aaa:bb00::/56"}]}]
    world.instance["VpcId"] = world.eni["VpcId"] = world.subnets[0]["VpcId"] = "vpc-0a1"
    world.subnets.append({"SubnetId": "subnet-0other", "VpcId": "vpc-0a1", "CidrBlock": "10.0.2.0/24",
                          "Ipv6CidrBlockAssociationSet": [{"Ipv6CidrBlock": "2600:1f18:aaa:bb00::/64"}]})
    associate, assign = fix_for(world)
    assert f"associate-subnet-cidr-block --subnet-id {world.subnets[0]['SubnetId']}" in associate
    assert "--ipv6-cidr-block 2600:1f18:aaa:bb01::/64" in associate  # the first /64 no subnet uses
    assert "assign-ipv6-addresses" in assign
    # A VPC without IPv6: its block comes first, then the subnet's, then the address.
    world.vpcs[0].pop("Ipv6CidrBlockAssociationSet")
    commands = fix_for(world)
    assert "associate-vpc-cidr-block --vpc-id vpc-0a1 --amazon-provided-ipv6-cidr-block" in commands[0]
    assert commands[-1].startswith("aws ec2 assign-ipv6-addresses")
    # A subnet that has a block: the address only.
    world.subnets[0]["Ipv6CidrBlockAssociationSet"] = [{"Ipv6CidrBlock": "2600:1f18:aaa:bb02::/64"}]
    [only] = fix_for(world)
    assert "assign-ipv6-addresses" in only


def test_ipv6_reply_route_through_egress_only_gateway_is_wrong() -> None:
    world = World()
    world.group["IpPermissions"].append(permission(cidrs=("::/0",)))
    world.acl["Entries"] += [nacl_entry(101, cidr="::/0"), nacl_entry(101, egress=True, cidr="::/0")]
    world.main_table["Routes"].append(route("::/0", "eigw-0a1"))
    world.eni["Ipv6Addresses"] = [{"Ipv6Address": "2600:1f18::10"}]
    found = finding(world.evaluate(source="2001:db8:1::10"), "NO_ROUTE_TO_DESTINATION")
    assert "egress-only" in found.summary
    assert "--destination-ipv6-cidr-block" in " ".join(found.remediation)


def test_prefix_list_rule_admits_its_entries_only() -> None:
    world = World()
    world.group["IpPermissions"] = [permission(prefix_lists=("pl-0office",))]
    world.prefix_lists = [{"PrefixListId": "pl-0office", "PrefixListName": "office",
                           "Entries": [{"Cidr": "203.0.113.0/24"}]}]
    assert world.evaluate().verdict == "open"
    world.prefix_lists[0]["Entries"] = [{"Cidr": "198.51.100.0/24"}]
    assert ("ENI_SG_RULES_MISMATCH", SG) in codes(world.evaluate())


def test_referenced_group_never_matches_an_internet_source() -> None:
    world = World()
    world.group["IpPermissions"] = [permission(groups=("sg-0bastion",))]
    assert ("ENI_SG_RULES_MISMATCH", SG) in codes(world.evaluate())
    # From inside the VPC it may match: awstriage cannot tell from an address, so it warns.
    result = world.evaluate(source="10.0.2.5")
    assert finding(result, "ENI_SG_RULES_MISMATCH").severity == "warning"
    assert "sg-0bastion" in finding(result, "ENI_SG_RULES_MISMATCH").summary


def test_without_a_source_a_restricted_sg_is_a_warning_and_the_fix_asks_for_your_ip() -> None:
    world = World()
    world.group["IpPermissions"] = [permission(cidrs=("198.51.100.0/24",))]
    result = world.evaluate(source=None)
    found = finding(result, "ENI_SG_RULES_MISMATCH")
    assert found.severity == "warning"
    assert "any internet address outside" in found.summary
    assert found.remediation[0].startswith("MY_IP=$(curl")
    assert "${MY_IP}/32" in found.remediation[1] and "0.0.0.0/0" not in found.remediation[1]
    assert result.verdict == "partial"


def test_sg_that_admits_part_of_a_source_range_warns() -> None:
    world = World()
    world.group["IpPermissions"] = [permission(cidrs=("203.0.113.0/25",))]
    found = finding(world.evaluate(source="203.0.113.0/24"), "ENI_SG_RULES_MISMATCH")
    assert found.severity == "warning"
    assert "203.0.113.128/25" in found.summary


# --- network ACLs -----------------------------------------------------------------------------


def test_lower_numbered_allow_beats_later_deny() -> None:
    world = World()
    world.set_acl_entries(nacl_entry(90, protocol="6", cidr="203.0.113.0/24", ports=(22, 22)),
                          nacl_entry(100, "deny"), nacl_entry(100, egress=True))
    assert world.evaluate().verdict == "open"


def test_lower_numbered_deny_beats_later_allow_and_the_fix_goes_before_it() -> None:
    world = World()
    world.set_acl_entries(nacl_entry(80), nacl_entry(90, "deny", protocol="6", cidr="203.0.113.0/24",
                                                     ports=(22, 22)),
                          nacl_entry(100), nacl_entry(100, egress=True))
    world.acl["Entries"][0]["CidrBlock"] = "198.51.100.0/24"
    found = finding(world.evaluate(), "SUBNET_ACL_RESTRICTION")
    assert (found.severity, found.resource) == ("error", ACL)
    assert "rule 90" in found.summary
    assert found.evidence["inbound"]["blocking_rules"][0]["rule_number"] == "90"
    # Rule 90 is a deny someone wrote: overriding it is never the fix offered first, only an alternative
    # that says what it overrides.
    assert found.remediation == [] and "explicit deny that someone added" in found.summary
    [override] = found.alternatives
    assert "overrides the explicit deny rule 90" in override.disrupts
    command = override.commands[0]
    assert "create-network-acl-entry" in command and "--ingress" in command
    assert "--rule-number 70" in command  # 80 is taken: the highest free multiple of 10 below 90
    assert f"--cidr-block {CLIENT}" in command and "--port-range From=22,To=22" in command


def test_nacl_dropping_return_traffic_names_the_rule_and_the_part() -> None:
    world = World()
    world.set_acl_entries(nacl_entry(100), nacl_entry(100, egress=True, protocol="6", ports=(32768, 65535)))
    result = world.evaluate()
    found = finding(result, "SUBNET_ACL_RESTRICTION")
    assert (found.severity, found.certainty) == ("error", "conditional")
    assert "1024-32767" in found.summary and "implicit deny" in found.summary
    assert found.evidence["outbound"]["blocking_rules"][0]["dropped_ports"] == "1024-32767"
    assert not found.evidence["inbound"]["blocked"]
    command = found.remediation[-1]
    assert "--egress" in command and "--port-range From=1024,To=65535" in command
    assert "--rule-number 110" in command
    assert result.stage("network_acl").hops[1].verdict == "warn"  # conditional: some clients get through


def test_explicit_outbound_deny_on_part_of_the_ephemeral_range_is_named() -> None:
    world = World()
    world.set_acl_entries(nacl_entry(100),
                          nacl_entry(50, "deny", egress=True, protocol="6", ports=(1024, 2048)),
                          nacl_entry(100, egress=True))
    found = finding(world.evaluate(), "SUBNET_ACL_RESTRICTION")
    assert "rule 50" in found.summary and "1024-2048" in found.summary
    assert not found.remediation  # a deny someone wrote: overriding it is only an alternative
    assert "--rule-number 40" in found.alternatives[0].commands[-1]


def test_nacl_without_listed_implicit_deny_still_denies() -> None:
    world = World()
    world.set_acl_entries(nacl_entry(100, protocol="6", ports=(22, 22)))  # nothing outbound at all
    found = finding(world.evaluate(), "SUBNET_ACL_RESTRICTION")
    assert found.evidence["outbound"]["blocking_rules"][0]["rule_number"] == "*"


def test_nacl_blocking_both_ways_is_one_finding_with_two_fixes() -> None:
    world = World()
    world.set_acl_entries()
    result = world.evaluate()
    nacl = [f for f in result.findings if f.code == "SUBNET_ACL_RESTRICTION"]
    assert len(nacl) == 1
    assert [c for c in nacl[0].remediation if "--ingress" in c] and [c for c in nacl[0].remediation if
                                                                    "--egress" in c]


def test_icmp_is_checked_as_echo_request_and_reply() -> None:
    world = World()
    world.group["IpPermissions"] = [permission("icmp", (8, -1), ("0.0.0.0/0",))]
    assert world.evaluate(protocol="icmp").verdict == "open"
    world.group["IpPermissions"] = [permission("icmp", (0, -1), ("0.0.0.0/0",))]
    assert world.evaluate(protocol="icmp").verdict == "blocked"


# --- routes -----------------------------------------------------------------------------------


def test_missing_internet_route_is_no_route_with_create_route() -> None:
    world = World()
    world.main_table["Routes"] = [route("10.0.0.0/16", "local")]
    found = finding(world.evaluate(), "NO_ROUTE_TO_DESTINATION")
    assert (found.severity, found.resource) == ("error", RTB_MAIN)
    assert found.remediation == [f"aws ec2 create-route --route-table-id {RTB_MAIN} --destination-cidr-block "
                                 f"0.0.0.0/0 --gateway-id {IGW} --region us-east-1"]


def test_longest_prefix_wins() -> None:
    world = World()
    world.main_table["Routes"].append(route("203.0.113.0/24", "nat-0a1"))
    found = finding(world.evaluate(), "NO_ROUTE_TO_DESTINATION")
    assert "nat-0a1" in found.summary and "NAT gateway" in found.summary
    # The fix adds a route for the client only, since 0.0.0.0/0 already exists.
    assert any(f"--destination-cidr-block {CLIENT} --gateway-id {IGW}" in c for c in found.remediation)
    assert world.evaluate(source="198.51.100.7").verdict == "open"  # outside the /24, the default route


def test_more_specific_igw_route_beats_default_through_nat() -> None:
    world = World()
    world.main_table["Routes"] = [route("10.0.0.0/16", "local"), route("0.0.0.0/0", "nat-0a1"),
                                  route("203.0.113.0/24", IGW)]
    assert world.evaluate().verdict == "open"


def test_subnet_without_association_uses_the_main_table() -> None:
    world = World()
    world.add_table("rtb-0other", [], subnet="subnet-0other")
    result = world.evaluate()
    assert result.verdict == "open"
    assert "main table" in result.stage("route_table").detail
    world.add_table("rtb-0private", [route("0.0.0.0/0", "nat-0a1")])
    assert ("NO_ROUTE_TO_DESTINATION", "rtb-0private") in codes(world.evaluate())


def test_blackhole_route_is_bad_state_route_with_replace_route() -> None:
    world = World()
    world.main_table["Routes"][1]["State"] = "blackhole"
    found = finding(world.evaluate(), "BAD_STATE_ROUTE")
    assert found.resource == RTB_MAIN
    assert "blackhole" in found.summary
    assert any(c.startswith("aws ec2 replace-route") for c in found.remediation)


def test_prefix_list_destination_route() -> None:
    world = World()
    world.main_table["Routes"] = [route("10.0.0.0/16", "local"), route("pl-0office", IGW)]
    world.prefix_lists = [{"PrefixListId": "pl-0office", "Entries": [{"Cidr": "203.0.113.0/24"}]}]
    assert world.evaluate().verdict == "open"
    assert ("NO_ROUTE_TO_DESTINATION", RTB_MAIN) in codes(world.evaluate(source="198.51.100.7"))


def test_client_inside_the_vpc_needs_no_gateway_or_public_address() -> None:
    world = World()
    world.eni.pop("Association")
    world.igws = []
    world.main_table["Routes"] = [route("10.0.0.0/16", "local")]
    result = world.evaluate(source="10.0.2.5")
    assert result.verdict == "open" and result.path_kind == "vpc"


def test_client_across_a_peering_connection_needs_no_public_address() -> None:
    world = World()
    world.eni.pop("Association")
    world.main_table["Routes"].append(route("10.1.0.0/16", "pcx-0a1"))
    result = world.evaluate(source="10.1.0.5")
    assert result.verdict == "open" and result.path_kind == "private"
    assert "pcx-0a1" in result.stage("gateway").detail


def test_peering_connection_that_is_not_active_is_a_bad_route() -> None:
    world = World()
    world.main_table["Routes"].append(route("10.1.0.0/16", "pcx-0a1"))
    snap_args = {"VpcPeeringConnectionId": "pcx-0a1", "Status": {"Code": "pending-acceptance"}}
    snap = world.snapshot()
    snap.peering_connections["pcx-0a1"] = PeeringConnection.from_describe(snap_args)
    result = evaluate(snap, Probe.make(INSTANCE, "10.1.0.5"))
    found = finding(result, "BAD_STATE_ROUTE")
    assert "pending-acceptance" in found.summary and found.resource == RTB_MAIN
    snap.peering_connections["pcx-0a1"] = PeeringConnection.from_describe(
        {**snap_args, "Status": {"Code": "active"}})
    assert evaluate(snap, Probe.make(INSTANCE, "10.1.0.5")).verdict == "open"


# --- public address and internet gateway ------------------------------------------------------


def test_no_public_address_is_reported_on_the_eni() -> None:
    world = World()
    world.eni.pop("Association")
    world.subnets[0]["MapPublicIpOnLaunch"] = False
    found = finding(world.evaluate(), "IGW_PRIVATE_IP_ASSOCIATION_FOR_INGRESS")
    assert (found.severity, found.resource) == ("error", ENI)
    assert "does not assign public addresses" in found.summary
    assert any("allocate-address" in c for c in found.remediation)
    assert any(f"associate-address --allocation-id \"$ALLOC_ID\" --network-interface-id {ENI}" in c
               for c in found.remediation)


def test_elastic_ip_counts_as_public_address() -> None:
    world = World()
    world.eni["Association"] = {"PublicIp": "3.0.0.7", "IpOwnerId": "123456789012"}
    world.addresses = [{"AllocationId": "eipalloc-0a1", "PublicIp": "3.0.0.7", "NetworkInterfaceId": ENI}]
    result = world.evaluate()
    assert result.verdict == "open"
    assert "Elastic IP 3.0.0.7 (eipalloc-0a1)" in result.stage("gateway").detail


def test_detached_internet_gateway_is_bad_state_attachment() -> None:
    world = World()
    world.igws[0]["Attachments"] = []
    found = finding(world.evaluate(), "BAD_STATE_ATTACHMENT")
    assert found.resource == IGW
    assert found.remediation == [f"aws ec2 attach-internet-gateway --internet-gateway-id {IGW} "
                                 f"--vpc-id {VPC} "
                                 "--region us-east-1"]


def test_vpc_without_internet_gateway_needs_one_and_a_route() -> None:
    world = World()
    world.igws = []
    world.main_table["Routes"] = [route("10.0.0.0/16", "local")]
    result = world.evaluate()
    assert {("NO_INTERNET_GATEWAY", VPC), ("NO_ROUTE_TO_DESTINATION", RTB_MAIN)} <= codes(result)
    route_fix = finding(result, "NO_ROUTE_TO_DESTINATION").remediation
    assert route_fix[0].startswith("IGW_ID=$(aws ec2 describe-internet-gateways")
    assert '--gateway-id "$IGW_ID"' in route_fix[1]


def test_internet_gateway_is_never_the_way_back_to_a_private_address() -> None:
    result = World().evaluate(source="192.168.1.20")
    found = finding(result, "NO_ROUTE_TO_DESTINATION")
    assert (found.severity, found.resource) == ("error", RTB_MAIN)
    assert f"internet gateway {IGW}" in found.summary and "drops packets to private addresses" in found.summary
    assert "router's public address" in found.summary  # the usual cause: a laptop's private address
    assert result.verdict == "blocked"


# --- several at once --------------------------------------------------------------------------


def test_every_blocking_component_is_reported() -> None:
    world = World()
    world.status["SystemStatus"] = {"Status": "impaired"}
    world.group["IpPermissions"] = []
    world.set_acl_entries(nacl_entry(100))
    world.main_table["Routes"] = [route("10.0.0.0/16", "local")]
    world.eni.pop("Association")
    result = world.evaluate()
    assert codes(result) == {
        ("BAD_STATE", INSTANCE),
        ("ENI_SG_RULES_MISMATCH", SG),
        ("SUBNET_ACL_RESTRICTION", ACL),
        ("NO_ROUTE_TO_DESTINATION", RTB_MAIN),
        ("IGW_PRIVATE_IP_ASSOCIATION_FOR_INGRESS", ENI),
    }
    assert result.verdict == "blocked"
    assert "5 blocking components" in result.summary
    assert not [f for f in result.findings if f.code == "PATH_OPEN"]
    for f in result.findings:
        assert f.summary and f.evidence.get("packet"), f.code


def test_no_eni_skips_the_network_stages() -> None:
    world = World()
    world.instance["State"] = {"Code": 48, "Name": "terminated"}
    world.instance["NetworkInterfaces"] = []
    result = world.evaluate()
    assert finding(result, "BAD_STATE").severity == "error"
    assert [s.status for s in result.stages[1:]] == ["skipped"] * 5  # source, groups, ACL, routes, gateway


def test_subnet_id_is_taken_from_the_eni() -> None:
    world = World()
    assert world.evaluate().stage("network_acl").detail.startswith(f"Network ACL {ACL} ({SUBNET})")


def test_prefix_list_that_lacks_the_client_is_fixed_in_the_list() -> None:
    world = World()
    world.group["IpPermissions"] = [permission(prefix_lists=("pl-0office",))]
    world.prefix_lists = [{"PrefixListId": "pl-0office", "PrefixListName": "office", "Version": 3, "MaxEntries": 5,
                           "OwnerId": "123456789012", "Entries": [{"Cidr": "198.51.100.0/24"}]}]
    found = finding(world.evaluate(), "ENI_SG_RULES_MISMATCH")
    assert found.remediation == ["aws ec2 modify-managed-prefix-list --prefix-list-id pl-0office --current-version 3 "
                                 f'--add-entries "Cidr={CLIENT},Description=added by awstriage fix" --region us-east-1']
    assert "authorize-security-group-ingress" in found.alternatives[0].commands[0]
    # an AWS-managed list cannot be edited: the group gets the rule
    world.prefix_lists[0]["PrefixListName"] = "com.amazonaws.us-east-1.s3"
    assert "authorize-security-group-ingress" in finding(world.evaluate(), "ENI_SG_RULES_MISMATCH").remediation[0]
