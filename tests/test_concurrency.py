"""Concurrent reads (issue 17): the same diagnosis as one read at a time, calls with the step that uses
them, a journal with each call's start and end, per-service slots and pacing, and a cancel that leaves
no reader thread behind."""

from __future__ import annotations

import contextlib
import itertools
import re
import threading
import time
from collections import Counter

import pytest

from diagnostics.concurrency import CANCELLED, POLL_SECONDS, CallCancelled, Pacer, ServiceLimiter
from diagnostics.sandbox import default_scenario, load_scenarios
from diagnostics.sandbox.latency import DelayProxy
from diagnostics.session import sandbox_session
from playbooks.journal import Journal, read_journal
from playbooks.model import Context, Playbook, Step, StepOutcome
from playbooks.plan import THREAD_PREFIX
from playbooks.registry import MODULES, get_playbook, parse_inputs
from playbooks.runner import run_playbook
from playbooks.workspace import raw_inputs

DELAY = 0.1
# Times as the steps write them (ISO, "2026-11-22 21:53 UTC", "00:31 UTC"), and a window's sample count: two
# runs can straddle a minute.
TIME = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d(:\d\d)?Z( with \d+ throttled calls)?|EpochTime=\d+"
                  r"|(\d{4}-\d\d-\d\d )?\b\d\d:\d\d(:\d\d)?( UTC)\b|\d+ samples")


def _readers_alive() -> list[str]:
    return [t.name for t in threading.enumerate() if t.name.startswith(THREAD_PREFIX)]


def _steps(transcript) -> list[tuple]:
    """What a person sees of each step, and the calls it made (in any order: concurrent calls overlap).

    Times are left out: the sandbox dates its histories from the moment they are read, so which minute is
    the busiest (or how many datapoints fall in a window) can shift between two runs."""
    return [(s.id, s.status, TIME.sub("<time>", s.detail), sorted(str(m) for m in s.missing),
             sorted(Counter((c["service"], c["operation"], c.get("error")) for c in s.api_calls).items()))
            for s in transcript.steps]


def _run(sandbox, scenario, readers: int, url: str | None = None, seeded=None, **kwargs):
    seeded = seeded or sandbox.seed(scenario)
    playbook = get_playbook(scenario.playbook)
    inputs = parse_inputs(playbook, raw_inputs(seeded.inputs))
    session = sandbox_session(url or sandbox.endpoint_url)
    return run_playbook(playbook, inputs, session, scenario=scenario.name, readers=readers, **kwargs)


# Every playbook's default scenario, and the ones whose reads fail or branch (a source, a peering, an
# unreadable log group): the concurrent run must give what the sequential one gives, step by step.
EQUIVALENCE = sorted({default_scenario(name).name for name in MODULES} | {
    "ssh-bastion-group-not-referenced", "ssh-peered-no-return-route", "ssh-eice-group-not-allowed",
    "ssh-tgw-no-propagation", "lambda-init-failure", "slow-lambda-cold-starts", "throttling-lambda-reserved",
    # access-denied reads a principal's policies beside the principal, and its organization's policies: a
    # group, a role session, an organization, a VPC endpoint, an authorization ID.
    "iam-explicit-deny-without-mfa", "iam-allowed-role-session", "iam-scp-member-account", "iam-vpc-endpoint-denies",
    "iam-authorization-id",
    # slow-performance reads an instance's metrics beside its credit mode, and a path's configurations together.
    "slow-alb-target-group", "slow-healthy", "slow-rds-burst-balance",
    # throttling reads the functions' loads and the account's pool together.
    "throttling-lambda-pool-drained", "throttling-lambda-reserved-zero", "throttling-dynamodb-hot-key"})


@pytest.mark.sandbox
@pytest.mark.parametrize("name", EQUIVALENCE)
def test_concurrent_reads_give_the_same_steps_calls_and_findings_as_one_read_at_a_time(sandbox, name) -> None:
    scenario = next(s for s in load_scenarios() if s.name == name)
    seeded = sandbox.seed(scenario)  # once: the seeded history's times are part of the details
    one = _run(sandbox, scenario, readers=1, seeded=seeded)
    many = _run(sandbox, scenario, readers=8, seeded=seeded)
    assert _steps(many) == _steps(one)
    def named(t) -> list[tuple]:
        return [(f["code"], f["severity"], f["resource"], f.get("certainty"), f.get("remediation")) for f in t.findings]
    assert named(many) == named(one) and many.verdict == one.verdict
    assert not _readers_alive()


