"""Is the instance reachable on a port from a client, and if not, which components drop the packets?

Pure functions of a Snapshot and a Probe, with AWS semantics:

- the instance must be running with both status checks passed;
- security groups are stateful allow lists: the rules of every group on the ENI add up, and a group
  with no outbound rule still answers;
- network ACLs are stateless and checked both ways, rules in number order, first match wins, the
  implicit deny last; replies go from the instance's port to the client's ephemeral ports
  1024-65535, all of which the outbound rules must allow;
- replies follow the subnet's route table (its own association, else the VPC's main table) by
  longest prefix match; to reach an internet client that route must lead to an internet gateway
  attached to the VPC, and the ENI needs a public or Elastic IP for the gateway to deliver to.

Every stage reports every blocking component, not just the first, as one Finding each, named with
the Reachability Analyzer explanation code where one fits.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any

from diagnostics.findings import Finding, Fix
from diagnostics.reachability import remediation as fix
from diagnostics.reachability.addresses import (
    EPHEMERAL,
    INTERNET_V4,
    Block,
    Intervals,
    internet_part,
    intersect,
    normalize,
    parse_block,
    ports_text,
    set_text,
    subtract,
)
from diagnostics.reachability.ephemeral import ReplyCoverage, reply_coverage
from diagnostics.reachability.repair import route_repair
from diagnostics.reachability.rules import (
    ECHO_REPLY,
    ECHO_REQUEST,
    NaclDecision,
    NaclVerdict,
    RouteDecision,
    nacl_check,
    route_lookup,
    sg_egress,
    sg_ingress,
)
from diagnostics.reachability.snapshot import (
    ICMP,
    ICMPV6,
    TARGET_WORDS,
    TCP,
    UDP,
    Eni,
    Instance,
    NetworkAcl,
    RouteTable,
    SecurityGroup,
    Snapshot,
    VpnConnection,
    VpnGateway,
    protocol_name,
    protocol_number,
)
from diagnostics.reachability.transit import TransitResult, tgw_hop

if TYPE_CHECKING:
    import networkx as nx

# Route targets that can carry replies to a client on a private network (peered VPC, VPN, Direct
# Connect, an appliance); an internet client needs an internet gateway.
WRONG_TARGET_WHY = {
    "eigw": " An egress-only internet gateway never lets a connection in.",
    "nat": " A NAT gateway rewrites the source address, so the client drops the reply.",
}
PRIVATE_TARGETS = {"pcx", "tgw", "vgw", "eni", "instance", "lgw", "core-network", "local"}
APPLIANCE_TARGETS = {"eni", "instance"}


@dataclass(frozen=True)
class Probe:
    """The question: can ``source`` reach ``instance_id`` on ``protocol``/``port``?

    ``source`` None means any internet address: the check assumes it and says so.
    """

    instance_id: str
    source: Block | None = None
    port: int = 22
    protocol: int = TCP
    # The client's network interface, when the source resolved to one (Snapshot.source_enis), and
    # otherwise why it could not be (another account, on premises, a range rather than one client).
    source_eni: str | None = None
    source_note: str = ""
    # The source is one address inside a VPC of this account that no network interface of this account
    # holds: it is in no security group, so no rule naming a group admits it.
    source_unheld: bool = False

    @classmethod
    def make(cls, instance_id: str, source: str | Block | None = None, port: int = 22,
             protocol: str | int = "tcp", source_eni: str | None = None, source_note: str = "",
             source_unheld: bool = False) -> Probe:
        block = parse_block(source) if isinstance(source, str) else source
        proto = protocol_number(protocol)
        if block is not None and block.version == 6 and proto == ICMP:
            proto = ICMPV6
        return cls(instance_id, block, int(port), proto, source_eni, source_note, source_unheld)

    @property
    def version(self) -> int:
        return self.source.version if self.source else 4

    @property
    def assumed(self) -> bool:
        return self.source is None

    @property
    def sources(self) -> Intervals:
        return ((self.source.lo, self.source.hi),) if self.source else INTERNET_V4

    @property
    def source_text(self) -> str:
        return self.source.text if self.source else "any internet address"

    @property
    def uses_ports(self) -> bool:
        return self.protocol in (TCP, UDP)

    @property
    def what(self) -> str:
        return fix.packet_words(self.protocol, self.port)


@dataclass(frozen=True)
class Hop:
    """What one component does to the packets in one direction, for the path graph."""

    node: str  # the component's ID: also the graph node
    # client | internet_gateway | gateway | route_table | network_acl | security_group | eni | instance
    kind: str
    label: str
    direction: str  # forward | return
    verdict: str  # allow | deny | warn (allowed for part of the sources)
    rule: str  # the rule or route that admits or drops the packets, in words
    condition: str = ""  # set when the hop drops the packets only for some kinds of client


@dataclass
class StageResult:
    stage: str
    status: str  # ok | blocked | warning | skipped
    detail: str
    findings: list[Finding] = field(default_factory=list)
    hops: list[Hop] = field(default_factory=list)


@dataclass
class PathResult:
    probe: Probe
    stages: list[StageResult]
    verdict: str  # open | partial | conditional (blocked for some kinds of client) | blocked
    summary: str
    path_kind: str  # internet | private | vpc
    verdict_findings: list[Finding] = field(default_factory=list)

    @property
    def findings(self) -> list[Finding]:
        return [f for s in self.stages for f in s.findings] + self.verdict_findings

    @property
    def hops(self) -> list[Hop]:
        return [h for s in self.stages for h in s.hops]

    def stage(self, name: str) -> StageResult:
        return next(s for s in self.stages if s.stage == name)

    def graph(self) -> nx.DiGraph:
        from diagnostics.reachability.graph import build_graph

        return build_graph(self)


# --- shared context --------------------------------------------------------------------------


@dataclass
class _Path:
    snap: Snapshot
    probe: Probe
    instance: Instance
    eni: Eni | None
    table: RouteTable | None
    table_is_main: bool
    local: Intervals  # the VPC's own addresses (local routes) in the probe's family

    @property
    def region(self) -> str:
        return self.snap.region

    @property
    def source(self) -> Eni | None:
        """The client's own network interface, when the source resolved to one."""
        return self.snap.source_enis.get(self.probe.source_eni or "")

    @property
    def same_subnet(self) -> bool:
        """Traffic between two addresses of one subnet never crosses its network ACL."""
        subnet = self.snap.subnets.get(self.subnet_id)
        if self.source is not None:
            return self.source.subnet_id == self.subnet_id
        if subnet is None or subnet.cidr is None or self.probe.source is None:
            return False
        return subnet.cidr.contains(self.probe.source)

    @property
    def vpc_id(self) -> str:
        return (self.eni.vpc_id if self.eni else "") or self.instance.vpc_id

    @property
    def subnet_id(self) -> str:
        return (self.eni.subnet_id if self.eni else "") or self.instance.subnet_id

    @property
    def outside(self) -> Intervals:
        return subtract(self.probe.sources, self.local)

    @property
    def internet(self) -> Intervals:
        return internet_part(self.probe.version, self.outside)

    @property
    def private(self) -> Intervals:
        return subtract(self.outside, self.internet)

    @property
    def kind(self) -> str:
        if self.internet:
            return "internet"
        return "private" if self.private else "vpc"

    @property
    def public_address(self) -> str | None:
        if self.eni is None:
            return None
        if self.probe.version == 6:
            return self.eni.ipv6_addresses[0] if self.eni.ipv6_addresses else None
        return self.eni.public_ip

    def destination(self) -> str:
        if self.eni is None:
            return self.instance.id
        public = self.public_address
        if public and self.kind == "internet":
            return f"{public} ({self.eni.id}, private {self.eni.private_ip})"
        return f"{self.eni.private_ip} ({self.eni.id})"

    def packet(self, direction: str) -> dict[str, Any]:
        p = self.probe
        client = p.source_text + (" (assumed: no source was given)" if p.assumed else "")
        if direction == "inbound":
            return {"direction": "inbound", "protocol": protocol_name(p.protocol),
                    "port": p.port if p.uses_ports else None, "source": client,
                    "destination": self.destination()}
        return {"direction": "return", "protocol": protocol_name(p.protocol),
                "source_port": p.port if p.uses_ports else None,
                "destination_ports": f"{EPHEMERAL[0]}-{EPHEMERAL[1]}" if p.uses_ports else None,
                "source": self.destination(), "destination": client}

    def part(self, addresses: Intervals) -> str:
        """Words for a subset of the sources: the whole client, or which part of it."""
        sources = normalize(self.probe.sources)
        addresses = normalize(addresses)
        if addresses == sources:
            return self.probe.source_text
        rest = subtract(sources, addresses)
        if self.probe.assumed and len(rest) < len(addresses):
            # "Every internet address but two blocks" reads better than eighty blocks.
            return f"any internet address outside {set_text(self.probe.version, rest)}"
        return set_text(self.probe.version, addresses)


def target_eni(instance: Instance, probe: Probe) -> Eni | None:
    """The ENI the client connects to: for internet clients the first one with a public address of
    the probe's family, else the primary."""
    if not instance.enis:
        return None
    for eni in instance.enis:
        if (probe.version == 4 and eni.public_ip) or (probe.version == 6 and eni.ipv6_addresses):
            return eni
    return instance.enis[0]


def _context(snap: Snapshot, probe: Probe) -> _Path:
    instance = snap.instances.get(probe.instance_id)
    if instance is None:
        raise LookupError(f"the snapshot holds no instance {probe.instance_id}")
    eni = target_eni(instance, probe)
    subnet_id = (eni.subnet_id if eni else "") or instance.subnet_id
    vpc_id = (eni.vpc_id if eni else "") or instance.vpc_id
    table, is_main = snap.route_table_for(subnet_id, vpc_id)
    local: list[tuple[int, int]] = []
    if table is not None:
        local = [r.destination.interval for r in table.routes
                 if r.target_kind == "local" and r.destination and r.destination.version == probe.version]
    subnet = snap.subnets.get(subnet_id)
    if not local and subnet is not None and subnet.cidr is not None and probe.version == 4:
        local = [subnet.cidr.interval]
    return _Path(snap, probe, instance, eni, table, is_main, normalize(local))


def _status(findings: list[Finding]) -> str:
    if any(f.severity == "error" for f in findings):
        return "blocked"
    return "warning" if any(f.severity == "warning" for f in findings) else "ok"


def _no_eni(stage: str) -> StageResult:
    return StageResult(stage, "skipped", "The instance has no network interface (is it terminated?), "
                                         "so there is no network path to check.")


# --- 1. the instance -------------------------------------------------------------------------

STATE_WORDS = {
    "stopped": ("error", "is stopped, so nothing on it can answer"),
    "stopping": ("error", "is stopping, so nothing on it can answer"),
    "pending": ("warning", "is still starting (pending); try again in a minute"),
    "shutting-down": ("error", "is shutting down for good (terminated instances cannot be started again)"),
    "terminated": ("error", "is terminated: it cannot be started again; launch a replacement"),
}


