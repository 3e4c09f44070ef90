"""A pool of walking environments stepped in worker processes (numpy only, no torch).

pybullet steps on one core, so one process per core is what makes a multi-core machine
collect faster. Each worker owns a contiguous slice of the environments and steps them in
turn; the parent sends all workers their actions first and then gathers, so the workers
run concurrently. Episodes reset automatically: the observation returned for a finished
environment is the first of its next episode, and `terminated`/`truncated` say why the
previous one ended.

Workers are started with "spawn": the parent usually runs torch (threads) and may hold a
pybullet client, neither of which survives a fork safely.
"""

from __future__ import annotations

import dataclasses
import multiprocessing as mp
import traceback
from dataclasses import dataclass
from multiprocessing.connection import Connection
from typing import Any

import numpy as np

from legkit.robots import get_profile
from legkit_train.config import EnvConfig
from legkit_train.env import QuadrupedWalkEnv
from legkit_train.exo_config import ExoEnvConfig
from legkit_train.exo_env import ExoAssistEnv

EXOSKELETONS = ("exoskeleton", "exoskeleton_knee")
"""Profiles whose environment is the assistance env (the config chooses the task)."""


def make_env(config: Any, profile_name: str) -> Any:
    """The training environment of `profile_name`, built from its config type.

    ValueError for an unknown robot or a config of the wrong kind, before any worker
    starts.
    """
    if profile_name in EXOSKELETONS:
        if not isinstance(config, ExoEnvConfig):
            raise ValueError(f"robot '{profile_name}' trains with an ExoEnvConfig")
        knee = profile_name == "exoskeleton_knee"
        return ExoAssistEnv(
            config
            if config.knee_actuators == knee
            else dataclasses.replace(config, knee_actuators=knee)
        )
    if not isinstance(config, EnvConfig):
        raise ValueError(f"robot '{profile_name}' trains with an EnvConfig")
    return QuadrupedWalkEnv(config, get_profile(profile_name))


def default_env_config(profile_name: str) -> EnvConfig | ExoEnvConfig:
    """The default task configuration of `profile_name`'s training environment."""
    return ExoEnvConfig() if profile_name in EXOSKELETONS else EnvConfig()


@dataclass
class PoolStep:
    """What one step of every environment in the pool returns, in environment order."""

    observations: np.ndarray
    """(num_envs, obs_size) float32; for a finished episode, the next episode's first."""
    rewards: np.ndarray
    """(num_envs,) float32 reward of the step."""
    terminated: np.ndarray
    """(num_envs,) bool: the episode ended in a failure state (fall, collision)."""
    truncated: np.ndarray
    """(num_envs,) bool: the episode hit its time limit."""
    reward_terms: dict[str, np.ndarray]
    """Each weighted reward term of the step, (num_envs,) float32."""
    curriculum_levels: np.ndarray
    """(num_envs,) float32 command-curriculum level of each environment [-]."""
    privileged: np.ndarray
    """(num_envs, privileged_size) float32 critic-only ground truth, matching
    `observations` (see `QuadrupedWalkEnv.privileged_observation`)."""


def _split(num_envs: int, num_workers: int) -> list[range]:
    """Contiguous, nearly equal slices of the environment indices, one per worker."""
    bounds = np.linspace(0, num_envs, num_workers + 1).round().astype(int)
    return [range(int(a), int(b)) for a, b in zip(bounds[:-1], bounds[1:], strict=True)]


def _worker(
    conn: Connection, config: EnvConfig | ExoEnvConfig, profile_name: str, seeds: list[int]
) -> None:
    """Serve reset/step commands for a slice of environments until told to close."""
    envs: list[QuadrupedWalkEnv] = []
    try:
        envs = [make_env(config, profile_name) for _ in seeds]
        while True:
            cmd, payload = conn.recv()
            if cmd == "reset":
                obs = [env.reset(seed=s)[0] for env, s in zip(envs, seeds, strict=True)]
                privileged = [env.privileged_observation() for env in envs]
                conn.send(("ok", (np.stack(obs), np.stack(privileged))))
            elif cmd == "step":
                conn.send(("ok", _step_all(envs, payload)))
            elif cmd == "set_levels":
                for env, level in zip(envs, payload, strict=True):
                    env.curriculum.level = float(level)
                conn.send(("ok", None))
            elif cmd == "close":
                conn.send(("ok", None))
                return
            else:
                raise ValueError(f"unknown command {cmd!r}")
    except (EOFError, KeyboardInterrupt):
        return  # the parent went away; nothing to report to
    except Exception:
        # Ship the traceback: a silently dead worker would leave the parent waiting forever.
        conn.send(("error", traceback.format_exc()))
    finally:
        for env in envs:
            env.close()


def _step_all(envs: list[QuadrupedWalkEnv], actions: np.ndarray) -> tuple[Any, ...]:
    n = len(envs)
    obs = np.empty((n, envs[0].observation_space.shape[0]), dtype=np.float32)
    rew = np.empty(n, dtype=np.float32)
    term = np.empty(n, dtype=bool)
    trunc = np.empty(n, dtype=bool)
    level = np.empty(n, dtype=np.float32)
    privileged = np.empty((n, envs[0].privileged_size), dtype=np.float32)
    names: list[str] = []
    values: np.ndarray | None = None  # (terms, envs), one row per term
    for i, (env, action) in enumerate(zip(envs, actions, strict=True)):
        obs[i], rew[i], term[i], trunc[i], info = env.step(action)
        if values is None:
            # Every environment of a pool has the same config, so the same terms in the
            # same order: one column assignment per environment.
            names = list(info["reward_terms"])
            values = np.empty((len(names), n), dtype=np.float32)
        values[:, i] = list(info["reward_terms"].values())
        if term[i] or trunc[i]:
            obs[i], info = env.reset()  # unseeded: the env's own stream continues
        level[i] = info["curriculum_level"]
        privileged[i] = env.privileged_observation()
    terms = dict(zip(names, values, strict=True)) if values is not None else {}
    return obs, rew, term, trunc, terms, level, privileged


