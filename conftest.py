"""Shared pytest fixtures for the host's and every in-tree plugin's tests."""

pytest_plugins = ["optima_platform.testing.fixtures"]