@pytest.mark.sandbox
def test_a_cancel_mid_run_stops_the_reads_leaves_no_reader_thread_and_a_consistent_transcript(sandbox) -> None:
    scenario = default_scenario("ssh-timeout")
    cancel = threading.Event()
    seen: list[dict] = []

    cancelled_at: list[float] = []

    def cancel_now() -> None:
        cancelled_at.append(time.time())  # the clock of a call's started_at
        cancel.set()

    def observer(event) -> None:
        data = event.to_dict()
        seen.append(data)
        # Cancel once the first reads are in flight: the path's parts are being asked for at once.
        if data["type"] == "step_started" and data["step_id"] == "instance":
            threading.Timer(DELAY * 1.5, cancel_now).start()

    seeded = sandbox.seed(scenario)
    with DelayProxy(sandbox.endpoint_url, DELAY) as proxy:
        transcript = _run(sandbox, scenario, readers=8, url=proxy.url, seeded=seeded, observers=[observer],
                          cancel=cancel)
    assert not _readers_alive()
    assert transcript.cancelled and transcript.verdict == "incomplete"
    # The calls in flight end and nothing else is sent: each thread (8 readers and the runner's) can have
    # at most one call past the cancel check when the cancel comes; every later call is refused unsent.
    # (Counted, not timed: a loaded machine stretches time, not the number of calls.)
    assert cancelled_at
    sent_after = [e["call"] for e in seen if e["type"] == "api_call"
                  and e["call"]["started_at"] >= cancelled_at[0] and e["call"].get("error") != "Cancelled"]
    assert len(sent_after) <= 8 + 1, sent_after
    # Every step that started finished, in the playbook's order, and no later step started.
    started_ids = [e["step_id"] for e in seen if e["type"] == "step_started"]
    finished_ids = [e["step_id"] for e in seen if e["type"] == "step_finished"]
    order = [s.id for s in get_playbook("ssh-timeout").steps]
    assert started_ids == finished_ids == order[:len(started_ids)] and len(started_ids) < len(order)
    # A call belongs to a step that ran, or (a read no step got to use) to none.
    assert all(e["step_id"] in [*started_ids, None] for e in seen if e["type"] == "api_call")
    assert seen[-1]["type"] == "run_finished" and seen[-1]["cancelled"]
    assert [s.id for s in transcript.steps] == order


@pytest.mark.sandbox
def test_the_journal_records_each_calls_start_and_end(sandbox, tmp_path) -> None:
    journal = Journal(tmp_path / "run.jsonl")
    with DelayProxy(sandbox.endpoint_url, DELAY) as proxy:
        _run(sandbox, default_scenario("ssh-timeout"), readers=8, url=proxy.url, observers=[journal])
    journal.close()
    calls = [e["call"] for e in read_journal(tmp_path / "run.jsonl") if e["type"] == "api_call"]
    assert calls
    for call in calls:
        assert call["started_at"] > 0 and call["ended_at"] - call["started_at"] >= DELAY * 0.9, call
    spans = sorted((c["started_at"], c["ended_at"]) for c in calls)
    overlapping = sum(1 for a, b in itertools.pairwise(spans) if b[0] < a[1])
    assert overlapping >= 3  # the path's parts were asked for at once