def check_instance(snap: Snapshot, probe: Probe) -> StageResult:
    path = _context(snap, probe)
    inst, region = path.instance, path.region
    problems: list[str] = []
    severity = "warning"
    commands: list[str] = []
    ids = f"--instance-ids {inst.id}"
    if inst.state != "running":
        sev, words = STATE_WORDS.get(inst.state, ("error", f"is {inst.state}"))
        severity = sev
        problems.append(words)
        if inst.state == "stopped":
            commands = [fix.aws(region, "ec2 start-instances", ids),
                        fix.aws(region, "ec2 wait instance-status-ok", ids)]
        elif inst.state == "stopping":
            commands = [fix.aws(region, "ec2 wait instance-stopped", ids),
                        fix.aws(region, "ec2 start-instances", ids)]
        elif inst.state == "pending":
            commands = [fix.aws(region, "ec2 wait instance-status-ok", ids)]
    else:
        if inst.system_status == "impaired":
            severity = "error"
            problems.append("fails its system status check: the AWS host under it has a problem "
                            "(a stop and start moves it to healthy hardware)")
            commands += [fix.aws(region, "ec2 stop-instances", ids),
                         fix.aws(region, "ec2 wait instance-stopped", ids),
                         fix.aws(region, "ec2 start-instances", ids)]
        if inst.instance_status == "impaired":
            severity = "error"
            problems.append("fails its instance status check: the operating system is not answering "
                            "(boot failure, full disk, kernel panic or a broken network setup inside the OS)")
            commands += [fix.aws(region, "ec2 get-console-output", f"--instance-id {inst.id}", "--latest",
                                 "--output text"),
                         fix.aws(region, "ec2 reboot-instances", ids)]
        if not problems and "initializing" in (inst.system_status, inst.instance_status):
            problems.append("is still running its first status checks (initializing): it booted moments ago")
            commands = [fix.aws(region, "ec2 wait instance-status-ok", ids)]
    checks = (f"system status {inst.system_status or 'unknown'}, instance status "
              f"{inst.instance_status or 'unknown'}")
    hops = [Hop(inst.id, "instance", inst.label, "forward", "allow" if not problems else
                ("deny" if severity == "error" else "warn"),
                f"{inst.state}; {checks}")]
    if path.eni is not None:
        eni = path.eni
        hops += [
            Hop(eni.id, "eni", f"{eni.id} {eni.private_ip}", "forward", "allow",
                f"delivered to private address {eni.private_ip}"),
            Hop(eni.id, "eni", f"{eni.id} {eni.private_ip}", "return", "allow",
                "security groups are stateful: the reply to an admitted connection always leaves"),
        ]
    if not problems:
        return StageResult("instance", "ok", f"{inst.label} is running and passed both status checks "
                           f"({checks}).", hops=hops)
    summary = f"Instance {inst.label} " + "; it also ".join(problems) + "."
    finding = Finding(
        code="BAD_STATE",
        severity=severity,  # type: ignore[arg-type]
        resource=inst.id,
        summary=summary,
        evidence={"state": inst.state, "state_reason": inst.state_reason, "system_status": inst.system_status,
                  "instance_status": inst.instance_status, "packet": path.packet("inbound")},
        remediation=commands,
    )
    return StageResult("instance", _status([finding]), summary, [finding], hops)


# --- 2. security groups ----------------------------------------------------------------------


def _sg_fix_target(groups: list[SecurityGroup], same_port: list[Any]) -> SecurityGroup | None:
    """The group a new rule best goes in: one that already has rules for this port, else the first."""
    with_port = {r.group_id for r in same_port}
    return next((g for g in groups if g.id in with_port), groups[0] if groups else None)


def check_security_groups(snap: Snapshot, probe: Probe) -> StageResult:
    path = _context(snap, probe)
    if path.eni is None:
        return _no_eni("security_groups")
    eni, v = path.eni, probe.version
    groups = [snap.security_groups[g] for g in eni.group_ids if g in snap.security_groups]
    missing = [g for g in eni.group_ids if g not in snap.security_groups]
    verdict = sg_ingress(groups, snap.prefix_lists, v, probe.sources, probe.protocol, probe.port)
    src = path.source
    refs = sorted({r.referenced_group_id or "" for r in verdict.group_references})
    target = parse_block(eni.private_ip) if eni.private_ip else None
    reach = reference_reach(snap, src, path.vpc_id, target) if src is not None else RefReach("no")
    naming = [r for r in verdict.group_references if src is not None and r.referenced_group_id in src.group_ids]
    if src is not None and path.kind != "internet" and reach.state == "yes":
        # The client's own interface is known: a rule naming one of its groups admits it (over its
        # private address, the only one group references see) wherever the link carries references.
        verdict.by_rule += [(r, probe.sources) for r in naming]
        if naming:
            verdict.admitted = normalize([*verdict.admitted, *probe.sources])
    blocked = subtract(probe.sources, verdict.admitted)
    # A rule naming another group admits only ENIs in that group: never an internet client, maybe
    # a client inside the VPC or a peered one, which cannot be told from an address alone; nor one whose
    # link to this VPC could not be read.
    # An address no interface holds is in no group: the rules naming groups are judged, and admit nothing.
    unheld = src is None and probe.source_unheld and bool(verdict.group_references)
    uncertain = subtract(blocked, internet_part(v, blocked)) if (
        (verdict.group_references and src is None and not unheld) or (naming and reach.state == "unknown")) else ()
    names = ", ".join(g.label for g in groups) or "none"
    hops: list[Hop] = []
    admitting = {r.group_id for r, _ in verdict.by_rule}
    for g in groups:
        own = [r for r, _ in verdict.by_rule if r.group_id == g.id]
        if not blocked:
            hop_verdict = "allow"
        elif verdict.admitted or uncertain:
            hop_verdict = "warn"
        else:
            hop_verdict = "deny"
        if own:
            rule = own[0].describe()
        elif admitting:
            rule = f"no rule of its own; {', '.join(sorted(admitting))} admits it (the groups add up)"
        else:
            ports = [r.describe() for r in verdict.same_port_rules if r.group_id == g.id]
            rule = (f"no inbound rule allows {probe.what} from {probe.source_text}"
                    + (f" (it has: {'; '.join(ports)})" if ports else ""))
        hops.append(Hop(g.id, "security_group", g.label, "forward", hop_verdict, rule))
    if missing:
        hops.append(Hop(missing[0], "security_group", missing[0], "forward", "warn", "not in the snapshot"))
    if not blocked:
        how = "; ".join(sorted({r.describe() for r, _ in verdict.by_rule}))
        detail = (f"The security groups on {eni.id} ({names}) allow {probe.what} from {probe.source_text}: "
                  f"{how}. They are stateful, so the replies go out whatever the outbound rules say.")
        if probe.assumed:
            detail += " (No source was given, so awstriage checked for any internet address.)"
        return StageResult("security_groups", "ok", detail, hops=hops)
    if missing and not groups:
        detail = (f"The security groups of {eni.id} ({', '.join(missing)}) could not be read, so they were "
                  "not checked.")
        return StageResult("security_groups", "warning", detail, hops=hops)

    target = _sg_fix_target(groups, verdict.same_port_rules)
    cidr, pre = fix.client_cidr(probe.source, v)
    commands = list(pre)
    alternatives: list[Fix] = []
    if target is not None:
        by_address = fix.sg_ingress(path.region, target.id, probe.protocol, probe.port, cidr, v)
        lists = [snap.prefix_lists[r.prefix_list_id] for r in verdict.same_port_rules
                 if r.prefix_list_id and r.prefix_list_id in snap.prefix_lists
                 and not snap.prefix_lists[r.prefix_list_id].aws_managed]
        if lists and src is None:
            # The group already trusts a list of addresses for this port: the client belongs in the list,
            # so every group and route that uses it follows (and the group stays as reviewed).
            pl = lists[0]
            commands.append(fix.prefix_list_add(path.region, pl.id, pl.version, cidr))
            alternatives.append(Fix((by_address,), f"allow {cidr} in {target.id} itself instead of in {pl.id}",
                                    "bypasses the prefix list the group is managed by"))
            if pl.max_entries is not None and len(pl.cidrs) >= pl.max_entries:
                alternatives.insert(0, Fix((fix.aws(path.region, "ec2 modify-managed-prefix-list",
                                                    f"--prefix-list-id {pl.id}",
                                                    f"--max-entries {pl.max_entries + 1}"),),
                                           f"{pl.id} is full ({pl.max_entries} entries): raise its size first",
                                           "each group rule that uses the list counts its size against the "
                                           "group's rule quota"))
        elif src is not None and src.group_ids and path.kind != "internet" and reach.state == "yes":
            # Naming the client's group keeps working when its address changes.
            commands.append(fix.sg_ingress_from_group(path.region, target.id, probe.protocol, probe.port,
                                                      src.group_ids[0]))
            alternatives.append(Fix((by_address,), f"allow {cidr} by address instead of by group",
                                    "breaks again when the client's address changes"))
        else:
            commands.append(by_address)
    same_port = sorted({r.describe() for r in verdict.same_port_rules})
    full_block = not verdict.admitted and not uncertain
    if full_block:
        summary = (f"No security group on {eni.id} ({names}) allows inbound {probe.what} from "
                   f"{probe.source_text}, so the packets are dropped at the instance's door.")
        if same_port:
            summary += f" The rules for this port allow only: {'; '.join(same_port)}."
        named = sorted(set(refs) & set(src.group_ids)) if src is not None else []
        if src is not None and named:
            summary += (f" A rule names the client's group {', '.join(named)}, but {reach.why}: allow its address "
                        "instead.")
            alternatives += list(reach.fixes)
        elif src is not None and refs:
            summary += (f" The rules that name {', '.join(refs)} admit only network interfaces in "
                        f"{'that group' if len(refs) == 1 else 'those groups'}; the client {src.label} is in "
                        f"{', '.join(src.group_ids) or 'no group'}, which none of them names.")
        elif unheld:
            summary += (f" The rules that name {', '.join(refs)} admit only network interfaces in "
                        f"{'that group' if len(refs) == 1 else 'those groups'}, and "
                        f"{probe.source_note.split(': ', 1)[0]}: an address no interface holds is in no security "
                        "group, so those rules cannot admit it (is the client running?). Connect from a member of "
                        f"{'that group' if len(refs) == 1 else 'those groups'} (the first command lists them), "
                        "or run again with source set to the instance you really connect from.")
            commands = [fix.aws(path.region, "ec2 describe-instances",
                                f"--filters Name=instance.group-id,Values={','.join(refs)}",
                                "--query 'Reservations[].Instances[].[InstanceId,PrivateIpAddress,PublicIpAddress]'",
                                "--output text")]
            alternatives = [Fix((*pre, by_address) if target is not None else tuple(pre),
                                f"allow {cidr} by address in {target.id if target else eni.id}",
                                f"admits whatever holds {cidr} later, whether or not it is in {', '.join(refs)}")]
        if probe.assumed:
            summary += " No source was given, so awstriage checked for any internet address."
    else:
        admitted_words = set_text(v, verdict.admitted) if verdict.admitted else "no address"
        summary = (f"The security groups on {eni.id} ({names}) allow {probe.what} only from "
                   f"{admitted_words}, not from {path.part(blocked)}.")
        if uncertain and src is not None:
            named_here = ", ".join(sorted({r.referenced_group_id or "" for r in naming}))
            summary += (f" A rule names the client's group {named_here}, and whether it admits the client cannot be "
                        f"told: {reach.why}.")
        elif uncertain:
            why = probe.source_note or "an address alone does not say which groups its interface is in"
            summary += (f" Rules that name {', '.join(refs)} admit only network interfaces in "
                        f"{'that group' if len(refs) == 1 else 'those groups'}, so they can be judged only with "
                        f"the client's own interface: {why.rstrip('.')}. Run again with source set to the "
                        "client's instance or network interface ID, or check that its security group is "
                        f"{' or '.join(refs)}; for a client in another account, the rule must name that "
                        "account's group (123456789012/sg-...).")
        if probe.assumed:
            summary += (" No source was given: run again with source set to your public IP to know which "
                        "side you are on.")
    if verdict.unknown_prefix_lists:
        summary += " Some rules use prefix lists that could not be read: " + ", ".join(
            sorted({r.prefix_list_id or "" for r in verdict.unknown_prefix_lists})) + "."
    exposes: dict[str, str] = {}
    if path.kind == "internet" and verdict.group_references and commands:
        exposes = {"exposes_instance": (f"opens {probe.what} of the instance to {cidr} on the internet, around the "
                                        f"group{'s' if len(refs) > 1 else ''} {', '.join(refs)} its rules trust"),
                   "exposing_fix": f"allow {cidr} from the internet in {target.id if target else eni.id}"}
    condition = ""
    if full_block and unheld:
        condition = (f"Blocked unless an interface this account cannot list holds {probe.source_text} (in a subnet "
                     "shared with another account through AWS RAM).")
    elif uncertain and src is not None and not verdict.admitted:
        condition = (f"Blocked unless security group references reach {path.vpc_id} from {src.vpc_id}, which could "
                     f"not be told: {reach.why}.")
    finding = Finding(
        code="ENI_SG_RULES_MISMATCH",
        severity="error" if full_block or condition else "warning",
        resource=target.id if target else eni.id,
        summary=summary,
        certainty="conditional" if condition else "certain",
        condition=condition,
        evidence={
            "packet": path.packet("inbound"),
            "network_interface": eni.id,
            "security_groups": [{"id": g.id, "name": g.name,
                                 "inbound_rules": [r.describe() for r in g.ingress]} for g in groups],
            "rules_for_this_port": same_port,
            "admitted_sources": set_text(v, verdict.admitted) if verdict.admitted else "",
            "dropped_sources": path.part(blocked),
            "assumed_source": probe.assumed,
            "client_interface": ({"id": src.id, "instance": src.instance_id, "groups": list(src.group_ids)}
                                 if src is not None else None),
            "group_rules_unjudged": refs if uncertain else [],
            **exposes,
        },
        remediation=commands,
        alternatives=alternatives,
    )
    return StageResult("security_groups", _status([finding]), summary, [finding], hops)


