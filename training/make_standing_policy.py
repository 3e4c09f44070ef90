"""Write the standing policy: a correctly contracted ONNX model whose action is always zero.

Zero action means joint targets = default standing pose, which the PD loop holds. It is
not trained, does not walk and ignores the velocity command; it exists so the whole
deployment pipeline (contract checks, observation builder, runner, PD, safety) runs
end to end until a trained walking policy ships. Built with the `onnx` helper API, no
torch. The output is deterministic for a given commit (no timestamps, fixed opset).

Usage:
    python training/make_standing_policy.py [--out models/quadruped_stand.onnx]
"""

from __future__ import annotations

import argparse
import subprocess
from pathlib import Path

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

from legkit import REPO_ROOT, __version__
from legkit.policy import OnnxPolicy, PolicyContract, contract_for_profile, embed_contract
from legkit.robots import QUADRUPED

DEFAULT_OUT = REPO_ROOT / "models" / "quadruped_stand.onnx"
COMMAND = "python training/make_standing_policy.py"
DESCRIPTION = (
    "Standing policy, NOT trained: a linear layer with all-zero weight and bias, so the "
    "action is always zero and the joint targets are the default standing pose. It does "
    "not walk and ignores the velocity command. Placeholder until quadruped_walk.onnx lands."
)
# IR 8 / opset 17 load in every onnxruntime the project supports (>= 1.17).
IR_VERSION = 8
OPSET = 17


def git_commit() -> str:
    """Short HEAD commit, '+dirty' if this script or the legkit package has local edits.

    'unknown' outside a git checkout (e.g. in an installed image).
    """

    def git(*args: str) -> str:
        return subprocess.run(
            ["git", *args], cwd=REPO_ROOT, capture_output=True, text=True, check=True
        ).stdout.strip()

    try:
        commit = git("rev-parse", "--short", "HEAD")
        dirty = git("status", "--porcelain", "--", "training/make_standing_policy.py", "src/legkit")
    except (OSError, subprocess.CalledProcessError):
        return "unknown"
    return f"{commit}+dirty" if dirty else commit


def standing_contract(commit: str) -> PolicyContract:
    """The quadruped contract with this policy's provenance."""
    return contract_for_profile(
        QUADRUPED,
        provenance={
            "description": DESCRIPTION,
            "command": COMMAND,
            "commit": commit,
            "training_steps": "0",
        },
    )


def zero_linear_model(contract: PolicyContract) -> onnx.ModelProto:
    """actions = obs @ W + b with W, b all zero: [1, obs_size] float32 -> [1, n] float32."""
    n_obs, n_act = contract.observation_size, contract.action_size
    weight = numpy_helper.from_array(np.zeros((n_obs, n_act), dtype=np.float32), "weight")
    bias = numpy_helper.from_array(np.zeros(n_act, dtype=np.float32), "bias")
    graph = helper.make_graph(
        nodes=[
            helper.make_node("MatMul", [contract.input_name, "weight"], ["linear"]),
            helper.make_node("Add", ["linear", "bias"], [contract.output_name]),
        ],
        name="quadruped_stand",
        inputs=[helper.make_tensor_value_info(contract.input_name, TensorProto.FLOAT, [1, n_obs])],
        outputs=[
            helper.make_tensor_value_info(contract.output_name, TensorProto.FLOAT, [1, n_act])
        ],
        initializer=[weight, bias],
    )
    model = helper.make_model(
        graph,
        opset_imports=[helper.make_opsetid("", OPSET)],
        producer_name="legkit",
        producer_version=__version__,
        ir_version=IR_VERSION,
    )
    onnx.checker.check_model(model)
    return model


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT, help="ONNX file to write")
    args = parser.parse_args(argv)

    contract = standing_contract(git_commit())
    args.out.parent.mkdir(parents=True, exist_ok=True)
    onnx.save(zero_linear_model(contract), str(args.out))
    embed_contract(args.out, contract)

    # Load it the way deployment will, so a broken file never gets shipped.
    policy = OnnxPolicy(args.out, QUADRUPED, control_period=contract.control_period)
    action = policy.act(np.zeros(contract.observation_size, dtype=np.float32))
    assert not action.any(), "standing policy must return zeros"
    print(
        f"wrote {args.out} (obs {contract.observation_size} -> action {contract.action_size}, "
        f"commit {contract.provenance['commit']}) and its contract sidecar"
    )


if __name__ == "__main__":
    main()
