"""The policy node refuses to start on a bad policy file, with one line naming file and cause."""

from __future__ import annotations

import dataclasses
import subprocess

import pytest

from legkit.policy import contract_for_profile
from legkit.robots import QUADRUPED
from tests.onnx_factory import write_model_for

pytestmark = pytest.mark.integration

GOOD = contract_for_profile(QUADRUPED)


def _swapped_joints():
    names = list(GOOD.joint_names)
    names[0], names[1] = names[1], names[0]
    return dataclasses.replace(GOOD, joint_names=tuple(names))


CASES = {
    "missing-file": (lambda p: p / "nowhere.onnx", "not found"),
    "not-onnx": (
        lambda p: (p / "notes.onnx").write_text("not a model") and p / "notes.onnx",
        "not a valid ONNX model",
    ),
    "wrong-input-size": (lambda p: write_model_for(p / "in.onnx", GOOD, obs_size=30), "size 30"),
    "wrong-output-size": (lambda p: write_model_for(p / "out.onnx", GOOD, action_size=8), "size 8"),
    "joint-order-mismatch": (
        lambda p: write_model_for(p / "order.onnx", _swapped_joints()),
        "LF_HAA",
    ),
    "other-robot": (
        lambda p: write_model_for(p / "robot.onnx", dataclasses.replace(GOOD, robot="hexapod")),
        "hexapod",
    ),
    "control-period-mismatch": (
        lambda p: write_model_for(p / "rate.onnx", dataclasses.replace(GOOD, control_period=0.04)),
        "period",
    ),
}


@pytest.mark.parametrize("case", list(CASES))
def test_policy_node_refuses_bad_policy_naming_file_and_cause(launch, tmp_path, case):
    make, cause = CASES[case]
    path = make(tmp_path)
    node = launch("policy", policy=str(path))
    assert node.wait_exit(timeout=30) == 1
    fatal = node.log_lines("refusing to start")
    assert len(fatal) == 1, node.log()
    assert str(path) in fatal[0] and cause in fatal[0], fatal[0]


def test_policy_node_starts_with_the_shipped_policy(launch):
    node = launch("policy", policy="quadruped_stand.onnx")
    with pytest.raises(subprocess.TimeoutExpired):  # still running after a few seconds
        node.wait_exit(timeout=3)
    assert "running policy" in node.log()