# --- 2b. the client's own side ---------------------------------------------------------------


def _source_node(path: _Path, component: str) -> str:
    """A graph node for a component on the client's side: its ID, unless the instance's side uses the
    same component (one ACL for both subnets, one group on both ENIs), which then gets its own node."""
    eni = path.eni
    target_side = {*(eni.group_ids if eni else ()), getattr(path.snap.network_acl_for(path.subnet_id), "id", "")}
    return f"{component} (client side)" if component in target_side else component


def _client_route(path: _Path, src: Eni, dest: Intervals, target: Block) -> tuple[Finding | None, list[Hop], str]:
    """The request's first routing decision: the client's subnet must send the instance's address over a
    peering connection (or transit gateway, VPN) that leads to the instance's VPC."""
    snap, region = path.snap, path.region
    table, is_main = snap.route_table_for(src.subnet_id, src.vpc_id)
    if table is None:
        return None, [], f"The route table of the client's subnet {src.subnet_id} was not read."
    label = f"{table.id} (the client's{' main' if is_main else ''} route table)"
    decision = next(iter(route_lookup(table, snap.prefix_lists, target.version, dest)), None)
    route = decision.route if decision else None
    problem = ""
    bad_state = False  # the route exists but its target cannot carry traffic (BAD_STATE_ROUTE)
    if route is None:
        problem = f"has no route to {target.text}"
    elif route.blackhole:
        problem, bad_state = f"sends {target.text} to a blackhole route ({route.describe()})", True
    elif (down := _target_down(snap, src.vpc_id, route.target_kind, route.target_id)):
        problem, bad_state = f"sends {target.text} over {route.describe()}, but {down}", True
    elif route.target_kind in ("igw", "nat", "eigw"):
        kind = TARGET_WORDS.get(route.target_kind, route.target_kind)
        problem = (f"sends {target.text} to {kind} {route.target_id} ({route.describe()}), which cannot carry "
                   "packets to another VPC's private address")
    elif route.target_kind == "pcx" and (beyond := _beyond_peering(snap, src.vpc_id, route.target_id, dest)):
        problem = f"sends {target.text} over {route.describe()}, but {beyond}"
    node = f"{table.id} (client side)" if table.id == getattr(path.table, "id", "") else table.id
    if not problem:
        assert route is not None
        hop = Hop(node, "source_route_table", label, "forward", "allow", route.describe())
        words = f"The client's subnet uses {label}, which reaches {target.text} through {route.describe()}."
        transit = (tgw_hop(snap, route.target_id, src.vpc_id, path.vpc_id, dest, target.version,
                           path.packet("inbound")) if route.target_kind == "tgw" else None)
        if transit is None:
            return None, [hop], words
        hops = [hop, *_transit_hops([transit], "forward")]
        return (transit.findings[0] if transit.findings else None), hops, f"{words} {transit.words}"
    towards = peering_towards(snap, src.vpc_id, dest)
    commands: list[str] = []
    summary = (f"The client's subnet {src.subnet_id} uses {label}, which {problem}, so the request never reaches "
               f"{path.vpc_id}.")
    repaired = route_repair(snap, table.id, route) if bad_state and route is not None else None
    extra: dict[str, Any] = {}
    if repaired is not None:
        commands += repaired.commands
        summary += repaired.words
        extra = {"title": repaired.title, "route_target": route.target_id if route else ""}
    elif towards is not None:
        pcx, cidr = towards
        exists = any(r.destination is not None and r.destination.text == cidr.text for r in table.routes)
        commands.append(fix.route_to_peering(region, table.id, cidr.text, pcx, cidr.version, replace=exists))
        summary += f" Peering connection {pcx} leads to {path.vpc_id} ({cidr.text}): route it there."
    else:
        summary += (f" No active peering connection of {src.vpc_id} leads to {path.vpc_id}: the route must name the "
                    "peering connection or transit gateway between them.")
    code = "BAD_STATE_ROUTE" if bad_state else "NO_ROUTE_TO_DESTINATION"
    finding = Finding(code, "error", table.id, summary,
                      {"packet": path.packet("inbound"), "client_subnet": src.subnet_id,
                       "routes": [r.to_evidence() for r in table.routes], **extra}, commands,
                      alternatives=list(repaired.alternatives) if repaired else [])
    return finding, [Hop(node, "source_route_table", label, "forward", "deny", problem)], summary


@dataclass(frozen=True)
class RefReach:
    """Whether a security group rule in the instance's VPC can name a group of the client's VPC: ``state``
    yes | no | unknown, ``via`` the link in words, ``why`` why not (or why unknown), ``outbound`` whether
    outbound rules may name groups across it too, and ``fixes`` that would make references work."""

    state: str
    via: str = ""
    why: str = ""
    outbound: bool = True
    fixes: tuple[Fix, ...] = ()


def reference_reach(snap: Snapshot, src: Eni, vpc_id: str, target: Block | None) -> RefReach:
    """Group references work within a VPC, across an active VPC peering connection in the same Region
    (https://docs.aws.amazon.com/vpc/latest/peering/vpc-peering-security-groups.html), and across a
    transit gateway whose gateway and both VPC attachments have security group referencing enabled,
    for inbound rules only (https://docs.aws.amazon.com/vpc/latest/tgw/tgw-vpc-attachments.html). The
    link is the one the client's route to the instance takes; without that route table, any link that
    exists between the two VPCs."""
    if not src.vpc_id or src.vpc_id == vpc_id:
        return RefReach("yes", f"within {vpc_id}")
    table, _ = snap.route_table_for(src.subnet_id, src.vpc_id)
    route = None
    if table is not None and target is not None:
        decision = next(iter(route_lookup(table, snap.prefix_lists, target.version, (target.interval,))), None)
        route = decision.route if decision else None
    if route is not None and route.target_kind == "pcx":
        return _peering_reference(snap, route.target_id, src.vpc_id, vpc_id)
    if route is not None and route.target_kind == "tgw":
        return _tgw_reference(snap, route.target_id, src.vpc_id, vpc_id)
    if route is None:
        pcx = next((p for p in snap.peering_connections.values() if p.connects(src.vpc_id) and p.connects(vpc_id)
                    and p.status == "active"), None)
        if pcx is not None:
            return _peering_reference(snap, pcx.id, src.vpc_id, vpc_id)
        tgws = sorted({a.transit_gateway_id for a in snap.tgw_attachments if a.resource_id == src.vpc_id}
                      & {a.transit_gateway_id for a in snap.tgw_attachments if a.resource_id == vpc_id})
        if tgws:
            return _tgw_reference(snap, tgws[0], src.vpc_id, vpc_id)
        if table is None:  # the client's route table was not read: how it crosses is not known
            return RefReach("unknown", why=f"how {src.vpc_id} reaches {vpc_id} (the client's route table and the "
                                           "links between the VPCs) could not be read")
    way = (f"through {TARGET_WORDS.get(route.target_kind, route.target_kind)} {route.target_id}" if route is not None
           else "by no peering connection or transit gateway this account shows")
    return RefReach("no", why=f"{src.label} in {src.vpc_id} reaches {vpc_id} {way}, and group references apply "
                              "only within a VPC, across a peering connection, or across a transit gateway with "
                              "security group referencing enabled")


def _peering_reference(snap: Snapshot, pcx_id: str, a: str, b: str) -> RefReach:
    pcx = snap.peering_connections.get(pcx_id)
    if pcx is None:
        return RefReach("unknown", why=f"peering connection {pcx_id} could not be read")
    if pcx.status in ("pending-acceptance", "initiating-request", "provisioning") and pcx.connects(a) \
            and pcx.connects(b) and not (pcx.requester_region and pcx.accepter_region
                                         and pcx.requester_region != pcx.accepter_region):
        # Not active yet, so nothing crosses it: the route finding says so and how to mend it. Once it is
        # active the rule matches as written, so opening the group by address would be a needless change.
        return RefReach("yes", f"across peering connection {pcx_id} once it is active (it is {pcx.status})")
    if pcx.status != "active" or not (pcx.connects(a) and pcx.connects(b)):
        return RefReach("no", why=f"peering connection {pcx_id} is {pcx.status or 'in an unknown state'} and "
                                  f"does not join {a} and {b} as an active connection")
    if pcx.requester_region and pcx.accepter_region and pcx.requester_region != pcx.accepter_region:
        return RefReach("no", why=f"peering connection {pcx_id} joins two Regions ({pcx.requester_region}, "
                                  f"{pcx.accepter_region}), and a rule cannot name a group across Regions")
    return RefReach("yes", f"across active peering connection {pcx_id}")


