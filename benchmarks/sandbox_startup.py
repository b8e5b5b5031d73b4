"""How long the sandbox takes to be seeded and ready, per playbook's default scenario.

Run: .venv/bin/python benchmarks/sandbox_startup.py [--repeat N]
Each repeat runs in a fresh process, as `awstriage run ... --demo` does, and measures: the server
start, the seeding of the scenario, and (as a baseline in the same run) one STS call.
Target: seeded and ready in under 3 s.
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys

CHILD = r"""
import json, sys, time
t0 = time.perf_counter()
from diagnostics.sandbox import Sandbox, default_scenario
t_import = time.perf_counter()
sb = Sandbox()
t_server = time.perf_counter()
sb.seed(default_scenario(sys.argv[1]))
t_seed = time.perf_counter()
sb.session().client("sts").get_caller_identity()
t_call = time.perf_counter()
sb.stop()
print(json.dumps({"import": t_import - t0, "server": t_server - t_import, "seed": t_seed - t_server,
                  "ready": t_seed - t0, "first_call": t_call - t_seed}))
"""

PLAYBOOKS = ("ssh-timeout", "access-denied", "throttling", "lambda-oom", "slow-performance")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    print(f"{'playbook':<18} {'import':>8} {'server':>8} {'seed':>8} {'ready':>8}   (median of {args.repeat}, s)")
    for name in PLAYBOOKS:
        runs = []
        for _ in range(args.repeat):
            out = subprocess.run([sys.executable, "-c", CHILD, name], capture_output=True, text=True)
            if out.returncode != 0:
                break
            runs.append(json.loads(out.stdout.strip().splitlines()[-1]))
        if not runs:
            print(f"{name:<18} failed: {(out.stderr.strip().splitlines() or ['?'])[-1]}")
            continue
        med = {k: statistics.median(r[k] for r in runs) for k in runs[0]}
        print(f"{name:<18} {med['import']:8.2f} {med['server']:8.2f} {med['seed']:8.2f} {med['ready']:8.2f}")


if __name__ == "__main__":
    main()
