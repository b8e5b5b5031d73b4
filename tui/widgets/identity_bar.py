"""The bar on top of every screen: who you are, where, and whether this is the sandbox."""

from __future__ import annotations

from rich.text import Text
from textual.reactive import reactive
from textual.widgets import Static

from playbooks.workspace import Identity


class IdentityBar(Static):
    """Account, caller ARN, region, profile and credential source; SANDBOX when nothing is real."""

    HELP = """\
## Identity bar

Who the credentials belong to (account and ARN), the region every call goes to, the profile, and
where the credentials came from. **SANDBOX** means the built-in moto account: nothing you see is
real and nothing leaves this machine. Switch profile or region with `ctrl+p` → *Credentials*.
"""

    DEFAULT_CSS = """
    IdentityBar { dock: top; height: 1; background: $panel; color: $text; padding: 0 1; }
    """

    identity: reactive[Identity | None] = reactive(None)

    def render(self) -> Text:
        ident = self.identity
        text = Text()
        if ident is None:
            return Text("Connecting… (asking STS who these credentials are)", style="dim")
        if ident.sandbox:
            text.append(" SANDBOX ", style="bold black on yellow")
            text.append(" ")
        if ident.problem:
            text.append("⚠ ", style="bold red")
            text.append(ident.problem, style="red")
            return text
        text.append("account ", style="dim")
        text.append(ident.account or "?", style="bold")
        text.append("  ")
        text.append(ident.arn or "?")
        text.append("  region ", style="dim")
        text.append(ident.region or "?", style="bold")
        if ident.profile:
            text.append("  profile ", style="dim")
            text.append(ident.profile, style="bold")
        if not ident.sandbox and ident.source:
            text.append(f"  ({ident.source})", style="dim")
        return text
