"""Fetch only what the path to one instance needs, with filters and paginators.

The number of calls depends on the instance's own path (its groups, subnet, route targets), never
on how many unrelated resources the account holds: every call names IDs or filters by the
instance's subnet or VPC. Each ``fetch_*`` function is one step's worth, so a playbook can memoise
them one by one; ``collect`` runs them all and returns the Snapshot.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from botocore.exceptions import ClientError

from diagnostics.reachability.snapshot import Snapshot

ClientFactory = Callable[[str], Any]

# Referenced groups in another account or a deleted peer answer "not found": they cannot admit an
# internet client anyway, so they are left out rather than failing the whole read.
NOT_FOUND = ("InvalidGroup.NotFound", "InvalidGroupId.Malformed", "InvalidInternetGatewayID.NotFound",
             "InvalidPrefixListID.NotFound", "InvalidPrefixListId.NotFound", "NatGatewayNotFound",
             "InvalidVpcPeeringConnectionID.NotFound", "InvalidNetworkInterfaceID.NotFound")


def _pages(client: Any, operation: str, key: str, **params: Any) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    for page in client.get_paginator(operation).paginate(**params):
        out.extend(page.get(key) or [])
    return out


def _missing_ok(fn: Callable[[], list[dict[str, Any]]]) -> list[dict[str, Any]]:
    try:
        return fn()
    except ClientError as exc:
        if exc.response.get("Error", {}).get("Code") in NOT_FOUND:
            return []
        raise


def fetch_instance(ec2: Any, instance_id: str) -> dict[str, Any]:
    reservations = _pages(ec2, "describe_instances", "Reservations", InstanceIds=[instance_id])
    for reservation in reservations:
        for instance in reservation.get("Instances") or []:
            if instance.get("InstanceId") == instance_id:
                return instance
    raise LookupError(f"instance {instance_id} was not found in this account and region")


def fetch_instance_status(ec2: Any, instance_id: str) -> dict[str, Any] | None:
    statuses = _pages(ec2, "describe_instance_status", "InstanceStatuses", InstanceIds=[instance_id],
                      IncludeAllInstances=True)
    return next((s for s in statuses if s.get("InstanceId") == instance_id), None)


def eni_group_ids(instance: dict[str, Any]) -> list[str]:
    ids = [g["GroupId"] for n in instance.get("NetworkInterfaces") or [] for g in n.get("Groups") or []]
    ids += [g["GroupId"] for g in instance.get("SecurityGroups") or []]
    return sorted(set(ids))


def subnet_ids(instance: dict[str, Any]) -> list[str]:
    ids = [n["SubnetId"] for n in instance.get("NetworkInterfaces") or [] if n.get("SubnetId")]
    if instance.get("SubnetId"):
        ids.append(instance["SubnetId"])
    return sorted(set(ids))


def fetch_security_groups(ec2: Any, group_ids: Iterable[str]) -> list[dict[str, Any]]:
    """The groups on the ENIs, then the groups their rules reference (one more call at most)."""
    ids = sorted(set(group_ids))
    if not ids:
        return []
    groups = _pages(ec2, "describe_security_groups", "SecurityGroups", GroupIds=ids)
    have = {g["GroupId"] for g in groups}
    referenced = sorted({
        pair["GroupId"]
        for g in groups
        for perm in (*(g.get("IpPermissions") or []), *(g.get("IpPermissionsEgress") or []))
        for pair in perm.get("UserIdGroupPairs") or []
        if pair.get("GroupId") and pair["GroupId"] not in have
    })
    if referenced:
        groups += _missing_ok(lambda: _pages(ec2, "describe_security_groups", "SecurityGroups",
                                             GroupIds=referenced))
    return groups


def fetch_subnets(ec2: Any, ids: Iterable[str]) -> list[dict[str, Any]]:
    ids = sorted(set(ids))
    return _pages(ec2, "describe_subnets", "Subnets", SubnetIds=ids) if ids else []


def fetch_network_acls(ec2: Any, ids: Iterable[str]) -> list[dict[str, Any]]:
    ids = sorted(set(ids))
    if not ids:
        return []
    return _pages(ec2, "describe_network_acls", "NetworkAcls",
                  Filters=[{"Name": "association.subnet-id", "Values": ids}])


def fetch_route_tables(ec2: Any, vpc_id: str, ids: Iterable[str]) -> list[dict[str, Any]]:
    """The subnets' own tables; the VPC's main table only if a subnet has none of its own."""
    ids = sorted(set(ids))
    tables = _pages(ec2, "describe_route_tables", "RouteTables",
                    Filters=[{"Name": "association.subnet-id", "Values": ids}]) if ids else []
    associated = {a.get("SubnetId") for t in tables for a in t.get("Associations") or []}
    if any(s not in associated for s in ids) or not ids:
        tables += _pages(ec2, "describe_route_tables", "RouteTables",
                         Filters=[{"Name": "association.main", "Values": ["true"]},
                                  {"Name": "vpc-id", "Values": [vpc_id]}])
    return tables


def _route_targets(tables: Iterable[dict[str, Any]], key: str) -> list[str]:
    return sorted({r[key] for t in tables for r in t.get("Routes") or [] if r.get(key)})


def fetch_internet_gateways(ec2: Any, vpc_id: str,
                            tables: Iterable[dict[str, Any]] = ()) -> list[dict[str, Any]]:
    """The VPC's attached gateways, plus any gateway a route names that is not attached here."""
    gateways = _pages(ec2, "describe_internet_gateways", "InternetGateways",
                      Filters=[{"Name": "attachment.vpc-id", "Values": [vpc_id]}])
    have = {g["InternetGatewayId"] for g in gateways}
    named = [g for g in _route_targets(tables, "GatewayId") if g.startswith("igw-") and g not in have]
    if named:
        gateways += _missing_ok(lambda: _pages(ec2, "describe_internet_gateways", "InternetGateways",
                                               InternetGatewayIds=named))
    return gateways


