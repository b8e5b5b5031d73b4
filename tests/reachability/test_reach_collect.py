"""The collector against moto: it reads what the path needs, and no more as the account grows."""

from __future__ import annotations

from collections import Counter
from typing import Any

import boto3
import pytest
from moto import mock_aws

from diagnostics.reachability import Probe, collect, evaluate
from diagnostics.reachability.snapshot import Route, Snapshot


class CountingFactory:
    def __init__(self) -> None:
        self.calls: Counter[str] = Counter()
        self._clients: dict[str, Any] = {}

    def __call__(self, service: str) -> Any:
        if service not in self._clients:
            client = boto3.client(service, region_name="us-east-1")
            client.meta.events.register("before-call.*.*", self._count)
            self._clients[service] = client
        return self._clients[service]

    def _count(self, model: Any, **_: Any) -> None:
        self.calls[model.name] += 1


def build_account(ec2: Any, unrelated_groups: int = 0, own_table: bool = False) -> dict[str, str]:
    vpc = ec2.create_vpc(CidrBlock="10.0.0.0/16")["Vpc"]["VpcId"]
    subnet = ec2.create_subnet(VpcId=vpc, CidrBlock="10.0.1.0/24")["Subnet"]["SubnetId"]
    ec2.modify_subnet_attribute(SubnetId=subnet, MapPublicIpOnLaunch={"Value": True})
    igw = ec2.create_internet_gateway()["InternetGateway"]["InternetGatewayId"]
    ec2.attach_internet_gateway(InternetGatewayId=igw, VpcId=vpc)
    if own_table:
        table = ec2.create_route_table(VpcId=vpc)["RouteTable"]["RouteTableId"]
        ec2.associate_route_table(RouteTableId=table, SubnetId=subnet)
    else:
        table = ec2.describe_route_tables(Filters=[{"Name": "vpc-id", "Values": [vpc]},
                                                   {"Name": "association.main", "Values": ["true"]}]
                                          )["RouteTables"][0]["RouteTableId"]
    ec2.create_route(RouteTableId=table, DestinationCidrBlock="0.0.0.0/0", GatewayId=igw)
    bastion = ec2.create_security_group(GroupName="bastion", Description="b", VpcId=vpc)["GroupId"]
    pl = ec2.create_managed_prefix_list(PrefixListName="office", MaxEntries=5, AddressFamily="IPv4",
                                        Entries=[{"Cidr": "198.51.100.0/24"}])["PrefixList"]["PrefixListId"]
    web = ec2.create_security_group(GroupName="web", Description="w", VpcId=vpc)["GroupId"]
    ec2.authorize_security_group_ingress(GroupId=web, IpPermissions=[
        {"IpProtocol": "tcp", "FromPort": 22, "ToPort": 22, "IpRanges": [{"CidrIp": "203.0.113.0/24"}],
         "PrefixListIds": [{"PrefixListId": pl}], "UserIdGroupPairs": [{"GroupId": bastion}]}])
    for i in range(unrelated_groups):
        ec2.create_security_group(GroupName=f"other-{i}", Description="x", VpcId=vpc)
    image = ec2.describe_images(Owners=["amazon"], Filters=[{"Name": "name", "Values": ["amzn2-ami-hvm-*"]}]
                          )["Images"][0]["ImageId"]
    instance = ec2.run_instances(ImageId=image, MinCount=1, MaxCount=1, SubnetId=subnet,
                                 SecurityGroupIds=[web])["Instances"][0]["InstanceId"]
    return {"vpc": vpc, "subnet": subnet, "igw": igw, "table": table, "web": web, "bastion": bastion,
            "pl": pl,
            "instance": instance}


@pytest.fixture
def account():
    with mock_aws():
        yield boto3.client("ec2", region_name="us-east-1")


