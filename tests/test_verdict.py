"""The verdict rules over made-up step outcomes: no data is not health, a corroborating step that fails
never hides a decision, one failed call keeps what else was read, conditional findings, headlines."""

from __future__ import annotations

import threading

import pytest
from botocore.exceptions import ClientError, NoCredentialsError

from diagnostics.findings import Finding, Fix
from diagnostics.session import sandbox_session
from playbooks.exporters import to_html, to_markdown, to_text
from playbooks.model import Context, Playbook, Step, StepOutcome
from playbooks.runner import run_playbook
from playbooks.verdict import StepResult, headline, verdict_of

D, C = True, False  # decides, corroborates


def _steps(*pairs: tuple[str, bool]) -> list[StepResult]:
    return [StepResult(f"s{i}", f"Step {i}", status, decides) for i, (status, decides) in enumerate(pairs)]


WARN = {"severity": "warning", "summary": "Memory at 93% of the 512 MB configured. Raise it."}
BLOCK = {"severity": "error", "resource": "sg-0123", "summary": "blocked"}
COND = {"severity": "error", "resource": "acl-0123", "summary": "replies dropped", "certainty": "conditional",
        "condition": "for clients behind NAT"}


@pytest.mark.parametrize(
    ("steps", "findings", "expected"),
    [
        (_steps(("ok", D), ("ok", D)), [], "no_problem_found"),
        (_steps(("ok", D), ("warning", D)), [WARN], "no_problem_found"),
        # no data on a deciding step: nothing was judged, so nothing is vouched for
        (_steps(("ok", D), ("no_data", D)), [], "incomplete"),
        (_steps(("ok", D), ("error", D)), [], "incomplete"),
        # a corroborating step that failed or had no data leaves the decision standing
        (_steps(("ok", D), ("error", C)), [], "no_problem_found"),
        (_steps(("ok", D), ("no_data", C)), [], "no_problem_found"),
        (_steps(("problem", D), ("error", C)), [BLOCK], "problem_found"),
        # a problem beats a step that could not run: it is what the engineer needs
        (_steps(("problem", D), ("error", D)), [BLOCK], "problem_found"),
        (_steps(("ok", D)), [BLOCK], "problem_found"),
        (_steps(("problem", D)), [COND], "problem_found"),
        (_steps(("skipped", D), ("ok", D)), [], "no_problem_found"),
    ],
)
def test_verdict_rules(steps, findings, expected) -> None:
    assert verdict_of(steps, findings) == expected


def test_a_cancelled_run_is_incomplete_even_with_a_problem_so_far() -> None:
    assert verdict_of(_steps(("problem", D)), [BLOCK], cancelled=True) == "incomplete"
    line = headline("incomplete", _steps(("problem", D)), [BLOCK], cancelled_after="Step 0", cancelled=True)
    assert line.startswith("Cancelled after step 'Step 0': 1 blocking finding (sg-0123) so far")
    assert "Problem found" not in line
    # A step that found a problem before the cancel is said, even before its finding was made.
    early = headline("incomplete", _steps(("problem", D)), [], cancelled_after="Step 0", cancelled=True)
    assert early.startswith("Cancelled after step 'Step 0': a problem at Step 0 so far")
    empty = headline("incomplete", [], [], cancelled=True)
    assert empty.startswith("Cancelled before its first step: no blocking finding so far")


def test_headlines_count_warnings_and_name_what_could_not_decide() -> None:
    assert headline("no_problem_found", _steps(("warning", D)), [WARN]) == (
        "No problem found, 1 warning: Memory at 93% of the 512 MB configured")
    assert headline("no_problem_found", _steps(("ok", D)), []) == "No problem found"
    # What could not corroborate is in the headline itself: "No problem found" alone would read as "all read".
    assert headline("no_problem_found", _steps(("ok", D), ("error", C), ("no_data", C)), []) == (
        "No problem found; not corroborated: 'Step 1' could not be read, 'Step 2' had no data")
    incomplete = headline("incomplete", _steps(("ok", D), ("no_data", D)), [])
    assert incomplete == "Incomplete: could not decide: 'Step 1' (no data)"
    both = headline("problem_found", _steps(("problem", D)), [BLOCK, COND, WARN])
    assert both.startswith("Problem found: 1 blocking finding (sg-0123); 1 conditional blocking finding (acl-0123)")
    assert "1 warning" in both


# -- through the runner ---------------------------------------------------------------------------


def _session():
    return sandbox_session("http://127.0.0.1:9")  # nothing listens: these steps never call AWS


def _refused() -> dict:
    raise ClientError({"Error": {"Code": "AccessDeniedException", "Message": "User: x is not authorized"}},
                      "GetAccountSettings")