def test_calls_go_to_the_step_that_uses_the_read_when_reads_overlap(plain_moto) -> None:
    """Two reads start together before any step runs; each step's calls are the ones of the read it used,
    however the calls interleave in time; a read no step used belongs to none."""
    ec2 = plain_moto.client("ec2")
    vpc = ec2.create_vpc(CidrBlock="10.0.0.0/16")["Vpc"]["VpcId"]

    def plan(ctx: Context) -> None:
        ctx.prefetch("vpcs", lambda: ctx.client("ec2").describe_vpcs(VpcIds=[vpc]))
        ctx.prefetch("subnets", lambda: ctx.client("ec2").describe_subnets())
        ctx.prefetch("unused", lambda: ctx.client("ec2").describe_security_groups())

    def use(key: str, fetch_op: str):
        def run(ctx: Context) -> StepOutcome:
            ctx.memo(key, lambda: getattr(ctx.client("ec2"), fetch_op)())
            ctx.client("sts").get_caller_identity()  # a call of the step's own, on its thread
            return StepOutcome("ok", key)
        return run

    playbook = Playbook("t", "t", "t", (), (
        Step("first", "first", "", lambda ctx: StepOutcome("ok", "nothing read")),
        Step("subnets", "subnets", "", use("subnets", "describe_subnets")),
        Step("vpcs", "vpcs", "", use("vpcs", "describe_vpcs")),
    ), plan=plan)
    with DelayProxy(plain_moto.endpoint_url, DELAY) as proxy:
        session = sandbox_session(proxy.url)
        transcript = run_playbook(playbook, {}, session, readers=4)
    ops = {s.id: sorted(c["operation"] for c in s.api_calls) for s in transcript.steps}
    assert ops == {"first": [], "subnets": ["DescribeSubnets", "GetCallerIdentity"],
                   "vpcs": ["DescribeVpcs", "GetCallerIdentity"]}
    reads = [c for s in transcript.steps for c in s.api_calls if c["operation"].startswith("Describe")]
    assert max(c["started_at"] for c in reads) < min(c["ended_at"] for c in reads)  # they overlapped
    assert not _readers_alive()


def test_a_read_that_fails_on_a_reader_thread_is_a_missing_fact_of_the_step_that_uses_it(plain_moto) -> None:
    def plan(ctx: Context) -> None:
        ctx.prefetch("config", lambda: ctx.client("lambda").get_function_configuration(FunctionName="nope"))

    def run(ctx: Context) -> StepOutcome:
        config = ctx.read("the function's configuration", lambda: None, key="config")
        return StepOutcome("warning" if config is None else "ok", "read")

    playbook = Playbook("t", "t", "t", (), (Step("first", "first", "", lambda ctx: StepOutcome("ok", "-")),
                                            Step("config", "config", "", run)), plan=plan)
    transcript = run_playbook(playbook, {}, plain_moto.session(), readers=4)
    step = transcript.step("config")
    assert step.status == "warning"
    assert [m["action"] for m in step.missing] == ["lambda:GetFunctionConfiguration"]
    assert [c["operation"] for c in step.api_calls] == ["GetFunctionConfiguration"]
    assert not transcript.step("first").api_calls


def test_the_per_service_slot_caps_concurrent_calls_and_lookups_are_paced(plain_moto) -> None:
    clock = {"now": 0.0, "slept": []}

    def sleep(seconds: float) -> None:
        clock["slept"].append(round(seconds, 3))
        clock["now"] += seconds

    pacer = Pacer(2.0, clock=lambda: clock["now"], sleep=sleep)
    session = plain_moto.session()
    session.limiter = ServiceLimiter(caps={"ec2": 2}, pacer=lambda s, op, *_: pacer if op == "LookupEvents" else None)
    with DelayProxy(plain_moto.endpoint_url, DELAY) as proxy:
        session.options.endpoint_url = proxy.url
        ec2 = session.client("ec2")
        threads = [threading.Thread(target=ec2.describe_vpcs) for _ in range(4)]
        started = time.perf_counter()
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        elapsed = time.perf_counter() - started
    assert elapsed >= 2 * DELAY * 0.95  # four calls, two at a time: two round trips
    cloudtrail = session.client("cloudtrail")
    for _ in range(3):
        with contextlib.suppress(Exception):  # the plain server may lack it: the pacing comes first
            cloudtrail.lookup_events()
    # Three lookups: the second and third each wait half a second, in slices short enough to see a cancel.
    assert round(sum(clock["slept"]), 6) == 1.0 and max(clock["slept"]) <= POLL_SECONDS


def test_a_cancel_ends_a_pacing_wait_at_once_and_the_turn_stays_taken() -> None:
    clock = {"now": 0.0}
    stop = threading.Event()

    def sleep(seconds: float) -> None:
        before = clock["now"]
        clock["now"] += seconds
        if before < 0.2 <= clock["now"]:
            stop.set()  # the person cancels while the second request waits its turn

    pacer = Pacer(2.0, clock=lambda: clock["now"], sleep=sleep)
    pacer.wait(stop.is_set)
    with pytest.raises(CallCancelled):
        pacer.wait(stop.is_set)
    assert clock["now"] == pytest.approx(0.2)  # not the whole half second
    stop.clear()
    pacer.wait(stop.is_set)
    assert clock["now"] == pytest.approx(1.0)  # the cancelled turn was not given back


