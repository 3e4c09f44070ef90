"""Scoring a walking policy: the fixed command set and the metrics of the model cards.

The same scoring runs on traces from the training environment and from a run of the
ROS 2 graph, so the two numbers differ only by what the deployment changes (timing,
message passing, the node implementations), not by how they are computed.

A trace is one episode sampled at the policy rate: the command in force, the achieved
base velocity (body frame), the mechanical power of the joints and the base position.
Tracking is scored once a command has been in force for `SETTLE_S`: how fast the robot
reaches a new command is a transient, not tracking error.
"""

from __future__ import annotations

import math
import xml.etree.ElementTree as ET
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

GRAVITY = 9.81
"""Standard gravity [m/s^2], for the cost of transport."""

SETTLE_S = 1.0
"""Seconds after a command change before tracking is scored [s]."""

SEGMENT_S = 5.0
"""How long each command of the evaluation set is held [s]."""

# The evaluation commands as fractions of the trained ranges (vx, vy, yaw rate): each
# axis alone at full and half range, both signs, then combinations, with a stop among
# them. Fixed, so that model cards trained at different times compare.
_COMMAND_FRACTIONS: tuple[tuple[float, float, float], ...] = (
    (1.0, 0.0, 0.0),
    (0.0, 0.0, 0.0),
    (-1.0, 0.0, 0.0),
    (0.5, 0.0, 0.0),
    (0.0, 1.0, 0.0),
    (0.0, -1.0, 0.0),
    (0.0, 0.0, 1.0),
    (0.0, 0.0, -1.0),
    (0.5, 0.5, 0.0),
    (-0.5, -0.5, 0.0),
    (0.7, 0.0, 0.5),
    (0.7, 0.0, -0.5),
    (-0.5, 0.0, 0.0),
    (0.0, 0.5, 0.5),
    (0.3, -0.5, -0.3),
    (0.0, 0.0, 0.0),
    (1.0, 0.0, 0.3),
    (-0.7, 0.3, 0.0),
    (0.0, -0.5, -1.0),
    (0.5, 0.0, 1.0),
)


@dataclass(frozen=True)
class CommandSegment:
    """One velocity command held for a while."""

    duration_s: float
    """How long the command is held [s]."""
    vx: float
    """Forward velocity [m/s]."""
    vy: float
    """Lateral velocity [m/s]."""
    yaw_rate: float
    """Yaw rate [rad/s]."""

    @property
    def command(self) -> np.ndarray:
        return np.array([self.vx, self.vy, self.yaw_rate])


