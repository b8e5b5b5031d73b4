"""SSH connection timeout to an EC2 instance: walk the network path and name what drops the packets.

Each step reads one part of the path (memoised, so the verdict step reuses it all) and judges it
with the reachability engine, which reports every blocking component, not just the first.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import Any

from diagnostics.errors import explain_error
from diagnostics.findings import Finding, Fix
from diagnostics.reachability.addresses import internet_part, parse_block, vpc_holding
from diagnostics.reachability.collect import (
    eni_group_ids,
    fetch_addresses,
    fetch_enis,
    fetch_group_members,
    fetch_instance,
    fetch_instance_connect_endpoint,
    fetch_instance_status,
    fetch_internet_gateways,
    fetch_network_acls,
    fetch_peering_connections,
    fetch_prefix_lists,
    fetch_profile_policies,
    fetch_public_ip_enis,
    fetch_route_tables,
    fetch_route_targets,
    fetch_security_groups,
    fetch_source_enis,
    fetch_ssm_endpoints,
    fetch_ssm_info,
    fetch_subnets,
    fetch_transit,
    fetch_vpcs,
    fetch_vpn,
    prefix_list_ids,
    subnet_ids,
)
from diagnostics.reachability.evaluate import (
    Probe,
    StageResult,
    check_gateway,
    check_instance,
    check_network_acl,
    check_route_table,
    check_security_groups,
    check_source,
    eice_way,
    evaluate,
    guard_exposing,
    way_in,
)
from diagnostics.reachability.remediation import aws
from diagnostics.reachability.snapshot import TCP, Snapshot
from diagnostics.reachability.ssm import SsmVerdict, internet_route, judge_ssm
from playbooks import params as v
from playbooks.common import IDENTITY_STEP
from playbooks.model import Context, Param, Playbook, Step, StepOutcome, StepSkip

PARAMS = (
    Param("instance", "the EC2 instance you cannot reach (i-...)", v.instance_id, required=True,
          picker="ec2-instance", example="i-0123456789abcdef0"),
    Param("source", "where you connect from: your public IP or a CIDR, the instance or network interface "
                    "you connect from (a bastion: i-..., eni-..., or its private IP), or the EC2 Instance Connect "
                    "Endpoint you connect through (eice-...); without it any internet address is assumed",
          v.network_source, example="203.0.113.10/32"),
    Param("port", "the port you connect to", v.port, default="22"),
    Param("protocol", "tcp, udp or icmp", v.protocol, default="tcp"),
)

STAGE_STATUS = {"ok": "ok", "blocked": "problem", "warning": "warning", "skipped": "skipped"}


# --- what each step reads, once per run ------------------------------------------------------


def _ec2(ctx: Context) -> Any:
    return ctx.client("ec2")


def _instance_id(ctx: Context) -> str:
    return str(ctx.inputs["instance"])


def _instance(ctx: Context) -> dict[str, Any]:
    """The instance everything else hangs on: once it could not be read, later steps skip."""
    if ctx.peek("ec2:instance:failed"):
        raise StepSkip("Not checked: it needs the instance, which could not be read (see the instance step).")
    try:
        return ctx.memo("ec2:instance", lambda: fetch_instance(_ec2(ctx), _instance_id(ctx)))
    except Exception as exc:
        ctx.cache["ec2:instance:failed"] = explain_error(exc)
        raise


def _status(ctx: Context) -> dict[str, Any] | None:
    return ctx.memo("ec2:instance-status", lambda: fetch_instance_status(_ec2(ctx), _instance_id(ctx)))


@dataclass(frozen=True)
class _Source:
    """The client as far as this account can see it: its network interfaces (empty when it is not
    one of ours), the address the probe uses, and why it could not be resolved, if it could not."""

    enis: tuple[dict[str, Any], ...] = ()
    address: str | None = None
    note: str = ""
    endpoint: dict[str, Any] | None = None  # the EC2 Instance Connect Endpoint the user connects through
    unheld: bool = False  # one address inside a VPC of this account that no interface of this account holds

    @property
    def eni(self) -> dict[str, Any] | None:
        return min(self.enis, key=lambda n: (n.get("Attachment") or {}).get("DeviceIndex", 0), default=None)

    @property
    def group_ids(self) -> list[str]:
        return sorted({g["GroupId"] for n in self.enis for g in n.get("Groups") or []})

    @property
    def subnet_ids(self) -> list[str]:
        return sorted({n["SubnetId"] for n in self.enis if n.get("SubnetId")})


def _looked_up(spec: str) -> bool:
    """IDs, and single addresses that are not on the internet, may be network interfaces of ours."""
    if spec.startswith(("i-", "eni-", "eice-")):
        return True
    block = parse_block(spec)
    single = block.prefixlen == (32 if block.version == 4 else 128)
    return single and not internet_part(block.version, (block.interval,))


def _resolve_source(ctx: Context) -> _Source:
    spec = ctx.inputs.get("source")
    if not spec:
        return _Source()
    spec = str(spec)
    if not _looked_up(spec):
        block = parse_block(spec)
        if internet_part(block.version, (block.interval,)):
            return _public_source(ctx, spec) if block.version == 4 and block.prefixlen == 32 else _Source(address=spec)
        return _Source(address=spec, note=f"{spec} is a range of addresses, not one client, so it was not "
                                          "looked up as a network interface")
    if spec.startswith(("i-", "eni-", "eice-")):
        endpoint = None
        if spec.startswith("eice-"):
            # The endpoint opens the connection to the instance from its own network interface.
            endpoint = fetch_instance_connect_endpoint(_ec2(ctx), spec)
            enis = fetch_enis(_ec2(ctx), endpoint.get("NetworkInterfaceIds") or [])
        else:
            enis = fetch_source_enis(_ec2(ctx), spec)
        if not enis:
            raise LookupError(f"{spec} has no network interface, so there is no address to connect from")
        found = _Source(tuple(enis))
        address = (found.eni or {}).get("PrivateIpAddress")
        return _Source(tuple(enis), f"{address}/32" if address else None, endpoint=endpoint)
    enis = ctx.read(f"the network interface that holds {spec}", lambda: fetch_source_enis(_ec2(ctx), spec))
    if enis is None:
        return _Source(address=spec, note=f"the network interface that holds {spec} could not be looked up")
    if not enis:
        note, unheld = _no_interface(ctx, spec.split("/")[0])
        return _Source(address=spec, note=note, unheld=unheld)
    return _Source(tuple(enis), spec)


def _public_source(ctx: Context, spec: str) -> _Source:
    """A public address held by an instance's network interface of this account is that instance (a
    bastion named by the address people ssh to): from it, the connection to an instance of its VPC or a
    peered one leaves from its private address, the one security groups and group references see. The
    public address of a NAT gateway or another service interface stays an internet client."""
    enis = ctx.read(f"the network interface whose public address is {spec}",
                    lambda: fetch_public_ip_enis(_ec2(ctx), spec), default=[])
    own = [n for n in enis or []
           if (n.get("InterfaceType") or "interface") == "interface" and n.get("PrivateIpAddress")]
    if not own:
        return _Source(address=spec)
    eni = own[0]
    owner = (eni.get("Attachment") or {}).get("InstanceId") or eni["NetworkInterfaceId"]
    note = (f"{spec.split('/')[0]} is the public address of {eni['NetworkInterfaceId']} ({owner}), so the client is "
            f"that interface: from it, a connection to a private address leaves from its private address "
            f"{eni['PrivateIpAddress']}, which is what the instance's rules see.")
    return _Source((eni,), f"{eni['PrivateIpAddress']}/32", note=note)


def _no_interface(ctx: Context, address: str) -> tuple[str, bool]:
    """Why no interface holds ``address``, as far as observed: inside a VPC of this account it names that
    VPC (the client may not be running; the address is then in no security group); outside them all it may
    be elsewhere; unread VPCs claim neither."""
    vpcs = ctx.read(f"the VPCs of this account that could hold {address}", lambda: fetch_vpcs(_ec2(ctx)))
    if vpcs is None:
        return f"no network interface in this account and region holds {address}", False
    held = vpc_holding(vpcs, address)
    if held is not None:
        return (f"no network interface has {address} in {held[0]} ({held[1]}), a VPC of this account: is the "
                "client running?"), True
    return (f"no network interface and no VPC of this account in this region holds {address}: the client may be "
            "in another account or region, on premises or behind a VPN"), False


def _source(ctx: Context) -> _Source:
    """Resolved once per run; a source ID that could not be read skips the steps that need it."""
    if ctx.peek("ssh:source:failed"):
        raise StepSkip("Not checked: it needs the source, which could not be read (see the source step).")
    try:
        return ctx.memo("ssh:source", lambda: _resolve_source(ctx))
    except Exception as exc:
        # Set by the step that sees the failure (never by a reader thread), so that step reports it.
        ctx.cache["ssh:source:failed"] = explain_error(exc)
        raise


def _source_groups(ctx: Context) -> list[dict[str, Any]]:
    ids = _source(ctx).group_ids
    return ctx.memo("ec2:source-security-groups", lambda: fetch_security_groups(_ec2(ctx), ids)) if ids else []


def _groups(ctx: Context) -> list[dict[str, Any]]:
    mine = ctx.memo("ec2:security-groups", lambda: fetch_security_groups(_ec2(ctx), eni_group_ids(_instance(ctx))))
    return _unique(mine + _source_groups(ctx), "GroupId")


def _unique(items: list[dict[str, Any]], key: str) -> list[dict[str, Any]]:
    return list({item[key]: item for item in items}.values())


def _subnets(ctx: Context) -> list[dict[str, Any]]:
    return ctx.memo("ec2:subnets", lambda: fetch_subnets(
        _ec2(ctx), sorted({*subnet_ids(_instance(ctx)), *_source(ctx).subnet_ids})))


def _acls(ctx: Context) -> list[dict[str, Any]]:
    return ctx.memo("ec2:network-acls", lambda: fetch_network_acls(
        _ec2(ctx), sorted({*subnet_ids(_instance(ctx)), *_source(ctx).subnet_ids})))


def _source_vpc(ctx: Context) -> str:
    eni = _source(ctx).eni
    return str(eni.get("VpcId") or "") if eni else ""


def _own_tables(ctx: Context) -> list[dict[str, Any]]:
    instance = _instance(ctx)
    return ctx.memo("ec2:route-tables", lambda: fetch_route_tables(
        _ec2(ctx), instance.get("VpcId", ""), subnet_ids(instance)))


def _tables(ctx: Context) -> list[dict[str, Any]]:
    instance = _instance(ctx)
    mine = _own_tables(ctx)
    source, vpc = _source(ctx), _source_vpc(ctx)
    if not vpc or vpc == instance.get("VpcId"):
        return mine
    # A client in another VPC: its own route table carries the request towards the instance.
    theirs = ctx.memo("ec2:source-route-tables", lambda: fetch_route_tables(_ec2(ctx), vpc, source.subnet_ids))
    return _unique(mine + theirs, "RouteTableId")


def _targets(ctx: Context) -> dict[str, list[dict[str, Any]]]:
    targets = ctx.memo("ec2:route-targets", lambda: fetch_route_targets(
        _ec2(ctx), _instance(ctx).get("VpcId", ""), _tables(ctx)))
    # Every peering connection of the VPCs on the path, routed or not: a missing route over an existing
    # peering is what the route check names, with the peering in its fix.
    vpcs = sorted({_instance(ctx).get("VpcId", ""), _source_vpc(ctx)} - {""})
    address = _source(ctx).address
    if not address or internet_part(parse_block(address).version, (parse_block(address).interval,)):
        return targets  # a client on the internet never comes over a peering connection
    peerings = ctx.read(f"the peering connections of {', '.join(vpcs)}",
                        lambda: fetch_peering_connections(_ec2(ctx), vpcs), default=[],
                        key=f"ec2:peerings:{','.join(vpcs)}")
    tgws = sorted({r["TransitGatewayId"] for t in _tables(ctx) for r in t.get("Routes") or []
                   if r.get("TransitGatewayId")})
    transit = ctx.read(f"the transit gateway attachments and route tables of {', '.join(tgws)}",
                       lambda: fetch_transit(_ec2(ctx), tgws, vpcs), default={},
                       key=f"ec2:transit:{','.join(tgws)}:{','.join(vpcs)}") if tgws else {}
    vpc = _instance(ctx).get("VpcId", "")
    vpn = ctx.read(f"the VPN gateways and connections of {vpc}", lambda: fetch_vpn(_ec2(ctx), vpc), default={},
                   key=f"ec2:vpn:{vpc}")
    return {**targets, **(transit or {}), **(vpn or {}), "vpc_peering_connections": _unique(
        [*targets.get("vpc_peering_connections", []), *peerings], "VpcPeeringConnectionId")}


def _gateways(ctx: Context) -> list[dict[str, Any]]:
    return ctx.memo("ec2:internet-gateways", lambda: fetch_internet_gateways(
        _ec2(ctx), _instance(ctx).get("VpcId", ""), _tables(ctx)))


def _addresses(ctx: Context) -> list[dict[str, Any]]:
    return ctx.memo("ec2:addresses", lambda: fetch_addresses(_ec2(ctx), _instance_id(ctx)))


def _prefix_lists(ctx: Context, groups: bool = False, tables: bool = False,
                  source: bool = True) -> list[dict[str, Any]]:
    ids = prefix_list_ids(_groups(ctx) if groups else (),
                          (_tables(ctx) if source else _own_tables(ctx)) if tables else ())
    # One memo per list, so the verdict step reuses what the group and route steps read.
    return [pl for i in ids
            for pl in ctx.memo(f"ec2:prefix-list:{i}", lambda i=i: fetch_prefix_lists(_ec2(ctx), [i]))]


def _crosses_vpcs(ctx: Context) -> bool:
    vpc = _source_vpc(ctx)
    return bool(vpc) and vpc != _instance(ctx).get("VpcId")


def _links(ctx: Context) -> tuple[list[dict[str, Any]], dict[str, list[dict[str, Any]]]]:
    """How a client in another VPC reaches the instance's: both ends' route tables and the peering
    connections, transit gateways and VPN they name. Every step that judges the client reads them, so
    that no step judges with fewer facts than the verdict (a rule naming the client's group admits it
    across an active peering connection, or a transit gateway with referencing enabled). A step that
    judges something else reads them leniently: a failed read is a missing fact, not the step's failure."""
    if not _crosses_vpcs(ctx):
        return [], {}
    tables = ctx.read("the route tables between the client's VPC and the instance's", lambda: _tables(ctx),
                      default=[])
    if not tables:
        return [], {}
    targets = ctx.read("the peering connections and transit gateways between the client's VPC and the instance's",
                       lambda: _targets(ctx), default={})
    return tables, targets