def test_collect_reads_the_whole_path(account) -> None:
    ids = build_account(account)
    factory = CountingFactory()
    snap = collect(factory, ids["instance"])
    assert isinstance(snap, Snapshot) and snap.region == "us-east-1"
    assert set(snap.instances) == {ids["instance"]}
    assert {ids["web"], ids["bastion"]} <= set(snap.security_groups)  # the referenced group too
    assert ids["pl"] in snap.prefix_lists and snap.prefix_lists[ids["pl"]].cidrs[0].text == "198.51.100.0/24"
    table, is_main = snap.route_table_for(ids["subnet"], ids["vpc"])
    assert table is not None and table.id == ids["table"] and is_main
    assert snap.network_acl_for(ids["subnet"]) is not None
    assert [g.id for g in snap.internet_gateways_of(ids["vpc"])] == [ids["igw"]]
    result = evaluate(snap, Probe.make(ids["instance"], "203.0.113.10"))
    assert result.verdict == "open", [f.summary for f in result.findings]
    # Only reads, each named or filtered: nothing lists the account.
    assert all(op.startswith(("Describe", "Get")) for op in factory.calls)
    assert sum(factory.calls.values()) <= 12


def test_call_count_does_not_grow_with_unrelated_groups(account) -> None:
    small = build_account(account, unrelated_groups=10)
    counted_small = CountingFactory()
    collect(counted_small, small["instance"])
    large = build_account(account, unrelated_groups=200)
    counted_large = CountingFactory()
    snap = collect(counted_large, large["instance"])
    assert counted_small.calls == counted_large.calls
    assert len(snap.security_groups) == 2


def test_main_table_is_read_only_when_the_subnet_has_no_table_of_its_own(account) -> None:
    ids = build_account(account, own_table=True)
    factory = CountingFactory()
    snap = collect(factory, ids["instance"])
    assert factory.calls["DescribeRouteTables"] == 1
    assert snap.route_table_for(ids["subnet"], ids["vpc"]) == (snap.route_tables[ids["table"]], False)


def test_route_targets_are_read_only_when_a_route_names_them(account) -> None:
    ids = build_account(account)
    factory = CountingFactory()
    collect(factory, ids["instance"])
    assert "DescribeNatGateways" not in factory.calls
    eip = account.allocate_address(Domain="vpc")["AllocationId"]
    nat = account.create_nat_gateway(SubnetId=ids["subnet"], AllocationId=eip)["NatGateway"]["NatGatewayId"]
    account.create_route(RouteTableId=ids["table"], DestinationCidrBlock="192.0.2.0/24", NatGatewayId=nat)
    factory = CountingFactory()
    snap = collect(factory, ids["instance"])
    assert factory.calls["DescribeNatGateways"] == 1
    assert nat in snap.nat_gateways


def test_unknown_instance_raises_a_plain_error(account) -> None:
    with pytest.raises(Exception) as caught:
        collect(CountingFactory(), "i-0123456789abcdef0")
    assert "i-0123456789abcdef0" in str(caught.value)


def test_route_kinds_from_describe() -> None:
    kinds = {
        "local": {"GatewayId": "local"}, "igw": {"GatewayId": "igw-1"}, "vgw": {"GatewayId": "vgw-1"},
        "vpce": {"GatewayId": "vpce-1"}, "nat": {"NatGatewayId": "nat-1"},
        "tgw": {"TransitGatewayId": "tgw-1"},
        "pcx": {"VpcPeeringConnectionId": "pcx-1"}, "eigw": {"EgressOnlyInternetGatewayId": "eigw-1"},
        "eni": {"InstanceId": "i-1", "NetworkInterfaceId": "eni-1"},
    }
    for kind, target in kinds.items():
        r = Route.from_describe({"DestinationCidrBlock": "0.0.0.0/0", **target})
        assert r.target_kind == kind, (kind, r)
    assert Route.from_describe({"DestinationPrefixListId": "pl-1", "GatewayId": "igw-1"}).destination is None
