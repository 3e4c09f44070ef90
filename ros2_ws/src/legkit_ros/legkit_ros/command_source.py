"""Scripted velocity command on /cmd_vel, for demos and evaluation.

The profile is a list of segments: from `times[i]` seconds the command is (`vx[i]`,
`vy[i]`, `yaw_rate[i]`). Times count from the node's first tick, or with
`from_clock_zero` from time zero of the clock (in simulation: the simulation's start,
so a scripted evaluation lines up with the recorded sim time). As soon as any
other node publishes on /cmd_vel (teleop, `ros2 topic pub`, a planner) this source
falls silent, so an outside publisher takes over without a mux.
"""

from __future__ import annotations

import bisect

from geometry_msgs.msg import Twist
from rclpy.node import Node

from legkit_ros import topics
from legkit_ros.ros_io import OK, WARN, DiagnosticsPublisher
from legkit_ros.spin import StartupError, run_node


class CommandSource(Node):
    NODE_NAME = "command_source"

    def __init__(self, **kwargs) -> None:
        super().__init__(self.NODE_NAME, **kwargs)
        self.times = list(self.declare_parameter("times", [0.0]).value)
        self.vx = list(self.declare_parameter("vx", [0.0]).value)
        self.vy = list(self.declare_parameter("vy", [0.0]).value)
        self.yaw_rate = list(self.declare_parameter("yaw_rate", [0.0]).value)
        rate = self.declare_parameter("rate_hz", 20.0).value
        self.from_clock_zero = bool(self.declare_parameter("from_clock_zero", False).value)
        lengths = {len(self.times), len(self.vx), len(self.vy), len(self.yaw_rate)}
        if len(lengths) != 1:
            raise StartupError(
                f"command profile: times, vx, vy, yaw_rate must have equal lengths, got "
                f"{len(self.times)}, {len(self.vx)}, {len(self.vy)}, {len(self.yaw_rate)}"
            )
        if self.times != sorted(self.times):
            raise StartupError(f"command profile: times must be increasing, got {self.times}")
        self.pub = self.create_publisher(Twist, topics.CMD_VEL, topics.EVENT_QOS)
        self.start: float | None = None
        self.yielded = False
        self.create_timer(1.0 / rate, self.tick)
        self.diagnostics_pub = DiagnosticsPublisher(self, self.diagnostics)

    def command_at(self, t: float) -> tuple[float, float, float]:
        """The command active `t` seconds into the profile (zero before the first segment)."""
        i = bisect.bisect_right(self.times, t) - 1
        if i < 0:
            return 0.0, 0.0, 0.0
        return self.vx[i], self.vy[i], self.yaw_rate[i]

    def tick(self) -> None:
        now = self.get_clock().now().nanoseconds * 1e-9
        if self.start is None:
            self.start = 0.0 if self.from_clock_zero else now
        if self.count_publishers(topics.CMD_VEL) > 1:
            if not self.yielded:
                self.yielded = True
                self.get_logger().info(
                    "another /cmd_vel publisher appeared: scripted profile paused"
                )
            return
        if self.yielded:
            self.yielded = False
            self.get_logger().info("/cmd_vel free again: scripted profile resumed")
        msg = Twist()
        msg.linear.x, msg.linear.y, msg.angular.z = self.command_at(now - self.start)
        self.pub.publish(msg)

    def diagnostics(self):
        if self.yielded:
            return WARN, "paused: another /cmd_vel publisher is active", {}
        return OK, "publishing scripted profile", {}


def main(args=None) -> None:
    run_node(CommandSource, args)


if __name__ == "__main__":
    main()