def _snapshot(ctx: Context, *, groups: bool = False, acls: bool = False, tables: bool = False,
              gateways: bool = False, addresses: bool = False, source: bool = True) -> Snapshot:
    """A snapshot of the parts a step judges, plus (when it judges the client) the links between the
    client's VPC and the instance's, so that every step judges with the same facts as the verdict."""
    instance = _instance(ctx)
    status = _status(ctx)
    # Without the source (the instance and Session Manager steps) only the instance's own side is read.
    targets = _targets(ctx) if tables and source else {}
    route_tables = (_tables(ctx) if source else _own_tables(ctx)) if tables else []
    if source and not tables:
        route_tables, targets = _links(ctx)
    return Snapshot.from_describe(
        instances=[instance],
        instance_statuses=[status] if status else [],
        source_network_interfaces=_source(ctx).enis if source else (),
        security_groups=_groups(ctx) if groups else (),
        subnets=_subnets(ctx) if acls or addresses else (),
        network_acls=_acls(ctx) if acls else (),
        route_tables=route_tables,
        internet_gateways=_gateways(ctx) if gateways else (),
        prefix_lists=_prefix_lists(ctx, groups=groups, tables=tables, source=source),
        addresses=_addresses(ctx) if addresses else (),
        region=ctx.session.region,
        **targets,
    )