def _tgw_reference(snap: Snapshot, tgw_id: str, a: str, b: str) -> RefReach:
    from diagnostics.reachability.transit import attachment_of

    gateway = snap.transit_gateways.get(tgw_id)
    atts = [attachment_of(snap, tgw_id, v) for v in (a, b)]
    region = snap.region
    off: list[str] = []
    fixes: list[Fix] = []
    unread: list[str] = []
    if gateway is None or not gateway.sg_referencing:
        unread.append(f"the options of transit gateway {tgw_id}")
    elif gateway.sg_referencing != "enable":
        off.append(f"transit gateway {tgw_id}")
        fixes.append(Fix((fix.aws(region, "ec2 modify-transit-gateway", f"--transit-gateway-id {tgw_id}",
                                  "--options SecurityGroupReferencingSupport=enable"),),
                         f"enable security group referencing on transit gateway {tgw_id}",
                         "changes the transit gateway for every VPC attached to it (no rule changes)"))
    for vpc, att in zip((a, b), atts, strict=True):
        if att is None or not att.sg_referencing:
            unread.append(f"the options of {vpc}'s attachment to {tgw_id}")
        elif att.sg_referencing != "enable":
            off.append(f"attachment {att.id} of {vpc}")
            fixes.append(Fix((fix.aws(region, "ec2 modify-transit-gateway-vpc-attachment",
                                      f"--transit-gateway-attachment-id {att.id}",
                                      "--options SecurityGroupReferencingSupport=enable"),),
                             f"enable security group referencing on attachment {att.id}",
                             f"changes attachment {att.id} for all of {vpc}'s traffic (no rule changes)"))
    if off:
        return RefReach("no", why=f"the path goes through transit gateway {tgw_id}, and security group "
                                  f"referencing is disabled on {' and '.join(off)}", outbound=False,
                        fixes=tuple(fixes))
    if unread:
        return RefReach("unknown", why=f"the path goes through transit gateway {tgw_id}, and {' and '.join(unread)} "
                                       "(security group referencing) could not be read", outbound=False)
    return RefReach("yes", f"through transit gateway {tgw_id} with security group referencing enabled", outbound=False)


def check_source(snap: Snapshot, probe: Probe) -> StageResult:
    """The client's own security groups (outbound, to the instance) and its subnet's network ACL
    (the request out, the replies in), when the source resolved to a network interface."""
    path = _context(snap, probe)
    src = path.source
    if src is None:
        return StageResult("source", "skipped", probe.source_note or (
            "The client is not a network interface in this account, so its own firewall is not visible "
            "from here." if probe.source else "No source was given, so any internet address is assumed."))
    if path.eni is None:
        return _no_eni("source")
    v, region = probe.version, path.region
    target = parse_block(path.eni.private_ip) if path.eni.private_ip else None
    if target is None or target.version != v:
        return StageResult("source", "skipped", f"{path.eni.id} has no private address of the client's family.")
    dest: Intervals = (target.interval,)
    findings: list[Finding] = []
    hops = [Hop(src.id, "source_eni", src.label, "forward", "allow", "the client's network interface"),
            Hop(src.id, "source_eni", src.label, "return", "allow", "delivered back to the client")]
    details: list[str] = []

    # Security groups: stateful, so only the outbound rules matter (the replies come back in).
    groups = [snap.security_groups[g] for g in src.group_ids if g in snap.security_groups]
    unread = [g for g in src.group_ids if g not in snap.security_groups]
    out = sg_egress(groups, snap.prefix_lists, v, dest, probe.protocol, probe.port)
    # An outbound rule naming the instance's group lets the request out only where the link carries group
    # references for outbound rules (within the VPC, across peering; never across a transit gateway).
    reach = reference_reach(snap, src, path.vpc_id, target)
    members = [r for r in out.group_references if r.referenced_group_id in path.eni.group_ids
               and reach.state == "yes" and reach.outbound]
    allowed = bool(out.admitted) or bool(members)
    rule_words = "; ".join(sorted({r.describe() for r, _ in out.by_rule} | {r.describe() for r in members}))
    names = ", ".join(g.label for g in groups) or "none"
    for g in groups:
        hops.append(Hop(_source_node(path, g.id), "source_security_group", g.label, "forward",
                        "allow" if allowed else "deny",
                        rule_words or f"no outbound rule allows {probe.what} to {target.text}"))
    if allowed:
        details.append(f"The client's security groups ({names}) let {probe.what} out to {target.text} "
                       f"({rule_words}).")
    elif unread and not groups:
        details.append(f"The client's security groups ({', '.join(unread)}) could not be read.")
    else:
        summary = (f"No outbound rule of the client's security groups on {src.id} ({names}) allows {probe.what} "
                   f"to {target.text} ({path.eni.id} of {path.instance.label}), so the connection never leaves "
                   "the client.")
        findings.append(Finding(
            code="ENI_SG_RULES_MISMATCH", severity="error", resource=groups[0].id if groups else src.id,
            summary=summary,
            evidence={"packet": path.packet("inbound"), "client_interface": src.id, "rule_direction": "outbound",
                      "outbound_rules": [r.describe() for g in groups for r in g.egress]},
            remediation=[fix.sg_egress(region, groups[0].id if groups else src.id, probe.protocol, probe.port,
                                       target.text, v)]))
        details.append(summary)

    if src.vpc_id and src.vpc_id != path.vpc_id:
        route_finding, route_hops, words = _client_route(path, src, dest, target)
        hops += route_hops
        details.append(words)
        if route_finding is not None:
            findings.append(route_finding)

    # The client's subnet ACL, unless both ends share the subnet.
    acl = snap.network_acl_for(src.subnet_id)
    if src.subnet_id == path.subnet_id:
        details.append("The client is in the instance's own subnet, so no network ACL is crossed.")
    elif acl is None:
        details.append(f"The network ACL of the client's subnet {src.subnet_id} was not read.")
    else:
        proto = probe.protocol
        port = (probe.port, probe.port) if probe.uses_ports else (0, 0)
        request = nacl_check(acl, True, v, dest, port, proto, ECHO_REQUEST.get(proto))
        replies = nacl_check(acl, False, v, dest, EPHEMERAL if probe.uses_ports else (0, 0), proto,
                             ECHO_REPLY.get(proto))
        node = _source_node(path, acl.id)
        label = f"{acl.id} ({src.subnet_id}, the client's subnet)"
        coverage = _reply_coverage(replies) if probe.uses_ports and replies.blocked and not request.blocked \
            else None
        conditional = coverage is not None and coverage.conditional
        condition = coverage.condition() if conditional and coverage is not None else ""
        for direction, verdict in (("forward", request), ("return", replies)):
            state = "allow" if not verdict.blocked else ("warn" if conditional and direction == "return" else "deny")
            rule = ("; ".join(d.rule.describe() for d in verdict.allows) if not verdict.blocked
                    else "; ".join(d.rule.describe() for d in verdict.drops))
            hops.append(Hop(node, "source_network_acl", label, direction, state, rule,
                            condition if direction == "return" else ""))
        if not request.blocked and not replies.blocked:
            details.append(f"Network ACL {label} lets the request out and the replies in.")
        else:
            parts: list[str] = []
            commands: list[str] = []
            if request.blocked:
                parts.append("outbound, " + "; ".join(d.rule.describe() for d in request.drops)
                             + f" drops {probe.what} to {target.text}")
                commands.append(_nacl_fix(path, acl, True, request, target.text, client_side=True)[0])
            if replies.blocked:
                parts.append("inbound, " + "; ".join(d.rule.describe() for d in replies.drops)
                             + f" drops the replies from {target.text}"
                             + (f" to ports {ports_text(normalize([p for d in replies.drops for p in d.ports]))}"
                                if probe.uses_ports else ""))
                commands.append(_nacl_fix(path, acl, False, replies, target.text, client_side=True)[0])
            summary = (f"Network ACL {label} blocks the connection on the client's side: " + "; ".join(parts)
                       + ". Network ACLs are stateless: the client's subnet must let the request out and the "
                       "replies (to the client's ephemeral port) back in.")
            findings.append(Finding(
                code="SUBNET_ACL_RESTRICTION", severity="error", resource=acl.id, summary=summary,
                evidence={"subnet": src.subnet_id, "client_side": True, "packet": path.packet("inbound"),
                          **({"reply_clients": coverage.to_evidence()} if coverage is not None else {})},
                remediation=commands,
                certainty="conditional" if conditional else "certain", condition=condition))
            details.append(summary)
    who = f"{src.label} in {src.subnet_id}, groups {', '.join(src.group_ids) or 'none'}"
    detail = f"The client is {who}. " + " ".join(details)
    return StageResult("source", _status(findings), detail, findings, hops)


# --- 3. network ACL --------------------------------------------------------------------------


def _drop_words(path: _Path, d: NaclDecision, egress: bool) -> str:
    probe = path.probe
    if probe.uses_ports:
        text = ports_text(d.ports)
        what = f"{protocol_name(probe.protocol)} port{'s' if ('-' in text or ',' in text) else ''} {text}"
    else:
        what = protocol_name(probe.protocol)
    way = "to" if egress else "from"
    who = path.part(d.addresses)
    if d.rule.implicit:
        return f"no rule allows {what} {way} {who}, so the implicit deny (*) drops it"
    return f"rule {d.rule.rule_number} ({d.rule.describe().split(': ', 1)[1]}) drops {what} {way} {who}"


def _nacl_fix(path: _Path, acl: NetworkAcl, egress: bool, verdict: NaclVerdict, cidr: str,
              client_side: bool = False) -> tuple[str, str]:
    """The command that opens the dropped traffic, and a sentence about it. On the client's own
    subnet the request goes out and the replies come in, so the ports swap directions."""
    probe = path.probe
    below = min(d.rule.rule_number for d in verdict.drops)
    number = fix.free_rule_number(acl, egress, below)
    ports = EPHEMERAL if egress != client_side else (probe.port, probe.port)
    if number is None:
        return (fix.nacl_allow(path.region, acl, egress, below, probe.protocol, ports, cidr, probe.version,
                               replace=True),
                f"no rule number below {below} is free, so the fix replaces rule {below} itself")
    return (fix.nacl_allow(path.region, acl, egress, number, probe.protocol, ports, cidr, probe.version),
            f"rule {number} comes before rule {'*' if below >= 32767 else below}, which drops the packets")


def _drops_evidence(path: _Path, verdict: NaclVerdict) -> list[dict[str, Any]]:
    return [{**d.rule.to_evidence(), "dropped_ports": ports_text(d.ports),
             "dropped_addresses": path.part(d.addresses)} for d in verdict.drops]