def prefix_list_ids(groups: Iterable[dict[str, Any]] = (),
                    tables: Iterable[dict[str, Any]] = ()) -> list[str]:
    ids = {
        p["PrefixListId"]
        for g in groups
        for perm in (*(g.get("IpPermissions") or []), *(g.get("IpPermissionsEgress") or []))
        for p in perm.get("PrefixListIds") or []
    }
    ids |= set(_route_targets(tables, "DestinationPrefixListId"))
    return sorted(ids)


def fetch_prefix_lists(ec2: Any, ids: Iterable[str]) -> list[dict[str, Any]]:
    """Each list with its ``Entries``: one describe call and one entries read per list used."""
    ids = sorted(set(ids))
    if not ids:
        return []
    lists = _missing_ok(lambda: _pages(ec2, "describe_managed_prefix_lists", "PrefixLists",
                                       PrefixListIds=ids))
    out = []
    for pl in lists:
        entries = _pages(ec2, "get_managed_prefix_list_entries", "Entries", PrefixListId=pl["PrefixListId"])
        out.append({**pl, "Entries": entries})
    return out


def fetch_route_targets(ec2: Any, vpc_id: str,
                        tables: list[dict[str, Any]]) -> dict[str, list[dict[str, Any]]]:
    """NAT gateways, peering connections, transit gateway attachments and network interfaces (an appliance,
    a NAT instance: their SourceDestCheck decides whether they forward), only those a route names."""
    out: dict[str, list[dict[str, Any]]] = {"nat_gateways": [], "vpc_peering_connections": [],
                                            "transit_gateway_attachments": [], "route_target_network_interfaces": [],
                                            "route_target_instances": []}
    enis = _route_targets(tables, "NetworkInterfaceId")
    if enis:
        out["route_target_network_interfaces"] = _missing_ok(lambda: _pages(
            ec2, "describe_network_interfaces", "NetworkInterfaces", NetworkInterfaceIds=enis))
    # A route that names only an instance (no interface ID: moto answers so) is judged by the instance's own
    # SourceDestCheck, which DescribeInstances carries.
    named = {r.get("InstanceId") for t in tables for r in t.get("Routes") or []
             if r.get("InstanceId") and not r.get("NetworkInterfaceId")} - {None}
    if named:
        out["route_target_instances"] = _missing_ok(lambda: [
            i for page in ec2.get_paginator("describe_instances").paginate(InstanceIds=sorted(named))
            for r in page.get("Reservations") or [] for i in r.get("Instances") or []])
    nat = _route_targets(tables, "NatGatewayId")
    if nat:
        out["nat_gateways"] = _missing_ok(lambda: _pages(ec2, "describe_nat_gateways", "NatGateways",
                                                         NatGatewayIds=nat))
    pcx = _route_targets(tables, "VpcPeeringConnectionId")
    if pcx:
        out["vpc_peering_connections"] = _missing_ok(lambda: _pages(
            ec2, "describe_vpc_peering_connections", "VpcPeeringConnections", VpcPeeringConnectionIds=pcx))
    tgw = _route_targets(tables, "TransitGatewayId")
    if tgw:
        out["transit_gateway_attachments"] = _pages(
            ec2, "describe_transit_gateway_attachments", "TransitGatewayAttachments",
            Filters=[{"Name": "transit-gateway-id", "Values": tgw},
                     {"Name": "resource-id", "Values": [vpc_id]}])
    return out