def _probe(ctx: Context, source_needed: bool = True) -> Probe:
    if not source_needed:  # the instance's own health: no need to look the client up yet
        return Probe.make(_instance_id(ctx), port=int(ctx.inputs.get("port", 22)))
    source = _source(ctx)
    eni = source.eni
    return Probe.make(_instance_id(ctx), source.address, int(ctx.inputs.get("port", 22)),
                      str(ctx.inputs.get("protocol", "tcp")), source_eni=eni["NetworkInterfaceId"] if eni else None,
                      source_note=source.note, source_unheld=source.unheld)


def _outcome(stage: StageResult, ctx: Context | None = None) -> StepOutcome:
    findings = list(stage.findings)
    ssm: SsmVerdict | None = ctx.peek("ssh:ssm") if ctx is not None else None
    if ctx is not None and any(f.evidence.get("exposes_instance") for f in findings):
        # Never expose the instance first when there is a way in without it: a bastion, else Session Manager.
        way = _way_in(ctx) or (ssm.fix if ssm is not None and ssm.usable else None)
        findings = [guard_exposing(f, way, _private_way(ctx)) for f in findings]
    if ssm is not None:
        # Every blocked hop gets the way around it, or the reason there is none.
        findings = [_with_ssm(f, ssm) if f.severity == "error" else f for f in findings]
    return StepOutcome(STAGE_STATUS.get(stage.status, "warning"), stage.detail, findings)


