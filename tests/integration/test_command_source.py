"""The scripted velocity command yields to any outside /cmd_vel publisher."""

from __future__ import annotations

import time

import pytest
from geometry_msgs.msg import Twist

from legkit_ros import topics
from tests.integration.harness import Probe, wait_until

pytestmark = pytest.mark.integration


def test_scripted_profile_pauses_while_an_outside_publisher_exists(launch):
    probe = Probe("teleop_stand_in").start()
    received: list[tuple[float, float]] = []  # (wall time, vx)
    probe.create_subscription(
        Twist,
        topics.CMD_VEL,
        lambda m: received.append((time.monotonic(), m.linear.x)),
        topics.EVENT_QOS,
    )
    source = launch("command_source", times=[0.0], vx=[0.3], vy=[0.0], yaw_rate=[0.0])
    try:
        wait_until(
            lambda: any(vx == pytest.approx(0.3) for _, vx in received),
            20.0,
            "the scripted command",
        )
        teleop = probe.create_publisher(Twist, topics.CMD_VEL, topics.EVENT_QOS)
        wait_until(lambda: source.log_lines("scripted profile paused"), 10.0, "the source to yield")
        paused_at = time.monotonic()
        time.sleep(0.5)
        assert not [vx for t, vx in received if t > paused_at + 0.1], "source kept publishing"

        probe.destroy_publisher(teleop)
        wait_until(
            lambda: source.log_lines("scripted profile resumed"), 10.0, "the source to resume"
        )
    finally:
        probe.close()
