"""The verdict rules: what a run may claim from what its steps observed, and the headline that says it.

An on-call engineer acts on the verdict line and the exit status, so the verdict claims only what
was observed:

- ``problem_found``: a step found what breaks things (status ``problem``, or a finding of severity
  ``error``). It wins over everything but a cancel: it is what the engineer needs.
- ``incomplete``: the run was cancelled, or a step the verdict rests on (``Step.decides``) ended
  ``error`` or ``no_data``. No data is not health.
- ``no_problem_found``: every deciding step read data and found it healthy. Corroborating steps
  (``decides=False``) that failed or had no data do not change this; the headline and the
  transcript say what could not be corroborated.

``skipped`` steps are neutral (not applicable to this input), except that a run stopped by a fatal
error already has that error on a deciding step.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

VERDICTS = ("problem_found", "no_problem_found", "incomplete")
EMPTY = ("error", "no_data")


@dataclass(frozen=True)
class StepResult:
    """The part of a finished step the verdict looks at."""

    id: str
    title: str
    status: str
    decides: bool = True
    detail: str = ""


def is_blocking(finding: Mapping[str, Any]) -> bool:
    return finding.get("severity") == "error"


def verdict_of(steps: Sequence[StepResult], findings: Iterable[Mapping[str, Any]], cancelled: bool = False) -> str:
    """``problem_found``, ``no_problem_found`` or ``incomplete`` by the rules above."""
    if cancelled:
        return "incomplete"
    if any(s.status == "problem" for s in steps) or any(is_blocking(f) for f in findings):
        return "problem_found"
    if any(s.decides and s.status in EMPTY for s in steps):
        return "incomplete"
    return "no_problem_found"


def undecided(steps: Sequence[StepResult]) -> list[StepResult]:
    """Deciding steps that could not judge (error or no data)."""
    return [s for s in steps if s.decides and s.status in EMPTY]


def uncorroborated(steps: Sequence[StepResult]) -> list[StepResult]:
    """Corroborating steps that could not run: the verdict stands without them."""
    return [s for s in steps if not s.decides and s.status in EMPTY]


def _plural(n: int, word: str) -> str:
    return f"{n} {word}{'' if n == 1 else 's'}"


def headline(
    verdict: str,
    steps: Sequence[StepResult],
    findings: Sequence[Mapping[str, Any]],
    cancelled_after: str | None = None,
    cancelled: bool = False,
) -> str:
    """One line that says what happened, e.g. ``No problem found, 1 warning: memory at 93% ...``.

    Counts blocking findings (naming the components at fault), conditional ones, and warnings, so a
    warning is never waved through; a cancelled run says after which step it stopped and what it had
    found so far; an incomplete run names the step that could not judge.
    """
    blocking = [f for f in findings if is_blocking(f)]
    warnings = [f for f in findings if f.get("severity") == "warning"]
    certain = [f for f in blocking if f.get("certainty", "certain") == "certain"]
    conditional = [f for f in blocking if f.get("certainty") == "conditional"]

    def blocking_words() -> str:
        parts = []
        if certain:
            at_fault = ", ".join(dict.fromkeys(str(f.get("resource", "?")) for f in certain))
            parts.append(f"{_plural(len(certain), 'blocking finding')} ({at_fault})")
        if conditional:
            at_fault = ", ".join(dict.fromkeys(str(f.get("resource", "?")) for f in conditional))
            parts.append(f"{_plural(len(conditional), 'conditional blocking finding')} ({at_fault})")
        return "; ".join(parts)

    def warning_words() -> str:
        if not warnings:
            return ""
        first = str(warnings[0].get("summary", "")).split(". ")[0].rstrip(".")
        more = f" (and {len(warnings) - 1} more)" if len(warnings) > 1 else ""
        return f"{_plural(len(warnings), 'warning')}: {first}{more}"

    failing = [s.title for s in steps if s.status == "problem"]

    if cancelled:
        after = f" after step '{cancelled_after}'" if cancelled_after else " before its first step"
        so_far = blocking_words() or (f"a problem at {'; '.join(failing)}" if failing else "no blocking finding")
        extra = f", {warning_words()}" if warnings else ""
        return f"Cancelled{after}: {so_far} so far{extra}; the remaining steps did not run"
    if verdict == "problem_found":
        words = "Problem found"
        if blocking:
            words += ": " + blocking_words()
        elif failing:
            words += ": " + "; ".join(failing)
        if warnings:
            words += f"; {warning_words()}"
        return words
    if verdict == "incomplete":
        open_steps = undecided(steps)
        if open_steps:
            names = "; ".join(f"'{s.title}' ({'no data' if s.status == 'no_data' else 'error'})"
                              for s in open_steps)
            words = f"Incomplete: could not decide: {names}"
        else:
            words = "Incomplete: not every check could run"
        if warnings:
            words += f"; {warning_words()}"
        return words
    words = "No problem found"
    if warnings:
        words += f", {warning_words()}"
    # The verdict stands without them, but a reader of this line alone must not take them as read.
    unread = uncorroborated(steps)
    if unread:
        words += "; not corroborated: " + ", ".join(
            f"'{s.title}' {'had no data' if s.status == 'no_data' else 'could not be read'}" for s in unread)
    return words
