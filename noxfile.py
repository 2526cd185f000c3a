"""Test sessions: lint, the host, one per in-tree plugin, and the example plugin.

Each test session runs on SQLite with the in-memory cache, then again on Postgres and Redis when
``OPTIMA_TEST_POSTGRES_URL`` and ``OPTIMA_TEST_REDIS_URL`` are set. A plugin's session enables
only that plugin and the plugins it requires. Sessions other than ``example`` run in the current
environment (``pip install -e '.[test]'`` first); ``example`` builds its own virtualenv with the host
and ``examples/hello-plugin`` installed from their pyproject files.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

import nox

ROOT = Path(__file__).parent
nox.options.sessions = ["lint", "host", "connectwise", "credentials", "example"]
nox.options.error_on_missing_interpreters = True


def _plugin_requires() -> dict[str, list[str]]:
    """Each in-tree plugin's requirements, read from its ``manifest.toml``-free plugin module."""
    from importlib import import_module

    found: dict[str, list[str]] = {}
    for folder in sorted((ROOT / "plugins").iterdir()):
        if (folder / "plugin.py").is_file():
            module = import_module(f"optima_{folder.name}.plugin")
            manifest = module.optima_plugin()
            found[manifest.name] = list(manifest.requires)
    return found


def _backends() -> list[dict[str, str]]:
    runs = [{"OPTIMA_TEST_BACKEND": "sqlite"}]
    pg, redis = os.environ.get("OPTIMA_TEST_POSTGRES_URL"), os.environ.get("OPTIMA_TEST_REDIS_URL")
    if pg or redis:
        runs.append(
            {
                "OPTIMA_TEST_BACKEND": "postgres+redis",
                "OPTIMA_TEST_POSTGRES_URL": pg or "",
                "OPTIMA_TEST_REDIS_URL": redis or "",
            }
        )
    return runs


def _python(session: nox.Session) -> str:
    """The interpreter to run tools with: the session's virtualenv, or nox's own for ``none`` sessions."""
    if isinstance(session.virtualenv, nox.virtualenv.PassthroughEnv):
        return sys.executable
    return "python"


def _pytest(session: nox.Session, paths: list[str], plugins: list[str]) -> None:
    for backend in _backends():
        env = {"OPTIMA_TEST_PLUGINS": ",".join(plugins)}
        if backend["OPTIMA_TEST_BACKEND"] == "sqlite":
            env |= {"OPTIMA_TEST_POSTGRES_URL": "", "OPTIMA_TEST_REDIS_URL": ""}
        else:
            env |= backend
        session.log(f"backend: {backend['OPTIMA_TEST_BACKEND']}, plugins: {env['OPTIMA_TEST_PLUGINS']}")
        session.run(_python(session), "-m", "pytest", *paths, *session.posargs, env=env)


@nox.session(venv_backend="none")
def lint(session: nox.Session) -> None:
    """ruff check and ruff format --check over the whole tree."""
    session.run(sys.executable, "-m", "ruff", "check", ".")
    session.run(sys.executable, "-m", "ruff", "format", "--check", ".")


@nox.session(venv_backend="none")
def host(session: nox.Session) -> None:
    """The host's tests with only the core plugin enabled."""
    _pytest(session, ["tests"], ["core"])


def _plugin_session(name: str) -> None:
    def run(session: nox.Session) -> None:
        if not (ROOT / "plugins" / name / "plugin.py").is_file():
            session.skip(f"plugin {name} is not in the tree")
        requires = _plugin_requires().get(name, [])
        _pytest(session, [f"plugins/{name}/tests"], list(dict.fromkeys(["core", *requires, name])))

    run.__doc__ = f"The {name} plugin's tests, with only it and its requirements enabled."
    nox.session(name=name, venv_backend="none")(run)


for _name in ("connectwise", "credentials"):
    _plugin_session(_name)


@nox.session(reuse_venv=True)
def example(session: nox.Session) -> None:
    """Install the host and examples/hello-plugin into a fresh virtualenv and run the plugin's tests."""
    session.install("-e", ".[test]", "-e", "examples/hello-plugin")
    _pytest(session, ["examples/hello-plugin/tests"], ["core", "hello"])
