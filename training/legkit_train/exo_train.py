"""PPO training of a hip-assistance policy: the quadruped's `Trainer` on the exoskeleton tasks.

Usage::

    python -m legkit_train.exo_train --task walk --num-envs 16 --iterations 500 \
        --run-dir runs/train/exo_walk

The quadruped's `Trainer` (same PPO, logs, progress line and checkpoints, environments in
worker processes); what this command adds is the assistance task's configuration and a
network sized for its 18 inputs and 2 outputs.
"""

from __future__ import annotations

import argparse
import dataclasses
from pathlib import Path

from legkit_train.exo_config import TASKS, ExoEnvConfig
from legkit_train.train import ModelConfig, PpoConfig, TrainConfig, Trainer, print_resumed


def load_env_config(path: Path) -> ExoEnvConfig:
    """ExoEnvConfig from a YAML (or JSON) file; ValueError naming an unknown or bad key."""
    import yaml

    try:
        return ExoEnvConfig.from_dict(yaml.safe_load(path.read_text()) or {})
    except ValueError as err:
        raise ValueError(f"{path}: {err}") from None


def main(argv: list[str] | None = None) -> None:
    p = argparse.ArgumentParser(prog="python -m legkit_train.exo_train", description=__doc__)
    d = TrainConfig()
    p.add_argument("--task", choices=TASKS, help="walk (default) or squat; overrides the file")
    p.add_argument("--env-config", type=Path, help="YAML file overriding ExoEnvConfig fields")
    p.add_argument("--num-envs", type=int, default=16, help="parallel environments")
    p.add_argument("--num-workers", type=int, default=d.num_workers, help="worker processes")
    p.add_argument("--iterations", type=int, default=d.iterations, help="learning iterations")
    p.add_argument("--run-dir", required=True, help="output folder, e.g. runs/train/<name>")
    p.add_argument("--resume", help="checkpoint (.pt) to continue from")
    p.add_argument("--seed", type=int, default=d.seed)
    p.add_argument("--save-interval", type=int, default=d.save_interval)
    p.add_argument("--learning-rate", type=float, default=PpoConfig.learning_rate)
    args = p.parse_args(argv)
    env_config = load_env_config(args.env_config) if args.env_config else ExoEnvConfig()
    if args.task:
        env_config = dataclasses.replace(env_config, task=args.task)
    config = TrainConfig(
        num_envs=args.num_envs,
        num_workers=args.num_workers,
        iterations=args.iterations,
        save_interval=args.save_interval,
        seed=args.seed,
        robot="exoskeleton",
        ppo=PpoConfig(learning_rate=args.learning_rate),
        # 18 inputs, 2 outputs: a small network is plenty and keeps the update cheap.
        model=ModelConfig(actor_hidden_dims=(128, 64), critic_hidden_dims=(128, 64)),
    )
    with Trainer(config, args.run_dir, env_config) as trainer:
        if args.resume:
            changes = trainer.load(args.resume)
            print_resumed(args.resume, trainer.iteration, changes)
        trainer.learn(config.iterations)


if __name__ == "__main__":
    main()
