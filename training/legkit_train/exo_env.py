"""The assistance environment: a simulated wearer, the exoskeleton and its deployed shaping.

One `step` is one policy step of the contract (100 Hz). The action is normalized hip
assistance (one value per actuator, clipped to [-1, 1]); times the contract's torque scale
it is the request the deployed controller receives. It reaches the actuators after the
control latency, through the core `AssistanceShaper` (torque limit, low-pass filter,
slew-rate limit; ramp-in optional) at the 500 Hz physics rate, exactly as the controller
will shape it on the device. The observation comes from the core `ObservationBuilder`
filled with what the device measures: the thigh IMUs (delayed, offset, noisy) and the
policy's own last action.

Inside the step, the wearer (`legkit.wearer.WearerWorld`) follows the task's reference
motion with its own muscles; the reward is mostly what those muscles had to do.
`info["reward_terms"]` holds each weighted term, `info["effort"]` the step's
`legkit.wearer.metrics.EffortMeter` (the integrals an evaluation sums; reused next step).
"""

from __future__ import annotations

import dataclasses
from typing import Any

import gymnasium as gym
import numpy as np
from gymnasium import spaces

from legkit.control.assistance import AssistanceConfig, AssistanceShaper
from legkit.policy.contract import PolicyContract
from legkit.policy.defaults import training_contract
from legkit.policy.observation import ObservationBuilder, ObservationInputs
from legkit.robots import EXOSKELETON, EXOSKELETON_KNEE
from legkit.thigh_imu import imu_angular_velocity, imu_orientation, thigh_reading
from legkit.wearer.anthropometry import ADULT
from legkit.wearer.gait import MotionSample
from legkit.wearer.metrics import EffortMeter
from legkit.wearer.world import GRAVITY, WearerConfig, WearerWorld
from legkit_train.exo_config import ExoEnvConfig
from legkit_train.exo_randomization import (
    AssistEpisode,
    ThighReading,
    apply_to_world,
    motion_for,
    sample_episode,
)
from legkit_train.exo_rewards import REWARD_TERMS, AssistStepData, validate_weights
from legkit_train.randomization import ActionDelay, ObservationDelay


class _NoCurriculum:
    """The exoskeleton tasks have no curriculum; `EnvPool` reads and sets a level anyway."""

    level = 1.0


