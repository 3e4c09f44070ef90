"""Policy files that misbehave on cue, for the fault catalogue.

Both are linear in the observation and output a zero action (the default standing
pose) while the velocity command is zero; a velocity command is what breaks them, so a
test can stand the robot up first and then trigger the fault from outside with /cmd_vel.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

from legkit.policy import ObservationBuilder, contract_for_profile
from legkit.policy.contract import CONTRACT_METADATA_KEY
from legkit.robots import QUADRUPED

CONTRACT = contract_for_profile(QUADRUPED)
VX = ObservationBuilder.from_contract(CONTRACT).term_slices()["velocity_command"].start
"""Index of the commanded forward velocity in the observation."""


def _save(path: Path, nodes: list, initializers: list[np.ndarray], names: list[str]) -> Path:
    size_in, size_out = CONTRACT.observation_size, CONTRACT.action_size
    graph = helper.make_graph(
        nodes=nodes,
        name="fault_policy",
        inputs=[helper.make_tensor_value_info("obs", TensorProto.FLOAT, [1, size_in])],
        outputs=[helper.make_tensor_value_info("actions", TensorProto.FLOAT, [1, size_out])],
        initializer=[
            numpy_helper.from_array(a.astype(np.float32), n)
            for a, n in zip(initializers, names, strict=True)
        ],
    )
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)], ir_version=8)
    entry = model.metadata_props.add()
    entry.key, entry.value = CONTRACT_METADATA_KEY, CONTRACT.to_json()
    onnx.save(model, str(path))
    return path


def command_to_joint(path: Path, joint: str, gain: float) -> Path:
    """action[joint] = gain x (scaled vx command); every other action is zero."""
    weight = np.zeros((CONTRACT.observation_size, CONTRACT.action_size))
    weight[VX, QUADRUPED.joint_index(joint)] = gain
    return _save(path, [helper.make_node("MatMul", ["obs", "w"], ["actions"])], [weight], ["w"])


def overflows_to_nan(path: Path) -> Path:
    """A network whose hidden layer overflows float32 on a large vx command (the scaled
    command is clipped at 100, times 1e37) and whose next layer turns inf into NaN
    (inf x 0): every action is NaN then, and exactly zero for a zero command."""
    weight = np.zeros((CONTRACT.observation_size, CONTRACT.action_size))
    weight[VX, :] = 1e37
    nodes = [
        helper.make_node("MatMul", ["obs", "w"], ["hidden"]),
        helper.make_node("Mul", ["hidden", "zero"], ["actions"]),
    ]
    return _save(path, nodes, [weight, np.zeros(1)], ["w", "zero"])
