"""Test harness: real node processes over real DDS, and a probe node in the test process.

`node_process` starts one legkit node (the bringup's NodeProcess) with test
parameters. `Probe` is an rclpy node spun in a background thread that the test uses
to publish inputs and record outputs, with `wait_until` to poll a condition.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from pathlib import Path

import rclpy
from rclpy.executors import SingleThreadedExecutor
from rclpy.node import Node

from legkit_ros.bringup import config_file, ros_args, write_overrides
from legkit_ros.processes import NodeProcess


def node_process(
    name: str, log_dir: Path, params: dict[str, object] | None = None, robot: str = "quadruped"
) -> NodeProcess:
    """Start one node with the robot's YAML plus node-specific `params`."""
    overrides = write_overrides(log_dir / f"{name}.params.yaml", {name: params or {}})
    return NodeProcess(name, log_dir, ros_args([config_file(robot)], overrides))


class Probe(Node):
    """The test's own node: publishes what the test injects, records what the graph says."""

    def __init__(self, name: str = "test_probe") -> None:
        super().__init__(name)
        self._executor = SingleThreadedExecutor()
        self._executor.add_node(self)
        self._thread = threading.Thread(target=self._spin, daemon=True)
        self._running = True
        self.lock = threading.Lock()

    def start(self) -> Probe:
        self._thread.start()
        return self

    def _spin(self) -> None:
        while self._running and rclpy.ok():
            self._executor.spin_once(timeout_sec=0.01)

    def close(self) -> None:
        self._running = False
        self._thread.join(timeout=2)
        self._executor.remove_node(self)
        self.destroy_node()


def wait_until(condition: Callable[[], bool], timeout: float, what: str) -> None:
    """Poll `condition` until true; fail the test naming `what` if it never becomes true."""
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if condition():
            return
        time.sleep(0.01)
    raise AssertionError(f"timed out after {timeout:.1f} s waiting for {what}")