def check_network_acl(snap: Snapshot, probe: Probe) -> StageResult:
    path = _context(snap, probe)
    if path.eni is None:
        return _no_eni("network_acl")
    if path.same_subnet:
        return StageResult("network_acl", "ok",
                           f"{probe.source_text} is in {path.subnet_id}, the instance's own subnet: traffic "
                           "between two addresses of one subnet never crosses its network ACL.")
    acl = snap.network_acl_for(path.subnet_id)
    if acl is None:
        return StageResult("network_acl", "warning",
                           f"No network ACL was found for {path.subnet_id}, so none was checked.")
    v, proto = probe.version, probe.protocol
    port = (probe.port, probe.port) if probe.uses_ports else (0, 0)
    inbound = nacl_check(acl, False, v, probe.sources, port, proto, ECHO_REQUEST.get(proto))
    outbound = nacl_check(acl, True, v, probe.sources, EPHEMERAL if probe.uses_ports else (0, 0),
                          proto, ECHO_REPLY.get(proto))
    label = f"{acl.id} ({path.subnet_id})"

    # Replies cut off only for clients whose ephemeral ports the outbound rules miss: whether the
    # connection works depends on the client's operating system, which the API cannot see.
    coverage = _reply_coverage(outbound) if probe.uses_ports and outbound.blocked and not inbound.blocked \
        else None
    conditional = coverage is not None and coverage.conditional

    def hop(direction: str, verdict: NaclVerdict) -> Hop:
        condition = ""
        if not verdict.blocked:
            state = "allow"
            rule = "; ".join(d.rule.describe() for d in verdict.allows) or "allowed"
        else:
            state = "warn" if verdict.admitted else "deny"
            rule = "; ".join(_drop_words(path, d, direction == "return") for d in verdict.drops)
            if direction == "return" and conditional and coverage is not None:
                state, condition = "warn", coverage.condition()
                rule += " (only some kinds of client: see the condition)"
        return Hop(acl.id, "network_acl", label, direction, state, rule, condition)

    hops = [hop("forward", inbound), hop("return", outbound)]
    if not inbound.blocked and not outbound.blocked:
        detail = (f"Network ACL {label} allows {probe.what} in from {probe.source_text} "
                  f"({'; '.join(d.rule.describe() for d in inbound.allows)}) and the replies out"
                  + (f" to ports {EPHEMERAL[0]}-{EPHEMERAL[1]}" if probe.uses_ports else "")
                  + f" ({'; '.join(d.rule.describe() for d in outbound.allows)}).")
        return StageResult("network_acl", "ok", detail, hops=hops)

    cidr, pre = fix.client_cidr(probe.source, v)
    parts: list[str] = []
    commands: list[str] = list(pre)
    notes: list[str] = []
    if inbound.blocked:
        parts.append("Inbound, " + "; ".join(_drop_words(path, d, False) for d in inbound.drops) + ".")
        command, note = _nacl_fix(path, acl, False, inbound, cidr)
        commands.append(command)
        notes.append(note)
    if outbound.blocked:
        words = "; ".join(_drop_words(path, d, True) for d in outbound.drops)
        ephemeral = (f" The client picks its source port anywhere in {EPHEMERAL[0]}-{EPHEMERAL[1]}, so the "
                     "outbound rules must allow that whole range back to it: network ACLs are stateless and "
                     "do not remember the connection." if probe.uses_ports else "")
        if conditional and coverage is not None:
            served = _and(k.kind.name for k in coverage.with_state("served"))
            cut = _and(k.kind.name for k in coverage.with_state("cut") + coverage.with_state("partly"))
            ephemeral += (f" Replies are allowed only to ports {_reply_ports(coverage)}: {served} pick their "
                          f"source port in that range and connect; {cut} may pick one outside it and time out.")
        elif coverage is not None and not coverage.allowed:
            ephemeral += " No reply port is allowed at all, so every client times out."
        parts.append(f"Outbound, {words}.{ephemeral}")
        command, note = _nacl_fix(path, acl, True, outbound, cidr)
        commands.append(command)
        notes.append(note)
    works = intersect(inbound.admitted, outbound.admitted)
    severity = "warning" if works else "error"
    if inbound.blocked and outbound.blocked:
        what = "drops both the request and the replies"
    elif inbound.blocked:
        what = "drops the request"
    else:
        what = "lets the request in but drops the replies"
    summary = f"Network ACL {label} {what}. " + " ".join(parts)
    # An explicit DENY rule was put there by someone, unlike the implicit deny (*): a rule placed ahead of
    # it overrides a guard, so it is never the fix offered first (it stays an alternative that says so).
    guards = list(dict.fromkeys(d.rule for v in (inbound, outbound) if v.blocked for d in v.drops
                                if not d.rule.implicit and d.rule.action == "deny"))
    alternatives: list[Fix] = []
    if guards:
        named = _and(f"rule {g.rule_number} ({g.describe().split(': ', 1)[1]})" for g in guards)
        kind = "is an explicit deny" if len(guards) == 1 else "are explicit denies"
        summary += (f" {named[0].upper()}{named[1:]} {kind} that someone added, unlike the default rule (*): "
                    "find out why before overriding it ('What changed recently?' shows who changed the network ACL).")
        alternatives.append(Fix(tuple(commands), "add an allow rule ahead of the deny, for this client only",
                                f"overrides the explicit deny {named} for {cidr}"))
        commands = []
    evidence_extra: dict[str, Any] = {"reply_clients": coverage.to_evidence()} if coverage is not None else {}
    finding = Finding(
        code="SUBNET_ACL_RESTRICTION",
        severity=severity,  # type: ignore[arg-type]
        resource=acl.id,
        summary=summary,
        certainty="conditional" if conditional else "certain",
        condition=coverage.condition() if conditional and coverage is not None else "",
        evidence={
            "subnet": path.subnet_id,
            "packet": path.packet("inbound"),
            "reply_packet": path.packet("return"),
            "inbound": {"blocked": bool(inbound.blocked), "blocking_rules": _drops_evidence(path, inbound)},
            "outbound": {"blocked": bool(outbound.blocked),
                         "blocking_rules": _drops_evidence(path, outbound)},
            "fix_notes": notes,
            "assumed_source": probe.assumed,
            **evidence_extra,
        },
        remediation=commands,
        alternatives=alternatives,
    )
    detail = f"Conditional: {finding.condition} {summary}" if conditional else summary
    return StageResult("network_acl", _status([finding]), detail, [finding], hops)


def _and(words: Iterable[str]) -> str:
    items = list(words)
    return ", ".join(items[:-1]) + " and " + items[-1] if len(items) > 1 else "".join(items)


def _reply_ports(coverage: ReplyCoverage) -> str:
    return ports_text(coverage.allowed) or "none"


def _reply_coverage(outbound: NaclVerdict) -> ReplyCoverage:
    """The reply ports allowed to every dropped client address: the ephemeral range less every port
    a rule drops for any of them (exact for one address, the safe side for a range)."""
    dropped = normalize([p for d in outbound.drops for p in d.ports])
    return reply_coverage(subtract((EPHEMERAL,), dropped))


# --- 4. route table --------------------------------------------------------------------------


def _table_words(path: _Path) -> str:
    table = path.table
    assert table is not None
    if path.table_is_main:
        return (f"route table {table.id} (the VPC's main table: {path.subnet_id} has no association of "
                "its own)")
    return f"route table {table.id}"


def _classify_routes(path: _Path) -> tuple[list[tuple[RouteDecision, str, str]], list[RouteDecision]]:
    """Each run of return-route decisions with a problem kind ('', none, blackhole, wrong, appliance)
    and words for it; plus the decisions that reach an internet client through an internet gateway."""
    assert path.table is not None
    snap, v = path.snap, path.probe.version
    out: list[tuple[RouteDecision, str, str]] = []
    to_igw: list[RouteDecision] = []
    internet = path.internet
    for d in route_lookup(path.table, snap.prefix_lists, v, path.probe.sources):
        route = d.route
        for addresses, is_internet in ((intersect(d.addresses, internet), True),
                                       (subtract(d.addresses, internet), False)):
            if not addresses:
                continue
            part = RouteDecision(addresses, route, d.prefixlen)
            who = path.part(addresses)
            if route is None:
                out.append((part, "none", f"has no route to {who}"))
            elif route.blackhole:
                out.append((part, "blackhole", f"sends replies for {who} to a blackhole route "
                                               f"({route.describe()}): its target no longer exists"))
            elif route.target_kind == "local":
                out.append((part, "", f"reaches {who} through the local route {route.describe()}"))
            elif is_internet and route.target_kind == "igw":
                to_igw.append(part)
                out.append((part, "", f"sends replies for {who} to internet gateway {route.target_id} "
                                      f"({route.describe()})"))
            elif is_internet and route.target_kind in APPLIANCE_TARGETS:
                appliance = snap.route_enis.get(route.target_id)
                if route.target_kind == "eni" and (down := _target_down(snap, path.vpc_id, "eni", route.target_id)) \
                        and "not attached" in down:
                    out.append((part, "blackhole", f"sends replies for {who} through {route.describe()}, but {down}"))
                elif appliance is not None and appliance.source_dest_check:
                    out.append((part, "drops", f"sends replies for {who} through {route.target_id} "
                                               f"({route.describe()}), whose source/destination check is on, so "
                                               "it drops them: they are neither from nor to it"))
                else:
                    check = ("its source/destination check was not read" if appliance is None
                             else "its source/destination check is off, so it may forward them")
                    out.append((part, "appliance", f"sends replies for {who} through {route.target_id} "
                                                   f"({route.describe()}): {check}, and awstriage cannot see "
                                                   "whether it passes them to the internet gateway unchanged"))
            elif is_internet:
                kind = TARGET_WORDS.get(route.target_kind, route.target_kind)
                why = WRONG_TARGET_WHY.get(route.target_kind, "")
                out.append((part, "wrong", f"sends replies for {who} to {kind} {route.target_id} "
                                           f"({route.describe()}), not to an internet gateway, but the "
                                           "connection came in through the internet gateway and its replies "
                                           f"must go back the same way.{why}"))
            elif (down := _target_down(snap, path.vpc_id, route.target_kind, route.target_id)):
                out.append((part, "blackhole", f"sends replies for {who} through {route.describe()}, "
                                               f"but {down}"))
            elif route.target_kind == "igw":
                # An internet gateway drops packets to private addresses: never the way back to them.
                out.append((part, "wrong", f"sends replies for {who} to internet gateway {route.target_id} "
                                           f"({route.describe()}), which drops packets to private addresses, so "
                                           "no reply reaches the client. The way back to a private client is a "
                                           "peering connection, transit gateway or virtual private gateway"))
            elif route.target_kind in ("nat", "eigw"):
                kind = TARGET_WORDS.get(route.target_kind, route.target_kind)
                out.append((part, "wrong", f"sends replies for {who} to {kind} {route.target_id} "
                                           f"({route.describe()}), which cannot carry replies to a connection "
                                           f"that came in from a private client.{WRONG_TARGET_WHY[route.target_kind]}"))
            elif route.target_kind == "pcx" and (beyond := _beyond_peering(snap, path.vpc_id, route.target_id,
                                                                            addresses)):
                out.append((part, "wrong", f"sends replies for {who} over {route.describe()}, but {beyond}"))
            elif route.target_kind in APPLIANCE_TARGETS and route.target_id not in snap.route_enis:
                out.append((part, "appliance", f"sends replies for {who} through {route.target_id} "
                                               f"({route.describe()}): whether it forwards them (its "
                                               "source/destination check) was not read"))
            elif route.target_kind in PRIVATE_TARGETS:
                out.append((part, "", f"reaches {who} through {route.describe()}"))
            else:
                kind = TARGET_WORDS.get(route.target_kind, route.target_kind)
                out.append((part, "wrong", f"sends replies for {who} to {kind} {route.target_id}, "
                                           "which cannot carry them to a private client"))
    return out, to_igw


