"""Domain randomization of the assistance task: per-episode draws and applying them.

As in `legkit_train.randomization`, every quantity is drawn on every reset, enabled or
not, and a disabled one then takes its nominal value, so the random stream does not
depend on which terms are enabled.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from legkit.wearer.gait import (
    ReferenceMotion,
    SquatParameters,
    gait_for_speed,
    squat_cycle,
    walking_gait,
)
from legkit.wearer.world import WearerWorld
from legkit_train.exo_config import ExoEnvConfig, ExoRandomization
from legkit_train.randomization import _draw

NOISE_THIGH_ANGLE = 0.01
"""Uniform noise half-width on a thigh IMU angle at noise scale 1 [rad] (fused IMU attitude)."""
NOISE_THIGH_RATE = 0.1
"""Uniform noise half-width on a thigh IMU rate at noise scale 1 [rad/s] (gyroscope)."""
_GRID = 0.05  # speeds [m/s] and tempo factors are rounded to this: a handful of motions


@dataclass
class AssistEpisode:
    """The values one episode runs with."""

    motion: ReferenceMotion
    """What the wearer does this episode."""
    exo_mass: float
    """Factor on the device's link masses [-]."""
    motor_strength: np.ndarray
    """(n,) factor on each actuator's torque [-]."""
    action_delay_steps: int
    """Physics steps before an action reaches the actuators."""
    observation_delay_steps: int
    """Age of the IMU data in each observation [physics steps]."""
    friction: float
    """Factor on ground and actuator friction [-]."""
    human_strength: float
    """Factor on the wearer's muscle torque bounds [-]."""
    human_stiffness: float
    """Factor on the wearer's gains [-]."""
    imu_offset: np.ndarray
    """(2,) mounting error of the left / right thigh IMU [rad]."""
    noise_scale: float
    """Factor on the NOISE_* levels [-]."""


def motion_for(task: str, speed: float = 1.0, tempo: float = 1.0) -> ReferenceMotion:
    """The reference of `task` at walking `speed` [m/s] or squat `tempo` [-] (cached)."""
    if task == "walk":
        return walking_gait(gait_for_speed(round(speed / _GRID) * _GRID))
    base = SquatParameters()
    factor = round(tempo / _GRID) * _GRID
    return squat_cycle(
        SquatParameters(
            descent=base.descent * factor,
            hold=base.hold * factor,
            ascent=base.ascent * factor,
            pause=base.pause * factor,
        )
    )


def sample_episode(
    config: ExoEnvConfig, rng: np.random.Generator, num_joints: int, physics_dt: float
) -> AssistEpisode:
    """Draw one episode's values; `physics_dt` [s] turns latencies into whole steps."""
    r: ExoRandomization = config.randomization
    speed = _draw(rng, r.walking_speed, 1.0)[0]
    tempo = _draw(rng, r.squat_tempo, 1.0)[0]
    latency = _draw(rng, r.control_latency, 1.0)[0] * r.nominal_latency_s
    return AssistEpisode(
        motion=motion_for(config.task, speed, tempo),
        exo_mass=float(_draw(rng, r.exo_mass, 1.0)[0]),
        motor_strength=_draw(rng, r.motor_strength, 1.0, num_joints),
        action_delay_steps=round(latency / physics_dt),
        observation_delay_steps=round(_draw(rng, r.observation_latency, 0.0)[0] / physics_dt),
        friction=float(_draw(rng, r.friction, 1.0)[0]),
        human_strength=float(_draw(rng, r.human_strength, 1.0)[0]),
        human_stiffness=float(_draw(rng, r.human_stiffness, 1.0)[0]),
        imu_offset=_draw(rng, r.imu_offset, 0.0, 2),
        noise_scale=float(_draw(rng, r.imu_noise, 0.0)[0]),
    )


def apply_to_world(episode: AssistEpisode, world: WearerWorld) -> None:
    """Set the world's device and wearer for the episode (before `world.reset`)."""
    world.set_exo_mass_scale(episode.exo_mass)
    world.set_motor_strength(episode.motor_strength)
    world.set_ground_friction(world.config.ground_friction * episode.friction)
    world.set_actuator_friction_scale(episode.friction)
    world.controller.set_person(episode.human_strength, episode.human_stiffness)


@dataclass(frozen=True)
class ThighReading:
    """What the thigh IMUs report at one physics step."""

    angles: np.ndarray
    """(2,) [rad]"""
    rates: np.ndarray
    """(2,) [rad/s]"""

    def corrupted(self, rng: np.random.Generator, episode: AssistEpisode) -> ThighReading:
        """With the episode's mounting offset and uniform noise."""
        scale = episode.noise_scale
        angles = self.angles + episode.imu_offset
        if scale == 0.0:
            return ThighReading(angles, self.rates)
        return ThighReading(
            angles + rng.uniform(-1.0, 1.0, 2) * NOISE_THIGH_ANGLE * scale,
            self.rates + rng.uniform(-1.0, 1.0, 2) * NOISE_THIGH_RATE * scale,
        )