def _way_in(ctx: Context) -> Fix | None:
    """A bastion the instance's rules trust (an interface with a public address in a group they name), read
    once per run: the groups, then the interfaces in the groups they name."""
    def find() -> Fix | None:
        groups = ctx.read("the instance's security groups", lambda: _groups(ctx), default=[]) or []
        named = sorted({pair["GroupId"] for g in groups for perm in g.get("IpPermissions") or []
                        for pair in perm.get("UserIdGroupPairs") or [] if pair.get("GroupId")})
        if not named:
            return None
        members = ctx.read(f"the network interfaces in {', '.join(named)}",
                           lambda: fetch_group_members(_ec2(ctx), named), default=[]) or []
        snap = Snapshot.from_describe(instances=[_instance(ctx)], security_groups=groups, group_members=members,
                                      region=ctx.session.region)
        return way_in(snap, _probe(ctx))
    return ctx.memo("ssh:way-in", find)


def _private_way(ctx: Context) -> Fix | None:
    """An EC2 Instance Connect Endpoint in the instance's subnet: a way in to create that keeps it private."""
    probe, subnet = _probe(ctx), str(_instance(ctx).get("SubnetId") or "")
    if probe.protocol != TCP or not probe.uses_ports or not subnet:
        return None
    return eice_way(ctx.session.region, probe.instance_id, subnet, probe.port)


