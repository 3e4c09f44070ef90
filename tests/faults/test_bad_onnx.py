"""Fault: the policy file is not a usable ONNX model: not ONNX at all, missing, or with an
output that does not fit the robot.

Safe state: the policy node refuses to start (exit code 1) before it publishes anything,
and no target ever reaches the controller: the controller stands the robot up and holds
the default pose in STANDUP (PD toward it), never ACTIVE. The observation node, which
reads its layout from the same file, refuses a file that is not ONNX as well.

Log line (policy, once): "refusing to start: ...<the file>...<the cause>", e.g.
"... not a valid ONNX model".
"""

from __future__ import annotations

import numpy as np
import pytest

from legkit.policy import contract_for_profile
from tests.faults.graph import JOINT_VELOCITY, POSE_OFFSET, PROFILE, transitions
from tests.faults.refusals import run_refusals
from tests.onnx_factory import write_model_for

pytestmark = pytest.mark.integration

GOOD = contract_for_profile(PROFILE)
CASES = {
    "not-onnx": (
        lambda d: (d / "notes.onnx").write_text("not a model") and d / "notes.onnx",
        "not a valid ONNX model",
    ),
    "missing-file": (lambda d: d / "nowhere.onnx", "not found"),
    "wrong-output-size": (lambda d: write_model_for(d / "out.onnx", GOOD, action_size=8), "size 8"),
}
IN_GRAPH = "not-onnx"
HOLD_TORQUE = -PROFILE.kp * POSE_OFFSET - PROFILE.kd * JOINT_VELOCITY  # PD to the default


@pytest.fixture(scope="module")
def refused(tmp_path_factory):
    graph, nodes = run_refusals(tmp_path_factory.mktemp("bad_onnx"), CASES, IN_GRAPH)
    return graph, nodes


@pytest.mark.parametrize("case", list(CASES))
def test_policy_node_refuses_to_start_with_one_line_naming_file_and_cause(refused, case):
    _, nodes = refused
    path, node = nodes[case]
    assert node.returncode == 1
    (line,) = node.log_lines("refusing to start")
    assert str(path) in line and CASES[case][1] in line, line


def test_observation_node_refuses_a_file_that_is_not_onnx(refused):
    graph, _ = refused
    assert graph["observation"].returncode == 1
    assert len(graph["observation"].log_lines("refusing to start")) == 1


def test_controller_holds_the_stand_up_pose_and_never_goes_active(refused):
    graph, _ = refused
    robot = graph.watcher
    assert robot.modes() == ["IDLE", "STANDUP"]
    assert transitions(graph["controller"]) == ["IDLE -> STANDUP"]
    assert np.allclose(robot.commands()[-1].effort, HOLD_TORQUE, atol=1e-6)
