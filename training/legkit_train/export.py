"""Export a training checkpoint's actor to ONNX, normalizer inside, contract in the metadata.

Usage::

    python -m legkit_train.export runs/train/walk/model_1500.pt models/quadruped_walk.onnx

The exported graph maps the raw observation (as the observation node builds it) to the
raw action: the empirical observation normalizer learnt in training is part of the
graph, so deployment never has to know it exists. The deterministic output (the mean of
the action distribution) is what runs on the robot. The contract is that of the robot
profile the checkpoint was trained for, with where the weights came from.
"""

from __future__ import annotations

import argparse
import dataclasses
import pickle
import subprocess
from pathlib import Path
from typing import Any

import numpy as np
import torch
from rsl_rl.models import MLPModel
from tensordict import TensorDict

from legkit import REPO_ROOT
from legkit.policy import OnnxPolicy, PolicyContract, embed_contract
from legkit.policy.defaults import training_contract
from legkit.robots import get_profile
from legkit_train.train import (
    CHECKPOINT_FORMAT,
    ModelConfig,
    TrainConfig,
    checkpoint_env_steps,
)
from legkit_train.vec_env import OBS_GROUP

OPSET = 18
"""ONNX opset of the export (onnxruntime >= 1.17 runs it)."""


def git_commit(*paths: str) -> str:
    """Short HEAD commit, '+dirty' if any of `paths` has local edits; 'unknown' outside git."""

    def git(*args: str) -> str:
        return subprocess.run(
            ["git", *args], cwd=REPO_ROOT, capture_output=True, text=True, check=True
        ).stdout.strip()

    try:
        commit = git("rev-parse", "--short", "HEAD")
        dirty = git("status", "--porcelain", "--", *paths) if paths else ""
    except (OSError, subprocess.CalledProcessError):
        return "unknown"
    return f"{commit}+dirty" if dirty else commit


def load_checkpoint(path: str | Path) -> dict[str, Any]:
    """A checkpoint written by `Trainer.save`; ValueError if it is not one."""
    try:
        state = torch.load(path, map_location="cpu", weights_only=False)
    except (EOFError, RuntimeError, pickle.UnpicklingError) as err:
        raise ValueError(f"{path}: not a legkit checkpoint ({err})") from None
    if not isinstance(state, dict) or state.get("format") != CHECKPOINT_FORMAT:
        raise ValueError(f"{path}: not a legkit checkpoint (format {CHECKPOINT_FORMAT})")
    return state


def load_actor(state: dict[str, Any]) -> MLPModel:
    """The checkpoint's actor (normalizer included), in eval mode."""
    cfg = state["train_config"]
    model = ModelConfig(
        **{
            k: tuple(v) if isinstance(v, list) else v
            for k, v in cfg["model"].items()
            if k in {f.name for f in dataclasses.fields(ModelConfig)}
        }
    )
    rsl_cfg = dataclasses.replace(TrainConfig(), model=model).rsl_rl_cfg()
    actor_cfg = {k: v for k, v in rsl_cfg["actor"].items() if k != "class_name"}
    dummy = TensorDict({OBS_GROUP: torch.zeros(1, int(state["observation_size"]))}, batch_size=[1])
    actor = MLPModel(dummy, {"actor": [OBS_GROUP]}, "actor", int(state["action_size"]), **actor_cfg)
    actor.load_state_dict(state["actor_state_dict"], strict=True)
    return actor.eval()


def training_steps(state: dict[str, Any]) -> int:
    """Environment steps behind a checkpoint (see `legkit_train.train.checkpoint_env_steps`)."""
    return checkpoint_env_steps(state)


def export(
    checkpoint: str | Path,
    out: str | Path,
    description: str = "",
    command: str = "",
) -> PolicyContract:
    """Write `out` (.onnx) and its contract sidecar from `checkpoint`; returns the contract.

    The file is loaded back with the deployment runner before returning, so a file that
    deployment would refuse is never left behind silently.
    """
    state = load_checkpoint(checkpoint)
    profile = get_profile(state["robot"])
    contract = training_contract(
        profile,
        # The run's frame count; None (an env without the setting) keeps the robot's.
        history_length=(state.get("env_config") or {}).get("history_length"),
        provenance={
            "description": description or f"PPO policy from {Path(checkpoint).name}",
            "command": command,
            "checkpoint": str(checkpoint),
            "iteration": str(state["iteration"]),
            "training_steps": str(training_steps(state)),
            "commit": git_commit("src/legkit", "training/legkit_train"),
            # A policy averaged from several checkpoints (legkit_train.averaging).
            **(
                {"averaged_iterations": ", ".join(map(str, state["averaged_iterations"]))}
                if "averaged_iterations" in state
                else {}
            ),
        },
    )
    for what, trained, expected in (
        ("observations", state["observation_size"], contract.observation_size),
        ("actions", state["action_size"], contract.action_size),
    ):
        if trained != expected:
            raise ValueError(
                f"{checkpoint}: trained with {trained} {what}, the {profile.name} contract "
                f"has {expected}"
            )
    actor = load_actor(state)
    wrapper = actor.as_onnx(verbose=False).eval()
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    torch.onnx.export(
        wrapper,
        wrapper.get_dummy_inputs(),
        str(out),
        input_names=[contract.input_name],
        output_names=[contract.output_name],
        opset_version=OPSET,
        dynamo=True,
        verbose=False,
        external_data=False,
    )
    embed_contract(out, contract)
    OnnxPolicy(out, profile, control_period=contract.control_period)
    return contract


def max_parity_error(
    checkpoint: str | Path, onnx_path: str | Path, samples: int = 1000, seed: int = 0
) -> float:
    """Largest |torch - onnxruntime| action difference on random observations."""
    actor = load_actor(load_checkpoint(checkpoint))
    policy = OnnxPolicy(onnx_path)
    rng = np.random.default_rng(seed)
    # Drawn about the observation statistics learnt in training, two of their standard
    # deviations wide: the inputs a deployed policy meets, and then some. (Far outside
    # them a dimension that barely varies in training, such as gravity's z component,
    # normalizes to hundreds, and float32 rounding alone exceeds 1e-5.)
    mean = actor.obs_normalizer.mean.numpy()
    std = actor.obs_normalizer.std.numpy()
    noise = rng.normal(0.0, 2.0, (samples, policy.contract.observation_size))
    obs = (mean + std * noise).astype(np.float32)
    with torch.inference_mode():
        expected = actor(TensorDict({OBS_GROUP: torch.from_numpy(obs)}, batch_size=[samples]))
    got = np.stack([policy.act(o) for o in obs])
    return float(np.max(np.abs(got - expected.numpy())))


def main(argv: list[str] | None = None) -> None:
    p = argparse.ArgumentParser(
        prog="python -m legkit_train.export", description=__doc__.split("\n")[0]
    )
    p.add_argument("checkpoint", type=Path, help="model_<iteration>.pt from a training run")
    p.add_argument("out", type=Path, help="ONNX file to write, e.g. models/quadruped_walk.onnx")
    p.add_argument("--description", default="", help="one line for the contract's provenance")
    p.add_argument("--command", default="", help="the training command, recorded in the provenance")
    args = p.parse_args(argv)
    contract = export(args.checkpoint, args.out, args.description, args.command)
    err = max_parity_error(args.checkpoint, args.out)
    print(
        f"wrote {args.out} ({contract.observation_size} obs -> {contract.action_size} actions, "
        f"{contract.provenance['training_steps']} training steps); torch vs onnxruntime "
        f"max |diff| {err:.2e}"
    )


if __name__ == "__main__":
    main()
