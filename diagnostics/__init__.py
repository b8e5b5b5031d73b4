"""Talks to AWS and analyses what it gets. No UI code lives here (see the import-linter contract)."""
