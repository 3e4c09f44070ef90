"""PPO training of a hip-assistance policy: the quadruped's `Trainer` on the exoskeleton tasks.

Usage::

    python -m legkit_train.exo_train --task walk --num-envs 16 --iterations 500 \
        --run-dir runs/train/exo_walk

Same PPO, models, logs, progress line and checkpoints as `legkit_train.train`. What differs
is where the environments live: `EnvPool` can only build `QuadrupedWalkEnv` today, so
`ExoVecEnv` steps `ExoAssistEnv` instances in this process, on one core. That is enough
for smoke runs; a long run wants the pool's worker processes (the change `EnvPool` needs
to build any environment is written down in the exoskeleton work's report, after which
`ExoTrainer` and `ExoVecEnv` can go).
"""

from __future__ import annotations

import argparse
import dataclasses
import os
from collections import deque
from pathlib import Path

import numpy as np
import torch
from rsl_rl.algorithms import PPO
from rsl_rl.env import VecEnv
from tensordict import TensorDict

from legkit_train.exo_config import TASKS, ExoEnvConfig
from legkit_train.exo_env import ExoAssistEnv
from legkit_train.train import ModelConfig, PpoConfig, TrainConfig, Trainer
from legkit_train.vec_env import OBS_GROUP, PRIVILEGED_GROUP


class ExoVecEnv(VecEnv):
    """`num_envs` assistance environments stepped in this process, seen as one batch.

    The interface of `legkit_train.vec_env.LegkitVecEnv` (rsl-rl-lib 5.5.1): observation
    groups ``"policy"`` and ``"critic"``, automatic resets, ``extras["time_outs"]`` for
    episodes cut by the time limit. Environment ``i`` is seeded ``seed + i``.
    """

    def __init__(
        self,
        num_envs: int,
        config: ExoEnvConfig | None = None,
        seed: int = 0,
        device: str = "cpu",
    ) -> None:
        if num_envs < 1:
            raise ValueError(f"need num_envs >= 1, got {num_envs}")
        self.cfg = config if config is not None else ExoEnvConfig()
        self.envs = [ExoAssistEnv(self.cfg) for _ in range(num_envs)]
        first = self.envs[0]
        self.num_envs = num_envs
        self.num_actions = int(first.action_space.shape[0])
        self.num_obs = int(first.observation_space.shape[0])
        self.num_privileged_obs = first.privileged_size
        self.max_episode_length = round(self.cfg.episode_length_s / first.contract.control_period)
        self.device = torch.device(device)
        self.episode_length_buf = torch.zeros(num_envs, dtype=torch.long, device=self.device)
        self.curriculum_levels = np.ones(num_envs, dtype=np.float32)
        """No curriculum here; `Trainer.save` records the levels anyway."""
        obs = [env.reset(seed=seed + i)[0] for i, env in enumerate(self.envs)]
        self._obs = self._to_obs(np.stack(obs))

    def get_observations(self) -> TensorDict:
        return self._obs

    def step(self, actions: torch.Tensor) -> tuple[TensorDict, torch.Tensor, torch.Tensor, dict]:
        acts = actions.detach().to("cpu", torch.float32).numpy()
        n = self.num_envs
        obs = np.empty((n, self.num_obs), dtype=np.float32)
        rewards = np.empty(n, dtype=np.float32)
        terminated = np.empty(n, dtype=bool)
        truncated = np.empty(n, dtype=bool)
        terms: dict[str, np.ndarray] = {}
        for i, (env, action) in enumerate(zip(self.envs, acts, strict=True)):
            obs[i], rewards[i], terminated[i], truncated[i], info = env.step(action)
            for name, value in info["reward_terms"].items():
                terms.setdefault(name, np.zeros(n, dtype=np.float32))[i] = value
            if terminated[i] or truncated[i]:
                obs[i], _ = env.reset()  # unseeded: the env's own stream continues
        self._obs = self._to_obs(obs)
        done = terminated | truncated
        self.episode_length_buf += 1
        self.episode_length_buf[torch.from_numpy(done)] = 0
        extras = {
            "time_outs": self._tensor(truncated & ~terminated),
            "log": {f"/reward_terms/{k}": float(v.mean()) for k, v in terms.items()},
        }
        return self._obs, self._tensor(rewards), self._tensor(done), extras

    def close(self) -> None:
        for env in self.envs:
            env.close()

    def _tensor(self, array: np.ndarray) -> torch.Tensor:
        return torch.as_tensor(array, dtype=torch.float32, device=self.device)

    def _to_obs(self, observations: np.ndarray) -> TensorDict:
        privileged = np.stack([env.privileged_observation() for env in self.envs])
        groups = {
            OBS_GROUP: torch.as_tensor(observations, dtype=torch.float32, device=self.device),
            PRIVILEGED_GROUP: torch.as_tensor(privileged, dtype=torch.float32, device=self.device),
        }
        return TensorDict(groups, batch_size=[self.num_envs], device=self.device)


class ExoTrainer(Trainer):
    """`Trainer` on an `ExoVecEnv`; learning, logging and checkpoints are the Trainer's own.

    `Trainer.__init__` builds the quadruped's process pool; this constructor is its body with
    `ExoVecEnv` in its place (keep the two in step until the pool builds any environment).
    """

    def __init__(
        self,
        config: TrainConfig,
        run_dir: str | os.PathLike[str] | None,
        env_config: ExoEnvConfig | None = None,
        verbose: bool = True,
    ) -> None:
        env_config = env_config if env_config is not None else ExoEnvConfig()
        expected = "exoskeleton_knee" if env_config.knee_actuators else "exoskeleton"
        if config.robot != expected:
            raise ValueError(f"TrainConfig.robot is '{config.robot}', the task needs '{expected}'")
        self.config = config
        self.verbose = verbose
        torch.manual_seed(config.seed)
        self.env = ExoVecEnv(config.num_envs, env_config, config.seed)
        self.alg: PPO = PPO.construct_algorithm(
            self.env.get_observations(), self.env, config.rsl_rl_cfg(), "cpu"
        )
        self.iteration = 0
        self.train_seconds = 0.0
        # One thread: the environments run in this process, and on a shared two-core
        # machine a two-thread update of these small networks was measured 7x slower
        # (threads spinning against the other jobs), 3.7 s instead of 0.5 s.
        self._update_threads = 1
        self.run_dir = Path(run_dir) if run_dir is not None else None
        self.writer = None
        self.episode_returns: deque[float] = deque(maxlen=100)
        self.episode_lengths: deque[int] = deque(maxlen=100)
        self._ret = np.zeros(config.num_envs)
        self._len = np.zeros(config.num_envs, dtype=int)

    def _restore_curriculum(self, levels: list[float] | None) -> None:
        """No curriculum to restore."""


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
    p.add_argument("--num-envs", type=int, default=16, help="environments (one process)")
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
        num_workers=1,
        iterations=args.iterations,
        save_interval=args.save_interval,
        seed=args.seed,
        robot="exoskeleton",
        ppo=PpoConfig(learning_rate=args.learning_rate),
        # 18 inputs, 2 outputs: a small network is plenty and keeps the update cheap.
        model=ModelConfig(actor_hidden_dims=(128, 64), critic_hidden_dims=(128, 64)),
    )
    with ExoTrainer(config, args.run_dir, env_config) as trainer:
        if args.resume:
            trainer.load(args.resume)
            print(f"resumed from {args.resume} at iteration {trainer.iteration}")
        trainer.learn(config.iterations)


if __name__ == "__main__":
    main()
