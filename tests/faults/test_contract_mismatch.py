"""Fault: a valid ONNX policy whose contract does not fit this robot or this graph: its
joint order differs from the robot's, it was trained for another robot, or at another
control period.

Safe state: the policy node refuses to start (exit code 1) before it publishes anything,
and no target ever reaches the controller: the controller stands the robot up and holds
the default pose in STANDUP (PD toward it), never ACTIVE. A joint order mismatch is also
refused by the observation node, which builds its vector from the same contract.

Log line (policy, once): "refusing to start: ...<the file>...<the mismatch>", e.g. naming
the first joint out of order, the other robot, or the period.
"""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from legkit.policy import contract_for_profile
from tests.faults.graph import JOINT_VELOCITY, POSE_OFFSET, PROFILE, transitions
from tests.faults.refusals import run_refusals
from tests.onnx_factory import write_model_for

pytestmark = pytest.mark.integration

GOOD = contract_for_profile(PROFILE)
_names = list(GOOD.joint_names)
_names[0], _names[1] = _names[1], _names[0]
SWAPPED = dataclasses.replace(GOOD, joint_names=tuple(_names))
CASES = {
    "joint-order": (lambda d: write_model_for(d / "order.onnx", SWAPPED), "LF_HAA"),
    "other-robot": (
        lambda d: write_model_for(d / "robot.onnx", dataclasses.replace(GOOD, robot="hexapod")),
        "hexapod",
    ),
    "control-period": (
        lambda d: write_model_for(d / "rate.onnx", dataclasses.replace(GOOD, control_period=0.04)),
        "period",
    ),
}
IN_GRAPH = "joint-order"
HOLD_TORQUE = -PROFILE.kp * POSE_OFFSET - PROFILE.kd * JOINT_VELOCITY  # PD to the default


@pytest.fixture(scope="module")
def refused(tmp_path_factory):
    graph, nodes = run_refusals(tmp_path_factory.mktemp("contract_mismatch"), CASES, IN_GRAPH)
    return graph, nodes


@pytest.mark.parametrize("case", list(CASES))
def test_policy_node_refuses_to_start_with_one_line_naming_file_and_mismatch(refused, case):
    _, nodes = refused
    path, node = nodes[case]
    assert node.returncode == 1
    (line,) = node.log_lines("refusing to start")
    assert str(path) in line and CASES[case][1] in line, line


def test_observation_node_refuses_a_joint_order_mismatch(refused):
    graph, _ = refused
    assert graph["observation"].returncode == 1
    (line,) = graph["observation"].log_lines("refusing to start")
    assert "joint order does not match robot 'quadruped'" in line


def test_controller_holds_the_stand_up_pose_and_never_goes_active(refused):
    graph, _ = refused
    robot = graph.watcher
    assert robot.modes() == ["IDLE", "STANDUP"]
    assert transitions(graph["controller"]) == ["IDLE -> STANDUP"]
    assert np.allclose(robot.commands()[-1].effort, HOLD_TORQUE, atol=1e-6)
