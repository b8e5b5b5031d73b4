"""The command line: one clear line and exit status 2 for bad input, never a traceback."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from awstriage.cli import main


def _cli(*args: str, timeout: float = 60) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "awstriage", *args], capture_output=True, text=True,
                          timeout=timeout, stdin=subprocess.DEVNULL)


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["run", "nope"], "unknown playbook 'nope'"),
        (["run", "ssh-timeout", "--param", "instance=i-xyz"], "is not an EC2 instance ID"),
        (["run", "ssh-timeout", "--param", "instance=i-0123456789abcdef0", "--param", "source=300.1.1.1"],
         "is not an IP address or CIDR block"),
        (["run", "ssh-timeout"], "needs --param instance"),
        (["run", "ssh-timeout", "--param", "noequals"], "KEY=VALUE"),
        (["run", "access-denied", "--param", "resource=not-an-arn"], "is not an ARN"),
        (["run", "ssh-timeout", "--format", "pdf"], "invalid choice"),
        (["export", "/nonexistent/journal.jsonl"], "no journal at"),
        (["frobnicate"], "invalid choice"),
        (["run", "ssh-timeout", "--scenario", "x"], "--scenario goes with --demo"),
        (["run", "ssh-timeout", "--demo", "--scenario", "no-such-scenario"], "no sandbox scenario named"),
    ],
)
def test_bad_input_is_one_line_and_exit_2(args, message, capsys) -> None:
    try:
        code = main(args)
    except SystemExit as exc:  # argparse's own errors
        code = exc.code
    err = capsys.readouterr().err
    assert code == 2
    assert message in err
    assert "Traceback" not in err
    assert len(err.strip().splitlines()) == 1, err


def test_list_shows_all_five_playbooks(capsys) -> None:
    assert main(["list"]) == 0
    out = capsys.readouterr().out
    for name in ("access-denied", "ssh-timeout", "throttling", "lambda-oom", "slow-performance"):
        assert name in out


def test_help_documents_exit_codes() -> None:
    result = _cli("run", "--help")
    assert result.returncode == 0
    assert "could not finish" in result.stdout and "problem found" in result.stdout


def test_version() -> None:
    result = _cli("--version")
    assert result.returncode == 0 and result.stdout.startswith("awstriage ")


@pytest.mark.sandbox
def test_demo_run_prints_a_transcript_and_exports_its_journal(tmp_path) -> None:
    result = _cli("run", "ssh-timeout", "--demo", "--format", "json")
    assert result.returncode == 1, result.stderr
    data = json.loads(result.stdout)
    assert data["playbook"] == "ssh-timeout" and data["verdict"] == "problem_found"
    assert data["identity"]["account"] == "123456789012"
    assert any(f["severity"] == "error" for f in data["findings"])
    journal = next(line.split(": ", 1)[1] for line in result.stderr.splitlines() if line.startswith("Journal: "))
    out = tmp_path / "t.md"
    exported = _cli("export", journal, "--format", "markdown", "--output", str(out))
    assert exported.returncode == 0, exported.stderr
    assert "# awstriage" in out.read_text()


def test_endpoint_unreachable_is_exit_3_with_sentences(tmp_path) -> None:
    # Nothing listens on port 9: every AWS call fails, the run cannot finish.
    result = _cli("run", "ssh-timeout", "--endpoint-url", "http://127.0.0.1:9", "--region", "us-east-1",
                  "--param", "instance=i-0123456789abcdef0", "--format", "json", timeout=120)
    assert result.returncode == 3, result.stderr
    assert "Traceback" not in result.stderr + result.stdout
    data = json.loads(result.stdout)
    assert data["verdict"] == "incomplete"
    assert all(s["status"] in ("error", "skipped") for s in data["steps"])
