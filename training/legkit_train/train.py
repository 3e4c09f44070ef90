"""PPO training of a walking policy with rsl-rl-lib, on CPU.

Usage::

    python -m legkit_train.train --num-envs 32 --iterations 1500 --run-dir runs/train/walk
    python -m legkit_train.train --iterations 500 --run-dir runs/train/walk2 \
        --resume runs/train/walk/model_1499.pt

rsl-rl provides the PPO update and the actor/critic models; the loop here replaces its
`OnPolicyRunner.learn` so that the console gets one progress line per iteration (steps/s,
ETA) and every checkpoint records which robot and observation size it was trained for.
Logs go to TensorBoard in the run directory (``tensorboard --logdir runs/train``).
"""

from __future__ import annotations

import argparse
import dataclasses
import os
import time
from collections import deque
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import torch
from rsl_rl.algorithms import PPO
from torch.utils.tensorboard import SummaryWriter

from legkit.policy.defaults import training_contract
from legkit.robots import get_profile
from legkit_train.config import EnvConfig
from legkit_train.exo_config import ExoEnvConfig
from legkit_train.symmetry import (
    MirrorAugmentation,
    joint_mirror,
    observation_mirror,
    privileged_mirror,
)
from legkit_train.vec_env import OBS_GROUP, PRIVILEGED_GROUP, LegkitVecEnv

CHECKPOINT_FORMAT = 1
"""Version of the checkpoint layout written by `Trainer.save`."""


class CheckpointMismatch(ValueError):
    """A checkpoint was trained for another robot or observation/action size."""


@dataclass
class PpoConfig:
    """PPO hyper-parameters; legged_gym's quadruped values unless noted."""

    num_learning_epochs: int = 5
    """Passes over each rollout per update."""
    num_mini_batches: int = 4
    """Mini-batches each rollout is split into."""
    learning_rate: float = 3e-4
    """Adam learning rate (the initial one under the adaptive schedule)."""
    schedule: str = "fixed"
    """"fixed", or "adaptive" (KL-driven, legged_gym's choice). Not adaptive here: with a
    rollout of ~1,500 samples instead of ~100,000, each mini-batch gradient is noisy, the
    KL passes 2 x `desired_kl` within a few steps of every update, and the rate was
    measured sinking to its 1e-5 floor within 50 iterations and staying there. Resumed
    from the same checkpoint, 100 iterations at a fixed 3e-4 raised the mean episode
    return from 5.3 to 8.9, where the 100 adaptive ones before had gone from 4.6 to 5.3
    (the resumed run also restarted the command curriculum, which flatters it)."""
    desired_kl: float = 0.01
    """Target KL divergence between consecutive policies (adaptive schedule) [nats]."""
    gamma: float = 0.99
    """Discount per policy step (50 Hz: a horizon of ~2 s)."""
    lam: float = 0.95
    """GAE lambda."""
    clip_param: float = 0.2
    """PPO ratio clip."""
    entropy_coef: float = 0.002
    """Weight of the entropy bonus. legged_gym uses 0.01; with ~1,500 samples per update
    the policy gradient on the action noise is weak enough that 0.01 won: the noise std
    was measured rising from 0.36 to 0.44 over 800 iterations while falls increased."""
    value_loss_coef: float = 1.0
    """Weight of the value loss."""
    max_grad_norm: float = 1.0
    """Gradient norm clip."""


@dataclass
class ModelConfig:
    """Actor and critic networks.

    Smaller than legged_gym's [512, 256, 128]: on CPU a rollout is a few hundred samples
    (tens of environments, not thousands), which a [256, 128, 64] MLP fits as well at a
    quarter of the parameters and of the update time.
    """

    actor_hidden_dims: tuple[int, ...] = (256, 128, 64)
    """Hidden layer widths of the actor."""
    critic_hidden_dims: tuple[int, ...] = (256, 128, 64)
    """Hidden layer widths of the critic."""
    activation: str = "elu"
    """Activation between layers."""
    init_noise_std: float = 1.0
    """Initial standard deviation of the Gaussian action noise (raw action units)."""
    obs_normalization: bool = True
    """Normalize observations by running (empirical) mean and variance."""


