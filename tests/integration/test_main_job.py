"""The README's main command: the whole stack runs, summarizes and writes its run folder."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

pytestmark = pytest.mark.integration


def legkit_sim(*args: str, timeout: float = 180.0) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "legkit_ros.bringup", *args],
        capture_output=True,
        text=True,
        timeout=timeout,
    )


def test_main_job_stands_the_robot_and_writes_summary_plot_and_gif(tmp_path):
    result = legkit_sim("--duration", "4", "--out", str(tmp_path))
    assert result.returncode == 0, result.stderr[-2000:]
    (run_dir,) = tmp_path.iterdir()
    summary = json.loads((run_dir / "summary.json").read_text())
    assert summary["final_mode"] == "ACTIVE"
    assert summary["falls"] == 0
    assert abs(summary["base_height"]["mean_active"] - 0.30) < 0.03
    assert "controller rate [Hz]" in summary["timing"]
    assert (run_dir / "plot.png").stat().st_size > 10_000
    assert (run_dir / "robot.gif").read_bytes()[:6] == b"GIF89a"
    assert "falls: 0" in result.stdout


def test_main_job_refuses_a_missing_policy_naming_it(tmp_path):
    result = legkit_sim(
        "--duration", "2", "--policy", str(tmp_path / "nope.onnx"), "--out", str(tmp_path)
    )
    assert result.returncode == 1
    assert "nope.onnx" in result.stderr and "not found" in result.stderr


def test_main_job_refuses_a_parameter_for_an_unknown_node(tmp_path):
    result = legkit_sim("--param", "gripper.force:=3", "--out", str(tmp_path))
    assert result.returncode == 2
    assert "unknown node 'gripper'" in result.stderr


def test_hardware_bridge_parameters_are_only_taken_for_a_rehearsal(tmp_path):
    result = legkit_sim("--param", "hardware_bridge.reply_timeout:=0.02", "--out", str(tmp_path))
    assert result.returncode == 2
    assert "unknown node 'hardware_bridge'" in result.stderr


def test_rehearsal_of_a_robot_without_a_hardware_configuration_is_refused(tmp_path):
    result = legkit_sim(
        "--robot", "exoskeleton", "--policy", "x.onnx", "--rehearsal", "--out", str(tmp_path)
    )
    assert result.returncode == 2
    assert "no hardware configuration for robot 'exoskeleton'" in result.stderr


def test_a_robot_without_a_shipped_policy_needs_one_named(tmp_path):
    result = legkit_sim("--robot", "exoskeleton_knee", "--out", str(tmp_path))
    assert result.returncode == 2
    assert "no shipped policy for robot 'exoskeleton_knee': pass --policy" in result.stderr