def _with_ssm(finding: Finding, ssm: SsmVerdict) -> Finding:
    if ssm.usable and ssm.fix is not None and list(ssm.fix.commands) == finding.remediation:
        return finding  # already the primary fix
    if ssm.usable and ssm.fix is not None:
        return replace(finding, alternatives=[*finding.alternatives, ssm.fix])
    return replace(finding, evidence={**finding.evidence, "session_manager": ssm.evidence()})


def _ssm(ctx: Context) -> SsmVerdict:
    """Whether Session Manager is a way around a blocked path, read once per run."""
    def judge() -> SsmVerdict:
        instance = _instance(ctx)
        iid, region = _instance_id(ctx), ctx.session.region
        port = int(ctx.inputs.get("port", 22))
        info = fetch_ssm_info(ctx.client("ssm"), iid)
        if info is not None:
            return judge_ssm(iid, region, port, info)
        # Not registered: read what may explain why, each read on its own.
        profile = str((instance.get("IamInstanceProfile") or {}).get("Arn") or "")
        policies = ctx.read(f"the managed policies of instance profile {profile.rsplit('/', 1)[-1]}",
                            lambda: fetch_profile_policies(ctx.client("iam"), profile)) if profile else None
        vpc = str(instance.get("VpcId") or "")
        endpoints = ctx.read(f"the Systems Manager interface endpoints of {vpc}",
                             lambda: fetch_ssm_endpoints(_ec2(ctx), vpc, region or "us-east-1"))
        route = internet_route(_snapshot(ctx, tables=True, source=False), iid)
        return judge_ssm(iid, region, port, None, profile_arn=profile, role_policies=policies, endpoints=endpoints,
                         internet_route=route, vpc_id=vpc, subnet_id=str(instance.get("SubnetId") or ""))
    return ctx.memo("ssh:ssm", judge)