@dataclass
class TrainConfig:
    """One training run: environments, PPO, models, logging."""

    num_envs: int = 64
    """Environments stepped in parallel (64 x 24 = 1,536 samples per iteration)."""
    num_workers: int = 2
    """Worker processes stepping them (one per core is best)."""
    iterations: int = 1500
    """Learning iterations (rollout + update) of this invocation."""
    num_steps_per_env: int = 24
    """Policy steps per environment per rollout (24 = 0.48 s at 50 Hz)."""
    save_interval: int = 50
    """Write a checkpoint every this many iterations (and after the last)."""
    seed: int = 0
    """Seed of torch and of the environments."""
    robot: str = "quadruped"
    """Robot profile name."""
    symmetry: bool = False
    """Append the left-right mirror image of every sample to each PPO mini-batch
    (`legkit_train.symmetry`; the quadruped only). Off by default: the shipped policy's
    lineage trained without it."""
    ppo: PpoConfig = field(default_factory=PpoConfig)
    """PPO hyper-parameters."""
    model: ModelConfig = field(default_factory=ModelConfig)
    """Network settings."""

    def rsl_rl_cfg(self) -> dict[str, Any]:
        """The train_cfg dictionary rsl-rl-lib 5.5.1 builds its PPO from."""
        m = self.model

        def mlp(dims: tuple[int, ...], stochastic: bool) -> dict[str, Any]:
            cfg: dict[str, Any] = {
                "class_name": "MLPModel",
                "hidden_dims": list(dims),
                "activation": m.activation,
                "obs_normalization": m.obs_normalization,
            }
            if stochastic:
                cfg["distribution_cfg"] = {
                    "class_name": "GaussianDistribution",
                    "init_std": m.init_noise_std,
                }
            return cfg

        return {
            "num_steps_per_env": self.num_steps_per_env,
            # Asymmetric actor-critic: the critic also reads simulator ground truth.
            "obs_groups": {"actor": ["policy"], "critic": ["policy", "critic"]},
            "actor": mlp(m.actor_hidden_dims, stochastic=True),
            "critic": mlp(m.critic_hidden_dims, stochastic=False),
            "algorithm": {"class_name": "PPO", **dataclasses.asdict(self.ppo)},
            "multi_gpu": None,
        }


