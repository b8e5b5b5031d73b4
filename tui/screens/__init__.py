"""Screens: home, inputs, run, export, credentials."""
