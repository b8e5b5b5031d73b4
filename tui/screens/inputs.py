"""Inputs: the playbook's parameters as a form, validated as you type, with pickers from the account."""

from __future__ import annotations

import re

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.screen import ModalScreen, Screen
from textual.validation import ValidationResult, Validator
from textual.widgets import Button, Footer, Input, Label, Markdown, Select, Static

from diagnostics.errors import explain_error
from diagnostics.pickers import describe, list_choices
from diagnostics.sandbox.scenario import Scenario
from playbooks.model import Param, Playbook
from playbooks.registry import parse_inputs
from tui.messages import PickerLoaded, ScenarioSeeded
from tui.widgets.filter_list import FilterList, Item
from tui.widgets.identity_bar import IdentityBar

SEPARATOR = ";"  # repeatable parameters take several values in one field


class ParamValidator(Validator):
    """The playbook's own validation, so the form and the command line agree on every sentence."""

    def __init__(self, param: Param) -> None:
        super().__init__()
        self.param = param

    def validate(self, value: str) -> ValidationResult:
        texts = split_values(self.param, value)
        if not texts:
            if self.param.required:
                return self.failure(f"{self.param.name} is required: {self.param.help}")
            return self.success()
        try:
            for text in texts:
                self.param.validate(text)
        except ValueError as exc:
            return self.failure(str(exc))
        return self.success()


def form_words(sentence: str) -> str:
    """A parameter error as the form says it: "the instance field", not "--param instance=..."."""
    return re.sub(r"--param (\w+)=\S*", lambda m: f"the {m.group(1)} field", sentence)


def split_values(param: Param, value: str) -> list[str]:
    parts = value.split(SEPARATOR) if param.repeatable else [value]
    return [p.strip() for p in parts if p.strip()]


