"""A small healthy world in the exact shapes EC2's Describe* APIs return, for tests to break.

Every test starts from a reachable instance (public address, internet gateway, default route, an
allow-all network ACL, a security group that admits SSH from anywhere) and changes one thing.
"""

from __future__ import annotations

import copy
from typing import Any

from diagnostics.reachability import Probe, Snapshot, evaluate
from diagnostics.reachability.evaluate import PathResult

INSTANCE = "i-0123456789abcdef0"
VPC = "vpc-0a1"
SUBNET = "subnet-0a1"
IGW = "igw-0a1"
ACL = "acl-0a1"
RTB_MAIN = "rtb-0main"
SG = "sg-0web"
ENI = "eni-0a1"
CLIENT = "203.0.113.10/32"


def nacl_entry(number: int, action: str = "allow", egress: bool = False, protocol: str = "-1",
               cidr: str = "0.0.0.0/0", ports: tuple[int, int] | None = None) -> dict[str, Any]:
    entry: dict[str, Any] = {"RuleNumber": number, "RuleAction": action, "Egress": egress,
                             "Protocol": protocol}
    entry["Ipv6CidrBlock" if ":" in cidr else "CidrBlock"] = cidr
    if ports is not None:
        entry["PortRange"] = {"From": ports[0], "To": ports[1]}
    return entry


def permission(protocol: str = "tcp", ports: tuple[int, int] | None = (22, 22), cidrs: tuple[str, ...] = (),
               prefix_lists: tuple[str, ...] = (), groups: tuple[str, ...] = ()) -> dict[str, Any]:
    perm: dict[str, Any] = {
        "IpProtocol": protocol,
        "IpRanges": [{"CidrIp": c} for c in cidrs if ":" not in c],
        "Ipv6Ranges": [{"CidrIpv6": c} for c in cidrs if ":" in c],
        "PrefixListIds": [{"PrefixListId": p} for p in prefix_lists],
        "UserIdGroupPairs": [{"GroupId": g, "UserId": "123456789012"} for g in groups],
    }
    if ports is not None:
        perm["FromPort"], perm["ToPort"] = ports
    return perm


