"""The robot runtime (core and ROS nodes) imports and runs a policy without torch.

The development venv has torch for training; this test makes it unimportable in a
fresh interpreter, so a stray `import torch` in the runtime fails here, not on a robot.
"""

import subprocess
import sys

RUNTIME_MODULES = [
    "legkit.robots",
    "legkit.sim",
    "legkit.control",
    "legkit.policy",
    "legkit.metrics",
    "legkit.hardware",
    "legkit.hardware.emulator",
    "legkit.hardware.rehearsal",
    "legkit_ros.sim_bridge",
    "legkit_ros.controller_node",
    "legkit_ros.observation_node",
    "legkit_ros.policy_node",
    "legkit_ros.command_source",
    "legkit_ros.bringup",
    "legkit_ros.hardware_bridge",
    "legkit_ros.rehearsal",
]

PROGRAM = f"""
import sys
sys.modules["torch"] = None  # any import of torch now raises ImportError
import importlib
for name in {RUNTIME_MODULES!r}:
    importlib.import_module(name)
import numpy as np
from legkit.paths import resolve_model
from legkit.policy import OnnxPolicy
from legkit.robots import QUADRUPED
policy = OnnxPolicy(resolve_model("quadruped_stand.onnx"), QUADRUPED)
print(policy.act(np.zeros(policy.contract.observation_size, dtype=np.float32)).shape)
"""


def test_runtime_imports_and_runs_a_policy_without_torch():
    result = subprocess.run(
        [sys.executable, "-c", PROGRAM], capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 0, result.stderr[-2000:]
    assert result.stdout.strip().endswith("(12,)")
