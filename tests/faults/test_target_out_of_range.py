"""Fault: the policy asks for a joint target outside the joint's range. Here a policy maps
the velocity command onto the left front knee, and a command drives that target to
1.00 rad, far past the knee's upper limit of -0.90 rad.

Safe state: not a stop. The controller clamps the target to the joint's range and stays
ACTIVE; every command computed from a joint state stamped more than one controller period
after the first out-of-range target went out (as the robot saw it) holds the knee at the
clamped target (PD toward -0.90 rad), and no command ever pushes it further. The other
joints are untouched.

Log line (controller, once while the target stays out of range): "target LF_KFE=1.00 rad
outside [-2.70, -0.90], clamped".
"""

from __future__ import annotations

import numpy as np
import pytest

from tests.faults.graph import (
    JOINT_VELOCITY,
    POSE_OFFSET,
    PROFILE,
    SCRIPTED_PERIOD_NS,
    start_scripted_graph,
    transitions,
)
from tests.faults.policies import command_to_joint

pytestmark = pytest.mark.integration

KNEE = PROFILE.joint_index("LF_KFE")
SPEC = PROFILE.joints[KNEE]
# The scripted robot's knee sits POSE_OFFSET above its default and moves at JOINT_VELOCITY.
CLAMPED_TORQUE = SPEC.kp * (SPEC.upper - SPEC.default_position - POSE_OFFSET) - (
    SPEC.kd * JOINT_VELOCITY
)
HOLD_TORQUE = -PROFILE.kp * POSE_OFFSET - PROFILE.kd * JOINT_VELOCITY  # PD to the default


@pytest.fixture(scope="module")
def fault(tmp_path_factory):
    log_dir = tmp_path_factory.mktemp("target_out_of_range")
    # 0.5 m/s, scaled x2, times 10 = action 10 (the clip): target = -1.5 + 0.25 x 10 rad
    policy = command_to_joint(log_dir / "knee.onnx", "LF_KFE", gain=10.0)
    graph, robot = start_scripted_graph(log_dir, policy_file=policy)
    try:
        robot.wait_mode("ACTIVE", timeout=60.0)
        robot.wait_sim(0.2)
        robot.command(0.5)
        robot.wait_sim(0.4)
    finally:
        graph.close()
    return graph, robot


def test_knee_is_held_at_its_limit_within_one_controller_period_of_the_target(fault):
    _, robot = fault
    first = next(seen for _, seen, q in robot.rec.targets if q[KNEE] > SPEC.upper)
    after = robot.commands_after(first + SCRIPTED_PERIOD_NS)
    assert len(after) > 20
    for command in after:
        assert command.effort[KNEE] == pytest.approx(CLAMPED_TORQUE, abs=1e-6)
        others = np.delete(command.effort, KNEE)
        assert others == pytest.approx(np.delete(HOLD_TORQUE, KNEE), abs=1e-6)


def test_no_command_ever_pushes_the_knee_past_its_limit(fault):
    _, robot = fault
    assert max(c.effort[KNEE] for c in robot.commands()) <= CLAMPED_TORQUE + 1e-6


def test_controller_stays_active(fault):
    graph, robot = fault
    assert transitions(graph["controller"]) == ["IDLE -> STANDUP", "STANDUP -> ACTIVE"]
    assert robot.mode == "ACTIVE"


def test_one_log_line_names_joint_target_and_range(fault):
    graph, _ = fault
    (line,) = graph["controller"].log_lines("clamped")
    assert "target LF_KFE=1.00 rad outside [-2.70, -0.90], clamped" in line
