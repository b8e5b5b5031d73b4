"""Seeders for EC2 networking: VPCs, subnets, gateways, route tables, network ACLs, security groups,
prefix lists, instances and Elastic IPs. One function per scenario resource ``type``.

Rules are written the way people say them: ``protocol = "tcp"``, ``ports = "22"`` or
``"1024-65535"`` (omitted: all), ``cidr = "203.0.113.0/24"`` (or ``ipv6``, ``prefix_list``,
``group``). Every seeder returns the attributes later resources and the inputs may refer to,
``${kind.ref}`` for the ID and ``${kind.ref.attr}`` for the rest.
"""

from __future__ import annotations

from typing import Any

from diagnostics.sandbox.scenario import ScenarioError
from diagnostics.sandbox.seeders import ClientFactory, seeder

PROTOCOLS = {"tcp": "6", "udp": "17", "icmp": "1", "icmpv6": "58", "all": "-1", "-1": "-1"}
# Amazon Linux 2 as moto ships it: looked up by name so moto's image list can change under us.
IMAGE_NAME = "amzn2-ami-hvm-*"


def _ec2(clients: ClientFactory) -> Any:
    return clients("ec2")


def _tags(kind: str, spec: dict[str, Any]) -> list[dict[str, Any]]:
    name = spec.get("name")
    return [{"ResourceType": kind, "Tags": [{"Key": "Name", "Value": str(name)}]}] if name else []


def _ports(spec: dict[str, Any]) -> tuple[int, int] | None:
    value = spec.get("ports")
    if value is None or str(value) in ("all", "-1"):
        return None
    lo, _, hi = str(value).partition("-")
    return int(lo), int(hi or lo)


def _protocol(spec: dict[str, Any]) -> str:
    value = str(spec.get("protocol", "tcp")).lower()
    if value not in PROTOCOLS and not value.isdigit():
        raise ScenarioError(f"unknown protocol '{value}' (use tcp, udp, icmp, all or a number)")
    return PROTOCOLS.get(value, value)


# --- places ----------------------------------------------------------------------------------


@seeder("ec2.vpc")
def seed_vpc(clients: ClientFactory, spec: dict[str, Any]) -> dict[str, str]:
    ec2 = _ec2(clients)
    kwargs: dict[str, Any] = {"CidrBlock": spec.get("cidr", "10.0.0.0/16")}
    if spec.get("ipv6"):
        kwargs["AmazonProvidedIpv6CidrBlock"] = True
    vpc = ec2.create_vpc(TagSpecifications=_tags("vpc", spec), **kwargs)["Vpc"]
    vpc_id = vpc["VpcId"]
    main = ec2.describe_route_tables(Filters=[{"Name": "vpc-id", "Values": [vpc_id]},
                                              {"Name": "association.main", "Values": ["true"]}]
                                     )["RouteTables"]
    acl = ec2.describe_network_acls(Filters=[{"Name": "vpc-id", "Values": [vpc_id]},
                                             {"Name": "default", "Values": ["true"]}])["NetworkAcls"]
    return {"id": vpc_id, "cidr": vpc["CidrBlock"],
            "main_route_table": main[0]["RouteTableId"] if main else "",
            "default_nacl": acl[0]["NetworkAclId"] if acl else ""}


@seeder("ec2.subnet")
def seed_subnet(clients: ClientFactory, spec: dict[str, Any]) -> dict[str, str]:
    ec2 = _ec2(clients)
    kwargs: dict[str, Any] = {"VpcId": spec["vpc"], "CidrBlock": spec["cidr"]}
    if spec.get("az"):
        kwargs["AvailabilityZone"] = spec["az"]
    subnet = ec2.create_subnet(TagSpecifications=_tags("subnet", spec), **kwargs)["Subnet"]
    if spec.get("public"):
        ec2.modify_subnet_attribute(SubnetId=subnet["SubnetId"], MapPublicIpOnLaunch={"Value": True})
    return {"id": subnet["SubnetId"], "cidr": subnet["CidrBlock"]}


# --- gateways --------------------------------------------------------------------------------


