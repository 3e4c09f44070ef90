"""Gamepad teleop: /joy (sensor_msgs/Joy) -> /cmd_vel, e-stop, stand-up, sit.

Nothing moves unless the pad profile's deadman button is held; releasing it, or the
pad falling silent for `joy_timeout` (unplugged, reader stopped), sends one zero
/cmd_vel and then nothing. Other buttons: e-stop (/estop), sit (/controller/damp),
and, with the deadman held, stand-up (/controller/start) and e-stop reset
(/controller/reset). Shaping and button rules: legkit.teleop.JoyTeleop.

Parameters: `pad` (a profile name in config/pads/, or a YAML path), `rate_hz`, and
`scale`, `limit`, `accel` as [linear_x, linear_y, angular_z] lists, `joy_timeout`.
Runs on the steady clock: a human at a pad lives in wall time, even in simulation.
"""

from __future__ import annotations

import time

from rclpy.clock import Clock, ClockType
from rclpy.node import Node
from sensor_msgs.msg import Joy

from legkit.teleop import JoyTeleop, PadProfileError, find_pad_profile
from legkit_ros import topics
from legkit_ros.ros_io import ERROR, OK, WARN, DiagnosticsPublisher
from legkit_ros.spin import StartupError, run_node
from legkit_ros.teleop_io import TeleopOutputs, declare_teleop_config, pads_dir


class TeleopNode(Node):
    NODE_NAME = "teleop"

    def __init__(self, **kwargs) -> None:
        super().__init__(self.NODE_NAME, **kwargs)
        pad_name = self.declare_parameter("pad", "xbox").value
        rate = self.declare_parameter("rate_hz", 20.0).value
        config = declare_teleop_config(self, [0.6, 0.3, 1.0])
        try:
            pad = find_pad_profile(pad_name, pads_dir())
        except PadProfileError as err:
            raise StartupError(str(err)) from err
        self.teleop = JoyTeleop(pad, config)
        self.outputs = TeleopOutputs(self)
        self.fault = None
        self.create_subscription(Joy, topics.JOY, self.on_joy, topics.EVENT_QOS)
        self.create_timer(1.0 / rate, self.tick, clock=Clock(clock_type=ClockType.STEADY_TIME))
        self.diagnostics_pub = DiagnosticsPublisher(self, self.diagnostics)
        self.get_logger().info(
            f"pad '{pad.name}': hold button {pad.buttons['deadman']} to drive ({pad.description})"
        )

    def on_joy(self, msg: Joy) -> None:
        actions = self.teleop.on_joy(time.monotonic(), msg.axes, msg.buttons)
        if self.teleop.fault != self.fault:
            self.fault = self.teleop.fault
            if self.fault:
                self.get_logger().error(f"/joy refused, not driving: {self.fault}")
        if actions or self.teleop.ignored:  # buttons act now, not at the next tick
            self.outputs.step(self.teleop, time.monotonic(), actions)

    def tick(self) -> None:
        self.outputs.step(self.teleop, time.monotonic(), [])

    def diagnostics(self):
        now = time.monotonic()
        level = ERROR if self.fault else OK if self.teleop.pad_alive(now) else WARN
        return level, self.teleop.status(now), {"published": float(self.outputs.published)}


def main(args=None) -> None:
    run_node(TeleopNode, args)


if __name__ == "__main__":
    main()
