"""ros2_ws builds with colcon; every node, launch file and parameter file lands where
`ros2 run` and `ros2 launch` look for them, and an installed executable runs."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from legkit import REPO_ROOT
from tests.deploy.package_facts import PACKAGE_DIR, console_scripts

PACKAGE = "legkit_ros"


def colcon() -> str:
    """The venv's colcon (scripts/setup_env.sh installs it), else one on PATH (a robot)."""
    beside_python = Path(sys.executable).parent / "colcon"
    found = str(beside_python) if beside_python.exists() else shutil.which("colcon")
    if found is None:
        pytest.fail("colcon is not installed: run scripts/setup_env.sh")
    return found


@pytest.fixture(scope="module")
def install(tmp_path_factory) -> Path:
    """`colcon build --symlink-install` of ros2_ws into a temporary folder."""
    base = tmp_path_factory.mktemp("colcon")
    result = subprocess.run(
        [colcon(), "--log-base", str(base / "log"), "build", "--symlink-install"]
        + ["--base-paths", str(REPO_ROOT / "ros2_ws" / "src")]
        + ["--build-base", str(base / "build"), "--install-base", str(base / "install")],
        cwd=base,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    return base / "install"


def test_every_console_script_is_an_executable_under_lib_package(install):
    lib = install / PACKAGE / "lib" / PACKAGE
    for name in console_scripts():
        assert os.access(lib / name, os.X_OK), f"{name} missing from {lib}"


def test_launch_files_and_every_parameter_yaml_are_installed_under_share(install):
    share = install / PACKAGE / "share" / PACKAGE
    for launch_file in (PACKAGE_DIR / "launch").glob("*.launch.py"):
        assert (share / "launch" / launch_file.name).is_file(), launch_file.name
    yamls = list((PACKAGE_DIR / "config").rglob("*.yaml"))
    assert len(yamls) >= 5  # the robot, teleop and three pad profiles at least
    for yaml_file in yamls:
        installed = share / "config" / yaml_file.relative_to(PACKAGE_DIR / "config")
        assert installed.is_file(), f"{yaml_file} not installed"
    marker = install / PACKAGE / "share" / "ament_index" / "resource_index" / "packages" / PACKAGE
    assert marker.is_file()  # what FindPackageShare / ros2 run look up


def test_an_installed_executable_runs_and_reads_the_installed_share(install):
    env = dict(os.environ, AMENT_PREFIX_PATH=str(install / PACKAGE))
    teleop = install / PACKAGE / "lib" / PACKAGE / "teleop_node"
    result = subprocess.run(
        [str(teleop), "--ros-args", "-p", "pad:=steam_deck"],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 1
    output = result.stdout + result.stderr
    assert "unknown pad profile 'steam_deck'" in output
    assert str(install / PACKAGE / "share" / PACKAGE / "config" / "pads") in output
