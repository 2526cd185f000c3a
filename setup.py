"""Package layout: the host in optima_platform/, each in-tree plugin in plugins/<name>/ as optima_<name>."""

from pathlib import Path

from setuptools import find_packages, setup

ROOT = Path(__file__).parent
package_dir = {"optima_platform": "optima_platform"}
packages = ["optima_platform", *(f"optima_platform.{p}" for p in find_packages("optima_platform"))]
for plugin in sorted((ROOT / "plugins").iterdir()):
    if (plugin / "__init__.py").is_file():
        name = f"optima_{plugin.name}"
        package_dir[name] = f"plugins/{plugin.name}"
        packages += [name, *(f"{name}.{p}" for p in find_packages(str(plugin)))]

setup(package_dir=package_dir, packages=packages)