def fetch_addresses(ec2: Any, instance_id: str) -> list[dict[str, Any]]:
    # DescribeAddresses has no paginator; the filter keeps the answer to this instance's addresses.
    answer = ec2.describe_addresses(Filters=[{"Name": "instance-id", "Values": [instance_id]}])
    return answer.get("Addresses") or []


def collect(client_factory: ClientFactory, instance_id: str) -> Snapshot:
    """Everything on the path to ``instance_id``, in about ten calls whatever the account's size."""
    ec2 = client_factory("ec2")
    instance = fetch_instance(ec2, instance_id)
    status = fetch_instance_status(ec2, instance_id)
    vpc_id = instance.get("VpcId", "")
    subnets = subnet_ids(instance)
    groups = fetch_security_groups(ec2, eni_group_ids(instance))
    tables = fetch_route_tables(ec2, vpc_id, subnets)
    targets = fetch_route_targets(ec2, vpc_id, tables)
    return Snapshot.from_describe(
        instances=[instance],
        instance_statuses=[status] if status else [],
        security_groups=groups,
        subnets=fetch_subnets(ec2, subnets),
        network_acls=fetch_network_acls(ec2, subnets),
        route_tables=tables,
        internet_gateways=fetch_internet_gateways(ec2, vpc_id, tables),
        prefix_lists=fetch_prefix_lists(ec2, prefix_list_ids(groups, tables)),
        addresses=fetch_addresses(ec2, instance_id),
        region=getattr(getattr(ec2, "meta", None), "region_name", "") or "",
        **targets,
    )


def fetch_source_enis(ec2: Any, source: str) -> list[dict[str, Any]]:
    """The network interfaces the client connects from: an instance's (``i-...``), one ENI
    (``eni-...``), an EC2 Instance Connect Endpoint's (``eice-...``: it opens the connection to the
    instance from its own interface), or the one that holds a private address (``10.0.1.15/32``). Empty when no
    interface in this account and region holds the address (another account, on premises)."""
    if source.startswith("i-"):
        instance = fetch_instance(ec2, source)
        ids = [n["NetworkInterfaceId"] for n in instance.get("NetworkInterfaces") or []]
        return _pages(ec2, "describe_network_interfaces", "NetworkInterfaces", NetworkInterfaceIds=ids) if ids else []
    if source.startswith("eice-"):
        return fetch_enis(ec2, fetch_instance_connect_endpoint(ec2, source).get("NetworkInterfaceIds") or [])
    if source.startswith("eni-"):
        try:
            return _pages(ec2, "describe_network_interfaces", "NetworkInterfaces", NetworkInterfaceIds=[source])
        except ClientError as exc:
            if exc.response.get("Error", {}).get("Code") == "InvalidNetworkInterfaceID.NotFound":
                raise LookupError(f"network interface {source} was not found in this account and region") from None
            raise
    address = source.split("/", 1)[0]
    key = "addresses.private-ip-address" if ":" not in address else "ipv6-addresses.ipv6-address"
    return _pages(ec2, "describe_network_interfaces", "NetworkInterfaces",
                  Filters=[{"Name": key, "Values": [address]}])


def fetch_public_ip_enis(ec2: Any, address: str) -> list[dict[str, Any]]:
    """The network interface of this account whose public IPv4 address (auto-assigned or Elastic IP) is
    ``address``: a client that names a bastion by its public address is that bastion."""
    return _pages(ec2, "describe_network_interfaces", "NetworkInterfaces",
                  Filters=[{"Name": "association.public-ip", "Values": [address.split("/", 1)[0]]}])


