"""Text from AWS, logs and tags written into Markdown so that it shows as written and never renders."""

from __future__ import annotations

import re
from typing import Any

_MD_SPECIAL = re.compile(r"([\\`*\[\]|])")


def md_text(text: Any) -> str:
    """Prose for Markdown that renders as written: what AWS, a log line or a tag value says is data, so
    ``<script>``, ``[x](javascript:...)``, ``**`` and ``|`` are shown, never rendered or run (CommonMark 2.4:
    any ASCII punctuation may be backslash-escaped; ``<`` and ``>`` become entities, which every renderer
    shows as text)."""
    escaped = _MD_SPECIAL.sub(r"\\\1", str(text or ""))
    return escaped.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def md_code(text: Any) -> str:
    """``text`` as a Markdown code span, fenced with more backticks than it holds (CommonMark 6.1)."""
    text = str(text)
    longest = max((len(run) for run in re.findall(r"`+", text)), default=0)
    fence = "`" * (longest + 1)
    pad = " " if text.startswith("`") or text.endswith("`") else ""
    return f"{fence}{pad}{text}{pad}{fence}"