class Trainer:
    """PPO on a `LegkitVecEnv` of any robot: rollouts, updates, logs and checkpoints."""

    def __init__(
        self,
        config: TrainConfig,
        run_dir: str | os.PathLike[str] | None,
        env_config: EnvConfig | ExoEnvConfig | None = None,
        verbose: bool = True,
    ) -> None:
        """`env_config` is the task of `config.robot` (an `ExoEnvConfig` for the
        exoskeletons); None takes that robot's default."""
        self.config = config
        self.verbose = verbose
        torch.manual_seed(config.seed)
        self.env = LegkitVecEnv(
            config.num_envs, config.num_workers, env_config, config.robot, config.seed
        )
        rsl_cfg = config.rsl_rl_cfg()
        if config.symmetry:
            rsl_cfg["algorithm"]["symmetry_cfg"] = {
                "data_augmentation_func": mirror_augmentation(config.robot, self.env.cfg),
                "use_data_augmentation": True,
            }
        self.alg: PPO = PPO.construct_algorithm(
            self.env.get_observations(), self.env, rsl_cfg, "cpu"
        )
        self.iteration = 0
        """Learning iterations completed, over every run resumed into this one."""
        self.train_seconds = 0.0
        """Wall-clock time spent in those iterations (rollouts and updates) [s]."""
        self.env_steps = 0
        """Environment steps collected in those iterations (stages may differ in batch)."""
        self._update_threads = max(1, os.cpu_count() or 1)
        self.run_dir = Path(run_dir) if run_dir is not None else None
        self.writer: SummaryWriter | None = None
        # Returns of the last 100 finished episodes: what the progress line reports.
        self.episode_returns: deque[float] = deque(maxlen=100)
        self.episode_lengths: deque[int] = deque(maxlen=100)
        self._ret = np.zeros(config.num_envs)
        self._len = np.zeros(config.num_envs, dtype=int)

    # ----------------------------------------------------------------- checkpoints
    def metadata(self) -> dict[str, Any]:
        """What a checkpoint must match to be resumed by this trainer."""
        return {
            "robot": self.config.robot,
            "observation_size": self.env.num_obs,
            "action_size": self.env.num_actions,
        }

    def save(self, path: str | os.PathLike[str]) -> None:
        state = {
            "format": CHECKPOINT_FORMAT,
            **self.metadata(),
            "iteration": self.iteration,
            "train_seconds": self.train_seconds,
            "env_steps": self.env_steps,
            "train_config": dataclasses.asdict(self.config),
            "env_config": dataclasses.asdict(self.env.cfg),
            # Per-environment state a resumed run must not lose: commands would shrink
            # back to the curriculum's start.
            "curriculum_levels": self.env.curriculum_levels.tolist(),
            **self.alg.save(),
        }
        torch.save(state, path)

    def load(self, path: str | os.PathLike[str]) -> list[str]:
        """Resume from a checkpoint: weights, optimizer, normalizer and iteration count.

        Raises `CheckpointMismatch` before touching any weight when the checkpoint was
        trained for another robot or observation/action size. Returns the environment
        settings this run trains with that differ from the checkpoint's ("path: old ->
        new"): a new stage's intended change, or a forgotten --env-config.
        """
        state = torch.load(path, map_location="cpu", weights_only=False)
        check_compatible(state, self.metadata(), str(path))
        self.alg.load(state, None, strict=True)
        self.iteration = int(state["iteration"])
        self.train_seconds = float(state.get("train_seconds", float("nan")))
        self.env_steps = checkpoint_env_steps(state)
        self._restore_curriculum(state.get("curriculum_levels"))
        return settings_changed(state.get("env_config") or {}, dataclasses.asdict(self.env.cfg))

    def _restore_curriculum(self, levels: list[float] | None) -> None:
        """Give the environments the checkpoint's curriculum levels.

        With another number of environments, each gets the checkpoint's mean level.
        """
        if not levels or not np.all(np.isfinite(levels)):
            return  # saved before the first step, or by an older version
        n = self.config.num_envs
        values = np.asarray(levels) if len(levels) == n else np.full(n, float(np.mean(levels)))
        self.env.pool.set_curriculum_levels(values)
        self.env.curriculum_levels = values.astype(np.float32)

    def set_learning_rate(self, rate: float) -> None:
        """Replace the learning rate (a resumed optimizer brings its own)."""
        self.alg.learning_rate = rate
        for group in self.alg.optimizer.param_groups:
            group["lr"] = rate

    # ----------------------------------------------------------------- training
    def learn(self, iterations: int) -> None:
        """Run `iterations` learning iterations after those already done."""
        cfg = self.config
        if self.run_dir is not None:
            self.run_dir.mkdir(parents=True, exist_ok=True)
            self.writer = SummaryWriter(str(self.run_dir), flush_secs=10)
        obs = self.env.get_observations()
        self.alg.train_mode()
        torch.set_num_threads(1)
        first, last = self.iteration, self.iteration + iterations
        samples = cfg.num_steps_per_env * cfg.num_envs
        started = time.perf_counter()
        for it in range(first, last):
            t0 = time.perf_counter()
            logs: list[dict[str, float]] = []
            with torch.inference_mode():
                for _ in range(cfg.num_steps_per_env):
                    actions = self.alg.act(obs)
                    obs, rewards, dones, extras = self.env.step(actions)
                    self.alg.process_env_step(obs, rewards, dones, extras)
                    self._track_episodes(rewards.numpy(), dones.numpy())
                    logs.append(extras["log"])
                self.alg.compute_returns(obs)
            t1 = time.perf_counter()
            # Collection runs the workers on every core, so the parent's inference keeps to
            # one thread; the update has the cores to itself.
            torch.set_num_threads(self._update_threads)
            losses = self.alg.update()
            torch.set_num_threads(1)
            t2 = time.perf_counter()
            self.iteration = it + 1
            self.train_seconds += t2 - t0
            self.env_steps += samples
            self._log(it, losses, logs, t1 - t0, t2 - t1)
            if self.verbose:
                elapsed = time.perf_counter() - started
                eta = elapsed / (it + 1 - first) * (last - it - 1)
                print(self._progress_line(last, samples / (t2 - t0), eta), flush=True)
            if self.run_dir is not None and (it + 1) % cfg.save_interval == 0:
                self.save(self.run_dir / f"model_{it + 1}.pt")
        if self.run_dir is not None:
            self.save(self.run_dir / f"model_{self.iteration}.pt")
        if self.writer is not None:
            self.writer.flush()

    def mean_episode_return(self) -> float:
        """Mean return of the last (up to 100) finished episodes; nan if none finished."""
        return float(np.mean(self.episode_returns)) if self.episode_returns else float("nan")

    def close(self) -> None:
        self.env.close()
        if self.writer is not None:
            self.writer.close()

    def __enter__(self) -> Trainer:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # ----------------------------------------------------------------- internals
    def _track_episodes(self, rewards: np.ndarray, dones: np.ndarray) -> None:
        self._ret += rewards
        self._len += 1
        for i in np.flatnonzero(dones):
            self.episode_returns.append(float(self._ret[i]))
            self.episode_lengths.append(int(self._len[i]))
        self._ret[dones > 0] = 0.0
        self._len[dones > 0] = 0

    def _log(
        self,
        it: int,
        losses: dict[str, float],
        logs: list[dict[str, float]],
        collect_s: float,
        learn_s: float,
    ) -> None:
        if self.writer is None:
            return
        w = self.writer
        for key, value in losses.items():
            w.add_scalar(f"Loss/{key}", value, it)
        w.add_scalar("Loss/learning_rate", self.alg.learning_rate, it)
        w.add_scalar("Policy/mean_std", self.alg.get_policy().output_std.mean().item(), it)
        w.add_scalar("Perf/collection_time", collect_s, it)
        w.add_scalar("Perf/learning_time", learn_s, it)
        samples = self.config.num_steps_per_env * self.config.num_envs
        w.add_scalar("Perf/steps_per_s", samples / (collect_s + learn_s), it)
        for key in logs[0]:
            w.add_scalar(f"Env{key}", float(np.mean([log[key] for log in logs])), it)
        if self.episode_returns:
            w.add_scalar("Train/mean_episode_return", self.mean_episode_return(), it)
            w.add_scalar("Train/mean_episode_length", float(np.mean(self.episode_lengths)), it)

    def _progress_line(self, last: int, steps_per_s: float, eta_s: float) -> str:
        ret = self.mean_episode_return()
        length = float(np.mean(self.episode_lengths)) if self.episode_lengths else float("nan")
        return (
            f"it {self.iteration}/{last}  return {ret:8.3f}  ep_len {length:6.1f}  "
            f"lr {self.alg.learning_rate:.1e}  {steps_per_s:6.0f} steps/s  "
            f"ETA {time.strftime('%H:%M:%S', time.gmtime(eta_s))}"
        )