class EnvPool:
    """`num_envs` walking environments spread over `num_workers` processes.

    Environment ``i`` is reset with seed ``seed + i`` by `reset`; later episodes continue
    each environment's own random stream, so a pool run is reproducible for a given seed
    and action sequence whatever the number of workers.
    """

    def __init__(
        self,
        num_envs: int,
        num_workers: int = 2,
        config: EnvConfig | ExoEnvConfig | None = None,
        profile_name: str = "quadruped",
        seed: int = 0,
    ) -> None:
        if num_envs < 1 or num_workers < 1:
            raise ValueError(
                f"need num_envs >= 1 and num_workers >= 1, got {num_envs}, {num_workers}"
            )
        config = config if config is not None else default_env_config(profile_name)
        probe = make_env(config, profile_name)  # fail here, not inside a worker
        self.observation_size = int(probe.observation_space.shape[0])
        self.action_size = int(probe.action_space.shape[0])
        self.privileged_size = probe.privileged_size
        self.max_episode_steps = round(config.episode_length_s / probe.contract.control_period)
        probe.close()
        self.num_envs = num_envs
        self.profile_name = profile_name
        self._slices = _split(num_envs, min(num_workers, num_envs))
        ctx = mp.get_context("spawn")
        self._conns: list[Connection] = []
        self._procs: list[mp.process.BaseProcess] = []
        for envs in self._slices:
            parent, child = ctx.Pipe()
            seeds = [seed + i for i in envs]
            proc = ctx.Process(
                target=_worker, args=(child, config, profile_name, seeds), daemon=True
            )
            proc.start()
            child.close()
            self._conns.append(parent)
            self._procs.append(proc)
        self._closed = False

    @property
    def num_workers(self) -> int:
        return len(self._procs)

    def reset(self) -> tuple[np.ndarray, np.ndarray]:
        """Reset every environment with its seed.

        Returns (observations (num_envs, obs_size), privileged (num_envs, privileged_size)),
        float32.
        """
        for conn in self._conns:
            conn.send(("reset", None))
        parts = [self._receive(conn) for conn in self._conns]
        return (
            np.concatenate([p[0] for p in parts]).astype(np.float32),
            np.concatenate([p[1] for p in parts]).astype(np.float32),
        )

    def step(self, actions: np.ndarray) -> PoolStep:
        """Step every environment with its row of `actions` (num_envs, action_size)."""
        actions = np.asarray(actions, dtype=np.float32)
        if actions.shape != (self.num_envs, self.action_size):
            raise ValueError(
                f"actions: expected shape {(self.num_envs, self.action_size)}, got {actions.shape}"
            )
        for conn, envs in zip(self._conns, self._slices, strict=True):
            conn.send(("step", actions[envs.start : envs.stop]))
        parts = [self._receive(conn) for conn in self._conns]
        names = parts[0][4].keys()
        return PoolStep(
            observations=np.concatenate([p[0] for p in parts]),
            rewards=np.concatenate([p[1] for p in parts]),
            terminated=np.concatenate([p[2] for p in parts]),
            truncated=np.concatenate([p[3] for p in parts]),
            reward_terms={k: np.concatenate([p[4][k] for p in parts]) for k in names},
            curriculum_levels=np.concatenate([p[5] for p in parts]),
            privileged=np.concatenate([p[6] for p in parts]),
        )

    def set_curriculum_levels(self, levels: np.ndarray) -> None:
        """Set each environment's command-curriculum level (e.g. from a checkpoint)."""
        levels = np.asarray(levels, dtype=float)
        if levels.shape != (self.num_envs,) or not np.all((levels > 0.0) & (levels <= 1.0)):
            raise ValueError(
                f"curriculum levels: expected {self.num_envs} values in (0, 1], got {levels}"
            )
        for conn, envs in zip(self._conns, self._slices, strict=True):
            conn.send(("set_levels", levels[envs.start : envs.stop]))
        for conn in self._conns:
            self._receive(conn)

    def close(self) -> None:
        """Stop the workers; safe to call twice."""
        if self._closed:
            return
        self._closed = True
        for conn in self._conns:
            try:
                conn.send(("close", None))
                conn.recv()
            except (BrokenPipeError, EOFError, ConnectionResetError):
                pass  # already gone
            conn.close()
        for proc in self._procs:
            proc.join(timeout=5)
            if proc.is_alive():
                proc.terminate()

    def __enter__(self) -> EnvPool:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _receive(self, conn: Connection) -> Any:
        try:
            status, payload = conn.recv()
        except (EOFError, ConnectionResetError):
            self.close()
            raise RuntimeError("an environment worker exited without answering") from None
        if status == "error":
            self.close()
            raise RuntimeError(f"environment worker failed:\n{payload}")
        return payload
