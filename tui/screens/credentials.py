"""Credentials and region: switch profile or region; save or remove keyring credentials."""

from __future__ import annotations

from textual import work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, VerticalScroll
from textual.screen import Screen
from textual.widgets import Button, Footer, Input, Label, Static

from diagnostics import credentials as keyring_store
from diagnostics.errors import explain_error
from tui.messages import IdentityLoaded
from tui.widgets.identity_bar import IdentityBar


class CredentialsScreen(Screen[None]):
    HELP = """\
## Credentials and region

*Use* switches the profile and region every later run uses (the standard AWS chain: config files,
SSO, environment). *Save to keyring* keeps an access key for the profile in the OS keyring (service
`awstriage`), never in a file; *Remove* deletes it. The secret and token are never shown again.
"""

    BINDINGS = [Binding("escape", "app.pop_screen", "Back", id="credentials.back")]

    def compose(self) -> ComposeResult:
        workspace = self.app.workspace
        yield IdentityBar()
        with VerticalScroll(id="credentials"):
            yield Label("Profile and region", classes="heading")
            yield Input(workspace.options.profile or "", placeholder="profile (empty: the default chain)",
                        id="profile")
            yield Input(workspace.options.region or "", placeholder="region, e.g. eu-west-1", id="region")
            with Horizontal(classes="actions"):
                yield Button("Use", variant="primary", id="use")
            yield Label("Keyring credentials for this profile", classes="heading")
            yield Input(placeholder="access key ID", id="key-id")
            yield Input(placeholder="secret access key", password=True, id="secret")
            yield Input(placeholder="session token (optional)", password=True, id="token")
            with Horizontal(classes="actions"):
                yield Button("Save to keyring", id="save")
                yield Button("Remove from keyring", variant="error", id="remove")
            yield Static("", id="saved-profiles")
            yield Static("", id="credentials-status")
        yield Footer()

    def on_mount(self) -> None:
        self.query_one(IdentityBar).identity = self.app.identity
        self.query_one("#profile", Input).focus()
        self._show_saved()

    def _show_saved(self) -> None:
        try:
            names = keyring_store.list_profiles()
            text = "Saved in the keyring: " + (", ".join(names) if names else "none")
        except keyring_store.KeyringUnavailable as exc:
            text = f"[yellow]{exc}[/yellow]"
        self.query_one("#saved-profiles", Static).update(text)

    def _say(self, text: str) -> None:
        self.query_one("#credentials-status", Static).update(text)

    def on_button_pressed(self, event: Button.Pressed) -> None:
        profile = self.query_one("#profile", Input).value.strip()
        region = self.query_one("#region", Input).value.strip()
        if event.button.id == "use":
            self._switch(profile, region)
        elif event.button.id == "save":
            self._save(profile)
        elif event.button.id == "remove":
            self._remove(profile)

    @work(thread=True, exclusive=True, group="switch")
    def _switch(self, profile: str, region: str) -> None:
        try:
            self.app.workspace.switch(profile, region)
        except Exception as exc:  # an unknown profile is the user's setup, said in a sentence
            message = str(exc) if isinstance(exc, ValueError) else explain_error(exc, profile=profile or None)
            self.app.call_from_thread(self._say, f"[red]{message}[/red]")
            return
        identity = self.app.workspace.identity()
        self.app.post_message(IdentityLoaded(identity))
        self.app.call_from_thread(self._say, f"Now using profile {profile or '(default)'}, region "
                                             f"{identity.region}.")

    def _save(self, profile: str) -> None:
        if not profile:
            self._say("[red]Name the profile to save the credentials under.[/red]")
            return
        fields = {k: self.query_one(f"#{k}", Input).value.strip() for k in ("key-id", "secret", "token")}
        region = self.query_one("#region", Input).value.strip() or None
        try:
            creds = keyring_store.StoredCredentials(fields["key-id"], fields["secret"], fields["token"] or None, region)
            keyring_store.save(profile, creds)
        except (ValueError, keyring_store.KeyringUnavailable) as exc:
            self._say(f"[red]{exc}[/red]")
            return
        for key in ("secret", "token", "key-id"):
            self.query_one(f"#{key}", Input).value = ""  # the secret leaves the screen at once
        self._say(f"Saved credentials for profile {profile} in the OS keyring.")
        self._show_saved()

    def _remove(self, profile: str) -> None:
        if not profile:
            self._say("[red]Name the profile whose credentials to remove.[/red]")
            return
        try:
            removed = keyring_store.delete(profile)
        except keyring_store.KeyringUnavailable as exc:
            self._say(f"[red]{exc}[/red]")
            return
        self._say(f"Removed {profile} from the keyring." if removed else f"No saved credentials for {profile}.")
        self._show_saved()
