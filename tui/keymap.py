"""User key remapping: every binding has an id, and ``keymap.toml`` maps ids to keys.

    # ~/.config/awstriage/keymap.toml (AWSTRIAGE_CONFIG_DIR overrides the folder)
    [keymap]
    "run.cancel" = "ctrl+c"
    "run.copy_fix" = "y"
"""

from __future__ import annotations

import os
import tomllib
from pathlib import Path

from platformdirs import user_config_dir


def config_dir() -> Path:
    return Path(os.environ.get("AWSTRIAGE_CONFIG_DIR") or user_config_dir("awstriage"))


def load_keymap(path: Path | None = None) -> tuple[dict[str, str], str | None]:
    """The id -> keys map, and a sentence when the file could not be used (the defaults stay)."""
    path = path or config_dir() / "keymap.toml"
    if not path.exists():
        return {}, None
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        return {}, f"ignored {path}: {exc}"
    table = data.get("keymap", {})
    if not isinstance(table, dict) or not all(isinstance(v, str) for v in table.values()):
        return {}, f"ignored {path}: [keymap] must map binding ids to key strings"
    return {str(k): v for k, v in table.items()}, None
