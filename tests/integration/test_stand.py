"""The whole graph, one process per node over DDS: the quadruped stands up and holds its height.

Sim bridge, controller, observation, policy (the shipped standing policy) and command
source run as separate processes; the test watches only public topics. All times are
sim time, so a slow CI machine stretches the run but not the verdict.
"""

from __future__ import annotations

import time

import numpy as np
import pytest
from nav_msgs.msg import Odometry
from std_msgs.msg import Float32MultiArray, String

from legkit.paths import resolve_model
from legkit.robots import QUADRUPED
from legkit.rotations import tilt
from legkit_ros import ros_io, topics
from legkit_ros.bringup import config_file, node_overrides, ros_args, write_overrides
from legkit_ros.processes import NODE_MODULES, start_in_order, stop_all
from tests.integration.harness import Probe, wait_until

pytestmark = pytest.mark.integration

HOLD_S = 10.0
REAL_TIME_FACTOR = 0.5
SETTLE_S = 0.5


class Watcher(Probe):
    def __init__(self) -> None:
        super().__init__("stand_watcher")
        self.sim_time = 0.0
        self.odom: list[tuple[float, float, float, str]] = []  # t, height, tilt, mode then
        self.obs_times: list[float] = []
        self.modes: list[tuple[float, str]] = []
        self.create_subscription(Odometry, topics.ODOM, self.on_odom, topics.RECORD_QOS)
        self.create_subscription(
            Float32MultiArray, topics.OBSERVATION, self.on_obs, topics.RECORD_QOS
        )
        self.create_subscription(String, topics.CONTROLLER_STATE, self.on_mode, topics.LATCHED_QOS)

    def on_odom(self, msg: Odometry) -> None:
        self.sim_time = ros_io.stamp_to_sec(msg.header.stamp)
        q = msg.pose.pose.orientation
        mode = self.modes[-1][1] if self.modes else "UNKNOWN"
        self.odom.append(
            (self.sim_time, msg.pose.pose.position.z, tilt(np.array([q.x, q.y, q.z, q.w])), mode)
        )

    def on_obs(self, msg: Float32MultiArray) -> None:
        self.obs_times.append(self.sim_time)

    def on_mode(self, msg: String) -> None:
        self.modes.append((self.sim_time, msg.data))

    def active_since(self) -> float | None:
        """Sim time of the first odometry sample seen in ACTIVE.

        Measured on odometry, not on the mode message: the watcher may discover the
        sim bridge a little after the controller has already reached ACTIVE.
        """
        for t, _, _, mode in self.odom:
            if mode == "ACTIVE":
                return t
        return None


@pytest.fixture(scope="module")
def standing_run(tmp_path_factory):
    log_dir = tmp_path_factory.mktemp("stand")
    watcher = Watcher().start()
    # Half real time: CI's two cores also run pytest; the verdict is in sim time anyway.
    overrides = node_overrides(resolve_model("quadruped_stand.onnx"), REAL_TIME_FACTOR, [])
    args = ros_args([config_file("quadruped")], write_overrides(log_dir / "params.yaml", overrides))
    nodes = start_in_order(list(NODE_MODULES), log_dir, args, watcher, lambda: time.sleep(0.05))
    try:
        wait_until(lambda: watcher.active_since() is not None, 120.0, "controller ACTIVE")
        end = watcher.active_since() + SETTLE_S + HOLD_S
        wait_until(lambda: watcher.sim_time >= end, 240.0, f"{HOLD_S:.0f} s of standing")
        yield watcher, nodes
    finally:
        stop_all(nodes)
        watcher.close()


def test_robot_stands_up_through_standup_then_active(standing_run):
    watcher, _ = standing_run
    modes = [m for _, m in watcher.modes]
    assert "STANDUP" in modes and modes.index("STANDUP") < modes.index("ACTIVE")
    assert modes[-1] == "ACTIVE", f"left ACTIVE: {watcher.modes}"


def test_robot_holds_base_height_for_ten_seconds(standing_run):
    watcher, _ = standing_run
    start = watcher.active_since() + SETTLE_S
    hold = np.array([(h, a) for t, h, a, _ in watcher.odom if start <= t <= start + HOLD_S])
    assert len(hold) >= 0.9 * HOLD_S * 50  # /odom at 50 Hz
    heights, tilts = hold[:, 0], hold[:, 1]
    assert np.all(np.abs(heights - QUADRUPED.nominal_base_height) < 0.03), (
        f"height range {heights.min():.3f}..{heights.max():.3f} m"
    )
    assert heights.std() < 0.005
    assert tilts.max() < 0.1


def test_observation_arrives_at_50_hz(standing_run):
    watcher, _ = standing_run
    start = watcher.active_since() + SETTLE_S
    in_window = [t for t in watcher.obs_times if start <= t < start + HOLD_S]
    rate = len(in_window) / HOLD_S
    assert rate == pytest.approx(50.0, abs=1.5)