def _ssm_step(ctx: Context) -> StepOutcome:
    verdict = _ssm(ctx)
    detail = verdict.detail
    if verdict.usable and verdict.fix is not None:
        detail += f" If the network path is blocked: {verdict.fix.commands[0]}"
    elif verdict.commands:
        detail += " To make it usable: " + "; ".join(verdict.commands)
    return StepOutcome("ok" if verdict.usable else "warning", detail)


def _stage_step(check: Callable[[Snapshot, Probe], StageResult], source: bool = True,
                **parts: bool) -> Callable[[Context], StepOutcome]:
    def run(ctx: Context) -> StepOutcome:
        if not source:
            return _outcome(check(_snapshot(ctx, source=False, **parts), _probe(ctx, source_needed=False)), ctx)
        return _outcome(check(_snapshot(ctx, **parts), _probe(ctx)), ctx)

    return run


def _verdict(ctx: Context) -> StepOutcome:
    snapshot = _snapshot(ctx, groups=True, acls=True, tables=True, gateways=True, addresses=True)
    result = evaluate(snapshot, _probe(ctx))
    ctx.set_graph(result.graph())
    # The blocking findings were reported by the steps that found them; this step adds the verdict.
    status = {"open": "ok", "partial": "warning", "conditional": "problem", "blocked": "problem"}[result.verdict]
    detail = result.summary
    if result.verdict == "blocked":
        detail += " Fix every component listed: each one alone is enough to make the connection time out."
    elif result.verdict == "conditional":
        detail = "Conditional: " + detail + " Fixing the listed components lets every kind of client through."
    return StepOutcome(status, detail, list(result.verdict_findings))


def _plan(ctx: Context) -> None:
    """The reads that need only the inputs start at once; the rest as soon as the instance and the client
    are known (see :func:`_plan_path`)."""
    ctx.prefetch("ec2:instance", lambda: fetch_instance(_ec2(ctx), _instance_id(ctx)))
    ctx.prefetch("ec2:instance-status", lambda: fetch_instance_status(_ec2(ctx), _instance_id(ctx)))
    ctx.prefetch("ec2:addresses", lambda: fetch_addresses(_ec2(ctx), _instance_id(ctx)))
    ctx.prefetch("ssh:source", lambda: _resolve_source(ctx))
    ctx.prefetch("ssh:plan:path", lambda: _plan_path(ctx))


