"""How long `awstriage demo` and `awstriage` take to show their first screen.

Run: .venv/bin/python benchmarks/tui_startup.py [--repeat N]
Each repeat is a fresh process (imports included), headless at 120x40. It measures:
  first screen   process start -> the home screen has been painted once
  identity       process start -> the identity bar is filled (demo: sandbox started, STS answered)
and, as a baseline in the same run, a bare Textual app with one Static to its first paint.
Target: first screen under 1 s.
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
mode = sys.argv[1]
marks = {}
if mode == "bare":
    from textual.app import App
    from textual.widgets import Static

    class Bare(App):
        def compose(self):
            yield Static("hello")
        def on_mount(self):
            self.call_after_refresh(self.done)
        def done(self):
            marks["first_screen"] = time.perf_counter() - t0
            self.exit()
    Bare().run(headless=True, size=(120, 40))
else:
    from playbooks.workspace import Workspace
    from tui.app import AwstriageApp
    from tui.screens.home import HomeScreen

    class Timed(AwstriageApp):
        def _check(self):
            if "first_screen" not in marks and isinstance(self.screen, HomeScreen) and self.screen.is_mounted:
                marks["first_screen"] = time.perf_counter() - t0
            if self.identity is not None and "identity" not in marks:
                marks["identity"] = time.perf_counter() - t0
            if len(marks) == 2:
                self.exit()
        def on_mount(self):
            super().on_mount()
            self.set_interval(0.005, self._check)
    ws = Workspace(demo=(mode == "demo"))
    Timed(ws).run(headless=True, size=(120, 40))
    ws.close()
print(json.dumps(marks))
"""


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    results: dict[str, list[dict[str, float]]] = {"bare": [], "demo": [], "account": []}
    for _ in range(args.repeat):
        for mode in results:
            # "account" mode: no AWS account here, so point at a closed port: the first screen must not wait.
            env = {**__import__("os").environ, "AWS_ENDPOINT_URL": "http://127.0.0.1:9",
                   "AWS_ACCESS_KEY_ID": "x", "AWS_SECRET_ACCESS_KEY": "x", "AWS_DEFAULT_REGION": "us-east-1"}
            out = subprocess.run([sys.executable, "-c", CHILD, mode], capture_output=True, text=True, env=env,
                                 timeout=120)
            if out.returncode != 0:
                sys.exit(f"{mode} failed: {out.stderr.strip().splitlines()[-1:]}")
            results[mode].append(json.loads(out.stdout.strip().splitlines()[-1]))
    print(f"{'mode':<10} {'first screen':>13} {'identity':>10}   (median of {args.repeat}, s)")
    base = statistics.median(r["first_screen"] for r in results["bare"])
    for mode, runs in results.items():
        first = statistics.median(r["first_screen"] for r in runs)
        ident = statistics.median(r["identity"] for r in runs) if "identity" in runs[0] else None
        ident_text = f"{ident:10.2f}" if ident is not None else f"{'-':>10}"
        print(f"{mode:<10} {first:13.2f} {ident_text}   x{first / base:.2f} of bare Textual")
    print("target: first screen < 1 s")


if __name__ == "__main__":
    main()
