"""Keyboard teleop: drive from a terminal when there is no gamepad.

    ros2 run legkit_ros keyboard_teleop        # or: .venv/bin/keyboard_teleop

Keys (legkit.teleop.keyboard): w/s forward/back, a/d sideways, q/e turn, space
E-STOP, u stand up, x sit, r reset the e-stop, h help. A key counts as held for
`key_hold` seconds after its last auto-repeat; let go and the robot stops. The
samples go through the same JoyTeleop (shaping, acceleration limit, button rules)
and the same outputs as the gamepad teleop. It needs a terminal, so it is not in
a launch file: run it in its own shell.
"""

from __future__ import annotations

import os
import select
import sys
import termios
import time
import tty

from rclpy.clock import Clock, ClockType
from rclpy.node import Node

from legkit.teleop import JoyTeleop
from legkit.teleop.keyboard import HELP, KEYBOARD_PAD, KeyboardPad
from legkit_ros.ros_io import OK, DiagnosticsPublisher
from legkit_ros.spin import StartupError, run_node
from legkit_ros.teleop_io import TeleopOutputs, declare_teleop_config


class KeyboardTeleop(Node):
    NODE_NAME = "keyboard_teleop"

    def __init__(self, **kwargs) -> None:
        super().__init__(self.NODE_NAME, **kwargs)
        rate = self.declare_parameter("rate_hz", 20.0).value
        hold = self.declare_parameter("key_hold", 0.7).value
        # Gentler than a pad: a key is always full deflection.
        config = declare_teleop_config(self, [0.3, 0.2, 0.6])
        if not sys.stdin.isatty():
            raise StartupError(
                "keyboard_teleop reads keys from a terminal, and its standard input is not "
                "one: run it in its own shell (ros2 run legkit_ros keyboard_teleop)"
            )
        self.fd = sys.stdin.fileno()
        self.saved_tty = termios.tcgetattr(self.fd)
        tty.setcbreak(self.fd)  # keys arrive one by one, unechoed; Ctrl-C still stops
        self.keys = KeyboardPad(hold=hold)
        self.teleop = JoyTeleop(KEYBOARD_PAD, config)
        self.outputs = TeleopOutputs(self)
        self.create_timer(1.0 / rate, self.tick, clock=Clock(clock_type=ClockType.STEADY_TIME))
        self.diagnostics_pub = DiagnosticsPublisher(self, self.diagnostics)
        print(HELP, flush=True)

    def read_keys(self) -> str:
        if not select.select([self.fd], [], [], 0.0)[0]:
            return ""
        return os.read(self.fd, 64).decode(errors="ignore")

    def tick(self) -> None:
        now = time.monotonic()
        for key in self.read_keys():
            if not self.keys.press(key, now) and key in "hH?":
                print(HELP, flush=True)
        actions = self.teleop.on_joy(now, *self.keys.sample(now))
        self.outputs.step(self.teleop, now, actions)

    def diagnostics(self):
        status = self.teleop.status(time.monotonic())
        return OK, status, {"published": float(self.outputs.published)}

    def destroy_node(self) -> None:
        termios.tcsetattr(self.fd, termios.TCSADRAIN, self.saved_tty)
        super().destroy_node()


def main(args=None) -> None:
    run_node(KeyboardTeleop, args)


if __name__ == "__main__":
    main()
