"""awstriage: a troubleshooting assistant for AWS."""

__version__ = "0.1.0"
