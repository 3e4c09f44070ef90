"""The teleop node as a process: /joy in, /cmd_vel, /estop and controller service calls out."""

from __future__ import annotations

import os
import pty
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
from geometry_msgs.msg import Twist
from rclpy.clock import Clock, ClockType
from sensor_msgs.msg import Joy
from std_msgs.msg import Bool
from std_srvs.srv import Trigger

from legkit_ros import topics
from legkit_ros.bringup import write_overrides
from legkit_ros.processes import NodeProcess
from tests.integration.harness import Probe, wait_until

pytestmark = pytest.mark.integration

CONFIG = Path(__file__).resolve().parents[2] / "ros2_ws" / "src" / "legkit_ros" / "config"
LB, B, BACK, START = 4, 1, 6, 7  # xbox: deadman, e-stop, sit, stand
LEFT_Y = 1


def xbox(held: tuple[int, ...] = (), forward: float = 0.0) -> Joy:
    axes = [0.0, forward, 1.0, 0.0, 0.0, 1.0, 0.0, 0.0]
    return Joy(axes=axes, buttons=[1 if i in held else 0 for i in range(11)])


class Operator(Probe):
    """Plays a pad at 20 Hz (None: the pad is silent) and stands in for the controller."""

    def __init__(self, name: str = "operator", hears_estop: bool = True) -> None:
        super().__init__(name)
        self.pad: Joy | None = None
        self.cmd: list[tuple[float, float]] = []  # (arrival, vx)
        self.estops: list[tuple[float, bool]] = []  # (arrival, data)
        self.calls: list[str] = []
        self.joy_pub = self.create_publisher(Joy, topics.JOY, topics.EVENT_QOS)
        self.cmd_sub = self.create_subscription(
            Twist, topics.CMD_VEL, self.on_cmd, topics.EVENT_QOS
        )
        self.estop_sub = self.listen_estop() if hears_estop else None
        for name in (topics.SRV_START, topics.SRV_DAMP):
            self.create_service(Trigger, name, lambda req, res, n=name: self.answer(n, res))
        self.create_timer(0.05, self.play, clock=Clock(clock_type=ClockType.STEADY_TIME))

    def listen_estop(self):
        def on_estop(msg: Bool) -> None:
            with self.lock:
                self.estops.append((time.monotonic(), msg.data))

        return self.create_subscription(Bool, topics.ESTOP, on_estop, topics.EVENT_QOS)

    def estops_since(self, t: float) -> list[bool]:
        with self.lock:
            return [data for arrival, data in self.estops if arrival >= t]

    def play(self) -> None:
        if self.pad is not None:
            self.joy_pub.publish(self.pad)

    def on_cmd(self, msg: Twist) -> None:
        with self.lock:
            self.cmd.append((time.monotonic(), msg.linear.x))

    def answer(self, name: str, response):
        self.calls.append(name)
        response.success, response.message = True, "ok"
        return response

    def vx_since(self, t: float) -> list[float]:
        with self.lock:
            return [vx for arrival, vx in self.cmd if arrival >= t]


def start_teleop(log_dir: Path, **params) -> NodeProcess:
    overrides = write_overrides(log_dir / "teleop.params.yaml", {"teleop": params})
    args = ["--ros-args", "--params-file", str(CONFIG / "teleop.yaml")]
    args += ["--params-file", str(overrides)]
    return NodeProcess("teleop", log_dir, args, module="legkit_ros.teleop_node")


@pytest.fixture
def operator():
    probe = Operator().start()
    yield probe
    probe.close()


