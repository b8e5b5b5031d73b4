"""Playbooks: ordered diagnostic steps over the diagnostics engine, and the runner that drives them.

Both the CLI and the TUI drive the same runner. Nothing here imports Textual.
"""
