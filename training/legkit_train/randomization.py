"""Domain randomization: per-episode draws, applying them to a world, and latency buffers.

Every quantity is drawn on every reset, enabled or not, and a disabled one is then
replaced by its nominal value. The random stream therefore does not depend on which
terms are enabled: two configurations that differ in one term see the same commands,
pushes and other draws, which keeps comparisons between them fair.
"""

from __future__ import annotations

import functools
from collections import deque
from dataclasses import dataclass

import numpy as np

from legkit.sim import PybulletWorld
from legkit_train.config import Randomization, RandomTerm

NOISE_ANGULAR_VELOCITY = 0.2
"""Uniform noise half-width on the IMU rate at noise scale 1 [rad/s]."""
NOISE_ORIENTATION = 0.05
"""Uniform noise half-width on each IMU quaternion component at noise scale 1 [-]; the
observation builder renormalises, so this tilts the projected gravity by a few degrees."""
NOISE_JOINT_POSITION = 0.01
"""Uniform noise half-width on joint positions at noise scale 1 [rad]."""
NOISE_JOINT_VELOCITY = 1.5
"""Uniform noise half-width on joint velocities at noise scale 1 [rad/s]."""


@dataclass
class EpisodeRandomization:
    """The values one episode runs with."""

    ground_friction: float
    """Ground friction coefficient [-]."""
    added_base_mass: float
    """Mass added to the base [kg]."""
    base_com_offset: np.ndarray
    """(3,) base centre-of-mass shift, base frame [m]."""
    motor_strength: np.ndarray
    """(n,) factor on each joint's torque [-]."""
    kp_scale: float
    """Factor on the profile's kp [-]."""
    kd_scale: float
    """Factor on the profile's kd [-]."""
    observation_delay_steps: int
    """Age of the sensor data in each observation [physics steps]."""
    action_delay_steps: int
    """Physics steps before a new action reaches the PD loop."""
    noise_scale: float
    """Multiplier on the NOISE_* levels [-]; 0 is noise free."""


def _draw(rng: np.random.Generator, term: RandomTerm, nominal: float, size: int = 1) -> np.ndarray:
    values = rng.uniform(term.low, term.high, size)
    return values if term.enabled else np.full(size, nominal)


def sample_episode(
    config: Randomization, rng: np.random.Generator, num_joints: int, physics_dt: float
) -> EpisodeRandomization:
    """Draw one episode's values; `physics_dt` [s] converts latencies to whole steps."""
    obs_latency = _draw(rng, config.observation_latency, 0.0)[0]
    action_latency = _draw(rng, config.action_latency, 0.0)[0]
    return EpisodeRandomization(
        ground_friction=float(_draw(rng, config.ground_friction, 1.0)[0]),
        added_base_mass=float(_draw(rng, config.added_base_mass, 0.0)[0]),
        base_com_offset=_draw(rng, config.base_com_offset, 0.0, 3),
        motor_strength=_draw(rng, config.motor_strength, 1.0, num_joints),
        kp_scale=float(_draw(rng, config.pd_gain_scale, 1.0)[0]),
        kd_scale=float(_draw(rng, config.pd_gain_scale, 1.0)[0]),
        observation_delay_steps=round(obs_latency / physics_dt),
        action_delay_steps=round(action_latency / physics_dt),
        noise_scale=float(_draw(rng, config.observation_noise, 0.0)[0]),
    )


def apply_to_world(sample: EpisodeRandomization, world: PybulletWorld) -> None:
    """Set the world's dynamics for the episode (call after `world.reset`)."""
    world.set_ground_friction(sample.ground_friction)
    world.set_added_base_mass(sample.added_base_mass)
    world.set_base_com_offset(sample.base_com_offset)


