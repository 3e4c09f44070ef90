"""What the ROS package declares, read from its own files (no build, no ROS install needed).

setup.py is run with setuptools.setup() captured, so the entry points and data files
are exactly what a build would install; node parameters are read from the source's
`declare_parameter("name", ...)` calls.
"""

from __future__ import annotations

import ast
import functools
import os
import runpy
import xml.etree.ElementTree as ET
from pathlib import Path
from unittest import mock

from legkit import REPO_ROOT

PACKAGE_DIR = REPO_ROOT / "ros2_ws" / "src" / "legkit_ros"

BUILTIN_PARAMETERS = {"use_sim_time"}
"""Declared by rclpy itself on every node."""


@functools.cache
def package_name() -> str:
    return ET.parse(PACKAGE_DIR / "package.xml").getroot().findtext("name")


@functools.cache
def setup_arguments() -> dict:
    """The keyword arguments setup.py gives setuptools.setup(), evaluated in its folder."""
    captured: dict = {}
    cwd = os.getcwd()
    os.chdir(PACKAGE_DIR)  # its globs are relative to the package
    try:
        with mock.patch("setuptools.setup", lambda **kwargs: captured.update(kwargs)):
            runpy.run_path(str(PACKAGE_DIR / "setup.py"))
    finally:
        os.chdir(cwd)
    return captured


def console_scripts() -> dict[str, str]:
    """Executable name -> "module:function"."""
    entries = setup_arguments()["entry_points"]["console_scripts"]
    return {name.strip(): target.strip() for name, target in (e.split("=", 1) for e in entries)}


def installed_files() -> dict[str, Path]:
    """Install-relative path ("share/legkit_ros/config/x.yaml") -> source file."""
    out = {}
    for destination, sources in setup_arguments()["data_files"]:
        for source in sources:
            out[f"{destination}/{Path(source).name}"] = PACKAGE_DIR / source
    return out


def module_file(module: str) -> Path:
    return PACKAGE_DIR / (module.replace(".", "/") + ".py")


def declared_parameters(module: str) -> tuple[set[str], bool]:
    """Parameter names the module (and the legkit_ros modules it imports) declare, and
    whether some declaration's name is computed (a loop) and so cannot be read here."""
    names: set[str] = set(BUILTIN_PARAMETERS)
    computed = False
    seen: set[str] = set()
    pending = [module]
    while pending:
        current = pending.pop()
        if current in seen or not module_file(current).exists():
            continue
        seen.add(current)
        tree = ast.parse(module_file(current).read_text())
        for node in tree.body:  # module-level imports: helpers that declare for the node
            if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("legkit_ros"):
                pending.append(node.module)
        for node in ast.walk(tree):
            if (
                isinstance(node, ast.Call)
                and isinstance(node.func, ast.Attribute)
                and node.func.attr == "declare_parameter"
                and node.args
            ):
                first = node.args[0]
                if isinstance(first, ast.Constant) and isinstance(first.value, str):
                    names.add(first.value)
                else:
                    computed = True
    return names, computed
