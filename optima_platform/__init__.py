"""Optima Platform: a Litestar host whose features all come from pluggy plugins."""

__version__ = "0.1.0"
