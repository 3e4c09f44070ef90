"""The walking environment: the deployed control loop, simulated, as a gymnasium Env.

One `step` is one policy step of the contract (50 Hz for the quadruped). Inside it the
core `JointPid` runs at the physics rate towards ``contract.joint_targets(action)``
for ``contract.decimation`` physics steps, exactly as the ROS controller node does on
the robot. The observation comes from the core `ObservationBuilder`, filled from the
world's IMU and joint readings the same way the ROS observation node fills it, so the
policy sees in training the vector it will see deployed.
"""

from __future__ import annotations

from typing import Any

import gymnasium as gym
import numpy as np
from gymnasium import spaces

from legkit.control.pid import JointPid
from legkit.policy.contract import PolicyContract
from legkit.policy.defaults import training_contract
from legkit.policy.observation import ObservationBuilder, ObservationInputs
from legkit.robots import QUADRUPED
from legkit.robots.profile import RobotProfile
from legkit.rotations import projected_gravity, rotate_to_body, tilt_of_gravity
from legkit.sim import PybulletWorld, SimConfig
from legkit_train.config import EnvConfig
from legkit_train.curriculum import CommandCurriculum
from legkit_train.randomization import (
    ActionDelay,
    EpisodeRandomization,
    ObservationDelay,
    SensorSnapshot,
    apply_to_world,
    sample_episode,
)
from legkit_train.rewards import (
    AFTER_CLIP_TERMS,
    REWARD_TERMS,
    StepData,
    lin_vel_tracking,
    soft_joint_limits,
    validate_weights,
)


