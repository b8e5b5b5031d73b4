"""The bar on top of every screen: who you are, where, and whether this is the sandbox."""

from __future__ import annotations

from rich.text import Text
from textual.reactive import reactive
from textual.widgets import Static

from playbooks.workspace import Identity


def short_arn(arn: str) -> str:
    """``arn:aws:sts::123456789012:assumed-role/Admin/me`` -> ``assumed-role/Admin/me``: the account is shown beside."""
    parts = arn.split(":", 5)
    return parts[5] if len(parts) == 6 and parts[0] == "arn" else arn


class IdentityBar(Static):
    """Account, caller ARN, region, profile and credential source; SANDBOX when nothing is real."""

    HELP = """\
## Identity bar

Who the credentials belong to (account and ARN), the region every call goes to, the profile, and
where the credentials came from. **SANDBOX** means the built-in moto account: nothing you see is
real and nothing leaves this machine. Switch profile or region with `ctrl+p` → *Credentials*.
"""

    DEFAULT_CSS = """
    IdentityBar { dock: top; height: auto; max-height: 3; background: $panel; color: $text; padding: 0 1; }
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
        # What says where calls go comes first (account, region); the ARN without the account it repeats; the
        # line wraps rather than losing the region at 80 columns.
        text.append("account ", style="dim")
        text.append(ident.account or "?", style="bold")
        text.append("  region ", style="dim")
        text.append(ident.region or "?", style="bold")
        if ident.profile:
            text.append("  profile ", style="dim")
            text.append(ident.profile, style="bold")
        text.append("  as ", style="dim")
        text.append(short_arn(ident.arn) or "?")
        if not ident.sandbox and ident.source:
            text.append(f"  ({ident.source})", style="dim")
        return text
