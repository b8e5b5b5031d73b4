"""Worlds seeded into a plain moto server with ordinary boto3 calls, as a person would build them.

No sandbox code is involved: the ssh-timeout playbook then runs against the server as against a
real account (``plain_moto`` fixture in tests/conftest.py).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

CLIENT = "203.0.113.10/32"


@dataclass
class Seeded:
    vpc: str
    subnet: str
    igw: str
    acl: str
    route_table: str
    sg: str
    instance: str
    extra: dict[str, str] = field(default_factory=dict)


def vpc_with_subnet(ec2: Any, cidr: str, subnet_cidr: str, name: str) -> tuple[str, str, str]:
    """A VPC, one subnet with its own route table; returns (vpc, subnet, route table)."""
    vpc = ec2.create_vpc(CidrBlock=cidr)["Vpc"]["VpcId"]
    ec2.create_tags(Resources=[vpc], Tags=[{"Key": "Name", "Value": name}])
    subnet = ec2.create_subnet(VpcId=vpc, CidrBlock=subnet_cidr, AvailabilityZone="us-east-1a")["Subnet"]["SubnetId"]
    rtb = ec2.create_route_table(VpcId=vpc)["RouteTable"]["RouteTableId"]
    ec2.associate_route_table(RouteTableId=rtb, SubnetId=subnet)
    return vpc, subnet, rtb


def own_acl(ec2: Any, vpc: str, subnet: str, entries: list[dict[str, Any]]) -> str:
    """A new network ACL with ``entries`` (create_network_acl_entry keyword sets), associated with the
    subnet in place of the VPC's default ACL."""
    acl = ec2.create_network_acl(VpcId=vpc)["NetworkAcl"]["NetworkAclId"]
    for entry in entries:
        ec2.create_network_acl_entry(NetworkAclId=acl, **entry)
    current = ec2.describe_network_acls(Filters=[{"Name": "association.subnet-id", "Values": [subnet]}])
    assoc = next(a["NetworkAclAssociationId"] for a in current["NetworkAcls"][0]["Associations"]
                 if a["SubnetId"] == subnet)
    ec2.replace_network_acl_association(AssociationId=assoc, NetworkAclId=acl)
    return acl


def acl_rule(number: int, egress: bool, ports: tuple[int, int] | None, cidr: str = "0.0.0.0/0",
             protocol: str = "6", action: str = "allow") -> dict[str, Any]:
    entry: dict[str, Any] = {"RuleNumber": number, "Egress": egress, "Protocol": protocol,
                             "RuleAction": action, "CidrBlock": cidr}
    if ports is not None:
        entry["PortRange"] = {"From": ports[0], "To": ports[1]}
    return entry


def ssh_group(ec2: Any, vpc: str, name: str, cidrs: tuple[str, ...] = (), groups: tuple[str, ...] = ()) -> str:
    sg = ec2.create_security_group(GroupName=name, Description=name, VpcId=vpc)["GroupId"]
    if cidrs or groups:
        ec2.authorize_security_group_ingress(GroupId=sg, IpPermissions=[{
            "IpProtocol": "tcp", "FromPort": 22, "ToPort": 22,
            "IpRanges": [{"CidrIp": c} for c in cidrs],
            "UserIdGroupPairs": [{"GroupId": g} for g in groups]}])
    return sg


def launch(ec2: Any, subnet: str, sg: str, name: str, public: bool = True,
           private_ip: str | None = None) -> str:
    image = ec2.describe_images(Owners=["amazon"])["Images"][0]["ImageId"]
    nic: dict[str, Any] = {"DeviceIndex": 0, "SubnetId": subnet, "Groups": [sg],
                           "AssociatePublicIpAddress": public}
    if private_ip:
        nic["PrivateIpAddress"] = private_ip
    reservation = ec2.run_instances(ImageId=image, InstanceType="t3.micro", MinCount=1, MaxCount=1,
                                    NetworkInterfaces=[nic],
                                    TagSpecifications=[{"ResourceType": "instance",
                                                        "Tags": [{"Key": "Name", "Value": name}]}])
    return reservation["Instances"][0]["InstanceId"]


def public_web(ec2: Any, acl_entries: list[dict[str, Any]] | None = None,
               ssh_from: tuple[str, ...] = (CLIENT,), ssh_groups: tuple[str, ...] = ()) -> Seeded:
    """A public instance in 10.0.1.0/24: internet gateway, default route, its own ACL (allow all unless
    ``acl_entries``), a group that admits SSH from ``ssh_from``/``ssh_groups``."""
    vpc, subnet, rtb = vpc_with_subnet(ec2, "10.0.0.0/16", "10.0.1.0/24", "web")
    igw = ec2.create_internet_gateway()["InternetGateway"]["InternetGatewayId"]
    ec2.attach_internet_gateway(InternetGatewayId=igw, VpcId=vpc)
    ec2.create_route(RouteTableId=rtb, DestinationCidrBlock="0.0.0.0/0", GatewayId=igw)
    if acl_entries is None:
        acl_entries = [acl_rule(100, False, None, protocol="-1"), acl_rule(100, True, None, protocol="-1")]
    acl = own_acl(ec2, vpc, subnet, acl_entries)
    sg = ssh_group(ec2, vpc, "web", ssh_from, ssh_groups)
    instance = launch(ec2, subnet, sg, "web-1")
    return Seeded(vpc, subnet, igw, acl, rtb, sg, instance)