class InputsScreen(Screen[None]):
    HELP = """\
## Inputs

Fill in what the playbook needs; each field is checked as you type. `F4` on a field with a picker
lists the matching resources of the account (filter them with `/`). A field that takes several
values separates them with `;`. `ctrl+r` runs. In the sandbox, choose a scenario first (`ctrl+o`
opens the chooser): it builds its broken world and fills the fields for you.
"""

    BINDINGS = [
        Binding("ctrl+r", "run", "Run", id="inputs.run"),
        Binding("f4", "pick", "Pick from account", id="inputs.pick"),
        Binding("ctrl+o", "choose_scenario", "Scenario", id="inputs.scenario"),
        Binding("escape", "app.pop_screen", "Back", id="inputs.back"),
    ]

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        """The footer offers only working keys: F4 on a field with a picker, the chooser in the sandbox."""
        if action == "pick":
            focused = self.focused
            name = (focused.id or "").removeprefix("param-") if isinstance(focused, Input) else ""
            param = self.playbook.param(name)
            return bool(param and param.picker)
        if action == "choose_scenario":
            return bool(self.query("#scenario"))
        return True

    def on_descendant_focus(self) -> None:
        self.refresh_bindings()  # F4 comes and goes with the focused field

    def action_choose_scenario(self) -> None:
        """Open the sandbox scenario chooser from anywhere on the form."""
        selects = self.query("#scenario")
        if not selects:
            self.notify("Scenarios exist only in the sandbox (awstriage demo).", severity="warning")
            return
        select = self.query_one("#scenario", Select)
        select.focus()
        select.action_show_overlay()

    def __init__(self, playbook: Playbook, prefill: dict[str, str] | None = None) -> None:
        """``prefill``: values to put in the fields (a triage suggestion's parameters); in the sandbox the form then
        keeps the world the suggestion was made in instead of building the playbook's default scenario."""
        super().__init__()
        self.playbook = playbook
        self.prefill = dict(prefill or {})
        self.scenario_name: str | None = None
        self.seeding = False
        self._run_when_seeded = False

    def compose(self) -> ComposeResult:
        workspace = self.app.workspace
        yield IdentityBar()
        with VerticalScroll(id="inputs"):
            yield Label(f"{self.playbook.title}", classes="heading")
            yield Static(self.playbook.purpose, classes="purpose")
            scenarios = workspace.scenarios(self.playbook.name)
            if scenarios:
                default = next((s.name for s in scenarios if s.name == self.playbook.default_scenario),
                               scenarios[0].name)
                yield Label("Sandbox scenario", classes="field-label")
                yield Select([(f"{s.title}  ({s.name})", s.name) for s in scenarios], value=default,
                             allow_blank=False, id="scenario", compact=True)
                yield Markdown("", id="story")
            for param in self.playbook.params:
                with Vertical(classes="field"):
                    flags = " (required)" if param.required else ""
                    flags += "  F4: pick" if param.picker else ""
                    flags += f"  several: separate with {SEPARATOR}" if param.repeatable else ""
                    yield Label(f"[b]{param.name}[/b]  {param.help}[dim]{flags}[/dim]", classes="field-label")
                    placeholder = param.default or param.example or ""
                    yield Input(placeholder=placeholder, validators=[ParamValidator(param)],
                                validate_on=["changed", "submitted"], id=f"param-{param.name}",
                                compact=True)
                    error = Static("", classes="field-error", id=f"error-{param.name}")
                    error.display = False
                    yield error
            with Horizontal(id="inputs-actions"):
                yield Button("Run  ctrl+r", variant="primary", id="run", compact=True)
                yield Static("", id="inputs-status")
        yield Footer()

    def on_mount(self) -> None:
        self.query_one(IdentityBar).identity = self.app.identity
        selects = self.query("#scenario")
        if self.prefill:
            self._fill(self.prefill)
            if selects:  # the scenario shown is not built: the suggestion's world stays
                self.scenario_name = str(self.query_one("#scenario", Select).value)
                self.query_one("#story", Markdown).update(
                    "**Opened from triage.** The fields hold the alarm's resource, in the sandbox's triage world "
                    "where the alarm fires. `ctrl+o` loads this playbook's own scenario instead.")
            self.query_one("#inputs-status", Static).update("Filled in from the alarm: ctrl+r runs the playbook.")
            self.query_one("#run", Button).focus()
        elif selects:
            self.seed(self.query_one("#scenario", Select).value)
        else:
            self.query_one(Input).focus()

    def _fill(self, values: dict[str, str]) -> None:
        for name, value in values.items():
            if self.playbook.param(name) is not None:
                self.query_one(f"#param-{name}", Input).value = value

    # -- the sandbox scenario -------------------------------------------------------------------------
    @on(Select.Changed, "#scenario")
    def scenario_changed(self, event: Select.Changed) -> None:
        if event.value != self.scenario_name and isinstance(event.value, str):
            self.prefill = {}
            self.seed(event.value)

    def seed(self, name: str) -> None:
        from diagnostics.sandbox import scenario_by_name

        scenario = scenario_by_name(name)
        self.scenario_name = name
        story = f"**{scenario.title}**\n\n{scenario.story}"
        if self.app.guided and scenario.look_for:
            story += f"\n\n*What to look for:* {scenario.look_for}"
        self.query_one("#story", Markdown).update(story)
        self.seeding = True
        self.query_one("#inputs-status", Static).update("Building the scenario's world in the sandbox…")
        self._seed_worker(scenario)

    @work(thread=True, exclusive=True, group="seed")
    def _seed_worker(self, scenario: Scenario) -> None:
        try:
            inputs = self.app.workspace.prepare(scenario)
        except Exception as exc:  # a broken scenario file must not take the app down
            self.app.call_from_thread(self._seed_failed, f"Could not build the scenario: {exc}")
            return
        self.post_message(ScenarioSeeded(scenario.name, inputs))

    def _seed_failed(self, reason: str) -> None:
        self.seeding = False
        self._run_when_seeded = False  # a queued run would run on a half-built world: drop it
        self.query_one("#inputs-status", Static).update(reason)
        self.notify(reason, severity="error")

    def on_scenario_seeded(self, message: ScenarioSeeded) -> None:
        self.seeding = False
        for param in self.playbook.params:
            values = message.inputs.get(param.name, [])
            field = self.query_one(f"#param-{param.name}", Input)
            field.value = f"{SEPARATOR} ".join(values)
        self.query_one("#inputs-status", Static).update("Ready: ctrl+r runs the playbook on this scenario.")
        self.query_one("#run", Button).focus()
        if self._run_when_seeded:
            self._run_when_seeded = False
            self.call_after_refresh(self.action_run)  # once the filled-in form is on screen

    # -- validation -----------------------------------------------------------------------------------------
    def on_input_changed(self, event: Input.Changed) -> None:
        if not (event.input.id or "").startswith("param-"):
            return
        name = event.input.id.removeprefix("param-")
        result = event.validation_result
        text = "" if result is None or result.is_valid else "✖ " + "; ".join(result.failure_descriptions)
        error = self.query_one(f"#error-{name}", Static)
        error.update(text)
        error.display = bool(text)

    def raw_inputs(self) -> dict[str, list[str]]:
        raw: dict[str, list[str]] = {}
        for param in self.playbook.params:
            values = split_values(param, self.query_one(f"#param-{param.name}", Input).value)
            if values:
                raw[param.name] = values
        return raw

    # -- running ------------------------------------------------------------------------------------------------
    def on_button_pressed(self, event: Button.Pressed) -> None:
        if event.button.id == "run":
            self.action_run()

    def on_input_submitted(self, event: Input.Submitted) -> None:
        if (event.input.id or "").startswith("param-"):
            self.focus_next()

    def action_run(self) -> None:
        from tui.screens.run import RunScreen

        if self.seeding:
            # Not a second keypress to remember: the run starts as soon as the scenario's world is built.
            self._run_when_seeded = True
            self.query_one("#inputs-status", Static).update("Building the scenario; the run starts when it is ready…")
            return
        raw = self.raw_inputs()
        missing = [p for p in self.playbook.params if p.required and p.name not in raw]
        if missing:
            # The form's words, not the command line's (--param name=...).
            names = " and ".join(p.name.replace("_", " ").capitalize() for p in missing)
            self.notify(f"Fill in {names} first: {missing[0].help}.", title="Cannot run yet", severity="error")
            self.query_one(f"#param-{missing[0].name}", Input).focus()
            return
        try:
            inputs = parse_inputs(self.playbook, raw)
        except ValueError as exc:
            self.notify(form_words(str(exc)), title="Cannot run yet", severity="error")
            return
        self.app.push_screen(RunScreen(self.playbook, inputs))

    # -- pickers -----------------------------------------------------------------------------------------------
    def action_pick(self) -> None:
        focused = self.focused
        name = (focused.id or "").removeprefix("param-") if isinstance(focused, Input) else ""
        param = self.playbook.param(name)
        if param is None or not param.picker:
            pickable = [p.name for p in self.playbook.params if p.picker]
            hint = f"focus {', '.join(pickable)} first" if pickable else "this playbook has no picker"
            self.notify(f"Nothing to pick here: {hint}.", severity="warning")
            return

        def fill(value: str | None) -> None:
            if value and isinstance(focused, Input):
                focused.value = value

        self.app.push_screen(PickerScreen(param.picker), fill)


