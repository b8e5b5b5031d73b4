"""Which kinds of client a network ACL's reply rules serve: the ephemeral port each one picks.

A network ACL is stateless, so the reply to a connection must be allowed out to the port the
*client* picked for it. That port comes from the client's operating system (or the device that
rewrites it, such as a NAT gateway), so an ACL that allows only part of 1024-65535 back cuts off
some clients and not others. The ranges are AWS's, from "Network ACLs > Ephemeral ports"
(https://docs.aws.amazon.com/vpc/latest/userguide/nacl-ephemeral-ports.html), with Linux at the
kernel's default ``net.ipv4.ip_local_port_range`` of 32768-60999 (AWS rounds it to 61000).
"""

from __future__ import annotations

from dataclasses import dataclass

from diagnostics.reachability.addresses import Interval, Intervals, intersect, normalize, ports_text

DOC_URL = "https://docs.aws.amazon.com/vpc/latest/userguide/nacl-ephemeral-ports.html"


@dataclass(frozen=True)
class ClientKind:
    name: str
    ports: Interval


# In the order a person reads them: the common desktop clients first, then what sits between.
CLIENT_KINDS: tuple[ClientKind, ...] = (
    ClientKind("Linux clients (Amazon Linux included)", (32768, 60999)),
    ClientKind("Windows since Vista / Server 2008 and macOS", (49152, 65535)),
    ClientKind("clients behind a NAT gateway, Elastic Load Balancing and AWS Lambda", (1024, 65535)),
    ClientKind("Windows through XP / Server 2003", (1025, 5000)),
)


@dataclass(frozen=True)
class ClientCoverage:
    kind: ClientKind
    allowed: Intervals  # the part of its range the reply rules allow

    @property
    def share(self) -> float:
        lo, hi = self.kind.ports
        return sum(b - a + 1 for a, b in self.allowed) / (hi - lo + 1)

    @property
    def state(self) -> str:
        """served (every port it may pick), partly (some connection attempts time out) or cut."""
        if self.allowed == (self.kind.ports,):
            return "served"
        return "partly" if self.allowed else "cut"

    def words(self) -> str:
        lo, hi = self.kind.ports
        if self.state == "partly":
            return (f"{self.kind.name} (ports {lo}-{hi}: only {ports_text(self.allowed)} allowed, so about "
                    f"{round(100 * (1 - self.share))}% of connection attempts time out)")
        return f"{self.kind.name} (ports {lo}-{hi})"


@dataclass(frozen=True)
class ReplyCoverage:
    """How the reply ports an ACL allows to a client split the kinds of client."""

    allowed: Intervals
    kinds: tuple[ClientCoverage, ...]

    def with_state(self, state: str) -> list[ClientCoverage]:
        return [k for k in self.kinds if k.state == state]

    @property
    def conditional(self) -> bool:
        """Some kind of client gets every reply and some does not: whether the connection works
        depends on the client, which the API cannot see."""
        return bool(self.with_state("served")) and len(self.with_state("served")) < len(self.kinds)

    def condition(self) -> str:
        """The plain-words condition of a conditional finding: who is cut off, who is not."""
        cut = self.with_state("cut") + self.with_state("partly")
        served = self.with_state("served")
        text = ("The replies are dropped for " + "; ".join(k.words() for k in cut)
                + ". They get through for " + "; ".join(k.words() for k in served)
                + f", which connect fine. (Ephemeral port ranges per AWS: {DOC_URL})")
        return text

    def to_evidence(self) -> dict[str, object]:
        return {"allowed_reply_ports": ports_text(self.allowed) or "none",
                "clients": [{"kind": k.kind.name, "ports": f"{k.kind.ports[0]}-{k.kind.ports[1]}",
                             "state": k.state, "allowed": ports_text(k.allowed)} for k in self.kinds],
                "source": DOC_URL}


def reply_coverage(allowed_ports: Intervals) -> ReplyCoverage:
    """Split the client kinds by the reply ports allowed to them (the same for every address of the
    client: the caller passes the ports allowed to *all* of them)."""
    allowed = normalize(allowed_ports)
    return ReplyCoverage(allowed, tuple(ClientCoverage(k, intersect(allowed, (k.ports,)))
                                        for k in CLIENT_KINDS))