@seeder("ec2.igw")
def seed_igw(clients: ClientFactory, spec: dict[str, Any]) -> dict[str, str]:
    """An internet gateway, attached to ``vpc`` when one is given (leave it out for a detached one)."""
    ec2 = _ec2(clients)
    igw = ec2.create_internet_gateway(TagSpecifications=_tags("internet-gateway", spec))["InternetGateway"]
    if spec.get("vpc"):
        ec2.attach_internet_gateway(InternetGatewayId=igw["InternetGatewayId"], VpcId=spec["vpc"])
    return {"id": igw["InternetGatewayId"]}


@seeder("ec2.igw_detach")
def seed_igw_detach(clients: ClientFactory, spec: dict[str, Any]) -> dict[str, str]:
    """Detach ``igw`` from ``vpc`` after routes were made to it (AWS refuses routes to a detached one)."""
    _ec2(clients).detach_internet_gateway(InternetGatewayId=spec["igw"], VpcId=spec["vpc"])
    return {"id": spec["igw"]}


def _documentation_address(ec2: Any) -> str:
    """From 198.51.100.0/24 (RFC 5737, for documentation): public-looking, never a real host (moto picks 127.x)."""
    taken = {a.get("PublicIp") for a in ec2.describe_addresses().get("Addresses", [])}
    return next(f"198.51.100.{n}" for n in range(20, 255) if f"198.51.100.{n}" not in taken)


@seeder("ec2.eip")
def seed_eip(clients: ClientFactory, spec: dict[str, Any]) -> dict[str, str]:
    """An Elastic IP, associated with ``instance`` or ``eni`` when one is given."""
    ec2 = _ec2(clients)
    address = ec2.allocate_address(Domain="vpc", Address=spec.get("address") or _documentation_address(ec2))
    if spec.get("instance"):
        ec2.associate_address(AllocationId=address["AllocationId"], InstanceId=spec["instance"])
    elif spec.get("eni"):
        ec2.associate_address(AllocationId=address["AllocationId"], NetworkInterfaceId=spec["eni"])
    return {"id": address["AllocationId"], "public_ip": address["PublicIp"]}


@seeder("ec2.nat_gateway")
def seed_nat_gateway(clients: ClientFactory, spec: dict[str, Any]) -> dict[str, str]:
    ec2 = _ec2(clients)
    allocation = ec2.allocate_address(Domain="vpc", Address=_documentation_address(ec2))["AllocationId"]
    nat = ec2.create_nat_gateway(SubnetId=spec["subnet"], AllocationId=allocation)["NatGateway"]
    return {"id": nat["NatGatewayId"]}


@seeder("ec2.prefix_list")
def seed_prefix_list(clients: ClientFactory, spec: dict[str, Any]) -> dict[str, str]:
    cidrs = list(spec.get("cidrs", []))
    family = "IPv6" if any(":" in c for c in cidrs) else "IPv4"
    pl = _ec2(clients).create_managed_prefix_list(
        PrefixListName=spec.get("name", "prefix-list"), MaxEntries=max(len(cidrs), 1), AddressFamily=family,
        Entries=[{"Cidr": c} for c in cidrs])["PrefixList"]
    return {"id": pl["PrefixListId"]}


# --- routes ----------------------------------------------------------------------------------

ROUTE_TARGETS = {"gateway": "GatewayId", "nat": "NatGatewayId", "pcx": "VpcPeeringConnectionId",
                 "tgw": "TransitGatewayId", "eni": "NetworkInterfaceId",
                 "egress_only": "EgressOnlyInternetGatewayId"}


def _create_route(ec2: Any, table_id: str, spec: dict[str, Any]) -> None:
    kwargs: dict[str, Any] = {"RouteTableId": table_id}
    destination = str(spec.get("destination", ""))
    if spec.get("prefix_list"):
        kwargs["DestinationPrefixListId"] = spec["prefix_list"]
    elif ":" in destination:
        kwargs["DestinationIpv6CidrBlock"] = destination
    elif destination:
        kwargs["DestinationCidrBlock"] = destination
    else:
        raise ScenarioError("a route needs a destination (a CIDR) or a prefix_list")
    targets = [(key, spec[name]) for name, key in ROUTE_TARGETS.items() if spec.get(name)]
    if len(targets) != 1:
        raise ScenarioError(f"a route needs exactly one target ({', '.join(ROUTE_TARGETS)}); got {spec}")
    kwargs[targets[0][0]] = targets[0][1]
    ec2.create_route(**kwargs)