def mirror_augmentation(robot: str, env_config: EnvConfig | ExoEnvConfig) -> MirrorAugmentation:
    """The mirror of `robot`'s observation groups and actions, as `env_config` builds them."""
    if not isinstance(env_config, EnvConfig):
        raise ValueError(f"symmetry: defined for the walking environment only, not for {robot}")
    profile = get_profile(robot)
    contract = training_contract(profile, history_length=env_config.history_length)
    groups = {OBS_GROUP: observation_mirror(contract), PRIVILEGED_GROUP: privileged_mirror(profile)}
    return MirrorAugmentation(groups, joint_mirror(contract.joint_names))


def checkpoint_env_steps(state: dict[str, Any]) -> int:
    """Environment steps behind a checkpoint, over every stage of its lineage.

    Recorded since stages could change the batch; an older checkpoint had one batch size
    throughout, so iterations x envs x steps per rollout is its count.
    """
    if "env_steps" in state:
        return int(state["env_steps"])
    cfg = state["train_config"]
    return int(state["iteration"]) * int(cfg["num_envs"]) * int(cfg["num_steps_per_env"])


def check_compatible(state: dict[str, Any], expected: dict[str, Any], where: str) -> None:
    """Raise `CheckpointMismatch` naming each field where `state` differs from `expected`."""
    wrong = [
        f"{key}: checkpoint has {state.get(key)!r}, this run needs {value!r}"
        for key, value in expected.items()
        if state.get(key) != value
    ]
    if wrong:
        raise CheckpointMismatch(
            f"cannot resume from {where}: it was trained for another setup ({'; '.join(wrong)})"
        )


