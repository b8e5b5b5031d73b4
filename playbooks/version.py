"""The tool version, read from the installed distribution so the engine needs no CLI import."""

from importlib.metadata import PackageNotFoundError, version

try:
    VERSION = version("awstriage")
except PackageNotFoundError:  # running from a checkout that was never installed
    VERSION = "0.0.0+checkout"