@seeder("ec2.route_table")
def seed_route_table(clients: ClientFactory, spec: dict[str, Any]) -> dict[str, str]:
    """A new table associated with ``subnets``, or with ``main = true`` the VPC's main table; then
    its ``routes``."""
    ec2 = _ec2(clients)
    if spec.get("main"):
        tables = ec2.describe_route_tables(Filters=[{"Name": "vpc-id", "Values": [spec["vpc"]]},
                                                    {"Name": "association.main", "Values": ["true"]}])
        table_id = tables["RouteTables"][0]["RouteTableId"]
    else:
        table = ec2.create_route_table(VpcId=spec["vpc"], TagSpecifications=_tags("route-table", spec))
        table_id = table["RouteTable"]["RouteTableId"]
        for subnet in spec.get("subnets", []):
            ec2.associate_route_table(RouteTableId=table_id, SubnetId=subnet)
    for route in spec.get("routes", []):
        _create_route(ec2, table_id, route)
    return {"id": table_id}


@seeder("ec2.route")
def seed_route(clients: ClientFactory, spec: dict[str, Any]) -> dict[str, str]:
    _create_route(_ec2(clients), spec["table"], spec)
    return {"id": f"{spec['table']}:{spec.get('destination') or spec.get('prefix_list')}"}


# --- network ACLs ----------------------------------------------------------------------------


def _nacl_entry(ec2: Any, acl_id: str, egress: bool, spec: dict[str, Any]) -> None:
    kwargs: dict[str, Any] = {
        "NetworkAclId": acl_id, "RuleNumber": int(spec["rule"]), "Protocol": _protocol(spec),
        "RuleAction": str(spec.get("action", "allow")).lower(), "Egress": egress,
    }
    cidr = str(spec.get("cidr", "0.0.0.0/0"))
    kwargs["Ipv6CidrBlock" if ":" in cidr else "CidrBlock"] = cidr
    ports = _ports(spec)
    if kwargs["Protocol"] in ("6", "17"):
        lo, hi = ports or (0, 65535)
        kwargs["PortRange"] = {"From": lo, "To": hi}
    elif kwargs["Protocol"] in ("1", "58"):
        kwargs["IcmpTypeCode"] = {"Type": int(spec.get("icmp_type", -1)), "Code": -1}
    ec2.create_network_acl_entry(**kwargs)


@seeder("ec2.nacl")
def seed_nacl(clients: ClientFactory, spec: dict[str, Any]) -> dict[str, str]:
    """A network ACL with ``ingress`` and ``egress`` entries, replacing the ACL of each of ``subnets``.
    Like every custom ACL it starts empty: only the implicit deny."""
    ec2 = _ec2(clients)
    acl = ec2.create_network_acl(VpcId=spec["vpc"], TagSpecifications=_tags("network-acl", spec))
    acl_id = acl["NetworkAcl"]["NetworkAclId"]
    for entry in spec.get("ingress", []):
        _nacl_entry(ec2, acl_id, False, entry)
    for entry in spec.get("egress", []):
        _nacl_entry(ec2, acl_id, True, entry)
    subnets = list(spec.get("subnets", []))
    if subnets:
        current = ec2.describe_network_acls(Filters=[{"Name": "association.subnet-id", "Values": subnets}])
        for acl in current["NetworkAcls"]:
            for assoc in acl.get("Associations") or []:
                if assoc.get("SubnetId") in subnets:
                    ec2.replace_network_acl_association(AssociationId=assoc["NetworkAclAssociationId"],
                                                        NetworkAclId=acl_id)
    return {"id": acl_id}


@seeder("ec2.nacl_entry")
def seed_nacl_entry(clients: ClientFactory, spec: dict[str, Any]) -> dict[str, str]:
    egress = str(spec.get("direction", "ingress")).lower() == "egress"
    _nacl_entry(_ec2(clients), spec["acl"], egress, spec)
    return {"id": f"{spec['acl']}:{'egress' if egress else 'ingress'}:{spec['rule']}"}


