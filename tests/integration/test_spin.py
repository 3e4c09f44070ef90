"""Spinning until a stop signal (the rehearsal's loop): Ctrl-C or SIGTERM ends the spin
as a return, never as an exception raised inside a callback or rclpy's message
conversion, and a second signal during clean-up changes nothing."""

from __future__ import annotations

import os
import signal

import pytest
from rclpy.node import Node
from std_msgs.msg import String

from legkit_ros.spin import STOP_SIGNALS, make_executor, spin_until_stopped

pytestmark = pytest.mark.integration


@pytest.fixture
def restore_signal_handlers():
    saved = {s: signal.getsignal(s) for s in STOP_SIGNALS}
    yield
    for signum, handler in saved.items():
        signal.signal(signum, handler)


class Talker(Node):
    """Publishes to itself and sends `signum` to its own process after `after` messages."""

    def __init__(self, signum: int, after: int) -> None:
        super().__init__("spin_talker")
        self.signum, self.after = signum, after
        self.received = 0
        self.pub = self.create_publisher(String, "/spin_test", 10)
        self.create_subscription(String, "/spin_test", self.on_msg, 10)
        self.create_timer(0.001, lambda: self.pub.publish(String(data="x" * 4096)))

    def on_msg(self, msg: String) -> None:
        self.received += 1
        if self.received == self.after:
            os.kill(os.getpid(), self.signum)


@pytest.mark.parametrize("signum", STOP_SIGNALS, ids=lambda s: signal.Signals(s).name)
def test_a_stop_signal_ends_the_spin_without_an_exception(signum, restore_signal_handlers):
    node = Talker(signum, after=20)
    executor = make_executor()
    executor.add_node(node)
    try:
        spin_until_stopped(executor)  # returns; a KeyboardInterrupt would fail the test
        assert node.received >= 20
        os.kill(os.getpid(), signal.SIGINT)  # pressed again while cleaning up: ignored
        executor.spin_once(timeout_sec=0.05)
    finally:
        executor.shutdown()
        node.destroy_node()
