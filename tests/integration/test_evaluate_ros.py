"""The evaluation command's ROS 2 side: the same scoring on a run of the real graph."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from legkit_train.evaluate import main

pytestmark = pytest.mark.integration

STAND = "quadruped_stand.onnx"  # zero action: holds the default pose, never walks


def test_command_runs_env_and_ros_graph_on_a_tiny_budget(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "scores.json"
    # Half real time: CI's two cores also run pytest; scores are in simulated time.
    args = ["--episodes", "1", "--episode-s", "2", "--ros", "--real-time-factor", "0.5"]
    code = main([STAND, *args, "--json", str(out)])
    assert code == 0, capsys.readouterr().err
    text = capsys.readouterr().out
    assert "| ROS graph, nominal |" in text and "ROS graph vs env (nominal)" in text
    scores = json.loads(out.read_text())
    assert set(scores) == {"env, randomized + pushes", "env, nominal", "ROS graph, nominal"}
    # Standing still under a 1 m/s command: both sides see the same ~1 m/s error.
    assert scores["ROS graph, nominal"]["falls"] == 0, text
    assert scores["env, nominal"]["lin_vel_rmse"] == pytest.approx(1.0, abs=0.1)
    assert scores["ROS graph, nominal"]["lin_vel_rmse"] == pytest.approx(1.0, abs=0.1)