def evaluation_schedule(
    max_command: Sequence[float], episodes: int, episode_s: float = 20.0
) -> list[list[CommandSegment]]:
    """The fixed evaluation commands, `episodes` episodes of `episode_s` seconds.

    `max_command` is the largest (vx [m/s], vy [m/s], yaw rate [rad/s]) magnitude to
    ask for. Episode k holds consecutive commands of a fixed list of 20 for `SEGMENT_S`
    each, wrapping around: 5 episodes visit every command once, and each further round
    of 5 starts two commands later, so that it meets the commands in new pairings
    (without randomization an episode that repeated another would add nothing).
    """
    if episodes < 1 or not episode_s > 0.0:
        raise ValueError(f"need episodes >= 1 and episode_s > 0, got {episodes}, {episode_s}")
    scale = np.asarray(max_command, dtype=float)
    if scale.shape != (3,) or not np.all(np.isfinite(scale)) or np.any(scale < 0.0):
        raise ValueError(f"max_command must be 3 finite values >= 0, got {max_command!r}")
    per_episode = math.ceil(episode_s / SEGMENT_S - 1e-9)
    schedule = []
    for episode in range(episodes):
        segments, left = [], episode_s
        k = episode * per_episode + 2 * (episode * per_episode // len(_COMMAND_FRACTIONS))
        for _ in range(per_episode):
            vx, vy, wz = np.array(_COMMAND_FRACTIONS[k % len(_COMMAND_FRACTIONS)]) * scale
            segments.append(CommandSegment(min(SEGMENT_S, left), vx, vy, wz))
            left -= SEGMENT_S
            k += 1
        schedule.append(segments)
    return schedule


def command_at(segments: Sequence[CommandSegment], t: float) -> np.ndarray:
    """The command in force `t` seconds into an episode (the last one after its end)."""
    start = 0.0
    for seg in segments:
        if t < start + seg.duration_s:
            return seg.command
        start += seg.duration_s
    return segments[-1].command


@dataclass
class Trace:
    """One episode (or one continuous run), sampled at a fixed rate."""

    t: np.ndarray
    """(N,) time [s], increasing."""
    command: np.ndarray
    """(N, 3) commanded vx, vy [m/s], yaw rate [rad/s] in force at each sample."""
    velocity: np.ndarray
    """(N, 3) achieved base vx, vy (body frame) [m/s] and yaw rate [rad/s]."""
    joint_power: np.ndarray
    """(N,) mechanical power of the joints, sum of |torque * speed| [W]."""
    position: np.ndarray
    """(N, 3) base position in the world [m]."""
    fell: bool
    """The episode ended in a fall; the samples stop there."""


@dataclass
class Score:
    """What the model card reports, over every scored sample of every episode."""

    lin_vel_rmse: float
    """RMS of the horizontal velocity error |v_xy command - v_xy| [m/s]."""
    yaw_rate_rmse: float
    """RMS of the yaw rate error [rad/s]."""
    falls: int
    """Episodes that ended in a fall."""
    episodes: int
    """Episodes scored."""
    cost_of_transport: float
    """Joint energy over (weight x horizontal distance) [-]; NaN if it did not move."""
    scored_seconds: float
    """Time that counted towards the tracking errors [s]."""

    @property
    def fall_rate(self) -> float:
        return self.falls / self.episodes if self.episodes else float("nan")

    def as_dict(self) -> dict[str, float]:
        return {
            "lin_vel_rmse": self.lin_vel_rmse,
            "yaw_rate_rmse": self.yaw_rate_rmse,
            "fall_rate": self.fall_rate,
            "falls": self.falls,
            "episodes": self.episodes,
            "cost_of_transport": self.cost_of_transport,
            "scored_seconds": self.scored_seconds,
        }


def settled(t: np.ndarray, command: np.ndarray, settle_s: float = SETTLE_S) -> np.ndarray:
    """(N,) bool: the command at each sample has been in force for at least `settle_s`."""
    t, command = np.asarray(t, float), np.asarray(command, float)
    if t.size == 0:
        return np.zeros(0, dtype=bool)
    changed = np.ones(t.size, dtype=bool)
    changed[1:] = np.any(np.abs(np.diff(command, axis=0)) > 1e-9, axis=1)
    # Time of the latest change at or before each sample.
    since = t[np.maximum.accumulate(np.where(changed, np.arange(t.size), 0))]
    return t - since >= settle_s - 1e-9


def score(traces: Sequence[Trace], mass: float, settle_s: float = SETTLE_S) -> Score:
    """Tracking errors, falls and cost of transport of `traces`; `mass` [kg] of the robot."""
    if not mass > 0.0:
        raise ValueError(f"robot mass must be > 0 kg, got {mass}")
    lin_sq, yaw_sq, weights = [], [], []
    energy = distance = 0.0
    for tr in traces:
        if tr.t.size < 2:
            continue
        dt = np.diff(tr.t, prepend=tr.t[0] - (tr.t[1] - tr.t[0]))
        keep = settled(tr.t, tr.command, settle_s)
        err = tr.command - tr.velocity
        lin_sq.append(np.sum(err[keep, :2] ** 2, axis=1))
        yaw_sq.append(err[keep, 2] ** 2)
        weights.append(dt[keep])
        energy += float(np.sum(tr.joint_power * dt))
        distance += float(np.sum(np.linalg.norm(np.diff(tr.position[:, :2], axis=0), axis=1)))
    w = np.concatenate(weights) if weights else np.zeros(0)
    total = float(w.sum())

    def rms(sq: list[np.ndarray]) -> float:
        return math.sqrt(float(np.sum(np.concatenate(sq) * w)) / total) if total else math.nan

    return Score(
        lin_vel_rmse=rms(lin_sq),
        yaw_rate_rmse=rms(yaw_sq),
        falls=sum(tr.fell for tr in traces),
        episodes=len(traces),
        cost_of_transport=energy / (mass * GRAVITY * distance) if distance > 0.0 else math.nan,
        scored_seconds=total,
    )


def urdf_mass(path: str | Path) -> float:
    """Total mass of the links of a URDF [kg]."""
    root = ET.parse(path).getroot()
    masses = [float(m.get("value", "nan")) for m in root.iter("mass")]
    total = sum(masses)
    if not masses or not math.isfinite(total) or total <= 0.0:
        raise ValueError(f"{path}: no valid <mass> elements")
    return total