@pytest.fixture
def teleop(tmp_path, operator):
    node = start_teleop(tmp_path, pad="xbox")
    wait_until(lambda: operator.count_subscribers(topics.JOY) > 0, 30.0, "the teleop's /joy")
    # The e-stop is one message on the button's press: it reaches only a subscriber already
    # matched with the teleop's publisher (discovery can take seconds on a loaded machine).
    wait_until(
        lambda: (
            operator.estop_sub.get_publisher_count() > 0
            and operator.cmd_sub.get_publisher_count() > 0
        ),
        30.0,
        "the teleop's /estop and /cmd_vel publishers",
    )
    wait_until(lambda: node.log_lines("waiting for the pad"), 10.0, "the teleop to be ready")
    yield node
    node.stop()


def test_drives_only_with_the_deadman_and_stops_when_the_pad_goes_silent(operator, teleop):
    operator.pad = xbox(forward=1.0)  # stick forward, deadman not held
    wait_until(lambda: teleop.log_lines("released: stopped"), 10.0, "the first pad sample")
    time.sleep(0.5)
    assert operator.vx_since(0.0) == [], "published without the deadman"

    start = time.monotonic()
    operator.pad = xbox(held=(LB,), forward=1.0)
    full_speed = 0.6  # the configured scale, at full deflection
    wait_until(
        lambda: max(operator.vx_since(start), default=0) >= full_speed - 1e-6, 10.0, "full speed"
    )
    driving = operator.vx_since(start)
    assert driving == sorted(driving), "the command ramps up, it does not jump"
    assert max(driving) == pytest.approx(full_speed)
    assert len(driving) > 5  # reached through a ramp (1 m/s^2), not in one step

    operator.pad = None  # unplugged
    lost = time.monotonic()
    wait_until(lambda: operator.vx_since(lost)[-1:] == [0.0], 10.0, "the zero command")
    wait_until(lambda: teleop.log_lines("pad silent"), 10.0, "the lost-pad warning")
    n = len(operator.cmd)
    time.sleep(0.5)
    assert len(operator.cmd) == n, "kept publishing after the pad was lost"


def test_buttons_estop_stand_and_sit(operator, teleop):
    operator.pad = xbox()
    wait_until(lambda: teleop.log_lines("released: stopped"), 10.0, "the first pad sample")
    operator.pad = xbox(held=(B,))
    wait_until(lambda: operator.estops_since(0.0)[:1] == [True], 10.0, "the e-stop on /estop")
    (pressed,) = teleop.log_lines("E-STOP pressed")
    assert f"published on {topics.ESTOP} (1 subscriber(s))" in pressed
    # Held, the button sends the e-stop again at the tick rate (20 Hz)...
    held = time.monotonic()
    wait_until(lambda: len(operator.estops_since(held)) >= 5, 10.0, "the e-stop repeated")
    assert set(operator.estops_since(0.0)) == {True}
    # ...and released, it stops sending.
    operator.pad = xbox()
    wait_until(lambda: teleop.log_lines("released: stopped"), 10.0, "the released pad")
    time.sleep(0.5)  # the last repeats in flight arrive
    released = time.monotonic()
    time.sleep(0.5)
    assert operator.estops_since(released) == []

    operator.pad = xbox(held=(LB,))
    wait_until(lambda: teleop.log_lines("teleop: driving"), 10.0, "the deadman")
    operator.pad = xbox(held=(LB, START))
    wait_until(lambda: teleop.log_lines("stand: done"), 10.0, "the stand-up call answered")
    operator.pad = xbox(held=(BACK,))
    wait_until(lambda: teleop.log_lines("sit: done"), 10.0, "the sit call answered")
    assert operator.calls == [topics.SRV_START, topics.SRV_DAMP]