def _partial(ctx: Context) -> StepOutcome:
    reserved = ctx.read("the function's reserved concurrency", lambda: {"ReservedConcurrentExecutions": 5})
    account = ctx.read("the account's concurrency limit", _refused, default=None)
    assert account is None
    return StepOutcome("problem", f"Reserved concurrency {reserved['ReservedConcurrentExecutions']} bites.",
                       [Finding("LAMBDA_RESERVED_CONCURRENCY", "error", "fn", "reserved 5")])


def _no_credentials(ctx: Context) -> StepOutcome:
    ctx.read("anything", lambda: (_ for _ in ()).throw(NoCredentialsError()))
    return StepOutcome("ok", "unreachable")


def _pb(*steps: Step) -> Playbook:
    return Playbook(name="t", title="T", purpose="p", params=(), steps=steps)


def test_partial_failure_keeps_what_was_read_and_names_the_missing_fact() -> None:
    t = run_playbook(_pb(Step("limits", "Limits?", "why", _partial)), {}, _session())
    step = t.steps[0]
    assert step.status == "problem" and t.verdict == "problem_found"
    # No call reached the call log here, so the action is the operation the error names; in a real run
    # the failed call names its service too ("lambda:GetAccountSettings").
    assert [m["fact"] for m in step.missing] == ["the account's concurrency limit"]
    assert step.missing[0]["action"].endswith("GetAccountSettings")
    assert "permission" in step.missing[0]["reason"]
    for text in (to_markdown(t), to_text(t), to_html(t)):
        assert "Not read: the account&#x27;s concurrency limit" in text or \
            "Not read: the account's concurrency limit" in text
    assert t.to_json_dict()["steps"][0]["missing"][0]["fact"] == "the account's concurrency limit"


def test_a_fatal_error_inside_a_read_still_stops_the_run() -> None:
    then = Step("b", "B", "why", lambda c: StepOutcome("ok", ""))
    t = run_playbook(_pb(Step("a", "A", "why", _no_credentials), then), {}, _session())
    assert [s.status for s in t.steps] == ["error", "skipped"]
    assert t.verdict == "incomplete"


def test_a_failed_corroboration_is_said_but_leaves_the_decision() -> None:
    def cross_check(ctx: Context) -> StepOutcome:
        error = {"Error": {"Code": "NotImplemented", "Message": "not implemented"}}
        raise ClientError(error, "SimulatePrincipalPolicy")

    t = run_playbook(_pb(Step("decide", "Decide", "why", lambda c: StepOutcome("ok", "allowed")),
                         Step("sim", "Simulator agrees?", "why", cross_check, decides=False)), {}, _session())
    assert t.verdict == "no_problem_found"
    data = t.to_json_dict()
    assert data["steps"][1]["role"] == "corroborates"
    assert data["not_corroborated"][0]["step"] == "sim"
    assert "Could not corroborate with 'Simulator agrees?'" in to_markdown(t)


def test_no_data_step_makes_the_run_incomplete_with_the_source_named() -> None:
    t = run_playbook(_pb(Step("m", "Metrics?", "why", lambda c: StepOutcome(
        "no_data", "CloudWatch has no AWS/Lambda Duration datapoints for fn in the last 1 h."))), {}, _session())
    assert t.verdict == "incomplete"
    assert t.headline == "Incomplete: could not decide: 'Metrics?' (no data)"
    assert "∅ Metrics?" in to_text(t)


def test_cancel_after_a_step_is_recorded_in_every_export() -> None:
    cancel = threading.Event()

    def first(ctx: Context) -> StepOutcome:
        cancel.set()
        return StepOutcome("problem", "found it", [Finding("X", "error", "sg-1", "blocked")])

    t = run_playbook(_pb(Step("a", "First", "why", first), Step("b", "Second", "why", lambda c: StepOutcome("ok", ""))),
                     {}, _session(), cancel=cancel)
    assert t.verdict == "incomplete" and t.cancelled_after == "First"
    assert t.to_json_dict()["cancelled_after"] == "First"
    for text in (to_markdown(t), to_text(t), to_html(t)):
        assert "Cancelled after step &#x27;First&#x27;" in text or "Cancelled after step 'First'" in text
        assert "Problem found" not in text


def test_conditional_findings_and_alternatives_show_in_every_format() -> None:
    finding = Finding("SUBNET_ACL_RESTRICTION", "error", "acl-1", "replies dropped", certainty="conditional",
                      condition="for clients whose source port is below 32768",
                      remediation=["aws ec2 replace-network-acl-entry ..."],
                      alternatives=[Fix(("aws ec2 stop-instances ...",), "resize", "stops the instance")])
    t = run_playbook(_pb(Step("a", "A", "why", lambda c: StepOutcome("problem", "x", [finding]))), {}, _session())
    data = t.to_json_dict()["findings"][0]
    assert data["certainty"] == "conditional" and data["alternatives"][0]["disrupts"] == "stops the instance"
    for text in (to_markdown(t), to_text(t), to_html(t)):
        assert "Conditional: for clients whose source port is below 32768" in text
        assert "stops the instance" in text
    assert Finding.from_dict(finding.to_dict()) == finding