class PickerScreen(ModalScreen[str | None]):
    """The account's instances, functions or principals: `/` filters, Enter picks, Escape cancels."""

    HELP = FilterList.HELP
    BINDINGS = [Binding("escape", "close", "Cancel", id="picker.cancel")]

    def __init__(self, kind: str) -> None:
        super().__init__()
        self.kind = kind

    def compose(self) -> ComposeResult:
        with Vertical(id="dialog"):
            yield Label(f"Pick one of the {describe(self.kind)}   (/ filters, Enter picks)", classes="heading")
            yield Static("Loading…", id="picker-status")
            yield FilterList([], id="picker")

    def on_mount(self) -> None:
        self.query_one(FilterList).focus_list()
        self._load()

    @work(thread=True, exclusive=True)
    def _load(self) -> None:
        try:
            items = list_choices(self.app.workspace.connect(), self.kind)
        except Exception as exc:  # missing permission, expired credentials: a sentence
            self.post_message(PickerLoaded([], explain_error(exc)))
            return
        self.post_message(PickerLoaded(items))

    def on_picker_loaded(self, message: PickerLoaded) -> None:
        status = self.query_one("#picker-status", Static)
        if message.problem:
            status.update(f"[red]Cannot list them: {message.problem}[/red] Type the value instead.")
            return
        status.update(f"{len(message.items)} found" if message.items else "None found in this account and region.")
        self.query_one(FilterList).set_items([Item(v, label, label.lower()) for v, label in message.items])

    def on_filter_list_chosen(self, message: FilterList.Chosen) -> None:
        self.dismiss(message.item_id)

    def action_close(self) -> None:
        if not self.query_one(FilterList).clear_filter():
            self.dismiss(None)