def settings_changed(before: dict[str, Any], after: dict[str, Any], where: str = "") -> list[str]:
    """Each leaf of the nested settings `after` that differs from `before`: "path: old -> new"."""
    changes = []
    for key, new in after.items():
        old = before.get(key)
        if isinstance(new, dict) and isinstance(old, dict):
            changes += settings_changed(old, new, f"{where}{key}.")
        elif key not in before:
            # A setting newer than the checkpoint: it trained with whatever the code did then.
            changes.append(f"{where}{key}: (not recorded) -> {new!r}")
        elif old != new and not (isinstance(old, list | tuple) and tuple(old) == tuple(new)):
            changes.append(f"{where}{key}: {old!r} -> {new!r}")
    return changes


def print_resumed(path: str, iteration: int, changes: list[str]) -> None:
    """The resume line, and every environment setting that is not the checkpoint's."""
    print(f"resumed from {path} at iteration {iteration}")
    if changes:
        print("environment settings changed since that checkpoint:")
        for change in changes:
            print(f"  {change}")


def load_env_config(path: Path) -> EnvConfig:
    """EnvConfig from a YAML (or JSON) file; ValueError naming an unknown or bad key."""
    import yaml

    data = yaml.safe_load(path.read_text()) or {}
    try:
        return EnvConfig.from_dict(data)
    except ValueError as err:
        raise ValueError(f"{path}: {err}") from None


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    p = argparse.ArgumentParser(
        prog="python -m legkit_train.train", description=__doc__.split("\n")[0]
    )
    d = TrainConfig()
    p.add_argument("--num-envs", type=int, default=d.num_envs, help="parallel environments")
    p.add_argument("--num-workers", type=int, default=d.num_workers, help="worker processes")
    p.add_argument("--iterations", type=int, default=d.iterations, help="learning iterations")
    p.add_argument("--run-dir", required=True, help="output folder, e.g. runs/train/<name>")
    p.add_argument("--resume", help="checkpoint (.pt) to continue from")
    p.add_argument("--seed", type=int, default=d.seed, help="random seed")
    p.add_argument("--robot", default=d.robot, help="robot profile name")
    p.add_argument(
        "--env-config",
        type=Path,
        help="YAML file overriding EnvConfig fields (rewards, randomization, curriculum...)",
    )
    p.add_argument(
        "--save-interval", type=int, default=d.save_interval, help="iterations per checkpoint"
    )
    p.add_argument(
        "--schedule",
        choices=("adaptive", "fixed"),
        default=d.ppo.schedule,
        help="learning-rate schedule: KL-adaptive, or fixed at --learning-rate",
    )
    p.add_argument(
        "--entropy-coef",
        type=float,
        default=d.ppo.entropy_coef,
        help="weight of the entropy bonus",
    )
    p.add_argument(
        "--learning-rate",
        type=float,
        help=f"(initial) learning rate, default {d.ppo.learning_rate}; replaces a resumed one",
    )
    p.add_argument(
        "--symmetry",
        action="store_true",
        help="train on every sample and its left-right mirror image (quadruped)",
    )
    return p.parse_args(argv)


def main(argv: list[str] | None = None) -> None:
    args = parse_args(argv)
    config = TrainConfig(
        num_envs=args.num_envs,
        num_workers=args.num_workers,
        iterations=args.iterations,
        save_interval=args.save_interval,
        seed=args.seed,
        robot=args.robot,
        symmetry=args.symmetry,
        ppo=PpoConfig(
            entropy_coef=args.entropy_coef,
            schedule=args.schedule,
            learning_rate=args.learning_rate or PpoConfig.learning_rate,
        ),
    )
    env_config = load_env_config(args.env_config) if args.env_config else EnvConfig()
    with Trainer(config, args.run_dir, env_config) as trainer:
        if args.resume:
            changes = trainer.load(args.resume)
            print_resumed(args.resume, trainer.iteration, changes)
            if args.learning_rate:
                trainer.set_learning_rate(args.learning_rate)
        trainer.learn(config.iterations)


if __name__ == "__main__":
    main()