def fetch_group_members(ec2: Any, group_ids: Iterable[str]) -> list[dict[str, Any]]:
    """The network interfaces in ``group_ids``: who a rule naming those groups admits (a bastion, when one
    has a public address), so a fix can go through it rather than expose the instance."""
    ids = sorted(set(group_ids))
    if not ids:
        return []
    return _pages(ec2, "describe_network_interfaces", "NetworkInterfaces",
                  Filters=[{"Name": "group-id", "Values": ids}])


def fetch_peering_connections(ec2: Any, vpc_ids: Iterable[str]) -> list[dict[str, Any]]:
    """Every peering connection with one end in ``vpc_ids``, whatever the routes say: a missing route
    over an existing peering is exactly what the route check must be able to name."""
    ids = sorted(set(v for v in vpc_ids if v))
    if not ids:
        return []
    found: dict[str, dict[str, Any]] = {}
    for side in ("requester-vpc-info.vpc-id", "accepter-vpc-info.vpc-id"):
        for pcx in _pages(ec2, "describe_vpc_peering_connections", "VpcPeeringConnections",
                          Filters=[{"Name": side, "Values": ids}]):
            ends = {(pcx.get("RequesterVpcInfo") or {}).get("VpcId"), (pcx.get("AccepterVpcInfo") or {}).get("VpcId")}
            if ends & set(ids):  # the filter, checked here too: some endpoints (moto) ignore it
                found[pcx["VpcPeeringConnectionId"]] = pcx
    return list(found.values())


def fetch_transit(ec2: Any, tgw_ids: Iterable[str], vpc_ids: Iterable[str]) -> dict[str, list[dict[str, Any]]]:
    """What a transit gateway hop between ``vpc_ids`` needs: their attachments, the route tables those
    are associated with (each with its routes and propagations), and the CIDR blocks of the VPCs that
    propagate into them."""
    tgws, vpcs = sorted(set(tgw_ids)), sorted(set(v for v in vpc_ids if v))
    out: dict[str, list[dict[str, Any]]] = {"transit_gateway_attachments": [], "transit_gateway_route_tables": [],
                                            "vpcs": [], "transit_gateways": []}
    if not tgws or not vpcs:
        return out
    attachments = _pages(ec2, "describe_transit_gateway_attachments", "TransitGatewayAttachments",
                         Filters=[{"Name": "transit-gateway-id", "Values": tgws},
                                  {"Name": "resource-id", "Values": vpcs}])
    # Whether a security group rule may name a group across the gateway: an option of the gateway and
    # of each VPC attachment, which only these two calls return.
    out["transit_gateways"] = _pages(ec2, "describe_transit_gateways", "TransitGateways", TransitGatewayIds=tgws)
    options = {a["TransitGatewayAttachmentId"]: a.get("Options") or {}
               for a in _pages(ec2, "describe_transit_gateway_vpc_attachments", "TransitGatewayVpcAttachments",
                               Filters=[{"Name": "transit-gateway-id", "Values": tgws},
                                        {"Name": "vpc-id", "Values": vpcs}])}
    attachments = [{**a, "Options": options[a["TransitGatewayAttachmentId"]]}
                   if a.get("TransitGatewayAttachmentId") in options else a for a in attachments]
    out["transit_gateway_attachments"] = attachments
    table_ids = sorted({(a.get("Association") or {}).get("TransitGatewayRouteTableId") for a in attachments} - {None})
    if not table_ids:
        return out
    tables = _pages(ec2, "describe_transit_gateway_route_tables", "TransitGatewayRouteTables",
                    TransitGatewayRouteTableIds=table_ids)
    propagating: set[str] = set()
    for table in tables:
        tid = table["TransitGatewayRouteTableId"]
        # SearchTransitGatewayRoutes needs a filter and has no paginator; both states cover every route.
        routes = ec2.search_transit_gateway_routes(
            TransitGatewayRouteTableId=tid, Filters=[{"Name": "state", "Values": ["active", "blackhole"]}])
        propagations = _pages(ec2, "get_transit_gateway_route_table_propagations",
                              "TransitGatewayRouteTablePropagations", TransitGatewayRouteTableId=tid)
        propagating |= {p["ResourceId"] for p in propagations if p.get("ResourceType", "vpc") == "vpc"}
        out["transit_gateway_route_tables"].append({**table, "Routes": routes.get("Routes") or [],
                                                    "Propagations": propagations})
    if propagating:
        out["vpcs"] = _pages(ec2, "describe_vpcs", "Vpcs", VpcIds=sorted(propagating))
    return out


