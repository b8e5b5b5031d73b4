"""The awstriage application: one Workspace, a stack of screens, bindings with ids."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

from textual import work
from textual.app import App, SystemCommand
from textual.binding import Binding
from textual.reactive import reactive
from textual.screen import Screen

from playbooks.registry import all_playbooks
from playbooks.workspace import Identity, Workspace
from tui.keymap import load_keymap
from tui.messages import IdentityLoaded
from tui.widgets.identity_bar import IdentityBar


class AwstriageApp(App[int]):
    TITLE = "awstriage"
    CSS_PATH = Path(__file__).parent / "styles.tcss"  # absolute: subclasses elsewhere keep it
    ENABLE_COMMAND_PALETTE = True

    BINDINGS = [
        Binding("question_mark", "keys", "Keys", id="app.keys"),
        Binding("f1", "widget_help", "Help", id="app.help"),
        Binding("g", "toggle_guided", "Guided", show=False, id="app.guided"),
        Binding("t", "triage", "Triage", show=False, id="app.triage"),
        Binding("ctrl+t", "toggle_theme", "Theme", show=False, id="app.theme"),
        Binding("q", "quit", "Quit", show=False, id="app.quit"),
    ]

    guided: reactive[bool] = reactive(False)
    identity: reactive[Identity | None] = reactive(None)

    def __init__(self, workspace: Workspace) -> None:
        super().__init__()
        self.workspace = workspace
        self.told_clipboard = False  # the copy keys say once that the terminal must allow OSC 52
        # Newcomers on the sandbox get every step's "why" open; on-call engineers get it quiet.
        self.guided = workspace.demo
        self.theme = "textual-dark"
        keymap, problem = load_keymap()
        self._keymap_problem = problem
        if keymap:
            self.set_keymap(keymap)

    def on_mount(self) -> None:
        from tui.screens.home import HomeScreen

        self.push_screen(HomeScreen())
        if self._keymap_problem:
            self.notify(self._keymap_problem, severity="warning", timeout=8)
        self.load_identity()

    @work(thread=True, exclusive=True, group="identity")
    def load_identity(self) -> None:
        """Start the sandbox or open the session, then ask STS who we are: never on the UI thread."""
        self.post_message(IdentityLoaded(self.workspace.identity()))

    def on_identity_loaded(self, message: IdentityLoaded) -> None:
        self.identity = message.identity
        for screen in self.screen_stack:
            for bar in screen.query(IdentityBar):
                bar.identity = message.identity
        if message.identity.problem and not self.workspace.demo:
            problem = message.identity.problem.rstrip(".")
            self.notify(f"{problem[:1].upper()}{problem[1:]}.\nWithout an AWS account, ctrl+p → \"Open the "
                        "sandbox\" runs every playbook on a built-in one.",
                        title="No usable AWS credentials", severity="warning", timeout=12)

    def action_open_sandbox(self) -> None:
        """Leave the account for the built-in sandbox (what `awstriage demo` opens on)."""
        if self.workspace.demo:
            self.notify("This is the sandbox already.", timeout=3)
            return
        from tui.screens.home import HomeScreen

        self.workspace.close()
        self.workspace = Workspace(demo=True)
        self.identity = None
        self.guided = True
        while len(self.screen_stack) > 2:
            self.pop_screen()
        self.switch_screen(HomeScreen())
        self.load_identity()

    # -- actions shared by every screen ----------------------------------------------------------
    def action_toggle_guided(self) -> None:
        self.guided = not self.guided
        self.notify("Guided mode on: each step explains why it exists." if self.guided
                    else "Guided mode off.", timeout=3)

    def action_toggle_theme(self) -> None:
        self.theme = "textual-light" if self.theme == "textual-dark" else "textual-dark"

    def action_keys(self) -> None:
        from tui.screens.help import KeysScreen

        if not isinstance(self.screen, KeysScreen):
            self.push_screen(KeysScreen(self.screen))

    def action_widget_help(self) -> None:
        from tui.screens.help import WidgetHelpScreen

        if not isinstance(self.screen, WidgetHelpScreen):
            self.push_screen(WidgetHelpScreen(self.focused, self.screen))

    def action_credentials(self) -> None:
        from tui.screens.credentials import CredentialsScreen

        self.push_screen(CredentialsScreen())

    def action_triage(self) -> None:
        from tui.screens.triage import TriageScreen

        if not isinstance(self.screen, TriageScreen):
            self.push_screen(TriageScreen())

    def action_open_playbook(self, name: str) -> None:
        from playbooks.registry import get_playbook
        from tui.screens.inputs import InputsScreen

        self.push_screen(InputsScreen(get_playbook(name)))

    @staticmethod
    def _works(screen: Screen, binding: Binding) -> bool:
        name, params = binding.action, ()
        if "(" in name:
            name, _, rest = name.partition("(")
            params = tuple(p.strip() for p in rest.rstrip(")").split(",") if p.strip())
        offers = getattr(screen, "offers", None)  # a screen whose keys answer even when there is nothing to do
        try:
            if offers is not None and offers(name, params) is False:
                return False
            return screen.check_action(name, params) is not False
        except Exception:  # a check that cannot answer here: offer the command, its action says why
            return True

    def get_system_commands(self, screen: Screen) -> Iterable[SystemCommand]:
        """Every action is in the command palette (ctrl+p), not only the ones with a key."""
        # Textual's "Keys" opens another panel than `?`, its "Screenshot" writes where it likes: ours instead.
        # Textual's "Maximize"/"Minimize" would sit beside our own "Maximise path": one way to do one thing.
        yield from (c for c in super().get_system_commands(screen)
                    if c.title not in ("Keys", "Screenshot", "Maximize", "Minimize"))
        for playbook in all_playbooks():
            yield SystemCommand(f"Playbook: {playbook.title}", playbook.purpose,
                                lambda name=playbook.name: self.action_open_playbook(name))
        yield SystemCommand("Triage: the first five minutes", "Alarms firing, AWS Health events, recent changes, "
                            "and the playbook to run for each alarm (t)", self.action_triage)
        yield SystemCommand("Toggle guided mode", "Show or hide why each step exists (g)", self.action_toggle_guided)
        yield SystemCommand("Toggle light/dark", "Switch between the light and dark theme (ctrl+t)",
                            self.action_toggle_theme)
        yield SystemCommand("Credentials and region", "Switch profile or region; save or remove keyring "
                            "credentials", self.action_credentials)
        yield SystemCommand("Keys", "The keys of the current view (?)", self.action_keys)
        yield SystemCommand("Help", "What this screen shows and the glossary (F1)", self.action_widget_help)
        if not self.workspace.demo:
            no_account = self.identity is None or bool(self.identity.problem)
            yield SystemCommand("Open the sandbox", ("No AWS account is usable here: open" if no_account else
                                                     "Leave this account for") + " the built-in sandbox: every "
                                "playbook on broken worlds, no AWS account needed", self.action_open_sandbox)
        offered = {"app.credentials", "app.keys", "app.widget_help", "app.triage", "app.toggle_guided"}
        for binding in screen.BINDINGS:
            # Only what works here: a binding whose action is off (no path) or that the palette already offers
            # under a fuller name ("Credentials and region") is not offered twice.
            if (isinstance(binding, Binding) and binding.description and binding.action not in offered
                    and self._works(screen, binding)):
                action = binding.action
                yield SystemCommand(binding.description, f"{binding.key} on this screen",
                                    lambda a=action: self.run_action(a, screen))
