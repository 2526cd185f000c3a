"""Test support for the host and for plugins: live servers on real databases and caches.

Load it in a ``conftest.py`` with ``pytest_plugins = ["optima_platform.testing.fixtures"]``.
"""