@dataclass
class SensorSnapshot:
    """What the observation node would have received at one physics step."""

    orientation: np.ndarray
    """(4,) IMU orientation quaternion (x, y, z, w)."""
    angular_velocity: np.ndarray
    """(3,) IMU rate, body frame [rad/s]."""
    joint_positions: np.ndarray
    """(n,) [rad]."""
    joint_velocities: np.ndarray
    """(n,) [rad/s]."""

    @classmethod
    def read(cls, world: PybulletWorld) -> SensorSnapshot:
        return cls(*world.imu_orientation_and_rate(), *world.joint_state())

    def with_noise(self, rng: np.random.Generator, scale: float) -> SensorSnapshot:
        """A copy with uniform noise of `scale` times the NOISE_* levels; self if scale is 0."""
        if scale == 0.0:
            return self
        fields = (
            self.orientation,
            self.angular_velocity,
            self.joint_positions,
            self.joint_velocities,
        )
        sizes = tuple(x.size for x in fields)
        levels = _noise_levels(sizes)
        # One draw for all four fields, in field order: the same numbers as one draw per
        # field, at a fraction of the calls.
        noisy = np.concatenate(fields) + rng.uniform(-1.0, 1.0, levels.size) * levels * scale
        ends = np.cumsum(sizes).tolist()
        return SensorSnapshot(
            noisy[: ends[0]], noisy[ends[0] : ends[1]], noisy[ends[1] : ends[2]], noisy[ends[2] :]
        )


@functools.cache
def _noise_levels(sizes: tuple[int, int, int, int]) -> np.ndarray:
    """Each element's NOISE_* level at scale 1, for snapshot fields of these sizes."""
    levels = (NOISE_ORIENTATION, NOISE_ANGULAR_VELOCITY, NOISE_JOINT_POSITION, NOISE_JOINT_VELOCITY)
    return np.repeat(levels, sizes)


class ObservationDelay:
    """Hands each observation the sensor snapshot taken `delay` physics steps before it.

    Observations come every `decimation` physics steps. Call `wanted` after each physics
    step with the number of steps left until the next observation, `record` the step's
    snapshot when it says so, and call `delayed` at observation time. Exactly one step
    per observation is ever read, the one `delay` steps before it, so only that one is
    wanted: one snapshot per policy step, whatever the delay.
    """

    def __init__(self, delay_steps: int, initial: SensorSnapshot, decimation: int) -> None:
        if delay_steps < 0:
            raise ValueError(f"delay must be >= 0 physics steps, got {delay_steps}")
        if decimation < 1:
            raise ValueError(f"decimation must be >= 1 physics step, got {decimation}")
        self.delay_steps = delay_steps
        self._wanted_at = delay_steps % decimation
        # A delay of a policy step or more reads a snapshot of an earlier policy step:
        # keep that many. Before the episode has run `delay` steps the robot was at rest
        # in its reset state, so that is what an old enough reading shows.
        kept = delay_steps // decimation + 1
        self._buffer: deque[SensorSnapshot] = deque([initial] * kept, kept)

    def wanted(self, steps_until_observation: int) -> bool:
        """Whether the step that many physics steps before the observation must be recorded."""
        return steps_until_observation == self._wanted_at

    def record(self, snapshot: SensorSnapshot) -> None:
        self._buffer.append(snapshot)

    def delayed(self) -> SensorSnapshot:
        """The snapshot of the physics step `delay_steps` before the observation."""
        return self._buffer[0]


class ActionDelay:
    """Holds PD targets back for a fixed number of physics steps, as a slow bus would."""

    def __init__(self, delay_steps: int, initial_target: np.ndarray) -> None:
        if delay_steps < 0:
            raise ValueError(f"delay must be >= 0 physics steps, got {delay_steps}")
        self.delay_steps = delay_steps
        self._current = np.array(initial_target, dtype=float)
        self._pending: deque[tuple[int, np.ndarray]] = deque()

    def issue(self, target: np.ndarray, step: int) -> None:
        """A new target sent at physics step `step`; it takes effect `delay_steps` later."""
        self._pending.append((step + self.delay_steps, np.asarray(target, dtype=float)))

    def target_at(self, step: int) -> np.ndarray:
        """The target in effect at physics step `step` (steps must not go backwards)."""
        while self._pending and self._pending[0][0] <= step:
            self._current = self._pending.popleft()[1]
        return self._current
