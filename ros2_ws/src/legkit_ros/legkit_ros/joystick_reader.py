"""Joystick reader: a Linux gamepad (evdev) -> /joy (sensor_msgs/Joy), for machines
without ROS's `joy` package.

Publishes the same axis/button layout and sign convention as `joy_linux`
(legkit.teleop.evdev_joy), so the pad profiles serve both. A sample goes out on
every change and, while the pad is unchanged, again at `autorepeat_rate_hz`, so the
teleop can tell a still pad from a lost one. Unplugged: nothing is published (the
teleop stops on its timeout) and the reader reopens the pad when it is back.

Parameters: `device` (/dev/input/eventN; empty = the first gamepad found),
`poll_rate_hz`, `autorepeat_rate_hz`, `reconnect_period`, `frame_id`.
"""

from __future__ import annotations

import importlib.util
import time

from rclpy.clock import Clock, ClockType
from rclpy.node import Node
from sensor_msgs.msg import Joy

from legkit.teleop.gamepad_reader import GamepadReader, JoySample
from legkit_ros import topics
from legkit_ros.ros_io import OK, WARN, DiagnosticsPublisher
from legkit_ros.spin import StartupError, run_node


class JoystickReader(Node):
    NODE_NAME = "joystick_reader"

    def __init__(self, **kwargs) -> None:
        super().__init__(self.NODE_NAME, **kwargs)
        device = self.declare_parameter("device", "").value
        poll_rate = self.declare_parameter("poll_rate_hz", 100.0).value
        self.autorepeat = self.declare_parameter("autorepeat_rate_hz", 20.0).value
        reconnect = self.declare_parameter("reconnect_period", 1.0).value
        self.frame_id = self.declare_parameter("frame_id", "joy").value
        if importlib.util.find_spec("evdev") is None:
            raise StartupError(
                "the Python package 'evdev' is not installed (pip install evdev; it builds "
                "against the Linux input headers), or use ROS's joy package instead"
            )
        log = self.get_logger()
        self.reader = GamepadReader(device, reconnect, info=log.info, warn=log.warning)
        self.pub = self.create_publisher(Joy, topics.JOY, topics.EVENT_QOS)
        self.latest: JoySample | None = None
        self.last_publish = 0.0
        self.published = 0
        steady = Clock(clock_type=ClockType.STEADY_TIME)
        self.create_timer(1.0 / poll_rate, self.tick, clock=steady)
        self.diagnostics_pub = DiagnosticsPublisher(self, self.diagnostics)

    def tick(self) -> None:
        now = time.monotonic()
        sample = self.reader.poll(now)
        if not self.reader.connected:
            self.latest = None
            return
        if sample is not None and sample != self.latest:
            self.latest = sample
        elif self.latest is None or self.autorepeat <= 0.0:
            return
        elif now - self.last_publish < 1.0 / self.autorepeat:
            return
        self.publish(self.latest, now)

    def publish(self, sample: JoySample, now: float) -> None:
        msg = Joy(axes=list(sample.axes), buttons=list(sample.buttons))
        msg.header.stamp = self.get_clock().now().to_msg()
        msg.header.frame_id = self.frame_id
        self.pub.publish(msg)
        self.last_publish = now
        self.published += 1

    def diagnostics(self):
        values = {"published": float(self.published)}
        if not self.reader.connected:
            return WARN, "no gamepad: not publishing", values
        return OK, f"reading {self.reader.device.path}", values

    def destroy_node(self) -> None:
        self.reader.close()
        super().destroy_node()


def main(args=None) -> None:
    run_node(JoystickReader, args)


if __name__ == "__main__":
    main()