def _plan_path(ctx: Context) -> None:
    """Once the instance and the client are read (a failure of either stops here: the steps report it),
    every part of the path is asked for at once. Each read goes through the accessor a step uses, so it
    is the same read under the same key; the steps wait for the parts they judge."""
    ctx.memo("ec2:instance", lambda: fetch_instance(_ec2(ctx), _instance_id(ctx)))
    ctx.memo("ssh:source", lambda: _resolve_source(ctx))
    parts: dict[str, Callable[[Context], Any]] = {
        "ssm": _ssm, "groups": _groups, "subnets": _subnets, "acls": _acls, "own-tables": _own_tables,
        "tables": _tables, "gateways": _gateways, "targets": _targets,
        "prefix-lists": lambda c: _prefix_lists(c, groups=True, tables=True),
        "own-prefix-lists": lambda c: _prefix_lists(c, tables=True, source=False),
    }
    for name, accessor in parts.items():
        ctx.prefetch(f"ssh:plan:{name}", lambda accessor=accessor: accessor(ctx))


# --- the steps -------------------------------------------------------------------------------

INSTANCE_STEP = Step(
    id="instance",
    title="Is the instance running and healthy?",
    why=(
        "Before blaming the network, make sure something is there to answer. A stopped instance, one "
        "still booting, or one whose status checks fail (a broken host, a kernel that did not boot, a full "
        "disk) times out exactly like a firewall would. EC2 runs two checks: the system check watches the "
        "AWS hardware under the instance, the instance check watches the operating system."
    ),
    good="The instance is running and both status checks passed.",
    run=_stage_step(check_instance, source=False),
)

def _source_step(ctx: Context) -> StepOutcome:
    outcome = _stage_step(check_source, groups=True, acls=True, tables=True)(ctx)
    source = _source(ctx)
    if source.enis and source.note:  # how the client was recognised (its public address)
        outcome = replace(outcome, detail=f"{source.note} {outcome.detail}")
    endpoint = source.endpoint
    if endpoint is None:
        return outcome
    eice, state = endpoint.get("InstanceConnectEndpointId", ""), endpoint.get("State", "")
    words = (f"The connection goes through EC2 Instance Connect Endpoint {eice} in {endpoint.get('SubnetId', '?')}, "
             f"which opens it from its own network interface and security groups "
             f"({', '.join(endpoint.get('SecurityGroupIds') or []) or 'none'}).")
    if endpoint.get("PreserveClientIp"):
        words += (" It preserves the client's IP address: the instance's rules must then allow your own address "
                  "as well; run again with source set to it to check that leg.")
    findings = list(outcome.findings)
    status = outcome.status
    if state != "create-complete":
        summary = (f"EC2 Instance Connect Endpoint {eice} is {state or 'in an unknown state'}, not create-complete, "
                   "so it cannot open connections.")
        findings.append(Finding("BAD_STATE", "error", eice, summary,
                                {"state": state, "message": endpoint.get("StateMessage", "")},
                                [aws(ctx.session.region, "ec2 describe-instance-connect-endpoints",
                                     f"--instance-connect-endpoint-ids {eice}")]))
        status = "problem"
        words += " " + summary
    return StepOutcome(status, f"{words} {outcome.detail}", findings)


SOURCE_STEP = Step(
    id="source",
    title="Who connects, and does their own side let the connection out?",
    why=(
        "Most SSH in production comes from a bastion or another instance, not straight from a laptop. When "
        "the source is an instance, a network interface or a private address this account can see, "
        "awstriage finds its network interface: its security groups decide whether rules that name a "
        "group admit it, its outbound rules must let the connection out, and its own subnet's network ACL "
        "must let the request out and the replies back in. A client on the internet or in another account "
        "is not visible from here; the rules that can only be judged with it are named."
    ),
    good="The client's groups let the connection out and its subnet's network ACL passes it both ways.",
    run=_source_step,
)

SSM_STEP = Step(
    id="session-manager",
    title="Is there a way in around the network (Session Manager)?",
    why=(
        "While the network path is being fixed you may still need a shell. Session Manager needs no open "
        "port and no route from you: the SSM agent on the instance calls out to Systems Manager, using the "
        "permissions of its instance profile, over a route to the internet or through interface endpoints "
        "for ssm, ssmmessages and ec2messages. If the agent is online, every blocked hop below also offers "
        "'aws ssm start-session' as an alternative; if not, this step says why."
    ),
    good="The SSM agent is online: aws ssm start-session works whatever the network path does.",
    run=_ssm_step,
    decides=False,
)