class ExoAssistEnv(gym.Env[np.ndarray, np.ndarray]):
    """Assist a simulated wearer's hips while they walk on a treadmill or squat.

    Observation: the contract's (float32, 18 values for the hip device). Action: one
    normalized torque per actuator, clipped to [-1, 1] (times 18 N m). Episodes start
    anywhere in the motion's cycle, end (terminated) when the wearer sags or folds beyond
    the config's limits, and are truncated after `ExoEnvConfig.episode_length_s`.
    """

    metadata = {"render_modes": ["rgb_array"], "render_fps": 100}

    def __init__(
        self,
        config: ExoEnvConfig | None = None,
        render_mode: str | None = None,
        task: str | None = None,
    ) -> None:
        """`task` ("walk" or "squat"), when given, replaces the config's task."""
        if render_mode is not None and render_mode not in self.metadata["render_modes"]:
            raise ValueError(f"render_mode must be one of {self.metadata['render_modes']}")
        config = config if config is not None else ExoEnvConfig()
        self.config = config if task is None else dataclasses.replace(config, task=task)
        self.render_mode = render_mode
        self._weights = validate_weights(self.config.rewards)
        self.profile = EXOSKELETON_KNEE if self.config.knee_actuators else EXOSKELETON
        self.contract: PolicyContract = training_contract(self.profile)
        self._builder = ObservationBuilder.from_contract(self.contract)
        self.world = WearerWorld(
            motion_for(self.config.task),
            self.profile,
            WearerConfig(physics_rate_hz=self.profile.physics_rate_hz),
        )
        self._n = self.profile.num_joints
        self._decimation = self.contract.decimation
        self._dt = self.contract.control_period
        self._max_steps = round(self.config.episode_length_s / self._dt)
        self.assistance = AssistanceShaper(
            AssistanceConfig.for_profile(self.profile), self._n, log=lambda _: None
        )
        device = self.world.hardware.total_mass(self.config.knee_actuators)
        self._weight = GRAVITY * (ADULT.mass + device)  # [N]
        self.curriculum = _NoCurriculum()
        self.effort = EffortMeter(self._n)
        """What the wearer and device did during the latest step (also ``info["effort"]``)."""

        clip = self.contract.observation_clip
        self.observation_space = spaces.Box(
            -clip, clip, (self.contract.observation_size,), dtype=np.float32
        )
        a = self.contract.action_clip
        self.action_space = spaces.Box(-a, a, (self._n,), dtype=np.float32)
        self.last_action = np.zeros(self._n)

    # ----------------------------------------------------------------- gym API
    def reset(
        self, *, seed: int | None = None, options: dict[str, Any] | None = None
    ) -> tuple[np.ndarray, dict[str, Any]]:
        """Options: ``"phase"`` in [0, 1) starts the motion there instead of at random."""
        super().reset(seed=seed)
        world = self.world
        self.episode: AssistEpisode = sample_episode(self.config, self.np_random, self._n, world.dt)
        apply_to_world(self.episode, world)
        motion = self.episode.motion
        # Drawn whatever the settings, so that they do not change the random stream.
        drawn = float(self.np_random.uniform())
        phase = drawn if self.config.random_start else 0.0
        if options is not None and "phase" in options:
            phase = float(options["phase"])
        world.reset(phase * motion.period, motion)
        self._physics_step = 0
        self._steps = 0
        self.last_action = np.zeros(self._n)
        self._action_delay = ActionDelay(self.episode.action_delay_steps, np.zeros(self._n))
        reading = self._read_thighs()
        self._obs_delay = ObservationDelay(
            self.episode.observation_delay_steps, reading, self._decimation
        )
        now = world.time
        self.assistance.reset(now, ramped=not self.config.ramp_in)
        self.assistance.on_sensors(now, reading.angles, reading.rates)
        self._builder.reset()
        self._privileged = self._privileged_observation(world.reference())
        return self._observe(), {"phase": phase, "curriculum_level": 1.0}

    def step(self, action: np.ndarray) -> tuple[np.ndarray, float, bool, bool, dict[str, Any]]:
        action = np.asarray(action, dtype=float).reshape(self._n)
        request = self.contract.joint_targets(action)  # torque [N m]: actuation is "torque"
        self._action_delay.issue(request, self._physics_step)
        meter = self._simulate_policy_step()
        self._steps += 1
        ref = self.world.reference()
        data = self._step_data(action, meter, ref)
        terms = {
            name: weight * REWARD_TERMS[name](data) * self._dt
            for name, weight in self._weights.items()
        }
        reward = float(sum(terms.values()))
        self.last_action = action

        pelvis, _ = self.world.pelvis()
        terminated = bool(
            ref.pelvis[1] - pelvis[1] > self.config.max_height_error
            or abs(pelvis[2] - ref.pelvis[2]) > self.config.max_lean_error
        )
        truncated = self._steps >= self._max_steps
        self._privileged = self._privileged_observation(ref)
        info = {
            "reward_terms": terms,
            "effort": meter,
            "phase": ref.phase,
            "assist_mode": self.assistance.mode.value,
            "curriculum_level": 1.0,
        }
        return self._observe(), reward, terminated, truncated, info

    def render(self) -> np.ndarray | None:
        if self.render_mode == "rgb_array":
            return self.world.render_rgb()
        return None

    def close(self) -> None:
        self.world.close()

    # ----------------------------------------------------------------- internals
    def _read_thighs(self) -> ThighReading:
        # Through the IMU message the deployed observation node decodes, so the policy
        # sees the same numbers here as on the device (down to rounding).
        angles, rates = self.world.thigh_imu()
        decoded = [
            thigh_reading(imu_orientation(a), imu_angular_velocity(r))
            for a, r in zip(angles, rates, strict=True)
        ]
        return ThighReading(np.array([d[0] for d in decoded]), np.array([d[1] for d in decoded]))

    def _simulate_policy_step(self) -> EffortMeter:
        """Run shaping and physics for one policy step; what the wearer and device did."""
        world, shaper, meter = self.world, self.assistance, self.effort
        meter.reset()
        for i in range(self._decimation):
            now = world.time
            shaper.on_command(now, self._action_delay.target_at(self._physics_step))
            world.apply_exo_torques(shaper.update(now))
            world.step()
            self._physics_step += 1
            reading = self._read_thighs()
            shaper.on_sensors(world.time, reading.angles, reading.rates)
            if self._obs_delay.wanted(self._decimation - 1 - i):
                self._obs_delay.record(reading)
            meter.add(world.last, world.dt)
        return meter

    def _step_data(self, action: np.ndarray, meter: EffortMeter, ref: MotionSample):
        q, _ = self.world.human_state()
        return AssistStepData(
            hip_torque_sq=meter.mean("hip_torque_sq"),
            hip_positive_power=meter.mean("hip_positive_work"),
            other_torque_sq=meter.mean("other_torque_sq"),
            tracking_error=q - ref.joint_positions,
            harness=meter.mean("harness_sq"),
            body_weight=self._weight,
            action=action,
            last_action=self.last_action,
            exo_torque_sq=meter.mean("exo_torque_sq"),
            torque_scale=self.contract.action_scale,
        )

    def _observe(self) -> np.ndarray:
        """The observation, built as the deployed observation node builds it."""
        reading = self._obs_delay.delayed().corrupted(self.np_random, self.episode)
        return self._builder.build(
            ObservationInputs(
                thigh_angles=reading.angles,
                thigh_angular_velocities=reading.rates,
                last_action=self.last_action,
            )
        )

    # ----------------------------------------------------------------- critic
    @property
    def privileged_size(self) -> int:
        """Length of `privileged_observation`."""
        return 2 + 12 + 3 + 2 * self._n + 5

    def privileged_observation(self) -> np.ndarray:
        """What the critic sees besides the policy's observation (never deployed).

        Phase of the motion (sin, cos), the wearer's joint angles [rad] and rates
        [rad/s x 0.1], pelvis errors against the reference [m, m, rad], the delivered
        assistance [/ peak], the actuators' strength, and the episode's exoskeleton mass,
        friction, wearer strength and stiffness factors and control latency [10 ms].
        """
        return self._privileged

    def _privileged_observation(self, ref: MotionSample) -> np.ndarray:
        world, e = self.world, self.episode
        q, qd = world.human_state()
        pelvis, _ = world.pelvis()
        angle = 2.0 * np.pi * ref.phase
        return np.concatenate(
            [
                [np.sin(angle), np.cos(angle)],
                q,
                0.1 * qd,
                pelvis - ref.pelvis,
                self.assistance.output / self.contract.action_scale,
                e.motor_strength,
                [
                    e.exo_mass,
                    e.friction,
                    e.human_strength,
                    e.human_stiffness,
                    e.action_delay_steps * world.dt / 0.01,
                ],
            ]
        ).astype(np.float32)
