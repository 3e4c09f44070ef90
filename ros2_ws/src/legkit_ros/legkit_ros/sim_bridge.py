"""Sim bridge: a simulated robot behind the same topics a real robot's driver offers.

Steps physics on a wall-clock timer (real time × `real_time_factor`) and, every
physics step, publishes the robot's sensors and then /clock. Applies the latest named
effort command; if none arrives for `effort_timeout` seconds it applies zero torque
(the same rule the hardware bridge enforces), logged once.

The `robot` profile's actuation picks the simulation:

- position (PD) actuated, the quadruped: `legkit_ros.quadruped_sim` (pybullet world;
  /joint_states, /imu/data, /odom; torque or PD-target commands);
- torque actuated, the exoskeleton: `legkit_ros.exoskeleton_sim` (the wearer on a
  treadmill harness doing `task`; /joint_states, /thigh_imu/*, /wearer/joint_states;
  torque commands only).

It measures the latency from publishing a joint state to receiving the effort
command derived from it (commands carry the stamp of their source state).
"""

from __future__ import annotations

import time

from builtin_interfaces.msg import Time
from rclpy.clock import Clock, ClockType
from rclpy.node import Node
from rclpy.parameter import Parameter
from rosgraph_msgs.msg import Clock as ClockMsg
from sensor_msgs.msg import JointState

from legkit.robots import get_profile
from legkit.robots.joint_map import JointMap, JointNameError
from legkit.sim import SimConfig
from legkit.timing import LatencyMonitor, RateMonitor
from legkit.wearer.world import WearerConfig
from legkit_ros import ros_io, topics
from legkit_ros.exoskeleton_sim import ExoskeletonSim
from legkit_ros.quadruped_sim import QuadrupedSim
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
        self.effort_timeout = self.declare_parameter("effort_timeout", 0.05).value
        gui = self.declare_parameter("gui", False).value
        if self.real_time_factor <= 0.0:
            raise ValueError(f"real_time_factor must be positive, got {self.real_time_factor}")

        if self.profile.actuation == "torque":
            self.robot = self._exoskeleton(rate, gui)
        else:
            self.robot = self._quadruped(rate, gui)
        self.joint_map = JointMap(self.profile.joint_names)

        self.clock_pub = self.create_publisher(ClockMsg, "/clock", topics.CONTROL_QOS)
        self.create_subscription(
            JointState, topics.EFFORT_COMMANDS, self.on_effort, topics.CONTROL_QOS
        )

        self.last_effort_wall: float | None = None
        self.effort_timed_out = True
        self.rejected_names: set[tuple[str, ...]] = set()
        # Wall time at which each recent joint state was published, by stamp.
        self.published_at: dict[int, float] = {}
        self.latency = LatencyMonitor()
        self.loop = RateMonitor(self.robot.dt / self.real_time_factor)
        self.create_timer(
            self.robot.dt / self.real_time_factor,
            self.step,
            clock=Clock(clock_type=ClockType.STEADY_TIME),
        )
        self.diagnostics_pub = DiagnosticsPublisher(self, self.diagnostics)

    def _quadruped(self, rate: float, gui: bool) -> QuadrupedSim:
        initial_pose = self.declare_parameter("initial_pose", "lying").value
        friction = self.declare_parameter("ground_friction", 1.0).value
        odom_rate = self.declare_parameter("odom_rate_hz", 50.0).value
        config = SimConfig(
            physics_rate_hz=rate, ground_friction=friction, initial_pose=initial_pose, gui=gui
        )
        sim = QuadrupedSim(self, self.profile, config, odom_every=max(1, round(rate / odom_rate)))
        self.get_logger().info(
            f"simulating '{self.profile.name}' at {rate:.0f} Hz, "
            f"real-time factor {self.real_time_factor}, starting {initial_pose}"
        )
        return sim

    def _exoskeleton(self, rate: float, gui: bool) -> ExoskeletonSim:
        task = self.declare_parameter("task", "walk").value
        friction = self.declare_parameter("ground_friction", WearerConfig().ground_friction).value
        # Declared so that a quadruped setting handed to the exoskeleton is refused, not
        # silently ignored: the wearer starts on the reference motion of `task`.
        initial_pose = self.declare_parameter("initial_pose", "").value
        if initial_pose:
            raise ValueError(
                f"initial_pose '{initial_pose}' is the quadruped's; the exoskeleton's wearer "
                "starts on the reference motion of `task`: leave initial_pose unset"
            )
        wearer_rate = self.declare_parameter("wearer_state_rate_hz", 50.0).value
        if gui:
            self.get_logger().warning("gui: the exoskeleton's world has no window; headless")
        sim = ExoskeletonSim(
            self,
            self.profile,
            task,
            rate,
            friction,
            wearer_every=max(1, round(rate / wearer_rate)),
            log_error=self.get_logger().error,
        )
        self.get_logger().info(
            f"simulating '{self.profile.name}' worn by the wearer doing '{task}' at "
            f"{rate:.0f} Hz, real-time factor {self.real_time_factor}"
        )
        return sim

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
        if not self.robot.command(command):
            return  # refused: the robot logged why and applies zero torque
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
            self.robot.zero_torque()
            self.get_logger().warning(
                f"no effort command for {self.effort_timeout * 1e3:.0f} ms: applying zero torque"
            )
        self.robot.step()
        stamp = _sim_stamp(self.robot.time)
        self.published_at[ros_io.stamp_key(stamp)] = time.perf_counter()
        if len(self.published_at) > 256:  # commands older than that are not measured
            del self.published_at[next(iter(self.published_at))]
        self.robot.publish(stamp)
        # The clock goes last: a node that sees time advance has the matching state queued.
        self.clock_pub.publish(ClockMsg(clock=stamp))

    def diagnostics(self):
        values = {"sim_time_s": self.robot.time, **self.loop.summary()}
        values.update(self.latency.summary("state_to_effort"))
        if self.effort_timed_out:
            return WARN, "no effort commands: zero torque", values
        return OK, "applying effort commands", values

    def destroy_node(self) -> None:
        self.robot.close()
        super().destroy_node()


def _sim_stamp(t: float) -> Time:
    ns = round(t * 1e9)
    return Time(sec=ns // 1_000_000_000, nanosec=ns % 1_000_000_000)


def main(args=None) -> None:
    run_node(SimBridge, args)


if __name__ == "__main__":
    main()
