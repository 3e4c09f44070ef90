"""Checkpoint averaging: one policy whose weights are the mean of a run's last checkpoints.

Usage::

    python -m legkit_train.averaging OUT.pt model_7000.pt model_7250.pt ... model_9000.pt

At a fixed learning rate PPO's weights keep moving around a good region rather than
settling in it, and each checkpoint carries the noise of its last few updates.
Averaging checkpoints saved along that stretch (stochastic weight averaging, Izmailov
et al., 2018) cancels much of that noise: for the walking policy the mean of its last
nine checkpoints tracks velocity about 10 % better than any one of them (model card).

What is averaged: every weight and bias of the actor's and the critic's networks, and
the action noise. What is not: the observation normalizers, which are running
statistics of one stream of data rather than learned weights; the newest checkpoint's
are kept (the earlier ones saw a subset of its samples), with its iteration, optimizer
state, curriculum and records, so the result resumes and exports like any checkpoint.
It records the iterations it averaged in ``averaged_iterations``.
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

import torch

from legkit_train.export import load_checkpoint

NETWORKS = ("actor_state_dict", "critic_state_dict")
KEPT_FROM_NEWEST = "obs_normalizer."
"""Entries of a network's state taken from the newest checkpoint, not averaged."""
SAME_IN_ALL = ("robot", "observation_size", "action_size")


def average_checkpoints(paths: list[str | Path]) -> dict[str, Any]:
    """The mean of `paths`' networks over the newest checkpoint's record (module docstring).

    ValueError when fewer than two are given, one is not a legkit checkpoint, two have
    the same iteration, or they differ in robot, observation/action size or network
    shapes (checkpoints of different policies have nothing to average).
    """
    if len(paths) < 2:
        raise ValueError(f"averaging needs at least two checkpoints, got {len(paths)}")
    states = sorted(
        ((load_checkpoint(p), Path(p)) for p in paths), key=lambda s: int(s[0]["iteration"])
    )
    iterations = [int(s["iteration"]) for s, _ in states]
    if len(set(iterations)) != len(iterations):
        raise ValueError(f"two checkpoints of the same iteration among {iterations}")
    newest, newest_path = states[-1]
    for state, path in states[:-1]:
        for key in SAME_IN_ALL:
            if state[key] != newest[key]:
                raise ValueError(f"{path}: {key} {state[key]!r}, {newest_path} has {newest[key]!r}")
        for net in NETWORKS:
            shapes = {k: tuple(v.shape) for k, v in state[net].items()}
            if shapes != {k: tuple(v.shape) for k, v in newest[net].items()}:
                raise ValueError(f"{path}: {net} differs in shape from {newest_path}'s")
    averaged = dict(newest)
    for net in NETWORKS:
        averaged[net] = {
            key: value
            if key.startswith(KEPT_FROM_NEWEST) or not value.is_floating_point()
            else torch.stack([s[net][key] for s, _ in states]).mean(dim=0)
            for key, value in newest[net].items()
        }
    averaged["averaged_iterations"] = iterations
    return averaged


def main(argv: list[str] | None = None) -> None:
    p = argparse.ArgumentParser(
        prog="python -m legkit_train.averaging", description=__doc__.split("\n")[0]
    )
    p.add_argument("out", type=Path, help="checkpoint to write")
    p.add_argument("checkpoints", type=Path, nargs="+", help="checkpoints of one run")
    args = p.parse_args(argv)
    state = average_checkpoints(args.checkpoints)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    torch.save(state, args.out)
    print(f"{args.out}: mean of iterations {', '.join(map(str, state['averaged_iterations']))}")


if __name__ == "__main__":
    main()
