"""The shipped walking policy walks through the real graph (one process per node, DDS),
on the sim bridge and on the real-driver path (hardware bridge, CAN, emulated motors).

The evaluation command's ROS side runs the graph on a short script: stand up, then
0.5 m/s forward for 5 s, then stop for 5 s. A robot that only stood would score
~0.35 m/s of tracking error over it; the walking policy must follow the command.
"""

from __future__ import annotations

import pytest

from legkit_train.evaluate import evaluate_ros

pytestmark = pytest.mark.integration


def test_walking_policy_follows_a_forward_command_and_stops_without_falling(tmp_path):
    # Half real time: CI's two cores also run pytest; the verdict is in sim time.
    score, run_dir = evaluate_ros(
        "quadruped_walk.onnx",
        episodes=1,
        episode_s=10.0,
        real_time_factor=0.5,
        command_scale=0.5,
        out=tmp_path,
    )
    assert score.falls == 0, run_dir
    assert score.lin_vel_rmse < 0.2, (score, run_dir)
    assert score.yaw_rate_rmse < 0.3, (score, run_dir)


def test_walking_policy_walks_through_the_hardware_bridge_and_emulated_can_motors(tmp_path):
    # The real-driver path: lifecycle hardware bridge, MIT frames on virtual CAN buses,
    # emulated motors whose shafts are the pybullet joints, the controller sending PD
    # targets that the motors' firmware tracks (pd_in_motor). The bringup activates the
    # bridge and calls /controller/start as an operator would.
    # A quarter of real time: six threads in the rehearsal process share the GIL.
    score, run_dir = evaluate_ros(
        "quadruped_walk.onnx",
        episodes=1,
        episode_s=10.0,
        real_time_factor=0.25,
        command_scale=0.5,
        out=tmp_path,
        rehearsal=True,
    )
    assert score.falls == 0, run_dir
    assert score.lin_vel_rmse < 0.2, (score, run_dir)
    assert score.yaw_rate_rmse < 0.3, (score, run_dir)
    log = (run_dir / "logs" / "rehearsal.log").read_text()
    assert "FAULT" not in log, log[-2000:]
