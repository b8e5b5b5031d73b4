"""Text shown to a person, kept short without changing what it says."""

from __future__ import annotations


def shorten(text: str, most: int) -> str:
    """``text`` on one line, at most ``most`` characters, ended at a word boundary with "…" when it is
    longer: a word cut in half reads as a different word ("SUBNET_ACL_RESTRICTIO"). A text with no space
    in its second half (an ARN, a URL) is cut where it must be."""
    text = " ".join(str(text).split())
    if len(text) <= most:
        return text
    head = text[:most - 1]
    if text[most - 1] == " ":
        return head.rstrip() + "…"  # the cut falls between two words
    space = head.rfind(" ")
    return (head[:space] if space > most // 2 else head).rstrip() + "…"
