"""The exoskeleton and its simulated wearer (`legkit.wearer.WearerWorld`), as the sim
bridge runs it.

The wearer walks or squats on a treadmill harness (the reference motion of `task`), moved
by their own muscle controller inside the world; the device's actuators add the torque
last commanded. Every physics step it publishes what the device measures:

- /joint_states: the actuators in profile order, effort = the torque delivered (after
  the world's clamp to the effort limit and its motor strength);
- /thigh_imu/left, /thigh_imu/right: the cuff IMUs, in the frames of `legkit.thigh_imu`;

and, every `wearer_every` steps, the ground truth for evaluation (what /odom is for the
quadruped):

- /wearer/joint_states: the wearer's own hips, knees and ankles, effort = the muscle
  torque of the latest step (what the assistance is meant to lower).

The device is torque controlled (kp = kd = 0): a command with PD targets has no law to
run here, so it is refused (logged once) and zero torque applied.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
from builtin_interfaces.msg import Time
from rclpy.node import Node
from sensor_msgs.msg import Imu, JointState

from legkit.control import JointCommand
from legkit.robots.profile import RobotProfile
from legkit.thigh_imu import imu_angular_velocity, imu_orientation
from legkit.wearer.gait import WEARER_JOINTS, ReferenceMotion, squat_cycle, walking_gait
from legkit.wearer.world import WearerConfig, WearerWorld
from legkit_ros import ros_io, topics

TASKS: dict[str, Callable[[], ReferenceMotion]] = {"walk": walking_gait, "squat": squat_cycle}
"""Task name -> its nominal reference motion (1.0 m/s walking, the 4 s squat cycle): the
motions the training env draws around (legkit_train.exo_randomization.motion_for)."""

THIGH_IMU_FRAMES = ("left_thigh_imu", "right_thigh_imu")
"""frame_id of the cuff IMUs, in the order of topics.THIGH_IMUS and WearerWorld.thigh_imu."""


class ExoskeletonSim:
    """The robot behind the sim bridge when the profile is torque actuated."""

    def __init__(
        self,
        node: Node,
        profile: RobotProfile,
        task: str,
        physics_rate_hz: float,
        ground_friction: float,
        wearer_every: int,
        log_error: Callable[[str], None],
    ) -> None:
        if task not in TASKS:
            raise ValueError(f"unknown task '{task}'; known tasks: {sorted(TASKS)}")
        self.profile = profile
        self.world = WearerWorld(
            TASKS[task](), profile, WearerConfig(physics_rate_hz=physics_rate_hz)
        )
        self.world.set_ground_friction(ground_friction)
        self.world.reset(0.0)  # sim time 0 = the start of the reference (heel strike)
        self.names = list(profile.joint_names)
        self.delivered = np.zeros(profile.num_joints)
        self.wearer_every = wearer_every
        self.steps = 0
        self._log_error = log_error
        self._refused_pd = False
        self.state_pub = node.create_publisher(JointState, topics.JOINT_STATES, topics.CONTROL_QOS)
        self.imu_pubs = [
            node.create_publisher(Imu, name, topics.CONTROL_QOS) for name in topics.THIGH_IMUS
        ]
        self.wearer_pub = node.create_publisher(
            JointState, topics.WEARER_STATES, topics.CONTROL_QOS
        )

    @property
    def dt(self) -> float:
        return self.world.dt

    @property
    def time(self) -> float:
        return self.world.time

    def command(self, command: JointCommand) -> bool:
        """Apply a torque command (profile order); refuse one with PD targets."""
        if command.position is not None or command.velocity is not None:
            if not self._refused_pd:
                self._refused_pd = True
                self._log_error(
                    "PD-target command refused, applying zero torque: the exoskeleton is "
                    "torque controlled (kp = kd = 0); send effort only (controller "
                    "pd_in_motor: false)"
                )
            self.zero_torque()
            return False
        self.delivered = self.world.apply_exo_torques(command.effort)
        return True

    def zero_torque(self) -> None:
        self.delivered = self.world.apply_exo_torques(np.zeros(self.profile.num_joints))

    def step(self) -> None:
        self.world.step()
        self.steps += 1

    def publish(self, stamp: Time) -> None:
        """Joint states first (the bridge times command latency from them), then the
        thigh IMUs and, every `wearer_every` steps, the wearer's ground truth."""
        q, qd = self.world.exo_joint_state()
        self.state_pub.publish(ros_io.joint_state_msg(self.names, stamp, q, qd, self.delivered))
        angles, rates = self.world.thigh_imu()
        for pub, frame, angle, rate in zip(
            self.imu_pubs, THIGH_IMU_FRAMES, angles, rates, strict=True
        ):
            pub.publish(thigh_imu_msg(stamp, frame, float(angle), float(rate)))
        if self.steps % self.wearer_every:
            return
        hq, hqd = self.world.human_state()
        muscles = self.world.last.human_torques
        self.wearer_pub.publish(ros_io.joint_state_msg(WEARER_JOINTS, stamp, hq, hqd, muscles))

    def close(self) -> None:
        self.world.close()


def thigh_imu_msg(stamp: Time, frame_id: str, angle: float, rate: float) -> Imu:
    """One cuff IMU sample for a thigh at `angle` [rad] from vertical turning at `rate`."""
    msg = Imu()
    msg.header.stamp = stamp
    msg.header.frame_id = frame_id
    o = msg.orientation
    o.x, o.y, o.z, o.w = imu_orientation(angle).tolist()
    w = msg.angular_velocity
    w.x, w.y, w.z = imu_angular_velocity(rate).tolist()
    # The world has no cuff acceleration; covariance[0] = -1 says "not provided"
    # (sensor_msgs/Imu), so no reader takes the zeros for a measurement.
    msg.linear_acceleration_covariance[0] = -1.0
    return msg