# --- security groups -------------------------------------------------------------------------


def _permission(spec: dict[str, Any]) -> dict[str, Any]:
    protocol = str(spec.get("protocol", "tcp")).lower()
    perm: dict[str, Any] = {"IpProtocol": "-1" if protocol == "all" else protocol}
    ports = _ports(spec)
    if protocol in ("tcp", "udp", "6", "17"):
        perm["FromPort"], perm["ToPort"] = ports or (0, 65535)
    elif protocol in ("icmp", "icmpv6", "1", "58"):
        perm["FromPort"], perm["ToPort"] = (int(spec.get("icmp_type", -1)), -1)
    description = {"Description": spec["description"]} if spec.get("description") else {}
    cidrs = spec.get("cidrs") or ([spec["cidr"]] if spec.get("cidr") else [])
    perm["IpRanges"] = [{"CidrIp": c, **description} for c in cidrs if ":" not in c]
    perm["Ipv6Ranges"] = [{"CidrIpv6": c, **description} for c in cidrs if ":" in c]
    if spec.get("prefix_list"):
        perm["PrefixListIds"] = [{"PrefixListId": spec["prefix_list"], **description}]
    if spec.get("group"):
        perm["UserIdGroupPairs"] = [{"GroupId": spec["group"], **description}]
    return perm


def _authorize(ec2: Any, group_id: str, egress: bool, rules: list[dict[str, Any]]) -> None:
    if not rules:
        return
    call = ec2.authorize_security_group_egress if egress else ec2.authorize_security_group_ingress
    call(GroupId=group_id, IpPermissions=[_permission(r) for r in rules])


@seeder("ec2.sg")
def seed_security_group(clients: ClientFactory, spec: dict[str, Any]) -> dict[str, str]:
    """A security group with ``ingress`` rules. ``egress`` replaces the default allow-all outbound
    rule when given (``egress = []`` leaves the group with no outbound rule at all)."""
    ec2 = _ec2(clients)
    name = spec.get("name", "sg")
    group_id = ec2.create_security_group(GroupName=name, Description=spec.get("description", name),
                                         VpcId=spec["vpc"])["GroupId"]
    _authorize(ec2, group_id, False, spec.get("ingress", []))
    if "egress" in spec:
        ec2.revoke_security_group_egress(GroupId=group_id, IpPermissions=[
            {"IpProtocol": "-1", "IpRanges": [{"CidrIp": "0.0.0.0/0"}]}])
        _authorize(ec2, group_id, True, spec["egress"])
    return {"id": group_id, "name": name}


@seeder("ec2.sg_rule")
def seed_security_group_rule(clients: ClientFactory, spec: dict[str, Any]) -> dict[str, str]:
    egress = str(spec.get("direction", "ingress")).lower() == "egress"
    _authorize(_ec2(clients), spec["group"], egress, [spec])
    return {"id": f"{spec['group']}:{'egress' if egress else 'ingress'}"}


# --- instances -------------------------------------------------------------------------------


def _image(ec2: Any, spec: dict[str, Any]) -> str:
    if spec.get("image"):
        return str(spec["image"])
    images = ec2.describe_images(Owners=["amazon"],
                                 Filters=[{"Name": "name", "Values": [IMAGE_NAME]}])["Images"]
    if not images:
        raise ScenarioError("the sandbox has no Amazon Linux 2 image to launch: give the instance an 'image'")
    return sorted(images, key=lambda i: i["Name"])[0]["ImageId"]


