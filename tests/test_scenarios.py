"""Every sandbox scenario, end to end: seed it into moto, run its playbook, check the diagnosis.

A scenario file declares the findings a correct diagnosis must produce; this test is what makes the
demo, the walkthrough and the engine agree.
"""

from __future__ import annotations

import json

import pytest

from diagnostics.sandbox import load_scenarios
from playbooks.registry import MODULES, get_playbook, parse_inputs
from playbooks.runner import run_playbook
from playbooks.workspace import raw_inputs

SCENARIOS = load_scenarios()


@pytest.mark.sandbox
@pytest.mark.parametrize("scenario", SCENARIOS, ids=[s.name for s in SCENARIOS])
def test_scenario_diagnosis(sandbox, scenario) -> None:
    seeded = sandbox.seed(scenario)
    playbook = get_playbook(scenario.playbook)
    transcript = run_playbook(playbook, parse_inputs(playbook, raw_inputs(seeded.inputs)), sandbox.session(),
                              scenario=scenario.name)
    got = [(f["code"], f["resource"], f["severity"]) for f in transcript.findings]
    for expected in seeded.expect:
        want = (expected["code"], expected.get("resource"), expected.get("severity", "error"))
        assert any(g[0] == want[0] and (want[1] is None or g[1] == want[1]) and g[2] == want[2] for g in got), (
            f"{scenario.name}: expected {want}, got {got}; steps: "
            + json.dumps([(s.id, s.status, s.detail) for s in transcript.steps], indent=1)
        )
    statuses = {s.id: s.status for s in transcript.steps}
    for step, status in scenario.expect_steps.items():
        assert statuses.get(step) == status, f"{scenario.name}: step {step} is {statuses.get(step)}, not {status}"
    errors = [(s.id, s.detail) for s in transcript.steps if s.status == "error"]
    assert not errors, f"{scenario.name}: steps failed on the sandbox: {errors}"
    assert transcript.verdict == scenario.verdict, got
    if scenario.verdict == "no_problem_found":
        assert not [g for g in got if g[2] == "error"]


def test_every_playbook_has_a_default_scenario() -> None:
    for name in MODULES:
        playbook = get_playbook(name)
        mine = [s for s in SCENARIOS if s.playbook == name]
        assert mine, f"no sandbox scenario for {name}"
        assert playbook.default_scenario in {s.name for s in mine}, name
        assert any(s.verdict == "problem_found" for s in mine) and any(
            s.verdict == "no_problem_found" for s in mine), f"{name} needs a broken and a healthy world"


def test_scenarios_explain_themselves() -> None:
    for s in SCENARIOS:
        assert s.title and s.story, f"{s.name} needs a title and a story for the walkthrough"
        assert s.verdict in ("problem_found", "no_problem_found")
        if s.verdict == "problem_found":
            assert s.expect, f"{s.name} declares no expected finding"
