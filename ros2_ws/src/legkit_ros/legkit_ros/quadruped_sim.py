"""The quadruped in pybullet (`legkit.sim.PybulletWorld`), as the sim bridge runs it.

Every physics step it publishes /joint_states and /imu/data; ground-truth /odom every
`odom_every` steps. A torque command acts until the next one; a command that carries PD
targets (the controller's `pd_in_motor`) is tracked every physics step with the
profile's gains, as a motor's firmware would (legkit.control.JointCommand).
"""

from __future__ import annotations

import numpy as np
from builtin_interfaces.msg import Time
from nav_msgs.msg import Odometry
from rclpy.node import Node
from sensor_msgs.msg import Imu, JointState

from legkit.control import JointCommand
from legkit.robots.profile import RobotProfile
from legkit.rotations import rotate_to_body
from legkit.sim import PybulletWorld, SimConfig
from legkit_ros import ros_io, topics


class QuadrupedSim:
    """The robot behind the sim bridge when the profile is position (PD) actuated."""

    def __init__(
        self, node: Node, profile: RobotProfile, config: SimConfig, odom_every: int
    ) -> None:
        self.profile = profile
        self.world = PybulletWorld(profile, config)
        self.world.reset()
        self.names = list(profile.joint_names)
        self.odom_every = odom_every
        self.steps = 0
        self.motor_command: JointCommand | None = None
        self.state_pub = node.create_publisher(JointState, topics.JOINT_STATES, topics.CONTROL_QOS)
        self.imu_pub = node.create_publisher(Imu, topics.IMU, topics.CONTROL_QOS)
        self.odom_pub = node.create_publisher(Odometry, topics.ODOM, topics.CONTROL_QOS)

    @property
    def dt(self) -> float:
        return self.world.dt

    @property
    def time(self) -> float:
        return self.world.time

    def command(self, command: JointCommand) -> bool:
        """Take a command (profile order); every law of JointCommand is accepted."""
        if command.position is None and command.velocity is None:
            self.world.apply_torques(command.effort)
            self.motor_command = None
        else:
            self.motor_command = command  # applied each physics step, see step()
        return True

    def zero_torque(self) -> None:
        self.motor_command = None
        self.world.apply_torques(np.zeros(self.profile.num_joints))

    def step(self) -> None:
        if self.motor_command is not None:
            q, qd = self.world.joint_state()
            self.world.apply_torques(self.motor_command.torques(self.profile, q, qd))
        self.world.step()
        self.steps += 1

    def publish(self, stamp: Time) -> None:
        """Joint states first (the bridge times command latency from them), then the IMU
        and, every `odom_every` steps, /odom."""
        state = self.world.state()
        imu = self.world.imu()
        self.state_pub.publish(
            ros_io.joint_state_msg(
                self.names,
                stamp,
                state.joint_positions,
                state.joint_velocities,
                state.joint_efforts,
            )
        )
        imu_msg = Imu()
        imu_msg.header.stamp = stamp
        imu_msg.header.frame_id = self.profile.base_link
        (
            imu_msg.orientation.x,
            imu_msg.orientation.y,
            imu_msg.orientation.z,
            imu_msg.orientation.w,
        ) = imu.orientation.tolist()
        (
            imu_msg.angular_velocity.x,
            imu_msg.angular_velocity.y,
            imu_msg.angular_velocity.z,
        ) = imu.angular_velocity.tolist()
        (
            imu_msg.linear_acceleration.x,
            imu_msg.linear_acceleration.y,
            imu_msg.linear_acceleration.z,
        ) = imu.linear_acceleration.tolist()
        self.imu_pub.publish(imu_msg)
        if self.steps % self.odom_every == 0:
            self.odom_pub.publish(self.odometry(state, stamp))

    def odometry(self, state, stamp: Time) -> Odometry:
        """Ground truth: pose in the world frame, twist in the base frame (REP 105)."""
        msg = Odometry()
        msg.header.stamp = stamp
        msg.header.frame_id = "odom"
        msg.child_frame_id = self.profile.base_link
        p = msg.pose.pose
        p.position.x, p.position.y, p.position.z = state.base_position.tolist()
        q = state.base_orientation
        p.orientation.x, p.orientation.y, p.orientation.z, p.orientation.w = q.tolist()
        v = rotate_to_body(q, state.base_linear_velocity)
        w = rotate_to_body(q, state.base_angular_velocity)
        t = msg.twist.twist
        t.linear.x, t.linear.y, t.linear.z = v.tolist()
        t.angular.x, t.angular.y, t.angular.z = w.tolist()
        return msg

    def close(self) -> None:
        self.world.close()
