"""The AWS call log: one row per call the session made, newest at the bottom, like lazygit's command log.

Rows come from ``ApiCall.to_dict()`` (service, operation, duration_ms, retries, error, started_at), so
the same widget shows a live run and a transcript reopened from disk.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

from rich.text import Text
from textual.widgets import DataTable

from diagnostics.text import shorten

COLUMNS = ("time", "step", "service", "operation", "ms", "retries", "outcome")
MAX_CALLS = 10_000  # a long session must not grow without bound; older calls are still in the transcript


@dataclass(frozen=True)
class _Entry:
    step: str | None
    call: dict[str, Any]
    received: float  # when the call reached the log: the time shown when the call has no start time
    title: str | None = None  # the step's title, shown instead of its id

    def haystack(self) -> str:
        call = self.call
        return " ".join(str(call.get(key) or "") for key in ("service", "operation", "error")).lower()


def _clock(entry: _Entry) -> str:
    started = entry.call.get("started_at") or entry.received
    try:
        return time.strftime("%H:%M:%S", time.localtime(float(started)))
    except (TypeError, ValueError, OverflowError, OSError):
        return "?"


def _outcome(call: dict[str, Any]) -> Text:
    error = call.get("error")
    return Text(str(error), style="bold red") if error else Text("ok", style="green")


def _cells(entry: _Entry) -> tuple[str | Text, ...]:
    call = entry.call
    try:
        duration = f"{float(call.get('duration_ms') or 0):,.0f}"
    except (TypeError, ValueError):
        duration = "?"
    retries = int(call.get("retries") or 0)
    return (
        Text(_clock(entry), style="dim"),
        Text(entry.title or entry.step or "–", no_wrap=True, overflow="ellipsis"),
        str(call.get("service") or "?"),
        str(call.get("operation") or "?"),
        Text(duration, justify="right"),
        Text(str(retries) if retries else "", style="yellow", justify="right"),
        _outcome(call),
    )


class CallLog(DataTable):
    """Every AWS call of the session, appended live; ``/`` filters it through ``set_filter``.

    ``add_call`` touches the widget, so call it on the app's thread; from a worker thread use
    ``app.call_from_thread(call_log.add_call, step_id, call)``.
    """

    HELP = """\
## AWS call log

Every call awstriage made to AWS, oldest at the top, newest at the bottom (the log follows new calls
while the cursor is on the last row; move up to stop it, press End to follow again).

| column | meaning |
| :- | :- |
| time | when the call started (local time) |
| step | the playbook step that made it |
| service, operation | the AWS API called, e.g. `ec2` `DescribeNetworkAcls` |
| ms | how long it took, retries included |
| retries | how many times the SDK retried it (throttling, timeouts); empty when none |
| outcome | `ok`, or the AWS error code in red (`AccessDenied`, `ThrottlingException`, ...) |

Every call is read-only: awstriage refuses any call that could change the account.
Press `/` to filter by service, operation or error code (e.g. `denied`, `ec2`, `throttl`).
"""

    DEFAULT_CSS = """
    CallLog {
        height: 1fr;
        min-height: 4;
    }
    """

    def __init__(self, *, name: str | None = None, id: str | None = None, classes: str | None = None) -> None:
        super().__init__(cursor_type="row", zebra_stripes=True, name=name, id=id, classes=classes)
        self._entries: list[_Entry] = []
        self._filter = ""
        self.border_title = "AWS calls"
        for column in COLUMNS:
            self.add_column(column, key=column)

    # --- public API ---

    def add_call(self, step_id: str | None, call: dict[str, Any], step_title: str | None = None) -> None:
        """Append one call (an ``ApiCall.to_dict()``), made by the step ``step_id`` (None outside a step), shown
        by the step's title when given (people read "Who am I?", not "identity")."""
        title = step_title if step_title is None else shorten(step_title, 28)  # at a word boundary
        entry = _Entry(step_id, dict(call), time.time(), title)
        self._entries.append(entry)
        if len(self._entries) > MAX_CALLS:
            del self._entries[: len(self._entries) - MAX_CALLS]
            self._rebuild()
        elif self._matches(entry):
            following = self.row_count == 0 or self.cursor_row >= self.row_count - 1
            self.add_row(*_cells(entry))
            if following:
                self.move_cursor(row=self.row_count - 1)
        self._update_subtitle()

    def set_filter(self, text: str) -> None:
        """Show only the calls whose service, operation or error contains ``text`` (any case); "" shows all."""
        self._filter = text.strip().lower()
        self._rebuild()
        self._update_subtitle()

    def clear_calls(self) -> None:
        """Forget every call, for a new run."""
        self._entries.clear()
        self._rebuild()
        self._update_subtitle()

    @property
    def filter_text(self) -> str:
        return self._filter

    @property
    def calls(self) -> list[tuple[str | None, dict[str, Any]]]:
        """Every call received, filtered or not, oldest first, as (step_id, call)."""
        return [(entry.step, entry.call) for entry in self._entries]

    @property
    def visible_calls(self) -> list[tuple[str | None, dict[str, Any]]]:
        """The calls the filter lets through, in the order shown."""
        return [(entry.step, entry.call) for entry in self._entries if self._matches(entry)]

    @property
    def summary(self) -> str:
        """A one-line count, e.g. "12 calls, 1 failed" or "3 of 12 calls match 'ec2', 1 failed"."""
        total = len(self._entries)
        failed = sum(1 for entry in self._entries if entry.call.get("error"))
        text = f"{total} call{'s' if total != 1 else ''}"
        if self._filter:
            text = f"{len(self.visible_calls)} of {text} match '{self._filter}'"
        return f"{text}, {failed} failed" if failed else text

    # --- internals ---

    def _matches(self, entry: _Entry) -> bool:
        return not self._filter or self._filter in entry.haystack()

    def _rebuild(self) -> None:
        self.clear()
        for entry in self._entries:
            if self._matches(entry):
                self.add_row(*_cells(entry))
        if self.row_count:
            self.move_cursor(row=self.row_count - 1)

    def _update_subtitle(self) -> None:
        self.border_subtitle = self.summary
