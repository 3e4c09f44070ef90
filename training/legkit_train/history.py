"""Give a trained policy more observation frames without losing what it has learnt.

    python -m legkit_train.history CHECKPOINT OUT --frames 5

A policy trained on one frame (or H frames) becomes one that reads `--frames` frames,
oldest first, as `legkit.policy.observation` stacks them. The new, older frames enter
the first layer of the actor and of the critic through zero weights, so the widened
policy acts and values exactly as the old one did; training then learns what the past
is worth. Their normalizer statistics start as copies of the oldest known frame's,
which is what those inputs will look like. In the optimizer the new weights start with no
momentum and with the second moment of the same input's weights in that oldest frame:
at a zero second moment Adam's first steps on them would be about three learning rates
each, in the sign of the gradient, on 180 new inputs at once, and that undid the
policy's gait within 250 iterations (5 of 10 nominal episodes fell, from 1).

Resume the widened checkpoint with an env config that sets the same `history_length`;
a different one is refused before training starts (observation size mismatch).
"""

from __future__ import annotations

import argparse
import copy
from pathlib import Path
from typing import Any

import torch

from legkit_train.export import load_checkpoint

NORMALIZER_STATS = ("obs_normalizer._mean", "obs_normalizer._var", "obs_normalizer._std")
"""The per-input statistics of rsl-rl's empirical normalizer, shape (1, inputs)."""
FIRST_LAYER = "mlp.0.weight"
"""The weight matrix that reads the (normalized) inputs, shape (width, inputs)."""


def widen_history(state: dict[str, Any], frames: int) -> dict[str, Any]:
    """A copy of checkpoint `state` whose actor and critic read `frames` frames.

    ValueError if `frames` is not more than the checkpoint already reads.
    """
    env_config = state.get("env_config") or {}
    old_frames = int(env_config.get("history_length", 1))
    if frames <= old_frames:
        raise ValueError(f"the checkpoint already reads {old_frames} frame(s); asked for {frames}")
    old_size = int(state["observation_size"])
    if old_size % old_frames:
        raise ValueError(f"{old_size} observations do not split into {old_frames} frames")
    frame = old_size // old_frames
    added = frames - old_frames

    widened = copy.deepcopy(state)
    widened["observation_size"] = frame * frames
    widened["env_config"] = {**env_config, "history_length": frames}
    # In both networks the policy observation comes first (the critic reads its ground
    # truth after it), so the new frames go in front of column 0.
    new_columns = {}
    for net in ("actor_state_dict", "critic_state_dict"):
        weights = widened[net]
        for key in NORMALIZER_STATS:
            oldest = weights[key][:, :frame]
            weights[key] = torch.cat([oldest] * added + [weights[key]], dim=1)
        old_weight = weights[FIRST_LAYER]
        weights[FIRST_LAYER] = _zeros_in_front(old_weight, added * frame)
        new_columns[tuple(old_weight.shape)] = added * frame
    _widen_optimizer(widened["optimizer_state_dict"], new_columns, frame, added)
    return widened


def _zeros_in_front(matrix: torch.Tensor, columns: int) -> torch.Tensor:
    return torch.cat([matrix.new_zeros(matrix.shape[0], columns), matrix], dim=1)


def _widen_optimizer(
    optimizer: dict[str, Any], new_columns: dict[tuple, int], frame: int, added: int
) -> None:
    """Widen the Adam moments of the two first-layer weights (found by their shapes)."""
    found = dict.fromkeys(new_columns, 0)
    for moments in optimizer["state"].values():
        shape = tuple(moments["exp_avg"].shape)
        if shape in new_columns:
            found[shape] += 1
            moments["exp_avg"] = _zeros_in_front(moments["exp_avg"], new_columns[shape])
            oldest = moments["exp_avg_sq"][:, :frame]
            moments["exp_avg_sq"] = torch.cat([oldest] * added + [moments["exp_avg_sq"]], dim=1)
    if any(count != 1 for count in found.values()):
        raise ValueError(
            f"cannot tell the first-layer weights apart in the optimizer state: {found}"
        )


def main(argv: list[str] | None = None) -> None:
    p = argparse.ArgumentParser(
        prog="python -m legkit_train.history", description=__doc__.split("\n")[0]
    )
    p.add_argument("checkpoint", type=Path, help="checkpoint (.pt) written by training")
    p.add_argument("out", type=Path, help="where to write the widened checkpoint")
    p.add_argument("--frames", type=int, required=True, help="observation frames to read")
    args = p.parse_args(argv)
    widened = widen_history(load_checkpoint(args.checkpoint), args.frames)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    torch.save(widened, args.out)
    print(
        f"wrote {args.out}: {widened['observation_size']} observations "
        f"({args.frames} frames); resume it with history_length: {args.frames}"
    )


if __name__ == "__main__":
    main()
