"""Benchmark: how fast the walking environment and the PPO loop run on this machine.

    .venv/bin/python bench/bench_training.py [--seconds 10] [--iterations 10] [--json figures.json]

Prints environment steps per second for one environment in this process (no pool),
for the worker pool at several sizes, and for whole PPO iterations (rollout plus
update) at the shipped training setting. Figures only: nothing here passes or fails.
Run it on a quiet machine; a training run in the background halves every figure.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import time
from pathlib import Path

import numpy as np
import pybullet
import torch

from legkit_train.env import QuadrupedWalkEnv
from legkit_train.train import TrainConfig, Trainer
from legkit_train.vec_env import LegkitVecEnv


def single_env(seconds: float) -> tuple[float, float, dict[str, float]]:
    """One environment stepped directly, a random policy, with resets.

    Returns (env steps/s, env steps/s the physics engine alone would allow, where one
    step's time goes [us]): the second counts only the time inside pybullet's
    stepSimulation, so it is the ceiling of this environment on one core however lean the
    Python around it becomes. The split is physics, the Python of the physics steps (PD
    law, torque clamp, sensor readings) and the rest (rewards, observation, bookkeeping).
    """
    env = QuadrupedWalkEnv()
    physics_s = loop_s = 0.0
    step_simulation = pybullet.stepSimulation
    simulate_policy_step = env._simulate_policy_step

    def timed_policy_step() -> None:
        nonlocal loop_s
        t = time.perf_counter()
        simulate_policy_step()
        loop_s += time.perf_counter() - t

    env._simulate_policy_step = timed_policy_step  # type: ignore[method-assign]

    def timed_step_simulation(*args: object, **kwargs: object) -> None:
        nonlocal physics_s
        t = time.perf_counter()
        step_simulation(*args, **kwargs)
        physics_s += time.perf_counter() - t

    pybullet.stepSimulation = timed_step_simulation
    rng = np.random.default_rng(0)
    env.reset(seed=0)
    steps, start = 0, time.perf_counter()
    while time.perf_counter() - start < seconds:
        _, _, terminated, truncated, _ = env.step(rng.normal(0.0, 0.3, 12))
        steps += 1
        if terminated or truncated:
            env.reset()
    elapsed = time.perf_counter() - start
    pybullet.stepSimulation = step_simulation
    env.close()
    split = {
        "physics": physics_s / steps * 1e6,
        "physics-step Python": (loop_s - physics_s) / steps * 1e6,
        "rest": (elapsed - loop_s) / steps * 1e6,
    }
    return steps / elapsed, steps / physics_s, split


def pool(num_envs: int, workers: int, seconds: float) -> float:
    """Steps/s of the vectorized env (worker processes), zero actions."""
    env = LegkitVecEnv(num_envs, workers)
    try:
        actions = torch.zeros(num_envs, env.num_actions)
        env.step(actions)  # warm-up
        steps, start = 0, time.perf_counter()
        while time.perf_counter() - start < seconds:
            env.step(actions)
            steps += num_envs
        return steps / (time.perf_counter() - start)
    finally:
        env.close()


def ppo_iterations(num_envs: int, iterations: int) -> tuple[float, float]:
    """(steps/s, seconds per iteration) of PPO at `num_envs` envs."""
    config = TrainConfig(num_envs=num_envs)
    with Trainer(config, run_dir=None, verbose=False) as trainer:
        trainer.learn(1)  # warm-up
        start = time.perf_counter()
        trainer.learn(iterations)
        elapsed = time.perf_counter() - start
    samples = iterations * num_envs * config.num_steps_per_env
    return samples / elapsed, elapsed / iterations


def run(seconds: float = 10.0, iterations: int = 10) -> dict[str, float]:
    """Print the throughput table; return it as labelled figures."""
    figures: dict[str, float] = {}
    print(
        f"machine: {platform.machine()}, {os.cpu_count()} cores, "
        f"Python {platform.python_version()}, torch {torch.__version__}"
    )
    print(f"{'setting':44s} {'env steps/s':>12s}")
    label = "1 env, in process"
    rate, physics_ceiling, split = single_env(seconds)
    figures[f"{label} [env steps/s]"] = rate
    print(f"{label:44s} {rate:12.0f}")
    for part, us in split.items():
        figures[f"1 env step: {part} [us]"] = us
    print("  one step: " + ", ".join(f"{part} {us:.0f} us" for part, us in split.items()))
    label = "  ceiling: physics engine alone, 1 core"
    figures["physics engine alone, 1 core [env steps/s]"] = physics_ceiling
    print(f"{label:44s} {physics_ceiling:12.0f}")
    for num_envs, workers in ((2, 2), (16, 2), (64, 2), (128, 2)):
        label = f"{num_envs} envs, {workers} worker processes"
        figures[f"{label} [env steps/s]"] = rate = pool(num_envs, workers, seconds)
        print(f"{label:44s} {rate:12.0f}")
    # 128: the batch of the shipped policy's last stages.
    rate, per_iteration = ppo_iterations(128, iterations)
    label = "PPO training, 128 envs (rollout + update)"
    print(f"{label:44s} {rate:12.0f}   ({per_iteration:.2f} s per iteration)")
    figures[f"{label} [env steps/s]"] = rate
    figures["PPO iteration, 128 envs [s]"] = per_iteration
    return figures


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--seconds", type=float, default=10.0, help="per measurement")
    ap.add_argument("--iterations", type=int, default=10, help="PPO iterations to time")
    ap.add_argument("--json", type=Path, help="also write the figures to this JSON file")
    args = ap.parse_args()
    figures = run(args.seconds, args.iterations)
    if args.json:
        args.json.write_text(json.dumps(figures, indent=2) + "\n")


if __name__ == "__main__":
    main()
