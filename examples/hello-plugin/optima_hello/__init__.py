"""optima-hello: the example plugin for Optima Platform (see docs/plugins.md)."""

__version__ = "0.1.0"