def bastion_world(ec2: Any, referenced: bool) -> Seeded:
    """A bastion at 10.0.0.15 in its own public subnet and group, and a private web instance in
    10.0.1.0/24 whose SSH rule names a group: the bastion's when ``referenced``, else an "admins" group
    the bastion is not in."""
    world = public_web(ec2, ssh_from=())
    bastion_subnet = ec2.create_subnet(VpcId=world.vpc, CidrBlock="10.0.0.0/24",
                                       AvailabilityZone="us-east-1a")["Subnet"]["SubnetId"]
    bastion_sg = ssh_group(ec2, world.vpc, "bastion", (CLIENT,))
    admins = ssh_group(ec2, world.vpc, "admins")
    ec2.authorize_security_group_ingress(GroupId=world.sg, IpPermissions=[{
        "IpProtocol": "tcp", "FromPort": 22, "ToPort": 22,
        "UserIdGroupPairs": [{"GroupId": bastion_sg if referenced else admins}]}])
    bastion = launch(ec2, bastion_subnet, bastion_sg, "bastion", private_ip="10.0.0.15")
    world.extra.update(bastion=bastion, bastion_sg=bastion_sg, admins=admins, bastion_subnet=bastion_subnet)
    return world


def peered_world(ec2: Any, return_route: bool) -> Seeded:
    """The public web instance, and a client at 10.1.0.25 in a peered VPC 10.1.0.0/16 whose route table
    sends 10.0.0.0/16 over the (active) peering; the web subnet routes 10.1.0.0/16 back over it only
    when ``return_route``, else only its 0.0.0.0/0 -> igw route."""
    world = public_web(ec2, ssh_from=("10.1.0.0/16",))
    peer_vpc, peer_subnet, peer_rtb = vpc_with_subnet(ec2, "10.1.0.0/16", "10.1.0.0/24", "tools")
    pcx = ec2.create_vpc_peering_connection(VpcId=peer_vpc, PeerVpcId=world.vpc)["VpcPeeringConnection"][
        "VpcPeeringConnectionId"]
    ec2.accept_vpc_peering_connection(VpcPeeringConnectionId=pcx)
    ec2.create_route(RouteTableId=peer_rtb, DestinationCidrBlock="10.0.0.0/16", VpcPeeringConnectionId=pcx)
    if return_route:
        ec2.create_route(RouteTableId=world.route_table, DestinationCidrBlock="10.1.0.0/16",
                         VpcPeeringConnectionId=pcx)
    client_sg = ssh_group(ec2, peer_vpc, "tools")
    client = launch(ec2, peer_subnet, client_sg, "tools-1", public=False, private_ip="10.1.0.25")
    world.extra.update(pcx=pcx, peer_vpc=peer_vpc, peer_rtb=peer_rtb, client=client)
    return world


def transit_world(ec2: Any, client_propagates: bool, sg_referencing: str | None = None) -> Seeded:
    """The public web instance, and a client at 10.1.0.25 in a tools VPC; both VPCs attach to a
    transit gateway created with default route table association but without default propagation,
    so both attachments are associated with its default table. The web VPC propagates into it; the
    tools VPC only when ``client_propagates``. Each subnet routes the other VPC to the transit gateway.
    ``sg_referencing`` sets the gateway's SecurityGroupReferencingSupport (AWS's default when None:
    disabled on the gateway, enabled on the attachments)."""
    world = public_web(ec2, ssh_from=("10.1.0.0/16",))
    tools_vpc, tools_subnet, tools_rtb = vpc_with_subnet(ec2, "10.1.0.0/16", "10.1.0.0/24", "tools")
    options = {"DefaultRouteTableAssociation": "enable", "DefaultRouteTablePropagation": "disable"}
    if sg_referencing:
        options["SecurityGroupReferencingSupport"] = sg_referencing
    created = ec2.create_transit_gateway(Options=options)["TransitGateway"]
    tgw, table = created["TransitGatewayId"], created["Options"]["AssociationDefaultRouteTableId"]
    attach = {}
    for vpc, subnet in ((world.vpc, world.subnet), (tools_vpc, tools_subnet)):
        attach[vpc] = ec2.create_transit_gateway_vpc_attachment(TransitGatewayId=tgw, VpcId=vpc, SubnetIds=[subnet])[
            "TransitGatewayVpcAttachment"]["TransitGatewayAttachmentId"]
    ec2.enable_transit_gateway_route_table_propagation(TransitGatewayRouteTableId=table,
                                                       TransitGatewayAttachmentId=attach[world.vpc])
    if client_propagates:
        ec2.enable_transit_gateway_route_table_propagation(TransitGatewayRouteTableId=table,
                                                           TransitGatewayAttachmentId=attach[tools_vpc])
    ec2.create_route(RouteTableId=world.route_table, DestinationCidrBlock="10.1.0.0/16", TransitGatewayId=tgw)
    ec2.create_route(RouteTableId=tools_rtb, DestinationCidrBlock="10.0.0.0/16", TransitGatewayId=tgw)
    client = launch(ec2, tools_subnet, ssh_group(ec2, tools_vpc, "tools"), "tools-1", public=False,
                    private_ip="10.1.0.25")
    world.extra.update(tgw=tgw, tgw_rtb=table, client=client, client_attachment=attach[tools_vpc], tools_vpc=tools_vpc)
    return world