def security_group(group_id: str = SG, name: str = "web", ingress: list[dict[str, Any]] | None = None,
                   egress: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    return {
        "GroupId": group_id, "GroupName": name, "VpcId": VPC, "Description": name,
        "IpPermissions": ingress if ingress is not None else [permission(cidrs=("0.0.0.0/0",))],
        "IpPermissionsEgress": egress if egress is not None else [permission("-1", None, ("0.0.0.0/0",))],
    }


def route(destination: str, target: str, state: str = "active", key: str | None = None) -> dict[str, Any]:
    r: dict[str, Any] = {"State": state, "Origin": "CreateRoute"}
    if destination.startswith("pl-"):
        r["DestinationPrefixListId"] = destination
    elif ":" in destination:
        r["DestinationIpv6CidrBlock"] = destination
    else:
        r["DestinationCidrBlock"] = destination
    if key is None:
        key = {"nat": "NatGatewayId", "pcx": "VpcPeeringConnectionId", "tgw": "TransitGatewayId",
               "eni": "NetworkInterfaceId", "eigw": "EgressOnlyInternetGatewayId"}.get(target.split("-")[0],
                                                                                        "GatewayId")
    r[key] = target
    return r


class World:
    def __init__(self) -> None:
        self.instance: dict[str, Any] = {
            "InstanceId": INSTANCE, "State": {"Code": 16, "Name": "running"}, "VpcId": VPC,
            "SubnetId": SUBNET,
            "KeyName": "ops", "ImageId": "ami-0abc", "PlatformDetails": "Linux/UNIX",
            "Tags": [{"Key": "Name", "Value": "web"}],
            "NetworkInterfaces": [{
                "NetworkInterfaceId": ENI, "SubnetId": SUBNET, "VpcId": VPC, "PrivateIpAddress": "10.0.1.10",
                "Attachment": {"DeviceIndex": 0, "Status": "attached"}, "Status": "in-use",
                "Association": {"PublicIp": "54.0.0.10", "IpOwnerId": "amazon"},
                "Groups": [{"GroupId": SG, "GroupName": "web"}], "Ipv6Addresses": [],
            }],
        }
        self.status: dict[str, Any] = {"InstanceId": INSTANCE, "InstanceState": {"Name": "running"},
                                       "InstanceStatus": {"Status": "ok"}, "SystemStatus": {"Status": "ok"}}
        self.groups: list[dict[str, Any]] = [security_group()]
        self.subnets = [{"SubnetId": SUBNET, "VpcId": VPC, "CidrBlock": "10.0.1.0/24",
                         "MapPublicIpOnLaunch": True, "AvailabilityZone": "us-east-1a"}]
        self.acls: list[dict[str, Any]] = [{
            "NetworkAclId": ACL, "VpcId": VPC, "IsDefault": True,
            "Associations": [{"NetworkAclId": ACL, "SubnetId": SUBNET}],
            "Entries": [nacl_entry(100), nacl_entry(100, egress=True),
                        nacl_entry(32767, "deny"), nacl_entry(32767, "deny", egress=True)],
        }]
        self.tables: list[dict[str, Any]] = [{
            "RouteTableId": RTB_MAIN, "VpcId": VPC,
            "Associations": [{"Main": True, "RouteTableId": RTB_MAIN,
                              "AssociationState": {"State": "associated"}}],
            "Routes": [route("10.0.0.0/16", "local"), route("0.0.0.0/0", IGW)],
        }]
        self.igws: list[dict[str, Any]] = [{"InternetGatewayId": IGW,
                                            "Attachments": [{"VpcId": VPC, "State": "available"}]}]
        self.prefix_lists: list[dict[str, Any]] = []
        self.addresses: list[dict[str, Any]] = []
        self.vpcs: list[dict[str, Any]] = []  # DescribeVpcs items; none: the VPC was not read

    # --- handles on the parts tests change most ---

    @property
    def eni(self) -> dict[str, Any]:
        return self.instance["NetworkInterfaces"][0]

    @property
    def acl(self) -> dict[str, Any]:
        return self.acls[0]

    @property
    def main_table(self) -> dict[str, Any]:
        return self.tables[0]

    @property
    def group(self) -> dict[str, Any]:
        return self.groups[0]

    def set_acl_entries(self, *entries: dict[str, Any]) -> None:
        self.acl["Entries"] = list(entries)

    def add_table(self, table_id: str, routes: list[dict[str, Any]], subnet: str = SUBNET) -> None:
        self.tables.append({"RouteTableId": table_id, "VpcId": VPC,
                            "Associations": [{"Main": False, "SubnetId": subnet, "RouteTableId": table_id,
                                              "AssociationState": {"State": "associated"}}],
                            "Routes": [route("10.0.0.0/16", "local"), *routes]})

    def snapshot(self, **more: Any) -> Snapshot:
        """The world as Describe* answers; ``more`` adds other parts (group_members=[...], ...)."""
        return Snapshot.from_describe(
            instances=[{"Instances": [copy.deepcopy(self.instance)]}], instance_statuses=[self.status],
            security_groups=self.groups, subnets=self.subnets, network_acls=self.acls,
            route_tables=self.tables,
            internet_gateways=self.igws, prefix_lists=self.prefix_lists, addresses=self.addresses,
            vpcs=self.vpcs, region="us-east-1", **more)

    def evaluate(self, source: str | None = CLIENT, port: int = 22, protocol: str = "tcp") -> PathResult:
        return evaluate(self.snapshot(), Probe.make(INSTANCE, source, port, protocol))


def codes(result: PathResult, severity: str = "error") -> set[tuple[str, str]]:
    return {(f.code, f.resource) for f in result.findings if f.severity == severity}
