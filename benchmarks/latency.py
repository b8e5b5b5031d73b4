"""How long a diagnosis takes when every AWS call costs a network round trip.

Run: .venv/bin/python benchmarks/latency.py [--delay-ms 100] [--playbook NAME ...] [--readers 8] [--repeat 3]

Each playbook diagnoses a fixed world (its default sandbox scenario) in the in-process moto server,
reached through a proxy on 127.0.0.1 that holds every request for ``--delay-ms`` before passing it on
(and adds nothing else). Each playbook runs once unmeasured, then ``--repeat`` times each way in the
same process, alternating, on a fresh session each time (the median of each is shown):
once with one read at a time (``readers=1``, the sequential baseline: what awstriage did before reads
ran concurrently) and once with ``--readers`` reader threads. Printed per playbook: the calls, the calls
on the longest dependent chain (the most calls that ran one after another in the concurrent run: its
round trips), the two wall times and their ratio, and whether the concurrent run finished within
4 round trips of its first call plus its local work (the sequential wall time minus calls x delay, minus
the time its calls waited for AWS's documented request rates).

Calls AWS rate-limits below one a round trip are paced (CloudTrail's LookupEvents: two a second per
account and Region, see :mod:`diagnostics.concurrency`): the run cannot end before its paced calls have
gone one by one at that rate, whatever the concurrency. So the ``paced`` column shows those calls and
their floor ((n - 1) / rate + one round trip); where the floor is longer than 4 round trips, the target
is the floor instead, and the line says so. Every run starts with the pacing idle, as a new process does.

Exit status 1 when a playbook misses its target or its findings differ between the two runs.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

PLAYBOOKS = ("ssh-timeout", "access-denied", "lambda-oom", "slow-performance", "throttling")
TARGET_ROUND_TRIPS = 4


def longest_chain(calls: list[dict[str, Any]]) -> int:
    """The most calls that ran one after another (each started after the one before it ended)."""
    spans = sorted((float(c.get("started_at") or 0), float(c.get("ended_at") or 0)) for c in calls)
    best: list[tuple[float, int]] = []  # (end, chain length ending there)
    longest = 0
    for start, end in spans:
        before = max((n for e, n in best if e <= start), default=0)
        best.append((end, before + 1))
        longest = max(longest, before + 1)
    return longest


def paced_floor(calls: list[dict[str, Any]], delay: float) -> tuple[int, float, str]:
    """(paced calls, the least time they take at their documented rate, which operation) of a run."""
    from diagnostics.concurrency import RATES

    best: tuple[int, float, str] = (0, 0.0, "")
    for (service, operation), rate in RATES.items():
        n = sum(1 for c in calls if c.get("service") == service and c.get("operation") == operation)
        if n and (n - 1) / rate + delay > best[1]:
            best = (n, (n - 1) / rate + delay, f"{service}:{operation} at {rate:g}/s")
    return best


def pacing_wait(calls: list[dict[str, Any]], delay: float) -> float:
    """How long a sequential run's paced calls waited for their turn (a call's time beyond its round trip)."""
    from diagnostics.concurrency import RATES

    return sum(max(0.0, float(c.get("duration_ms") or 0) / 1000.0 - delay) for c in calls
               if (c.get("service"), c.get("operation")) in RATES)


def idle_pacing() -> None:
    """Let the previous run's paced calls age out: a run starts as a new process would."""
    from diagnostics.concurrency import RATES

    time.sleep(max((1.0 / r for r in RATES.values()), default=0.0))


def findings_of(transcript: Any) -> list[tuple[str, str, str]]:
    return sorted((f.get("code", ""), f.get("resource", ""), f.get("severity", "")) for f in transcript.findings)


def run_once(playbook: Any, inputs: dict[str, Any], url: str, readers: int, scenario: str) -> tuple[float, Any]:
    from diagnostics.session import sandbox_session
    from playbooks.runner import run_playbook

    idle_pacing()
    session = sandbox_session(url)  # a fresh session: both runs make their clients
    started = time.perf_counter()
    transcript = run_playbook(playbook, inputs, session, scenario=scenario, readers=readers)
    return time.perf_counter() - started, transcript