def test_a_cancelled_run_sends_no_call(plain_moto) -> None:
    session = plain_moto.session()
    ec2 = session.client("ec2")
    token = CANCELLED.set(lambda: True)
    try:
        with pytest.raises(CallCancelled):
            ec2.describe_vpcs()
    finally:
        CANCELLED.reset(token)
    assert session.call_log.calls[-1].error == "Cancelled"
    ec2.describe_vpcs()  # the slot was not kept
    assert session.call_log.calls[-1].error is None


@pytest.mark.parametrize("readers", [1, 4])
def test_facts_a_nested_read_could_not_read_reach_the_read_and_the_step_that_use_it(plain_moto, readers) -> None:
    """An accessor that counts what its reads left unread (as access-denied does for identity policies)
    sees the failures of reads it ran through ctx.read_all, however deep, and so does its step."""
    seen: dict[str, list[str]] = {}

    def inner(ctx: Context) -> list:
        return ctx.read_all([("the function nope", lambda: ctx.client("lambda").get_function_configuration(
            FunctionName="nope"), None)])

    def outer(ctx: Context) -> str:
        before = len(ctx.missing)
        ctx.read_all([("the inner reads", lambda: inner(ctx), [])])
        seen["unread"] = [m.fact for m in ctx.missing[before:]]
        return "read"

    def run(ctx: Context) -> StepOutcome:
        return StepOutcome("ok", ctx.memo("outer", lambda: outer(ctx)))

    playbook = Playbook("t", "t", "t", (), (Step("first", "first", "", lambda ctx: StepOutcome("ok", "-")),
                                            Step("outer", "outer", "", run)),
                        plan=lambda ctx: ctx.prefetch("outer", lambda: outer(ctx)))
    transcript = run_playbook(playbook, {}, plain_moto.session(), readers=readers)
    assert seen["unread"] == ["the function nope"]
    step = transcript.step("outer")
    assert [m["fact"] for m in step.missing] == ["the function nope"]
    assert [c["operation"] for c in step.api_calls] == ["GetFunctionConfiguration"]


def test_facts_a_read_could_not_read_reach_its_step_even_when_a_plan_read_waited_on_it_first(plain_moto) -> None:
    """A plan's trigger read (prefetched, never used by a step) that waits on a read takes nothing from the
    step that uses that read: the step still names what it could not read. (Found in CI: access-denied's
    ``iam:plan:_identity_policies`` trigger sometimes finished first and the unread group listing vanished.)"""
    finished = threading.Event()

    def policies(ctx: Context) -> str:
        ctx.read("the groups of user alice", lambda: ctx.client("iam").list_groups_for_user(UserName="nobody"))
        return "read"

    def trigger(ctx: Context) -> None:
        try:
            ctx.memo("policies", lambda: policies(ctx))
        finally:
            finished.set()

    def first(ctx: Context) -> StepOutcome:
        assert finished.wait(10)  # the trigger has waited on "policies" before any step uses it
        return StepOutcome("ok", "-")

    def run(ctx: Context) -> StepOutcome:
        return StepOutcome("ok", ctx.memo("policies", lambda: policies(ctx)))

    playbook = Playbook("t", "t", "t", (), (Step("first", "first", "", first), Step("policies", "policies", "", run)),
                        plan=lambda ctx: ctx.prefetch("trigger", lambda: trigger(ctx)))
    transcript = run_playbook(playbook, {}, plain_moto.session(), readers=4)
    step = transcript.step("policies")
    assert [m["fact"] for m in step.missing] == ["the groups of user alice"]
    assert [c["operation"] for c in step.api_calls] == ["ListGroupsForUser"]
    assert not transcript.step("first").api_calls


