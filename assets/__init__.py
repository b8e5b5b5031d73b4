"""Sandbox scenarios, help texts and example policies, shipped as package data."""
