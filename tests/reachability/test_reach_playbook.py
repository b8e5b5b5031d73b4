"""The ssh-timeout playbook on the sandbox: steps reuse what earlier steps read, draw the path, and
fail in plain sentences."""

from __future__ import annotations

from collections import Counter

import pytest

from diagnostics.reachability import from_node_link, path_rows
from diagnostics.sandbox import scenario_by_name
from playbooks.registry import get_playbook, parse_inputs
from playbooks.runner import run_playbook

pytestmark = pytest.mark.sandbox


def run(sandbox, scenario: str, **override: str):
    seeded = sandbox.seed(scenario_by_name(scenario))
    playbook = get_playbook("ssh-timeout")
    raw = {k: [str(v)] for k, v in {**seeded.inputs, **override}.items()}
    return seeded, run_playbook(playbook, parse_inputs(playbook, raw), sandbox.session(), scenario=scenario)


def test_steps_read_each_thing_once_and_in_order(sandbox) -> None:
    _, transcript = run(sandbox, "ssh-healthy")
    assert [s.id for s in transcript.steps] == ["identity", "instance", "session-manager", "source", "security-groups",
                                                "network-acl", "route-table", "internet-gateway", "verdict",
                                                "changes"]
    calls = Counter(c["operation"] for c in transcript.api_calls)
    assert calls and max(calls.values()) == 1, calls
    assert not transcript.step("verdict").api_calls  # the verdict reuses everything
    assert transcript.step("instance").api_calls[0]["operation"] == "DescribeInstances"
    assert transcript.verdict == "no_problem_found"


def test_every_step_explains_itself() -> None:
    for step in get_playbook("ssh-timeout").steps:
        assert step.title and len(step.why) > 80 and step.good, step.id


def test_the_path_graph_reaches_the_transcript(sandbox) -> None:
    seeded, transcript = run(sandbox, "ssh-nacl-return-traffic")
    graph = from_node_link(transcript.graph)
    acl = seeded.refs["nacl.web"]["id"]
    assert graph.nodes[acl]["status"] == "blocked"
    forward, back = path_rows(graph)
    assert forward[-1][0]["id"] == seeded.refs["instance.web"]["id"]
    assert back[-1][0]["id"] == "client"
    statuses = {s.id: s.status for s in transcript.steps}
    assert statuses["network-acl"] == "problem" and statuses["security-groups"] == "ok"
    assert statuses["verdict"] == "problem"


def test_no_source_is_assumed_and_said(sandbox) -> None:
    seeded = sandbox.seed(scenario_by_name("ssh-healthy"))
    playbook = get_playbook("ssh-timeout")
    inputs = parse_inputs(playbook, {"instance": [seeded.inputs["instance"]]})
    transcript = run_playbook(playbook, inputs, sandbox.session())
    warnings = [f for f in transcript.findings if f["severity"] == "warning"]
    assert any(f["code"] == "ENI_SG_RULES_MISMATCH" and "No source was given" in f["summary"]
               for f in warnings)
    assert transcript.verdict == "no_problem_found"


def test_unknown_instance_fails_in_sentences(sandbox) -> None:
    sandbox.seed(scenario_by_name("ssh-healthy"))
    playbook = get_playbook("ssh-timeout")
    inputs = parse_inputs(playbook, {"instance": ["i-0123456789abcdef0"]})
    transcript = run_playbook(playbook, inputs, sandbox.session())
    statuses = {s.id: s.status for s in transcript.steps}
    assert statuses["instance"] == "error"
    assert "i-0123456789abcdef0" in transcript.step("instance").detail
    assert "Traceback" not in transcript.step("instance").detail
    # Everything else hangs on the instance: skipped with the reason, not six copies of the error.
    later = [s for s in transcript.steps if s.id not in ("identity", "instance", "changes")]
    assert all(s.status == "skipped" and "could not be read" in s.detail for s in later)
    assert sum(c["operation"] == "DescribeInstances" for c in transcript.api_calls) == 1
    assert transcript.verdict == "incomplete"
