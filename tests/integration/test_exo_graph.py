"""The exoskeleton in the same graph: `legkit-sim --robot exoskeleton` assists a simulated wearer.

The policy here is a real ONNX file with the exoskeleton's contract whose law is plain
and checkable: hip torque proportional to the thigh's rate (the hand-written baseline of
docs/exoskeleton.md). The sim bridge plays the wearer and the device, the observation node
reads the cuff IMUs, the assistance controller shapes the torque; the run is judged on
the simulator's ground truth in sim time.
"""

from __future__ import annotations

import json
import subprocess
import sys

import numpy as np
import pytest

from legkit.policy.defaults import training_contract
from legkit.robots import EXOSKELETON
from tests.onnx_factory import write_model_for

pytestmark = pytest.mark.integration

GAIN = 4.0
"""Hip torque per thigh rate [N m s/rad]."""


def hip_velocity_policy(path):
    """ONNX policy: action = GAIN x thigh rate / torque scale, from the newest frame."""
    contract = training_contract(EXOSKELETON)
    frame = sum(t.size for t in contract.observation)
    weight = np.zeros((contract.observation_size, contract.action_size), dtype=np.float32)
    start = 0
    for term in contract.observation:
        if term.name == "thigh_ang_vel":
            rate_scale = term.scale[0]
            newest = (contract.history_length - 1) * frame + start
            for side in range(2):
                weight[newest + side, side] = GAIN / (rate_scale * contract.action_scale)
        start += term.size
    return write_model_for(path, contract, weight=weight)


@pytest.fixture(scope="module")
def assisted_run(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("exo_graph")
    policy = hip_velocity_policy(tmp / "hip_velocity.onnx")
    result = subprocess.run(
        [sys.executable, "-m", "legkit_ros.bringup", "--robot", "exoskeleton"]
        + ["--policy", str(policy), "--duration", "6", "--real-time-factor", "0.5"]
        + ["--out", str(tmp / "runs")],
        capture_output=True,
        text=True,
        timeout=240,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    (run_dir,) = (tmp / "runs").iterdir()
    return result, run_dir, json.loads((run_dir / "summary.json").read_text())


def test_assistance_ramps_in_and_stays_on_while_the_wearer_walks(assisted_run):
    _, _, summary = assisted_run
    modes = [t["mode"] for t in summary["transitions"]]
    assert modes[-1] == "ASSIST" and summary["final_mode"] == "ASSIST", modes
    assert summary["assisted_s"] > 4.0


def test_the_device_delivers_torque_within_its_limit(assisted_run):
    _, _, summary = assisted_run
    device = summary["device"]
    assert 2.0 < device["peak_torque_nm"] <= EXOSKELETON.effort_limits.max() + 1e-6
    assert device["positive_power_w"] > 0.0


def test_the_run_reports_the_wearers_hip_effort_and_writes_its_plot(assisted_run):
    result, run_dir, summary = assisted_run
    assert summary["scored_samples"] > 50
    assert np.isfinite(summary["wearer"]["hip_effort_nm2"])
    assert "wearer hip effort" in result.stdout
    assert (run_dir / "plot.png").stat().st_size > 10_000
