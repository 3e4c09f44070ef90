"""rsl-rl's `VecEnv` over an `EnvPool`: the only place where the environments meet torch.

Follows the interface of rsl-rl-lib 5.5.1 (`rsl_rl.env.VecEnv`): observations are a
`TensorDict` with two groups, ``"policy"`` (what the deployed policy sees; the actor
reads it) and ``"critic"`` (ground truth only the simulator knows, which the critic reads
after the policy group: an asymmetric actor-critic), rewards and
dones are (num_envs,) tensors, and ``extras["time_outs"]`` marks episodes cut by the time
limit so PPO bootstraps their value instead of treating them as failures.
"""

from __future__ import annotations

import numpy as np
import torch
from rsl_rl.env import VecEnv
from tensordict import TensorDict

from legkit_train.config import EnvConfig
from legkit_train.env_pool import EnvPool, default_env_config
from legkit_train.exo_config import ExoEnvConfig

OBS_GROUP = "policy"
"""Observation group of the deployed policy's input."""
PRIVILEGED_GROUP = "critic"
"""Observation group of the critic-only ground truth."""


class LegkitVecEnv(VecEnv):
    """`num_envs` training environments in `num_workers` processes, seen as one batch."""

    def __init__(
        self,
        num_envs: int,
        num_workers: int = 2,
        config: EnvConfig | ExoEnvConfig | None = None,
        profile_name: str = "quadruped",
        seed: int = 0,
        device: str = "cpu",
    ) -> None:
        self.cfg = config if config is not None else default_env_config(profile_name)
        self.pool = EnvPool(num_envs, num_workers, self.cfg, profile_name, seed)
        self.num_envs = num_envs
        self.num_actions = self.pool.action_size
        self.num_obs = self.pool.observation_size
        self.num_privileged_obs = self.pool.privileged_size
        self.max_episode_length = self.pool.max_episode_steps
        self.device = torch.device(device)
        self.episode_length_buf = torch.zeros(num_envs, dtype=torch.long, device=self.device)
        self._obs = self._to_obs(*self.pool.reset())
        self.curriculum_levels = np.full(num_envs, np.nan, dtype=np.float32)
        """Each environment's command-curriculum level after the latest step (NaN before)."""

    def get_observations(self) -> TensorDict:
        return self._obs

    def step(self, actions: torch.Tensor) -> tuple[TensorDict, torch.Tensor, torch.Tensor, dict]:
        result = self.pool.step(actions.detach().to("cpu", torch.float32).numpy())
        self._obs = self._to_obs(result.observations, result.privileged)
        done = result.terminated | result.truncated
        self.episode_length_buf += 1
        self.episode_length_buf[torch.from_numpy(done).to(self.device)] = 0
        log = {f"/reward_terms/{k}": float(v.mean()) for k, v in result.reward_terms.items()}
        log["/curriculum/level"] = float(result.curriculum_levels.mean())
        self.curriculum_levels = result.curriculum_levels
        extras = {
            # A truncation that is also a failure counts as a failure: no bootstrapping.
            "time_outs": self._tensor(result.truncated & ~result.terminated),
            "log": log,
        }
        return self._obs, self._tensor(result.rewards), self._tensor(done), extras

    def close(self) -> None:
        self.pool.close()

    def _tensor(self, array: np.ndarray) -> torch.Tensor:
        return torch.as_tensor(array, dtype=torch.float32, device=self.device)

    def _to_obs(self, observations: np.ndarray, privileged: np.ndarray) -> TensorDict:
        groups = {
            OBS_GROUP: torch.as_tensor(observations, dtype=torch.float32, device=self.device),
            PRIVILEGED_GROUP: torch.as_tensor(privileged, dtype=torch.float32, device=self.device),
        }
        return TensorDict(groups, batch_size=[self.num_envs], device=self.device)