def _target_down(snap: Snapshot, vpc_id: str, kind: str, target: str) -> str:
    """Why a peering connection or transit gateway a route names cannot carry traffic, if it cannot.
    Only what the collector read is judged: an unknown target is given the benefit of the doubt."""
    if kind == "vgw" and target in snap.vpn_gateways:
        vgw = snap.vpn_gateways[target]
        if not vgw.attached_to(vpc_id):
            return f"virtual private gateway {target} is not attached to {vpc_id}"
        vpns = [c for c in snap.vpn_connections.values() if c.vpn_gateway_id == target]
        if vpns and all(c.down for c in vpns):
            tunnels = "; ".join(f"{c.id}: " + (", ".join(f"{ip} {st}" + (f" ({msg})" if msg else "")
                                                         for ip, st, msg in c.tunnels) or c.state) for c in vpns)
            return (f"no tunnel of its Site-to-Site VPN connections is up ({tunnels}): check the customer gateway "
                    "device's IPsec and BGP configuration")
        return ""
    if kind == "eni" and (eni := snap.route_enis.get(target)) is not None and eni.status == "available" \
            and not eni.instance_id:
        # AWS shows such a route as a blackhole; the interface's own state says it plainly either way.
        return f"network interface {target} is not attached to any instance, so nothing receives or forwards them"
    if kind in APPLIANCE_TARGETS and (eni := snap.route_enis.get(target)) is not None and eni.source_dest_check:
        return (f"network interface {target} has its source/destination check on, so it drops packets that are "
                "neither from nor to it")
    if kind == "pcx" and target in snap.peering_connections:
        status = snap.peering_connections[target].status
        return "" if status == "active" else f"peering connection {target} is {status}, not active"
    if kind == "tgw":
        mine = [a for a in snap.tgw_attachments if a.transit_gateway_id == target and a.resource_id == vpc_id]
        if snap.tgw_attachments and not any(a.state == "available" for a in mine):
            states = ", ".join(f"{a.id} {a.state}" for a in mine) or "none"
            return f"the VPC has no available attachment to transit gateway {target} ({states})"
    return ""


def _beyond_peering(snap: Snapshot, vpc_id: str, pcx_id: str, addresses: Intervals) -> str:
    """Why a peering connection cannot carry packets to ``addresses``: they are not in the VPC at its
    far end, and peering is not transitive (AWS: "VPC peering limitations"). Empty when it can, or
    when the connection was not read."""
    pcx = snap.peering_connections.get(pcx_id)
    if pcx is None or not pcx.connects(vpc_id):
        return ""
    far_vpc, cidrs = pcx.other_side(vpc_id)
    if not cidrs or not subtract(addresses, normalize(c.interval for c in cidrs)):
        return ""
    return (f"peering connection {pcx_id} leads to {far_vpc} ({', '.join(c.text for c in cidrs)}), which does not "
            "hold those addresses: peering is not transitive, so packets cannot go on beyond the peered VPC "
            "(through its internet gateway, VPN, transit gateway or another peering)")


def peering_towards(snap: Snapshot, vpc_id: str, addresses: Intervals) -> tuple[str, Block] | None:
    """An active peering connection of ``vpc_id`` whose far VPC holds every one of ``addresses``,
    and the far CIDR block that does: where a route back to a peered client belongs."""
    for pcx in snap.peering_connections.values():
        if pcx.status != "active" or not pcx.connects(vpc_id):
            continue
        for cidr in pcx.other_side(vpc_id)[1]:
            if not subtract(addresses, (cidr.interval,)):
                return pcx.id, cidr
    return None


def _default_destination(v: int) -> str:
    return "0.0.0.0/0" if v == 4 else "::/0"


def _igw_for_fix(path: _Path) -> tuple[str, list[str]]:
    igws = path.snap.internet_gateways_of(path.vpc_id)
    if igws:
        return igws[0].id, []
    return '"$IGW_ID"', [
        "IGW_ID=$(" + fix.aws(path.region, "ec2 describe-internet-gateways",
                              f"--filters Name=attachment.vpc-id,Values={path.vpc_id}",
                              "--query 'InternetGateways[0].InternetGatewayId'", "--output text") + ")"]


def _vpn_towards(path: _Path, addresses: Intervals) -> tuple[VpnGateway, VpnConnection] | None:
    """The VPC's attached virtual private gateway and a VPN connection on it, preferring one whose
    static routes hold the client: the likely way to an on-premises client."""
    snap = path.snap
    for vgw in snap.vpn_gateways.values():
        if not vgw.attached_to(path.vpc_id):
            continue
        vpns = [c for c in snap.vpn_connections.values() if c.vpn_gateway_id == vgw.id]
        vpns.sort(key=lambda c: not any(not subtract(addresses, (b.interval,)) for b in c.static_routes))
        if vpns:
            return vgw, vpns[0]
    return None


def _transit_back(path: _Path, decisions: list[tuple[RouteDecision, str, str]]) -> list[TransitResult]:
    """The transit gateway hop of each healthy route back to a private client through one."""
    out: list[TransitResult] = []
    src = path.source
    for d, kind, _ in decisions:
        route = d.route
        if kind or route is None or route.target_kind != "tgw":
            continue
        result = tgw_hop(path.snap, route.target_id, path.vpc_id, src.vpc_id if src else "", d.addresses,
                         path.probe.version, path.packet("return"))
        if result is not None:
            out.append(result)
    return out


def _transit_hops(results: list[TransitResult], direction: str) -> list[Hop]:
    return [Hop(t.node, "transit_gateway", t.label, direction, "allow" if t.ok else "deny", t.words)
            for t in results]


def _private_route_fix(path: _Path, addresses: Intervals) -> tuple[list[str], str]:
    """The route back to a private client: over the peering connection whose far VPC holds it, when
    this account sees one; otherwise a sentence on where the route must lead."""
    table = path.table
    assert table is not None
    who = path.part(addresses)
    towards = peering_towards(path.snap, path.vpc_id, addresses)
    vpn = _vpn_towards(path, addresses)
    if towards is None and vpn is not None:
        vgw, connection = vpn
        if vgw.id not in table.propagating_vgws:
            return ([fix.aws(path.region, "ec2 enable-vgw-route-propagation", f"--route-table-id {table.id}",
                             f"--gateway-id {vgw.id}")],
                    f" {vgw.id} is attached to {path.vpc_id} with Site-to-Site VPN connection {connection.id}, but "
                    f"{table.id} does not propagate its routes: if {who} is on the far side of that VPN, enabling "
                    "route propagation brings the route back.")
        cidr = path.probe.source.text if path.probe.source else who
        return ([fix.route(path.region, table.id, cidr, path.probe.version, f"--gateway-id {vgw.id}")],
                f" {table.id} propagates routes from {vgw.id}, but VPN connection {connection.id} announces no route "
                f"to {who}: add it to the VPN's routes (or BGP announcements), or route it statically.")
    if towards is None:
        return [], (f" No active peering connection of {path.vpc_id} leads to {who}: the route back must name the "
                    "transit gateway, virtual private gateway or peering connection the client's traffic comes "
                    "through. If you connect over the internet, your packets arrive from your router's public "
                    "address: run again with that address as source.")
    pcx, cidr = towards
    exists = any(r.destination is not None and r.destination.text == cidr.text for r in table.routes)
    command = fix.route_to_peering(path.region, table.id, cidr.text, pcx, cidr.version, replace=exists)
    return [command], f" Peering connection {pcx} leads to the VPC that holds {cidr.text}: route it there."