class QuadrupedWalkEnv(gym.Env[np.ndarray, np.ndarray]):
    """Follow a velocity command (vx, vy, yaw rate) on flat ground.

    Observation: the contract's observation (float32, `contract.observation_size`).
    Action: raw policy output, one per joint; the contract clips and scales it into PD
    position targets about the default pose. Episodes start standing, end (terminated)
    when the base touches the ground (or any link but a foot, by
    `EnvConfig.termination_contact`) or tilts beyond `EnvConfig.termination_tilt`, and
    are truncated after `EnvConfig.episode_length_s`.
    `info["reward_terms"]` holds each weighted term of the step's reward.
    """

    metadata = {"render_modes": ["rgb_array"], "render_fps": 50}

    def __init__(
        self,
        config: EnvConfig | None = None,
        profile: RobotProfile = QUADRUPED,
        render_mode: str | None = None,
    ) -> None:
        if render_mode is not None and render_mode not in self.metadata["render_modes"]:
            raise ValueError(f"render_mode must be one of {self.metadata['render_modes']}")
        self.config = config if config is not None else EnvConfig()
        self.profile = profile
        self.render_mode = render_mode
        # Fail at construction, not after hours of training, on a weight without a term.
        self._weights = validate_weights(self.config.rewards)

        self.contract: PolicyContract = training_contract(
            profile, history_length=self.config.history_length
        )
        self._builder = ObservationBuilder.from_contract(self.contract)
        self.world = PybulletWorld(
            profile, SimConfig(physics_rate_hz=profile.physics_rate_hz, initial_pose="standing")
        )
        self._decimation = self.contract.decimation
        self._dt = self.contract.control_period
        self._max_steps = round(self.config.episode_length_s / self._dt)
        self._resample_every = max(1, round(self.config.commands.resample_period_s / self._dt))
        self._push_every = max(1, round(self.config.randomization.pushes.interval_s / self._dt))
        self._lower_limits, self._upper_limits = profile.lower_limits, profile.upper_limits
        self._soft_lower, self._soft_upper = soft_joint_limits(
            profile.lower_limits, profile.upper_limits
        )
        self.curriculum = CommandCurriculum(self.config.curriculum, self.config.commands)

        clip = self.contract.observation_clip
        self.observation_space = spaces.Box(
            -clip, clip, (self.contract.observation_size,), dtype=np.float32
        )
        a = self.contract.action_clip
        self.action_space = spaces.Box(-a, a, (self.contract.action_size,), dtype=np.float32)

        n = profile.num_joints
        self._steps = 0
        self.command = np.zeros(3)
        self.last_action = np.zeros(n)
        self.joint_power = 0.0
        """Mean mechanical power of the joints over the last policy step [W]."""

    # ----------------------------------------------------------------- gym API
    def reset(
        self, *, seed: int | None = None, options: dict[str, Any] | None = None
    ) -> tuple[np.ndarray, dict[str, Any]]:
        super().reset(seed=seed)
        n = self.profile.num_joints
        self.world.reset("standing")
        self.randomization: EpisodeRandomization = sample_episode(
            self.config.randomization, self.np_random, n, self.world.dt
        )
        apply_to_world(self.randomization, self.world)
        self._pid = JointPid(
            self.profile.kp * self.randomization.kp_scale,
            self.profile.kd * self.randomization.kd_scale,
            self.profile.effort_limits,
        )
        self._physics_step = 0
        self._action_delay = ActionDelay(
            self.randomization.action_delay_steps, self.profile.default_positions
        )
        snapshot = SensorSnapshot.read(self.world)
        self._obs_delay = ObservationDelay(
            self.randomization.observation_delay_steps, snapshot, self._decimation
        )
        self._joint_state = (snapshot.joint_positions, snapshot.joint_velocities)
        self._prev_joint_vel = snapshot.joint_velocities
        self._air_time = np.zeros(len(self.profile.foot_links))
        # Episodes start standing with the feet 2 mm above the ground: count them as down,
        # or the first touchdown would be paid as a 20 ms step. (The world's contact list
        # is that of the last physics step, the previous episode's, until the next step.)
        self._in_contact = np.ones(len(self.profile.foot_links), dtype=bool)
        self._steps = 0
        self._tracking_sum = 0.0
        self.last_action = np.zeros(n)
        self.command = self._sample_command()
        if options is not None and "command" in options:
            self.set_command(options["command"])  # drawn anyway: same stream either way
        self._builder.reset()
        self._privileged = self._privileged_observation(None)
        return self._observe(), self._info()

    def step(self, action: np.ndarray) -> tuple[np.ndarray, float, bool, bool, dict[str, Any]]:
        action = np.asarray(action, dtype=float).reshape(self.contract.action_size)
        # Clamped to the joint limits as the deployed controller clamps them
        # (SafetySupervisor.on_target), so no policy learns to lean on a target it would
        # never get on the robot.
        targets = np.maximum(
            np.minimum(self.contract.joint_targets(action), self._upper_limits),
            self._lower_limits,
        )
        self._action_delay.issue(targets, self._physics_step)
        self._simulate_policy_step()
        self._steps += 1

        data = self._step_data(action)
        terms = {
            name: weight * REWARD_TERMS[name](data) * self._dt
            for name, weight in self._weights.items()
        }
        reward = float(sum(v for name, v in terms.items() if name not in AFTER_CLIP_TERMS))
        if self.config.only_positive_rewards:
            # Early in training the penalties outweigh the tracking terms; clipped at zero,
            # every step alive is still worth something, so falling early never pays.
            reward = max(reward, 0.0)
        reward += float(sum(v for name, v in terms.items() if name in AFTER_CLIP_TERMS))
        # The curriculum judges tracking whether or not the term is weighted.
        self._tracking_sum += lin_vel_tracking(data)
        self._air_time[self._in_contact] = 0.0
        self.last_action = action

        terminated = data.fell
        truncated = self._steps >= self._max_steps
        if terminated or truncated:
            # Judged only at a real episode end (a reset mid-episode judges nothing, so
            # reset(seed) stays reproducible) and over the full episode length: steps lost
            # to a fall count as no tracking, so falling never widens the commands.
            self.curriculum.update(self._tracking_sum / self._max_steps)
        self._perturb()
        info = self._info()
        info["reward_terms"] = terms
        info["joint_power"] = self.joint_power
        info["base_velocity"] = np.array(
            [data.base_lin_vel[0], data.base_lin_vel[1], data.base_ang_vel[2]]
        )
        self._privileged = self._privileged_observation(data)
        return self._observe(), reward, bool(terminated), truncated, info

    def set_command(self, command: np.ndarray) -> None:
        """Replace the velocity command (vx [m/s], vy [m/s], yaw rate [rad/s]) from now on.

        For evaluation and scripted runs; the command is still resampled at its period,
        so configure a resample period longer than the episode to keep it.
        """
        c = np.asarray(command, dtype=float)
        if c.shape != (3,) or not np.all(np.isfinite(c)):
            raise ValueError(f"command must be 3 finite values, got {command!r}")
        self.command = c.copy()

    def render(self) -> np.ndarray | None:
        if self.render_mode == "rgb_array":
            return self.world.render_rgb()
        return None

    def close(self) -> None:
        self.world.close()

    # ----------------------------------------------------------------- internals
    def _simulate_policy_step(self) -> None:
        """Run PD and physics for one policy step, recording what the delays need."""
        world, pid, dt = self.world, self._pid, self.world.dt
        strength = self.randomization.motor_strength
        energy = 0.0
        for i in range(self._decimation):
            q, qd = self._joint_state
            target = self._action_delay.target_at(self._physics_step)
            tau = world.apply_torques(pid.compute(target, q, qd, dt) * strength)
            world.step()
            self._physics_step += 1
            if self._obs_delay.wanted(self._decimation - 1 - i):
                snapshot = SensorSnapshot.read(world)
                self._obs_delay.record(snapshot)
                self._joint_state = (snapshot.joint_positions, snapshot.joint_velocities)
            else:
                self._joint_state = world.joint_state()
            energy += float(np.add.reduce(np.abs(tau * self._joint_state[1]))) * dt
        self.joint_power = energy / (self._decimation * dt)

    def _step_data(self, action: np.ndarray) -> StepData:
        state = self._state = self.world.state()
        contacts, collision, base_contact = self.world.ground_contacts()
        fell_contact = base_contact if self.config.termination_contact == "base" else collision
        self._air_time += self._dt
        first_contact = contacts & ~self._in_contact
        gravity = projected_gravity(state.base_orientation)
        self._in_contact = contacts
        data = StepData(
            command=self.command,
            base_lin_vel=rotate_to_body(state.base_orientation, state.base_linear_velocity),
            base_ang_vel=rotate_to_body(state.base_orientation, state.base_angular_velocity),
            projected_gravity=gravity,
            joint_pos=state.joint_positions,
            joint_vel=state.joint_velocities,
            prev_joint_vel=self._prev_joint_vel,
            torques=state.joint_efforts,
            action=action,
            last_action=self.last_action,
            soft_lower=self._soft_lower,
            soft_upper=self._soft_upper,
            first_contact=first_contact,
            air_time=self._air_time.copy(),
            collision=collision,
            fell=fell_contact or tilt_of_gravity(gravity) > self.config.termination_tilt,
            base_height=float(state.base_position[2]),
            base_height_target=self.profile.nominal_base_height,
            dt=self._dt,
            tracking_sigma=self.config.tracking_sigma,
        )
        self._prev_joint_vel = state.joint_velocities
        return data

    def _perturb(self) -> None:
        """New command and pushes at their periods, ready for the next policy step."""
        if self._steps % self._resample_every == 0:
            self.command = self._sample_command(previous=self.command)
        if self._steps % self._push_every == 0:
            pushes = self.config.randomization.pushes
            # Drawn even when disabled so the random stream does not depend on the setting.
            dv = self.np_random.uniform(-pushes.max_velocity, pushes.max_velocity, 2)
            if pushes.enabled:
                self.world.push_base(np.array([dv[0], dv[1], 0.0]))

    def _sample_command(self, previous: np.ndarray | None = None) -> np.ndarray:
        """A new command; `previous` (None at a reset) is the one it replaces."""
        commands = self.config.commands
        # Drawn only when configured, so that the random stream of configurations without
        # reversals (the shipped policy's evaluation among them) stays as it was.
        fraction = commands.reversal_fraction
        reverse = fraction > 0.0 and self.np_random.uniform() < fraction
        if reverse and previous is not None and previous.any():
            low, high = np.array(self.curriculum.ranges()).T
            return np.clip(-previous, low, high)
        if self.np_random.uniform() < commands.still_fraction:
            return np.zeros(3)
        ranges = self.curriculum.ranges()
        command = np.array([self.np_random.uniform(low, high) for low, high in ranges])
        # Drawn only when configured, like the reversals.
        full = commands.full_speed_fraction
        if full > 0.0 and self.np_random.uniform() < full:
            low, high = ranges[0]
            command[0] = high if command[0] >= 0.0 else low
        return command

    def _observe(self) -> np.ndarray:
        """The observation, built as the ROS observation node builds it."""
        s = self._obs_delay.delayed().with_noise(self.np_random, self.randomization.noise_scale)
        return self._builder.build(
            ObservationInputs(
                base_angular_velocity=s.angular_velocity,
                base_orientation=s.orientation,
                velocity_command=self.command,
                joint_positions=s.joint_positions,
                joint_velocities=s.joint_velocities,
                last_action=self.last_action,
            )
        )

    @property
    def privileged_size(self) -> int:
        """Length of `privileged_observation`."""
        return 6 + len(self.profile.foot_links)

    def privileged_observation(self) -> np.ndarray:
        """What the critic sees besides the policy's observation (never deployed).

        Ground truth a robot does not measure: base linear velocity (body frame) [m/s],
        base height [m], which feet touch the ground, ground friction and added base mass
        [kg]. Knowing the velocity it is asked to track makes the value function far
        easier to learn, which is what speeds up training; the actor never sees it.
        `privileged_size` values, float32, after the latest reset or step.
        """
        return self._privileged

    def _privileged_observation(self, data: StepData | None) -> np.ndarray:
        state = self.world.state() if data is None else self._state
        lin_vel = (
            data.base_lin_vel
            if data is not None
            else rotate_to_body(state.base_orientation, state.base_linear_velocity)
        )
        return np.concatenate(
            [
                lin_vel,
                [state.base_position[2]],
                self._in_contact.astype(float),
                [self.randomization.ground_friction, self.randomization.added_base_mass],
            ]
        ).astype(np.float32)

    def _info(self) -> dict[str, Any]:
        return {"command": self.command.copy(), "curriculum_level": self.curriculum.level}