@seeder("ec2.instance")
def seed_instance(clients: ClientFactory, spec: dict[str, Any]) -> dict[str, str]:
    """An instance in ``subnet`` with ``security_groups``; ``public_ip`` true or false overrides the
    subnet's setting; ``private_ip`` picks its address; ``state = "stopped"`` stops it after launch."""
    ec2 = _ec2(clients)
    interface: dict[str, Any] = {"DeviceIndex": 0, "SubnetId": spec["subnet"],
                                 "Groups": list(spec.get("security_groups", []))}
    if "public_ip" in spec:
        interface["AssociatePublicIpAddress"] = bool(spec["public_ip"])
    if spec.get("private_ip"):
        interface["PrivateIpAddress"] = str(spec["private_ip"])
    kwargs: dict[str, Any] = {"ImageId": _image(ec2, spec), "MinCount": 1, "MaxCount": 1,
                              "InstanceType": spec.get("instance_type", "t3.micro"),
                              "NetworkInterfaces": [interface]}
    if spec.get("key_name"):
        kwargs["KeyName"] = spec["key_name"]
    tags = _tags("instance", spec)
    if tags:
        kwargs["TagSpecifications"] = tags
    instance = ec2.run_instances(**kwargs)["Instances"][0]
    instance_id = instance["InstanceId"]
    state = spec.get("state", "running")
    if state == "stopped":
        ec2.stop_instances(InstanceIds=[instance_id])
    elif state != "running":
        raise ScenarioError(f"instance state '{state}' is not one the sandbox can set (running or stopped)")
    eni = instance["NetworkInterfaces"][0]
    return {"id": instance_id, "eni": eni["NetworkInterfaceId"],
            "private_ip": eni.get("PrivateIpAddress", ""),
            "public_ip": instance.get("PublicIpAddress") or ""}


@seeder("ec2.peering")
def seed_peering(clients: ClientFactory, spec: dict[str, Any]) -> dict[str, str]:
    """A peering connection from ``vpc`` to ``peer_vpc`` (same account and region), accepted unless
    ``accept = false``."""
    ec2 = _ec2(clients)
    pcx = ec2.create_vpc_peering_connection(VpcId=spec["vpc"], PeerVpcId=spec["peer_vpc"])["VpcPeeringConnection"][
        "VpcPeeringConnectionId"]
    if spec.get("accept", True):
        ec2.accept_vpc_peering_connection(VpcPeeringConnectionId=pcx)
    return {"id": pcx}


@seeder("ec2.tgw")
def seed_tgw(clients: ClientFactory, spec: dict[str, Any]) -> dict[str, str]:
    """A transit gateway that associates every attachment with its default route table, into which
    attachments propagate only where their ``ec2.tgw_attachment`` says ``propagate = true``."""
    created = _ec2(clients).create_transit_gateway(
        Description=spec.get("name", "tgw"),
        Options={"DefaultRouteTableAssociation": "enable", "DefaultRouteTablePropagation": "disable"})
    tgw = created["TransitGateway"]
    return {"id": tgw["TransitGatewayId"], "route_table": tgw["Options"]["AssociationDefaultRouteTableId"]}


@seeder("ec2.tgw_attachment")
def seed_tgw_attachment(clients: ClientFactory, spec: dict[str, Any]) -> dict[str, str]:
    """``vpc`` attached to transit gateway ``tgw`` through ``subnets``; ``propagate = true`` propagates
    its CIDR blocks into ``route_table`` (the transit gateway's default table)."""
    ec2 = _ec2(clients)
    attachment = ec2.create_transit_gateway_vpc_attachment(
        TransitGatewayId=spec["tgw"], VpcId=spec["vpc"], SubnetIds=list(spec.get("subnets", [])))[
        "TransitGatewayVpcAttachment"]["TransitGatewayAttachmentId"]
    if spec.get("propagate"):
        ec2.enable_transit_gateway_route_table_propagation(TransitGatewayRouteTableId=spec["route_table"],
                                                           TransitGatewayAttachmentId=attachment)
    return {"id": attachment}


@seeder("ec2.eni")
def seed_eni(clients: ClientFactory, spec: dict[str, Any]) -> dict[str, str]:
    """A network interface in ``subnet`` with ``security_groups`` and ``description`` (for the interface
    of an endpoint moto does not model, such as an EC2 Instance Connect Endpoint)."""
    eni = _ec2(clients).create_network_interface(SubnetId=spec["subnet"], Groups=list(spec.get("security_groups", [])),
                                                 Description=str(spec.get("description", "")))["NetworkInterface"]
    return {"id": eni["NetworkInterfaceId"], "private_ip": eni.get("PrivateIpAddress", "")}