def fetch_vpn(ec2: Any, vpc_id: str) -> dict[str, list[dict[str, Any]]]:
    """The virtual private gateways attached to the VPC and their Site-to-Site VPN connections (tunnel
    state, static routes). Neither API paginates; the filters keep the answers to this VPC."""
    gateways = ec2.describe_vpn_gateways(Filters=[{"Name": "attachment.vpc-id", "Values": [vpc_id]}]).get(
        "VpnGateways") or []
    ids = sorted(g["VpnGatewayId"] for g in gateways)
    connections = ec2.describe_vpn_connections(Filters=[{"Name": "vpn-gateway-id", "Values": ids}]).get(
        "VpnConnections") or [] if ids else []
    # The tunnel options carry pre-shared keys: keep only what the check reads.
    keep = ("VpnConnectionId", "VpnGatewayId", "TransitGatewayId", "State", "VgwTelemetry", "Routes")
    return {"vpn_gateways": gateways, "vpn_connections": [{k: c[k] for k in keep if k in c} for c in connections]}


def fetch_ssm_info(ssm: Any, instance_id: str) -> dict[str, Any] | None:
    """The instance's Systems Manager registration (PingStatus, agent version), None when it has none."""
    items = _pages(ssm, "describe_instance_information", "InstanceInformationList",
                   Filters=[{"Key": "InstanceIds", "Values": [instance_id]}])
    return next((i for i in items if i.get("InstanceId") == instance_id), None)


def fetch_profile_policies(iam: Any, profile_arn: str) -> list[str]:
    """Names of the managed policies attached to the roles of an instance profile."""
    name = profile_arn.rsplit("/", 1)[-1]
    roles = iam.get_instance_profile(InstanceProfileName=name)["InstanceProfile"].get("Roles") or []
    return sorted({p["PolicyName"] for r in roles
                   for p in _pages(iam, "list_attached_role_policies", "AttachedPolicies", RoleName=r["RoleName"])})


def fetch_ssm_endpoints(ec2: Any, vpc_id: str, region: str) -> list[str]:
    """Which of ssm, ssmmessages and ec2messages have an available interface endpoint in the VPC."""
    names = [f"com.amazonaws.{region}.{s}" for s in ("ssm", "ssmmessages", "ec2messages")]
    endpoints = _pages(ec2, "describe_vpc_endpoints", "VpcEndpoints",
                       Filters=[{"Name": "vpc-id", "Values": [vpc_id]}, {"Name": "service-name", "Values": names}])
    return sorted({e["ServiceName"].rsplit(".", 1)[-1] for e in endpoints
                   if e.get("ServiceName") in names and e.get("State", "available").lower() == "available"})


def fetch_instance_connect_endpoint(ec2: Any, endpoint_id: str) -> dict[str, Any]:
    """One EC2 Instance Connect Endpoint: its state, subnet, security groups and network interfaces."""
    answer = ec2.describe_instance_connect_endpoints(InstanceConnectEndpointIds=[endpoint_id])
    for endpoint in answer.get("InstanceConnectEndpoints") or []:
        if endpoint.get("InstanceConnectEndpointId") == endpoint_id:
            return endpoint
    raise LookupError(f"EC2 Instance Connect Endpoint {endpoint_id} was not found in this account and region")


def fetch_enis(ec2: Any, ids: Iterable[str]) -> list[dict[str, Any]]:
    ids = sorted(set(ids))
    return _pages(ec2, "describe_network_interfaces", "NetworkInterfaces", NetworkInterfaceIds=ids) if ids else []


def fetch_vpcs(ec2: Any) -> list[dict[str, Any]]:
    """Every VPC of this account in the region, with its IPv4 and IPv6 ranges: to tell an address inside
    one of them that no interface holds (a client that is not running) from one outside them all."""
    return _pages(ec2, "describe_vpcs", "Vpcs")
