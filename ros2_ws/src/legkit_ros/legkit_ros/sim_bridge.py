"""Sim bridge: the pybullet robot behind the same topics a real robot's driver offers.

Steps physics on a wall-clock timer (real time × `real_time_factor`) and, every
physics step, publishes /clock, /joint_states and /imu/data; ground-truth /odom at
`odom_rate_hz`. Applies the latest named effort command; if none arrives for
`effort_timeout` seconds it applies zero torque (the same rule the hardware bridge
enforces), logged once. A command that carries PD targets (the controller's
`pd_in_motor`) is tracked every physics step with the profile's gains, as a motor's
firmware would (legkit.control.JointCommand).

It measures the latency from publishing a joint state to receiving the effort
command derived from it (commands carry the stamp of their source state).
"""

from __future__ import annotations

import time

import numpy as np
from builtin_interfaces.msg import Time
from nav_msgs.msg import Odometry
from rclpy.clock import Clock, ClockType
from rclpy.node import Node
from rclpy.parameter import Parameter
from rosgraph_msgs.msg import Clock as ClockMsg
from sensor_msgs.msg import Imu, JointState

from legkit.control import JointCommand
from legkit.robots import get_profile
from legkit.robots.joint_map import JointMap, JointNameError
from legkit.rotations import rotate_to_body
from legkit.sim import PybulletWorld, SimConfig
from legkit.timing import LatencyMonitor, RateMonitor
from legkit_ros import ros_io, topics
from legkit_ros.ros_io import OK, WARN, DiagnosticsPublisher
from legkit_ros.spin import run_node


class SimBridge(Node):
    def __init__(self, **kwargs) -> None:
        super().__init__("sim_bridge", **kwargs)
        # The bridge is the clock source; it must never run on the clock it publishes.
        self.set_parameters([Parameter("use_sim_time", value=False)])
        robot = self.declare_parameter("robot", "quadruped").value
        self.profile = get_profile(robot)
        rate = self.declare_parameter("physics_rate_hz", self.profile.physics_rate_hz).value
        self.real_time_factor = self.declare_parameter("real_time_factor", 1.0).value
        initial_pose = self.declare_parameter("initial_pose", "lying").value
        friction = self.declare_parameter("ground_friction", 1.0).value
        odom_rate = self.declare_parameter("odom_rate_hz", 50.0).value
        self.effort_timeout = self.declare_parameter("effort_timeout", 0.05).value
        gui = self.declare_parameter("gui", False).value
        if self.real_time_factor <= 0.0:
            raise ValueError(f"real_time_factor must be positive, got {self.real_time_factor}")

        self.world = PybulletWorld(
            self.profile,
            SimConfig(
                physics_rate_hz=rate, ground_friction=friction, initial_pose=initial_pose, gui=gui
            ),
        )
        self.world.reset()
        self.names = list(self.profile.joint_names)
        self.joint_map = JointMap(self.names)
        self.odom_every = max(1, round(rate / odom_rate))

        self.clock_pub = self.create_publisher(ClockMsg, "/clock", topics.CONTROL_QOS)
        self.state_pub = self.create_publisher(JointState, topics.JOINT_STATES, topics.CONTROL_QOS)
        self.imu_pub = self.create_publisher(Imu, topics.IMU, topics.CONTROL_QOS)
        self.odom_pub = self.create_publisher(Odometry, topics.ODOM, topics.CONTROL_QOS)
        self.create_subscription(
            JointState, topics.EFFORT_COMMANDS, self.on_effort, topics.CONTROL_QOS
        )

        self.steps = 0
        self.motor_command: JointCommand | None = None
        self.last_effort_wall: float | None = None
        self.effort_timed_out = True
        self.rejected_names: set[tuple[str, ...]] = set()
        # Wall time at which each recent joint state was published, by stamp.
        self.published_at: dict[int, float] = {}
        self.latency = LatencyMonitor()
        self.loop = RateMonitor(self.world.dt / self.real_time_factor)
        self.create_timer(
            self.world.dt / self.real_time_factor,
            self.step,
            clock=Clock(clock_type=ClockType.STEADY_TIME),
        )
        self.diagnostics_pub = DiagnosticsPublisher(self, self.diagnostics)
        self.get_logger().info(
            f"simulating '{robot}' at {rate:.0f} Hz, real-time factor {self.real_time_factor}, "
            f"starting {initial_pose}"
        )

    def on_effort(self, msg: JointState) -> None:
        now = time.perf_counter()
        try:
            command = ros_io.joint_command(self.joint_map, msg)
        except JointNameError as err:
            key = tuple(msg.name)
            if key not in self.rejected_names:
                self.rejected_names.add(key)
                self.get_logger().error(f"effort command rejected, no torque applied: {err}")
            return
        if command.position is None and command.velocity is None:
            self.world.apply_torques(command.effort)
            self.motor_command = None
        else:
            self.motor_command = command  # applied each physics step, see step()
        self.last_effort_wall = now
        if self.effort_timed_out:
            self.effort_timed_out = False
            self.get_logger().info("effort commands received; applying them")
        sent = self.published_at.get(ros_io.stamp_key(msg.header.stamp))
        if sent is not None:
            self.latency.add(now - sent)

    def step(self) -> None:
        now = time.perf_counter()
        self.loop.tick(now)
        if (
            not self.effort_timed_out
            and self.last_effort_wall is not None
            and now - self.last_effort_wall > self.effort_timeout / self.real_time_factor
        ):
            self.effort_timed_out = True
            self.motor_command = None
            self.world.apply_torques(np.zeros(self.profile.num_joints))
            self.get_logger().warning(
                f"no effort command for {self.effort_timeout * 1e3:.0f} ms: applying zero torque"
            )
        if self.motor_command is not None:
            q, qd = self.world.joint_state()
            self.world.apply_torques(self.motor_command.torques(self.profile, q, qd))
        self.world.step()
        self.steps += 1
        self.publish_state()

    def publish_state(self) -> None:
        state = self.world.state()
        imu = self.world.imu()
        stamp = _sim_stamp(state.time)
        self.state_pub.publish(
            ros_io.joint_state_msg(
                self.names,
                stamp,
                state.joint_positions,
                state.joint_velocities,
                state.joint_efforts,
            )
        )
        self.published_at[ros_io.stamp_key(stamp)] = time.perf_counter()
        if len(self.published_at) > 256:  # commands older than that are not measured
            del self.published_at[next(iter(self.published_at))]
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
        # The clock goes last: a node that sees time advance has the matching state queued.
        self.clock_pub.publish(ClockMsg(clock=stamp))

    def odometry(self, state, stamp) -> Odometry:
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

    def diagnostics(self):
        values = {"sim_time_s": self.world.time, **self.loop.summary()}
        values.update(self.latency.summary("state_to_effort"))
        if self.effort_timed_out:
            return WARN, "no effort commands: zero torque", values
        return OK, "applying effort commands", values

    def destroy_node(self) -> None:
        self.world.close()
        super().destroy_node()


def _sim_stamp(t: float) -> Time:
    ns = round(t * 1e9)
    return Time(sec=ns // 1_000_000_000, nanosec=ns % 1_000_000_000)


def main(args=None) -> None:
    run_node(SimBridge, args)


if __name__ == "__main__":
    main()
