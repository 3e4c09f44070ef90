"""The evaluation command: scores a policy in the env and through the ROS 2 graph."""

from __future__ import annotations

import numpy as np
import pytest

from legkit.evaluation import CommandSegment
from legkit.robots import QUADRUPED
from legkit_train.evaluate import (
    evaluate_env,
    evaluate_seed_sets,
    main,
    ros_command_profile,
    trace_from_recording,
)

STAND = "quadruped_stand.onnx"  # zero action: holds the default pose, never walks


def test_standing_policy_scores_the_commanded_speed_as_error_and_does_not_fall() -> None:
    # The first evaluation command is full forward speed (1 m/s); a robot that stands
    # still misses it by all of it.
    score, (trace,) = evaluate_env(STAND, episodes=1, randomized=False, episode_s=3.0)
    assert score.falls == 0 and len(trace.t) == 150
    assert score.lin_vel_rmse == pytest.approx(1.0, abs=0.05)
    assert score.yaw_rate_rmse < 0.05
    np.testing.assert_allclose(trace.command[-1], [1.0, 0.0, 0.0])


def test_seed_sets_give_a_row_each_and_a_row_pooling_their_episodes() -> None:
    rows = evaluate_seed_sets(STAND, [0, 7], episodes=2, episode_s=2.0)
    first, second, pooled = rows.values()
    assert list(rows) == [
        "env, randomized + pushes, seed 0",
        "env, randomized + pushes, seed 7",
        "env, randomized + pushes, 2 seed sets pooled",
    ]
    assert (pooled.episodes, pooled.falls) == (4, first.falls + second.falls)
    assert pooled.scored_seconds == pytest.approx(first.scored_seconds + second.scored_seconds)
    low, high = sorted((first.lin_vel_rmse, second.lin_vel_rmse))
    assert low <= pooled.lin_vel_rmse <= high


def test_seed_sets_that_would_share_episodes_are_refused(
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert main([STAND, "--episodes", "10", "--seeds", "0", "5"]) == 1
    assert "seeds 0 and 5 share episodes" in capsys.readouterr().err


def test_ros_command_profile_leads_with_zero_then_plays_the_segments() -> None:
    segments = [CommandSegment(5.0, 1.0, 0.0, 0.0), CommandSegment(5.0, 0.0, 0.5, -1.0)]
    p = ros_command_profile(segments, lead_s=4.0)
    assert p["times"] == [0.0, 4.0, 9.0, 14.0]
    assert p["vx"] == [0.0, 1.0, 0.0, 0.0]
    assert p["vy"] == [0.0, 0.0, 0.5, 0.0]
    assert p["yaw_rate"] == [0.0, 0.0, -1.0, 0.0]


def recording(n: int = 100, fall_at: int | None = None, damp_at: int | None = None) -> dict:
    t = np.arange(n) * 0.1
    base_pos = np.tile([0.0, 0.0, 0.30], (n, 1))
    if fall_at is not None:
        base_pos[fall_at:, 2] = 0.05
    mode = np.array(["ACTIVE"] * n)
    if damp_at is not None:
        mode[damp_at:] = "DAMPING"
    return {
        "t": t,
        "cmd": np.zeros((n, 3)),
        "vel": np.zeros((n, 3)),
        "joint_power": np.zeros(n),
        "base_pos": base_pos,
        "base_quat": np.tile([0.0, 0.0, 0.0, 1.0], (n, 1)),
        "mode": mode,
    }


def test_ros_trace_is_the_window_after_the_lead() -> None:
    trace = trace_from_recording(recording(), QUADRUPED, start_s=2.0, end_s=8.0)
    assert not trace.fell
    assert trace.t[0] == pytest.approx(2.0) and trace.t[-1] == pytest.approx(7.9)


@pytest.mark.parametrize("kind", ["fall_at", "damp_at"])
def test_ros_trace_ends_at_a_fall_or_when_the_controller_leaves_active(kind: str) -> None:
    trace = trace_from_recording(recording(**{kind: 50}), QUADRUPED, start_s=2.0, end_s=8.0)
    assert trace.fell
    assert trace.t[-1] == pytest.approx(4.9)


def test_command_reports_a_missing_policy(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["no_such_policy.onnx", "--episodes", "1"]) == 1
    assert "no_such_policy.onnx" in capsys.readouterr().err