def check_route_table(snap: Snapshot, probe: Probe) -> StageResult:
    path = _context(snap, probe)
    if path.eni is None:
        return _no_eni("route_table")
    if path.table is None:
        summary = (f"Subnet {path.subnet_id} has no route table: neither an association of its own nor a "
                   f"main table for {path.vpc_id} was found, so replies have no route.")
        finding = Finding("NO_ROUTE_TO_DESTINATION", "error", path.subnet_id, summary,
                          {"packet": path.packet("return")}, [])
        return StageResult("route_table", "blocked", summary, [finding],
                           [Hop(path.subnet_id, "route_table", "no route table", "return", "deny",
                                "no route table")])
    table = path.table
    decisions, _ = _classify_routes(path)
    bad = [(d, k, w) for d, k, w in decisions if k in ("none", "blackhole", "wrong", "drops")]
    warn = [(d, k, w) for d, k, w in decisions if k == "appliance"]
    local = next((r for r in table.routes if r.target_kind == "local" and r.destination
                  and r.destination.version == probe.version), None)
    label = f"{table.id}{' (main)' if table.main else ''}"
    fwd = Hop(table.id, "route_table", label, "forward", "allow",
              f"local route {local.describe()} delivers to the subnet" if local
              else "delivered inside the VPC")
    all_words = "; ".join(w for _, _, w in decisions)
    transit = _transit_back(path, decisions)
    if not bad and not warn:
        ret = Hop(table.id, "route_table", label, "return", "allow", all_words)
        detail = f"The subnet uses {_table_words(path)}, which {all_words}."
        tgw_findings = [f for t in transit for f in t.findings]
        detail += "".join(f" {t.words}." if t.ok else f" {t.words}" for t in transit)
        return StageResult("route_table", _status(tgw_findings), detail, tgw_findings,
                           [fwd, ret, *_transit_hops(transit, "return")])
    bad_addresses = normalize([iv for d, _, _ in bad for iv in d.addresses])
    full = normalize(bad_addresses) == normalize(probe.sources)
    ret = Hop(table.id, "route_table", label, "return", "deny" if full else "warn",
              "; ".join(w for _, _, w in bad + warn))
    findings: list[Finding] = []
    if bad:
        code = "BAD_STATE_ROUTE" if any(k == "blackhole" for _, k, _ in bad) else "NO_ROUTE_TO_DESTINATION"
        words = "; it ".join(w for _, _, w in bad)
        summary = f"The subnet {path.subnet_id} uses {_table_words(path)}, which {words}".rstrip(".") + "."
        if path.kind == "internet" and any(k == "none" for _, k, _ in bad):
            summary += " Replies from the instance have nowhere to go, so the connection times out."
        v = probe.version
        igw, pre = _igw_for_fix(path)
        commands: list[str] = list(pre)
        exposing: dict[str, str] = {}
        alternatives: list[Fix] = []
        default = _default_destination(v)
        has_default = any(r.destination and r.destination.text == default for r in table.routes)
        titles: list[str] = []
        for d, kind, _ in bad:
            private_part = intersect(d.addresses, path.private)
            repaired = (route_repair(path.snap, table.id, d.route) if kind == "blackhole" and d.route is not None
                        else None)
            if repaired is not None and private_part and repaired.title not in titles:
                # The target itself is broken (a peering not accepted, a detached interface): mend it.
                titles.append(repaired.title)
                commands += repaired.commands
                summary += repaired.words
                alternatives += repaired.alternatives
            elif private_part and repaired is None:
                command, words = _private_route_fix(path, private_part)
                commands += command
                summary += words
            internet_part_of = intersect(d.addresses, path.internet)
            if not internet_part_of:
                continue
            if kind == "drops" and d.route is not None:
                # The narrowest change: this client's replies straight to the internet gateway. Turning the check
                # off loosens a guard on the interface, and works only if it really forwards (an appliance).
                cidr, mine = fix.client_cidr(probe.source, v)
                commands = [*mine, *commands, fix.route_to_igw(path.region, table.id, cidr, igw, v)]
                eni_id = d.route.target_id
                turn_off = (fix.aws(path.region, "ec2 modify-instance-attribute", f"--instance-id {eni_id}",
                                    "--no-source-dest-check") if d.route.target_kind == "instance" else
                            fix.aws(path.region, "ec2 modify-network-interface-attribute",
                                    f"--network-interface-id {eni_id}", "--no-source-dest-check"))
                alternatives.append(Fix((turn_off,),
                                        f"turn off the source/destination check of {eni_id}, if it is an appliance "
                                        "or NAT instance meant to forward",
                                        f"lets {eni_id} send and receive traffic that is not its own"))
                summary += (f" The fix routes {cidr} straight to the internet gateway; if {eni_id} is an appliance "
                            "meant to forward, turning its check off is the alternative.")
            elif kind == "blackhole" and d.route is not None and d.route.destination is not None:
                commands.append(fix.route_to_igw(path.region, table.id, d.route.destination.text, igw, v,
                                                 replace=True))
            elif not has_default:
                commands.append(fix.route_to_igw(path.region, table.id, default, igw, v))
                has_default = True
                if not path.public_address:
                    # A subnet whose instances have no public address is private by design: a default route
                    # to the internet gateway makes the whole subnet public.
                    exposing = {"exposes_instance": f"makes subnet {path.subnet_id} public: every instance in it "
                                                    "that has or gets a public address is on the internet",
                                "exposing_fix": f"route {default} from {table.id} to the internet gateway"}
            else:
                cidr, mine = fix.client_cidr(probe.source, v)
                commands = [*mine, *commands]
                commands.append(fix.route_to_igw(path.region, table.id, cidr, igw, v))
                whose = probe.source_text if probe.source else "your address"
                chosen = d.route.destination_text if d.route is not None else default
                if chosen == default:
                    summary += (f" The fix adds a route for {whose} only; replacing {default} instead would make "
                                "the whole subnet public.")
                else:
                    summary += (f" The fix adds a route for {whose} only, more specific than {chosen}, which keeps "
                                f"sending the rest of {chosen} where it goes now.")
        if pre and not any(igw in c for c in commands if c not in pre):
            commands = [c for c in commands if c not in pre]  # no fix needs the gateway: no need to look it up
        findings.append(Finding(
            code=code,
            severity="error" if full else "warning",
            resource=table.id,
            summary=summary,
            evidence={"packet": path.packet("return"), "subnet": path.subnet_id,
                      "main_table": path.table_is_main,
                      "routes": [r.to_evidence() for r in table.routes],
                      "chosen_routes": [{"addresses": path.part(d.addresses),
                                         "route": d.route.to_evidence() if d.route else None, "problem": k}
                                        for d, k, _ in bad], **exposing,
                      **({"title": titles[0]} if len(titles) == 1 else {})},
            remediation=list(dict.fromkeys(commands)),
            alternatives=alternatives,
        ))
    if warn:
        # The replies go through an appliance: they reach the client only if it hands them to the internet
        # gateway with their source unchanged. Not seen, so not "open": a conditional block.
        targets = ", ".join(dict.fromkeys(d.route.target_id for d, _, _ in warn if d.route is not None))
        findings.append(Finding(
            code="NO_ROUTE_TO_DESTINATION", severity="error", resource=table.id,
            summary=(f"The subnet uses {_table_words(path)}, which "
                     + "; it ".join(w for _, _, w in warn) + "."),
            evidence={"packet": path.packet("return"), "routes": [r.to_evidence() for r in table.routes]},
            certainty="conditional",
            condition=(f"Blocked unless {targets} forwards the replies on towards the client with their source "
                       "unchanged (a firewall appliance can; a NAT instance rewrites it and the client drops them)."),
            remediation=[fix.aws(path.region, "ec2 describe-network-interface-attribute",
                                 f"--network-interface-id {targets.split(', ')[0]}", "--attribute sourceDestCheck")],
        ))
    summary = " ".join(f.summary for f in findings)
    return StageResult("route_table", _status(findings), summary, findings, [fwd, ret])


# --- 5. public address and internet gateway --------------------------------------------------


def check_gateway(snap: Snapshot, probe: Probe) -> StageResult:
    path = _context(snap, probe)
    if path.eni is None:
        return _no_eni("gateway")
    eni, v, region = path.eni, probe.version, path.region
    client_label = probe.source_text + (" (assumed)" if probe.assumed else "")
    client_fwd = Hop("client", "client", f"client {client_label}", "forward", "allow",
                     "the packets start here")
    if path.kind == "vpc":
        detail = (f"{probe.source_text} is inside the VPC: no internet gateway or public address is "
                  "involved.")
        back = Hop("client", "client", f"client {client_label}", "return", "allow", "local route")
        return StageResult("gateway", "ok", detail, hops=[client_fwd, back])
    decisions, to_igw = _classify_routes(path) if path.table is not None else ([], [])
    findings: list[Finding] = []
    hops: list[Hop] = [client_fwd]
    if path.kind == "private":
        targets = sorted({d.route.target_id for d, k, _ in decisions if d.route is not None and not k})
        via = ", ".join(targets) or "no gateway"
        node = targets[0] if targets else "private-network"
        hops += [Hop(node, "gateway", via, "forward", "allow", "from the private network"),
                 Hop(node, "gateway", via, "return", "allow", "back to the private network"),
                 Hop("client", "client", f"client {client_label}", "return", "allow", f"through {via}")]
        detail = (f"{probe.source_text} is a private address reached through {via}: no public address is "
                  "needed. awstriage checks this VPC only; the far side (peered VPC, VPN, on-premises "
                  "firewall) is not "
                  "visible from here.")
        return StageResult("gateway", _status(findings), detail, findings, hops)

    attached = snap.internet_gateways_of(path.vpc_id)
    routed = {d.route.target_id for d in to_igw if d.route is not None}
    detached = sorted(g for g in routed if not any(a.id == g for a in attached))
    public = path.public_address
    gateway = attached[0].id if attached else (detached[0] if detached else "no-internet-gateway")
    gw_label = gateway if gateway != "no-internet-gateway" else f"no internet gateway on {path.vpc_id}"
    fwd_problems: list[str] = []
    fwd_warnings: list[str] = []
    ret_problems: list[str] = []
    for igw in detached:
        g = snap.internet_gateways.get(igw)
        elsewhere = [vpc for vpc, _ in (g.attachments if g else ())]
        where = (f"it is attached to {', '.join(elsewhere)} instead" if elsewhere
                 else "it is not attached to any VPC")
        table = _table_words(path) if path.table else "the route table"
        summary = (f"Internet gateway {igw}, where {table} sends the replies, is not attached to "
                   f"{path.vpc_id} ({where}), so traffic between the internet and the instance cannot "
                   "pass it.")
        findings.append(Finding("BAD_STATE_ATTACHMENT", "error", igw, summary,
                                {"vpc": path.vpc_id,
                                 "attachments": [list(a) for a in (g.attachments if g else ())],
                                 "packet": path.packet("inbound")},
                                [fix.attach_igw(region, igw, path.vpc_id)]))
        ret_problems.append(f"{igw} is not attached to {path.vpc_id}")
    if not attached and not detached:
        summary = (f"VPC {path.vpc_id} has no internet gateway attached, so nothing on the internet can "
                   "reach anything in it, and no reply can leave it.")
        findings.append(Finding("NO_INTERNET_GATEWAY", "error", path.vpc_id, summary,
                                {"vpc": path.vpc_id, "packet": path.packet("inbound")},
                                fix.create_and_attach_igw(region, path.vpc_id)))
        fwd_problems.append("no internet gateway is attached to the VPC")
        ret_problems.append("no internet gateway is attached to the VPC")
    elif detached and not attached:
        fwd_problems.append(f"{gateway} is not attached to {path.vpc_id}")
    if not public:
        family = "public IPv4 address or Elastic IP" if v == 4 else "IPv6 address"
        subnet = snap.subnets.get(path.subnet_id)
        hint = (f" Subnet {path.subnet_id} does not assign public addresses at launch." if v == 4 and subnet
                and not subnet.map_public_ip else "")
        # Say what it lacks for this packet's family, and only the addresses it does have.
        held = ([f"the public IPv4 address {eni.public_ip}"] if v == 6 and eni.public_ip else []) + \
            [f"the private address {eni.private_ip}"]
        summary = (f"{eni.id} of {path.instance.label} has no {family}; it has {' and '.join(held)}"
                   f"{', which an IPv6 client cannot reach' if v == 6 else ''}: the internet gateway delivers only "
                   f"to public addresses of the packet's family, so nothing on the internet can address this "
                   f"instance over IPv{v}.{hint}")
        severity = "error"
        if path.instance.state != "running" and v == 4:
            # A stopped instance gives its automatic public address back; it may get a new one when
            # it starts, which the API cannot tell while it is stopped.
            severity = "warning"
            summary += (" It is not running, and a stopped instance has no automatic public address: after "
                        "it starts, check again. An Elastic IP keeps the same address across stops.")
        findings.append(Finding("IGW_PRIVATE_IP_ASSOCIATION_FOR_INGRESS", severity, eni.id, summary,
                                {"network_interface": eni.id, "private_ip": eni.private_ip,
                                 "packet": path.packet("inbound"),
                                 "exposes_instance": "puts the instance on the internet with a public address",
                                 "exposing_fix": f"give {eni.id} a public address"},
                                _public_address_fix(snap, path, eni.id)))
        (fwd_problems if severity == "error" else fwd_warnings).append(
            f"{eni.id} has no public address to translate to")
    eip = snap.elastic_ip_of(eni.id)
    address_words = (f"Elastic IP {public} ({eip.allocation_id})" if eip and public
                     else f"public address {public}" if public else "")
    hops += [
        Hop(gateway, "internet_gateway", gw_label, "forward",
            "deny" if fwd_problems else "warn" if fwd_warnings else "allow",
            "; ".join(fwd_problems + fwd_warnings) or f"translates {address_words} to {eni.private_ip}"),
        Hop(gateway, "internet_gateway", gw_label, "return", "deny" if ret_problems else "allow",
            "; ".join(ret_problems) or f"translates {eni.private_ip} back to {public or 'a public address'}"),
        Hop("client", "client", f"client {client_label}", "return", "allow", "over the internet"),
    ]
    if not findings:
        detail = (f"{eni.id} has the {address_words}, and internet gateway {gateway} is attached to "
                  f"{path.vpc_id}: the internet can address the instance and the replies can leave.")
        return StageResult("gateway", "ok", detail, hops=hops)
    return StageResult("gateway", _status(findings), " ".join(f.summary for f in findings), findings, hops)