SECURITY_GROUP_STEP = Step(
    id="security-groups",
    title="Do the security groups let the connection in?",
    why=(
        "A security group is a firewall on the instance's network interface. It only has allow rules, and "
        "the rules of every group on the interface add up. It is stateful: once a connection is let in, "
        "the replies go out whatever the outbound rules say. A rule matches on protocol, port and source "
        "(an address range, a prefix list, or another security group, which only matches traffic from "
        "instances in that group, never from the internet)."
    ),
    good="An inbound rule allows your protocol and port from your address (or a range that contains it).",
    run=_stage_step(check_security_groups, groups=True),
)

NACL_STEP = Step(
    id="network-acl",
    title="Does the subnet's network ACL let packets in and replies out?",
    why=(
        "A network ACL filters traffic at the edge of the subnet. Unlike a security group it is stateless: "
        "it judges every packet on its own, so it must allow the request coming in and, separately, the "
        "reply going out. Rules are read in number order and the first match wins; what matches no rule "
        "is denied. The classic trap: the reply goes to your client's ephemeral port, anywhere in "
        "1024-65535, so the outbound rules must allow that whole range back to you."
    ),
    good="Inbound allows your port from your address; outbound allows ports 1024-65535 back to it.",
    run=_stage_step(check_network_acl, acls=True),
)

ROUTE_STEP = Step(
    id="route-table",
    title="Is there a route back to you?",
    why=(
        "The replies leave through the subnet's route table: its own, or the VPC's main table when the "
        "subnet has none. The most specific route that contains your address wins. For a client on the "
        "internet, that route must lead to an internet gateway; a route to a NAT gateway, a missing route "
        "or a blackhole route (whose target was deleted) makes the connection time out, because the "
        "request arrives but no answer comes back."
    ),
    good="The best route to your address goes to the VPC's internet gateway (usually 0.0.0.0/0 -> igw-...).",
    run=_stage_step(check_route_table, tables=True, gateways=True),
)

GATEWAY_STEP = Step(
    id="internet-gateway",
    title="Can the internet address the instance?",
    why=(
        "From the internet you connect to a public address, and the VPC's internet gateway translates it "
        "to the instance's private one. That needs two things: an internet gateway attached to the VPC, "
        "and a public IPv4 address or Elastic IP on the instance's network interface. A private-only "
        "instance cannot be reached from the internet at all, whatever the firewalls say."
    ),
    good="The network interface has a public or Elastic IP and the VPC has an attached internet gateway.",
    run=_stage_step(check_gateway, tables=True, gateways=True, addresses=True),
)

VERDICT_STEP = Step(
    id="verdict",
    title="The whole path, both ways",
    why=(
        "A connection works only if every component lets the request in and the reply out. This step "
        "puts the path together (client, internet gateway, route table, network ACL, security groups, "
        "instance, and back) and draws it, with every component that drops the packets marked. When the "
        "path is open, what is left is what the AWS API cannot see: the SSH daemon, the host firewall, "
        "the key and the user name."
    ),
    good="The path is open both ways; if SSH still fails, check the instance itself.",
    run=_verdict,
)

PLAYBOOK = Playbook(
    name="ssh-timeout",
    title="SSH connection times out",
    purpose="Walks the network path to an EC2 instance and names the security group, network ACL, "
            "route or address that drops the packets.",
    params=PARAMS,
    steps=(IDENTITY_STEP, INSTANCE_STEP, SSM_STEP, SOURCE_STEP, SECURITY_GROUP_STEP, NACL_STEP, ROUTE_STEP,
           GATEWAY_STEP, VERDICT_STEP),
    default_scenario="ssh-nacl-return-traffic",
    plan=_plan,
)