def first_call_offset(transcript: Any, started_wall: float) -> float:
    starts = [float(c.get("started_at") or 0) for c in transcript.api_calls]
    return min(starts) - started_wall if starts else 0.0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--delay-ms", type=float, default=100.0)
    parser.add_argument("--readers", type=int, default=8)
    parser.add_argument("--repeat", type=int, default=3, help="runs of each kind; the median is shown")
    parser.add_argument("--playbook", action="append", choices=PLAYBOOKS)
    args = parser.parse_args()

    from diagnostics.sandbox import Sandbox, default_scenario
    from diagnostics.sandbox.latency import DelayProxy
    from playbooks.registry import get_playbook, parse_inputs

    delay = args.delay_ms / 1000.0
    ok = True
    rows = []
    notes: list[str] = []
    with Sandbox() as sandbox:
        proxy = DelayProxy(sandbox.endpoint_url, delay)
        try:
            for name in args.playbook or PLAYBOOKS:
                playbook = get_playbook(name)
                scenario = default_scenario(name)
                seeded = sandbox.seed(scenario)
                inputs = parse_inputs(playbook, {k: [str(v)] for k, v in seeded.inputs.items()})
                # Once unmeasured: the first run in a process also loads service models and lazy imports.
                run_once(playbook, inputs, proxy.url, 1, scenario.name)
                # Alternated and repeated, the median of each: a shared machine's noise hits both alike.
                seq_runs, conc_runs = [], []
                for _ in range(args.repeat):
                    seq_runs.append(run_once(playbook, inputs, proxy.url, 1, scenario.name))
                    wall0 = time.time()
                    conc_wall, conc = run_once(playbook, inputs, proxy.url, args.readers, scenario.name)
                    conc_runs.append((conc_wall, conc, first_call_offset(conc, wall0)))
                seq_wall, seq = sorted(seq_runs, key=lambda r: r[0])[len(seq_runs) // 2]
                conc_wall, conc, first = sorted(conc_runs, key=lambda r: r[0])[len(conc_runs) // 2]
                calls = len(conc.api_calls)
                chain = longest_chain(conc.api_calls)
                paced, floor, what = paced_floor(conc.api_calls, delay)
                local = max(0.0, seq_wall - len(seq.api_calls) * delay - pacing_wait(seq.api_calls, delay))
                round_trips = TARGET_ROUND_TRIPS * delay
                budget = first + max(round_trips, floor) + local
                same = findings_of(seq) == findings_of(conc) and seq.verdict == conc.verdict
                within = conc_wall <= budget
                ok = ok and same and within
                rows.append((name, len(seq.api_calls), calls, chain, paced, floor, seq_wall, conc_wall, local,
                             budget, same, within))
                if floor > round_trips:
                    notes.append(f"{name}: {paced} calls of {what}, AWS's documented rate: they alone take "
                                 f"{floor:.2f}s, more than {TARGET_ROUND_TRIPS} round trips ({round_trips:.2f}s); "
                                 "its target is that floor (4 round trips cannot hold).")
        finally:
            proxy.close()
    print(f"delay {args.delay_ms:.0f} ms per call, {args.readers} reader threads; sequential = one read at a time")
    print(f"{'playbook':18} {'calls':>5} {'chain':>5} {'paced':>11} {'sequential':>10} {'concurrent':>10} {'ratio':>6} "
          f"{'local':>6} {'budget':>6}  same findings / within target")
    for name, seq_calls, calls, chain, paced, floor, seq_wall, conc_wall, local, budget, same, within in rows:
        shown = f"{calls}" if calls == seq_calls else f"{calls}/{seq_calls}"
        pacing = f"{paced} {floor:5.2f}s" if paced else "-"
        print(f"{name:18} {shown:>5} {chain:>5} {pacing:>11} {seq_wall:9.2f}s {conc_wall:9.2f}s "
              f"{seq_wall / conc_wall:5.1f}x {local:5.2f}s {budget:5.2f}s  {'yes' if same else 'NO'} / "
              f"{'yes' if within else 'NO'}")
    for note in notes:
        print(note)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