def test_a_step_sees_only_what_a_run_one_read_at_a_time_would_have_fetched_by_then(plain_moto) -> None:
    """A read that finished on a reader thread, and what it put in the cache beside its value, stay out of
    ``peek`` until a step uses the read: whether a step sees a value must not depend on which thread was
    faster. (Found in CI: ssh-timeout's instance step saw the Session Manager verdict a reader had just
    read, took its calls, and would have added its way around to the instance's findings.)"""
    finished = threading.Event()

    def verdict(ctx: Context) -> str:
        ctx.cache["verdict:note"] = "registered"
        ctx.client("sts").get_caller_identity()
        return "usable"

    def trigger(ctx: Context) -> None:
        try:
            ctx.memo("verdict", lambda: verdict(ctx))
        finally:
            finished.set()

    seen: dict[str, tuple] = {}

    def first(ctx: Context) -> StepOutcome:
        assert finished.wait(10)  # the reader has read the verdict before any step asks for it
        seen["first"] = (ctx.peek("verdict"), ctx.peek("verdict:note"), ctx.has("verdict"))
        return StepOutcome("ok", "-")

    def second(ctx: Context) -> StepOutcome:
        value = ctx.memo("verdict", lambda: verdict(ctx))
        seen["second"] = (value, ctx.peek("verdict:note"), ctx.has("verdict"))
        return StepOutcome("ok", value)

    def third(ctx: Context) -> StepOutcome:
        seen["third"] = (ctx.peek("verdict"), ctx.peek("verdict:note"), ctx.has("verdict"))
        return StepOutcome("ok", "-")

    steps = (Step("first", "first", "", first), Step("second", "second", "", second),
             Step("third", "third", "", third))
    playbook = Playbook("t", "t", "t", (), steps, plan=lambda ctx: ctx.prefetch("trigger", lambda: trigger(ctx)))
    transcript = run_playbook(playbook, {}, plain_moto.session(), readers=4)
    assert seen == {"first": (None, None, False), "second": ("usable", "registered", True),
                    "third": ("usable", "registered", True)}
    assert not transcript.step("first").api_calls
    assert [c["operation"] for c in transcript.step("second").api_calls] == ["GetCallerIdentity"]


@pytest.mark.sandbox
@pytest.mark.parametrize("readers", [1, 8])
def test_a_cancel_stops_a_long_paginated_read_at_its_next_page(sandbox, readers) -> None:
    """The throttling playbook's CloudTrail read is nine pages, paced at two a second: one step of four
    seconds. A cancel a second into it ends the run at once (the page in flight, not the rest of the step):
    no further page is asked for, the pacing wait is cut short, and no reader thread is left behind."""
    scenario = default_scenario("throttling")
    cancel = threading.Event()
    cancelled_at: list[float] = []

    sent_by_cancel: list[int] = []

    def cancel_now() -> None:
        cancelled_at.append(time.perf_counter())
        sent_by_cancel.append(proxy.requests)
        cancel.set()

    calls: list[dict] = []  # every call, a step's or (a read no step got to use) none's

    def observer(event) -> None:
        data = event.to_dict()
        if data["type"] == "api_call":
            calls.append(data["call"])
        if data["type"] == "step_started" and data["step_id"] == "throttled-calls":
            # Pages go out every half second; by then the third page is in and the fourth waits its turn.
            threading.Timer(1.2, cancel_now).start()

    seeded = sandbox.seed(scenario)
    with DelayProxy(sandbox.endpoint_url, DELAY) as proxy:
        transcript = _run(sandbox, scenario, readers=readers, url=proxy.url, seeded=seeded, observers=[observer],
                          cancel=cancel)
        ended = time.perf_counter()
        sent = proxy.requests
    assert not _readers_alive()
    assert transcript.cancelled and transcript.verdict == "incomplete"
    # Nothing is sent after the cancel but, at most, the one page that had passed its cancel check when the
    # cancel came (a loaded machine can put the cancel between that check and the send): the pages waiting
    # their turn never go.
    assert sent_by_cancel and sent - sent_by_cancel[0] <= 1
    # Generous on purpose (a loaded CI machine stretches time): the rest of the step would take 2.5 s more;
    # that the pacing wait itself is cut short is tested without a clock below.
    assert cancelled_at and ended - cancelled_at[0] < 2.0
    pages = [c for c in calls if c["operation"] == "LookupEvents" and c.get("error") != "Cancelled"]
    assert 1 <= len(pages) <= 4, pages  # two pages a second: the other five or more were never asked for
    step = transcript.step("throttled-calls")
    assert step.status == "skipped" and "Cancelled" in step.detail
