"""The runner: events in order, a failing step never ends the run, verdicts, redaction at the source."""

from __future__ import annotations

import pytest
from botocore.exceptions import ClientError, EndpointConnectionError

from diagnostics.findings import Finding
from diagnostics.session import sandbox_session
from playbooks.model import Context, Param, Playbook, Step, StepOutcome, StepSkip
from playbooks.registry import parse_inputs
from playbooks.runner import run_playbook


def _session():
    # Nothing listens here: these steps never call AWS.
    return sandbox_session("http://127.0.0.1:9")


def _step(step_id: str, fn) -> Step:
    return Step(id=step_id, title=step_id.title(), why="because", run=fn)


def _ok(ctx: Context) -> StepOutcome:
    return StepOutcome("ok", "all good")


def _denied(ctx: Context) -> StepOutcome:
    raise ClientError(
        {"Error": {"Code": "UnauthorizedOperation", "Message": "You are not authorized"}},
        "DescribeNetworkAcls",
    )


def _offline(ctx: Context) -> StepOutcome:
    raise EndpointConnectionError(endpoint_url="https://ec2.us-east-1.amazonaws.com")


def _bug(ctx: Context) -> StepOutcome:
    raise KeyError("SecurityGroups")


def _problem(ctx: Context) -> StepOutcome:
    finding = Finding("ENI_SG_RULES_MISMATCH", "error", "sg-0123", "blocked",
                      evidence={"key": "AKIAIOSFODNN7EXAMPLE"}, remediation=["aws ec2 ..."])
    return StepOutcome("problem", "the group drops port 22", [finding])


def _skip(ctx: Context) -> StepOutcome:
    raise StepSkip("nothing to check")


def _playbook(*steps: Step) -> Playbook:
    return Playbook(name="test", title="Test", purpose="p", params=(), steps=steps)


def test_a_failing_step_is_recorded_and_the_run_goes_on() -> None:
    events = []
    t = run_playbook(_playbook(_step("a", _denied), _step("b", _bug), _step("c", _ok)), {},
                     _session(), [events.append])
    assert [s.status for s in t.steps] == ["error", "error", "ok"]
    assert "DescribeNetworkAcls" in t.steps[0].detail
    assert "Traceback" not in t.steps[1].detail and t.steps[1].detail
    assert t.verdict == "incomplete"
    types = [e.type for e in events]
    assert types[0] == "run_started" and types[-1] == "run_finished"
    assert types.count("step_started") == types.count("step_finished") == 3


def test_problem_beats_incomplete_and_findings_are_redacted() -> None:
    t = run_playbook(_playbook(_step("a", _denied), _step("b", _problem), _step("c", _skip)), {}, _session())
    assert t.verdict == "problem_found"
    assert t.steps[2].status == "skipped" and t.steps[2].detail == "nothing to check"
    assert "AKIAIOSFODNN7EXAMPLE" not in str(t.to_json_dict())
    assert t.findings[0]["resource"] == "sg-0123"


def test_an_unreachable_endpoint_skips_the_remaining_steps_with_the_reason() -> None:
    # Once the endpoint cannot be reached, every later call would fail the same way (after retries):
    # the run says so once and stops asking.
    t = run_playbook(_playbook(_step("a", _offline), _step("b", _ok), _step("c", _ok)), {}, _session())
    assert [s.status for s in t.steps] == ["error", "skipped", "skipped"]
    assert t.steps[1].detail.startswith("Not run: ")
    assert t.verdict == "incomplete"


def test_cancel_stops_before_the_next_step_and_keeps_the_transcript() -> None:
    import threading

    cancel = threading.Event()

    def cancel_now(ctx: Context) -> StepOutcome:
        cancel.set()
        return StepOutcome("ok", "first")

    t = run_playbook(_playbook(_step("a", cancel_now), _step("b", _ok)), {}, _session(), cancel=cancel)
    assert t.cancelled and t.verdict == "incomplete"
    assert [s.status for s in t.steps] == ["ok", "skipped"]


def test_parse_inputs_validates_defaults_and_unknowns() -> None:
    from playbooks import params as v

    pb = Playbook("t", "T", "p", (Param("instance", "id", v.instance_id, required=True),
                                  Param("port", "port", v.port, default="22"),
                                  Param("context", "kv", v.key_value, repeatable=True)), ())
    assert parse_inputs(pb, {"instance": ["i-0123456789abcdef0"]}) == {"instance": "i-0123456789abcdef0",
                                                                        "port": 22}
    with pytest.raises(ValueError, match="instance"):
        parse_inputs(pb, {"instance": ["i-nope"]})
    with pytest.raises(ValueError, match="needs --param instance"):
        parse_inputs(pb, {})
    with pytest.raises(ValueError, match="no parameter 'bogus'"):
        parse_inputs(pb, {"instance": ["i-0123456789abcdef0"], "bogus": ["1"]})
    both = parse_inputs(pb, {"instance": ["i-0123456789abcdef0"], "context": ["a=1", "b=2"]})
    assert both["context"] == [("a", "1"), ("b", "2")]