def _public_address_fix(snap: Snapshot, path: _Path, eni_id: str) -> list[str]:
    subnet = snap.subnets.get(path.subnet_id)
    if path.probe.version != 6 or subnet is None:
        return fix.public_address(path.region, eni_id, path.probe.version)
    used = tuple(b for s in snap.subnets.values() if s.vpc_id == path.vpc_id for b in s.ipv6_cidrs)
    return fix.public_address(path.region, eni_id, 6, subnet.id, subnet.ipv6_cidrs, path.vpc_id,
                              snap.vpc_cidrs.get(path.vpc_id), used)


# --- a way in that keeps a private instance private ----------------------------------------


def way_in(snap: Snapshot, probe: Probe) -> Fix | None:
    """A bastion: an instance's network interface with a public address, in the instance's VPC, in a group
    the instance's rules for this port name. Connecting through it needs no change at all, where opening
    the group, routing the subnet to the internet or adding a public address expose the instance."""
    path = _context(snap, probe)
    if path.eni is None or not probe.uses_ports or probe.protocol != TCP or not path.eni.private_ip:
        return None
    groups = [snap.security_groups[g] for g in path.eni.group_ids if g in snap.security_groups]
    verdict = sg_ingress(groups, snap.prefix_lists, 4, (), probe.protocol, probe.port)
    named = {r.referenced_group_id for r in verdict.group_references}
    for eni in sorted(snap.group_members.values(), key=lambda e: e.id):
        trusted = sorted(named & set(eni.group_ids))
        if eni.id in {e.id for e in path.instance.enis} or not eni.public_ip or not trusted \
                or eni.vpc_id not in ("", path.vpc_id) or eni.interface_type not in ("", "interface"):
            continue
        target = path.eni.private_ip
        if probe.port == 22:
            command = f"ssh -J ec2-user@{eni.public_ip} ec2-user@{target}"
        else:
            command = f"ssh -N -L {probe.port}:{target}:{probe.port} ec2-user@{eni.public_ip}"
        return Fix((command,), f"connect through bastion {eni.label} ({eni.public_ip}), which the instance's rule "
                               f"for {probe.what} admits as a member of {', '.join(trusted)}")
    return None


def eice_way(region: str, instance_id: str, subnet_id: str, port: int) -> Fix:
    """A way in that keeps the instance private and needs no bastion: an EC2 Instance Connect Endpoint in
    its subnet (https://docs.aws.amazon.com/AWSEC2/latest/UserGuide/connect-using-eice.html)."""
    connect = (fix.aws(region, "ec2-instance-connect ssh", f"--instance-id {instance_id}", "--connection-type eice")
               if port == 22 else
               fix.aws(region, "ec2-instance-connect open-tunnel", f"--instance-id {instance_id}",
                       f"--remote-port {port}", f"--local-port {port}"))
    return Fix((fix.aws(region, "ec2 create-instance-connect-endpoint", f"--subnet-id {subnet_id}"), connect),
               f"create an EC2 Instance Connect Endpoint in {subnet_id} and connect through it: the instance stays "
               f"private (its security group must admit the endpoint's group or address on port {port})")


def guard_exposing(finding: Finding, way: Fix | None, private: Fix | None = None) -> Finding:
    """A fix that exposes the instance to the internet (opening its group, routing its subnet to the internet
    gateway, a public address) is never the first one offered when there is a way in without it (a bastion,
    Session Manager): that way becomes the primary fix and the exposing change an alternative that says so.
    With no such way the exposing change stays primary, but says what it exposes (``primary_disrupts``, so
    it is marked CAUTION whether or not a bastion exists) and ``private``, a way in to create that keeps the
    instance private (an EC2 Instance Connect Endpoint), is offered beside it."""
    exposes = str(finding.evidence.get("exposes_instance") or "")
    if not exposes or not finding.remediation:
        return finding
    if way is None:
        if finding.evidence.get("way_in"):  # already guarded: its primary is a way in
            return finding
        others = [a for a in finding.alternatives if private is None or a.commands != private.commands]
        return replace(finding, evidence={**finding.evidence, "primary_disrupts": exposes},
                       alternatives=[*others, *([private] if private is not None else [])])
    exposing = Fix(tuple(finding.remediation), str(finding.evidence.get("exposing_fix") or "expose the instance"),
                   exposes)
    summary = (f"{finding.summary} The instance need not be exposed to reach it: {way.summary}; the change that "
               "would let the internet in is an alternative.")
    evidence = {k: v for k, v in finding.evidence.items() if k != "primary_disrupts"}
    return replace(finding, summary=summary, remediation=list(way.commands), alternatives=[
        exposing, *(a for a in finding.alternatives if a.commands != way.commands)],
        evidence={**evidence, "way_in": way.summary})


# --- the whole path --------------------------------------------------------------------------

STAGES: tuple[tuple[str, Callable[[Snapshot, Probe], StageResult]], ...] = (
    ("instance", check_instance),
    ("source", check_source),
    ("security_groups", check_security_groups),
    ("network_acl", check_network_acl),
    ("route_table", check_route_table),
    ("gateway", check_gateway),
)

NOT_VISIBLE = [
    "whether sshd (or the service for this port) is running and listening on the port, on the right address",
    "the host firewall inside the instance (iptables, nftables, firewalld, ufw, Windows Firewall)",
    "whether your private key matches the instance's key pair",
    "the OS user name (ec2-user on Amazon Linux, ubuntu on Ubuntu, admin on Debian)",
    "your own network: a corporate firewall or proxy that blocks outbound connections to this port",
]


def _path_open(path: _Path, warnings: bool) -> Finding:
    probe, inst, region = path.probe, path.instance, path.region
    target = path.public_address if path.kind == "internet" else (path.eni.private_ip if path.eni else "")
    summary = (f"Every component the AWS API can see lets {probe.what} from {probe.source_text} reach "
               f"{inst.label}" + (f" at {target}" if target else "") + " and lets the replies back.")
    if probe.assumed:
        summary += " No source was given, so the check assumed any internet address."
    if warnings:
        summary += " Some components allow it only for part of the sources (see the warnings)."
    summary += (" If the connection still times out or is refused, the cause is on the instance or on "
                "your side: check what the API cannot see.")
    user = "Administrator" if "windows" in inst.platform.lower() else "ec2-user"
    key = f"~/.ssh/{inst.key_name}.pem" if inst.key_name else "~/.ssh/YOUR_KEY.pem"
    # Next steps, not fixes: one to run first (it only looks), the others as separate choices.
    console = Fix((fix.aws(region, "ec2 get-console-output", f"--instance-id {inst.id}", "--latest",
                           "--output text"),),
                  "Read the console output: did the OS boot and sshd start?")
    others = [
        Fix((fix.aws(region, "ssm start-session", f"--target {inst.id}"),),
            "Open a shell with Session Manager (needs the SSM agent and an instance profile)"),
        Fix((fix.aws(region, "ec2-instance-connect ssh", f"--instance-id {inst.id}"),),
            "Connect with EC2 Instance Connect"),
        Fix((fix.aws(region, "ec2-instance-connect send-serial-console-ssh-public-key", f"--instance-id {inst.id}",
                     "--serial-port 0", "--ssh-public-key file://~/.ssh/id_ed25519.pub"),
             f"ssh -i ~/.ssh/id_ed25519 {inst.id}.port0@serial-console.ec2-instance-connect."
             f"{region or 'us-east-1'}.aws"),
            "Use the EC2 serial console (needs a password for an OS user)",
            "pushes a one-time key for the serial console (the account must allow serial console access)"),
    ]
    if probe.protocol == TCP and probe.port == 22 and target:
        first = Fix((f"ssh -v -i {key} {user}@{target}",), "See where the connection stops")
        others.insert(0, console)
    else:
        first = console
    commands = list(first.commands)
    return Finding(
        code="PATH_OPEN",
        severity="info",
        resource=inst.id,
        summary=summary,
        evidence={"packet": path.packet("inbound"), "assumed_source": probe.assumed,
                  "not_visible_to_api": NOT_VISIBLE, "key_pair": inst.key_name,
                  "next_steps": ["Session Manager (needs the SSM agent and an instance profile)",
                                 "EC2 Instance Connect",
                                 "the EC2 serial console (needs a password for an OS user)",
                                 "the console output, to see whether the OS booted and sshd started",
                                 "ssh -v, to see where the connection stops"]},
        remediation=commands,
        alternatives=others,
    )


def evaluate(snap: Snapshot, probe: Probe) -> PathResult:
    """Every stage, every blocking component, and the verdict for the whole path."""
    path = _context(snap, probe)
    stages = [fn(snap, probe) for _, fn in STAGES]
    way = way_in(snap, probe)
    private = (eice_way(snap.region, path.instance.id, path.subnet_id, probe.port)
               if probe.protocol == TCP and probe.uses_ports and path.subnet_id else None)
    for stage in stages:
        stage.findings = [guard_exposing(f, way, private) for f in stage.findings]
    findings = [f for s in stages for f in s.findings]
    errors = [f for f in findings if f.severity == "error" and f.certainty == "certain"]
    conditional = [f for f in findings if f.severity == "error" and f.certainty == "conditional"]
    warnings = [f for f in findings if f.severity == "warning"]
    verdict_findings: list[Finding] = []
    if errors:
        at_fault = ", ".join(dict.fromkeys(f.resource for f in errors))
        verdict = "blocked"
        summary = (f"{probe.what} from {probe.source_text} cannot reach {path.instance.label}: "
                   f"{len(errors)} blocking component{'s' if len(errors) != 1 else ''} ({at_fault}).")
        if conditional:
            summary += (" Besides, " + ", ".join(dict.fromkeys(f.resource for f in conditional))
                        + " blocks it for some kinds of client only.")
    elif conditional:
        at_fault = ", ".join(dict.fromkeys(f.resource for f in conditional))
        verdict = "conditional"
        summary = (f"Whether {probe.what} from {probe.source_text} reaches {path.instance.label} depends on "
                   f"the client: {len(conditional)} component{'s' if len(conditional) != 1 else ''} "
                   f"({at_fault}) block{'s' if len(conditional) == 1 else ''} it for some kinds of client only. "
                   + " ".join(f.condition for f in conditional))
    else:
        verdict = "partial" if warnings else "open"
        verdict_findings.append(_path_open(path, bool(warnings)))
        summary = verdict_findings[0].summary
    return PathResult(probe, stages, verdict, summary, path.kind, verdict_findings)