def test_an_estop_no_controller_hears_is_logged_and_reaches_one_that_appears_while_held(
    tmp_path,
):
    pad = Operator("pad_only", hears_estop=False).start()
    node = start_teleop(tmp_path, pad="xbox")
    try:
        wait_until(lambda: pad.count_subscribers(topics.JOY) > 0, 30.0, "the teleop's /joy")
        wait_until(lambda: node.log_lines("waiting for the pad"), 10.0, "the teleop to be ready")
        pad.pad = xbox()
        wait_until(lambda: node.log_lines("released: stopped"), 10.0, "the first pad sample")
        pad.pad = xbox(held=(B,))
        wait_until(lambda: node.log_lines("E-STOP pressed"), 10.0, "the press")
        (pressed,) = node.log_lines("E-STOP pressed")
        assert f"nothing subscribes to {topics.ESTOP}: no controller got it" in pressed

        # A controller that comes up while the button is still held gets the e-stop.
        pad.listen_estop()
        wait_until(lambda: pad.estops_since(0.0)[:1] == [True], 30.0, "the repeated e-stop")
        wait_until(lambda: node.log_lines("now reaches a subscriber"), 10.0, "the teleop's note")
    finally:
        node.stop()
        pad.close()


def test_an_unknown_pad_profile_is_refused_at_start_naming_the_known_ones(tmp_path):
    node = start_teleop(tmp_path, pad="steam_deck")
    assert node.wait_exit(timeout=60) == 1
    (line,) = node.log_lines("refusing to start")
    assert "unknown pad profile 'steam_deck'" in line
    assert "logitech_f710, playstation, xbox" in line


def test_the_joystick_reader_without_a_pad_publishes_nothing_and_keeps_trying(tmp_path):
    received = threading.Event()
    probe = Probe("joy_listener").start()
    probe.create_subscription(Joy, topics.JOY, lambda m: received.set(), topics.EVENT_QOS)
    overrides = write_overrides(
        tmp_path / "reader.params.yaml", {"joystick_reader": {"device": "/dev/input/nothing"}}
    )
    reader = NodeProcess(
        "joystick_reader",
        tmp_path,
        ["--ros-args", "--params-file", str(overrides)],
        module="legkit_ros.joystick_reader",
    )
    try:
        wait_until(
            lambda: reader.log_lines("cannot open gamepad /dev/input/nothing"),
            30.0,
            "the reader's complaint",
        )
        time.sleep(1.5)  # a retry or two
        assert reader.returncode is None and not received.is_set()
        assert len(reader.log_lines("cannot open gamepad")) == 1  # said once, not per retry
    finally:
        reader.stop()
        probe.close()


def test_keyboard_teleop_drives_from_a_terminal_and_stops_when_keys_stop(tmp_path, operator):
    terminal, tty_end = pty.openpty()
    args = ["--ros-args", "--params-file", str(CONFIG / "teleop.yaml")]
    log = open(tmp_path / "keyboard.log", "w")
    proc = subprocess.Popen(
        [sys.executable, "-m", "legkit_ros.keyboard_teleop", *args],
        stdin=tty_end,
        stdout=log,
        stderr=subprocess.STDOUT,
        env=dict(os.environ, PYTHONUNBUFFERED="1"),
    )
    try:
        wait_until(lambda: operator.count_publishers(topics.CMD_VEL) > 0, 30.0, "the node")
        start = time.monotonic()

        def hold_w() -> bool:  # a held key: auto-repeat, ~30 per second
            os.write(terminal, b"w")
            time.sleep(0.03)
            return max(operator.vx_since(start), default=0.0) >= 0.3 - 1e-6

        wait_until(hold_w, 20.0, "the keyboard's full speed (scale 0.3 m/s)")
        released = time.monotonic()
        wait_until(lambda: operator.vx_since(released)[-1:] == [0.0], 10.0, "the stop")
        os.write(terminal, b" ")
        wait_until(
            lambda: operator.estops_since(0.0)[:1] == [True], 10.0, "the e-stop from the space bar"
        )
    finally:
        proc.send_signal(signal.SIGINT)
        proc.wait(timeout=10)
        log.close()
        os.close(terminal)
        os.close(tty_end)


def test_keyboard_teleop_without_a_terminal_says_how_to_run_it():
    result = subprocess.run(
        [sys.executable, "-m", "legkit_ros.keyboard_teleop"],
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 1
    assert "run it in its own shell" in result.stdout + result.stderr
