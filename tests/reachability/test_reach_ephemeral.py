"""A network ACL that lets replies out to only part of 1024-65535 cuts off some kinds of client, not
all: the finding is conditional and names who is cut off (AWS, "Network ACLs > Ephemeral ports":
https://docs.aws.amazon.com/vpc/latest/userguide/nacl-ephemeral-ports.html). One that allows no reply
port at all stays a certain blocker."""

from __future__ import annotations

import pytest
from world import ACL, World, nacl_entry

from diagnostics.reachability.ephemeral import reply_coverage
from diagnostics.reachability.graph import build_graph, to_mermaid


def _nacl(result):
    return next(f for f in result.findings if f.code == "SUBNET_ACL_RESTRICTION")


def _public_subnet_acl(world: World) -> None:
    """AWS's recommended ACL for a public subnet: SSH in, replies out to 32768-65535."""
    world.set_acl_entries(nacl_entry(120, protocol="6", ports=(22, 22), cidr="203.0.113.0/24"),
                          nacl_entry(120, egress=True, protocol="6", ports=(32768, 65535)))


def test_coverage_of_the_recommended_range_splits_the_client_kinds() -> None:
    coverage = reply_coverage(((32768, 65535),))
    states = {k.kind.name: k.state for k in coverage.kinds}
    assert states == {"Linux clients (Amazon Linux included)": "served",
                      "Windows since Vista / Server 2008 and macOS": "served",
                      "clients behind a NAT gateway, Elastic Load Balancing and AWS Lambda": "partly",
                      "Windows through XP / Server 2003": "cut"}
    assert coverage.conditional


@pytest.mark.parametrize(("allowed", "conditional"), [
    (((1024, 65535),), False),  # everyone served: nothing to be conditional about
    ((), False),  # nobody served: a certain blocker
    (((49152, 65535),), True),
    (((50000, 60000),), False),  # every kind only partly: no client connects reliably
])
def test_conditional_only_when_some_kind_is_served_and_some_is_not(allowed, conditional) -> None:
    assert reply_coverage(allowed).conditional is conditional


def test_recommended_public_subnet_acl_is_a_conditional_blocker_naming_the_clients() -> None:
    world = World()
    _public_subnet_acl(world)
    result = world.evaluate()
    found = _nacl(result)
    assert (found.severity, found.certainty, found.resource) == ("error", "conditional", ACL)
    for words in ("NAT gateway", "Elastic Load Balancing", "XP / Server 2003", "1024-65535", "1025-5000"):
        assert words in found.condition, words
    assert "Linux clients" in found.condition.split("They get through for")[1]
    assert "nacl-ephemeral-ports" in found.condition
    assert "--port-range From=1024,To=65535" in found.remediation[-1]
    clients = {c["kind"]: c["state"] for c in found.evidence["reply_clients"]["clients"]}
    assert clients["Windows through XP / Server 2003"] == "cut"
    # the whole path is conditional, not "cannot reach"
    assert result.verdict == "conditional"
    assert "depends on the client" in result.summary and "cannot reach" not in result.summary
    stage = result.stage("network_acl")
    assert stage.status == "blocked" and stage.detail.startswith("Conditional: ")


def test_conditional_hop_reaches_graph_and_mermaid() -> None:
    world = World()
    _public_subnet_acl(world)
    graph = build_graph(world.evaluate())
    assert graph.nodes[ACL]["certainty"] == "conditional"
    assert "NAT gateway" in graph.nodes[ACL]["condition"]
    back = [d for u, v, d in graph.edges(data=True) if v == ACL and d["direction"] == "return"]
    assert back and back[0]["certainty"] == "conditional" and back[0]["verdict"] == "allow"
    assert "(conditional: some kinds of client)" in to_mermaid(graph)
    assert graph.graph["verdict"] == "conditional"


def test_acl_that_allows_no_reply_port_stays_a_certain_blocker() -> None:
    world = World()
    world.set_acl_entries(nacl_entry(120, protocol="6", ports=(22, 22)))  # nothing outbound at all
    result = world.evaluate()
    found = _nacl(result)
    assert (found.severity, found.certainty, found.condition) == ("error", "certain", "")
    assert "No reply port is allowed at all" in found.summary
    assert result.verdict == "blocked"
    assert build_graph(result).nodes[ACL]["certainty"] == "certain"


def test_inbound_drop_is_certain_whatever_the_reply_ports() -> None:
    world = World()
    world.set_acl_entries(nacl_entry(120, egress=True, protocol="6", ports=(32768, 65535)))
    found = _nacl(world.evaluate())
    assert found.certainty == "certain"


def test_a_low_deny_inside_the_range_that_spares_modern_clients_is_conditional() -> None:
    world = World()
    world.set_acl_entries(nacl_entry(100),
                          nacl_entry(50, "deny", egress=True, protocol="6", ports=(1024, 2048)),
                          nacl_entry(100, egress=True))
    found = _nacl(world.evaluate())
    assert found.certainty == "conditional"
    assert "rule 50" in found.summary


def test_icmp_has_no_ephemeral_ports_and_stays_certain() -> None:
    world = World()
    world.set_acl_entries(nacl_entry(100, protocol="1"))
    found = _nacl(world.evaluate(protocol="icmp"))
    assert found.certainty == "certain"


def test_terminal_drawing_marks_the_conditional_hop_and_explains_the_mark() -> None:
    from tui.widgets.path_graph import layout_graph

    world = World()
    _public_subnet_acl(world)
    text = "\n".join(line if isinstance(line, str) else line.plain
                     for line in layout_graph(build_graph(world.evaluate()), 200))
    assert f"? {ACL}: conditional: The replies are dropped for" in text
    assert "? conditional: only some kinds of client" in text
    healthy = "\n".join(line if isinstance(line, str) else line.plain
                        for line in layout_graph(build_graph(World().evaluate()), 200))
    assert "conditional" not in healthy
