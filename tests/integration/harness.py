"""Test harness: real node processes over real DDS, and a probe node in the test process.

`NodeProcess` starts one legkit node as `python -m <module> --ros-args ...` with its
log captured. `Probe` is an rclpy node spun in a background thread that the test
uses to publish inputs and record outputs, with `wait_until` to poll a condition.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path

import rclpy
from rclpy.executors import SingleThreadedExecutor
from rclpy.node import Node

from legkit_ros.bringup import NODE_MODULES, config_file, ros_args, write_overrides


class NodeProcess:
    """One node in its own process; `stop()` sends Ctrl-C like an operator would."""

    def __init__(self, name: str, log_dir: Path, params: dict[str, object] | None = None,
                 robot: str = "quadruped") -> None:
        self.name = name
        self.log_path = log_dir / f"{name}.log"
        overrides = write_overrides(log_dir / f"{name}.params.yaml", {name: params or {}})
        args = ros_args(config_file(robot), overrides)
        env = dict(os.environ, PYTHONUNBUFFERED="1", RCUTILS_COLORIZED_OUTPUT="0")
        self._log = open(self.log_path, "w")
        self.proc = subprocess.Popen(
            [sys.executable, "-m", NODE_MODULES[name], *args],
            stdout=self._log, stderr=subprocess.STDOUT, env=env,
        )

    def log(self) -> str:
        return self.log_path.read_text()

    def log_lines(self, containing: str) -> list[str]:
        return [line for line in self.log().splitlines() if containing in line]

    def wait_exit(self, timeout: float) -> int:
        return self.proc.wait(timeout=timeout)

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGINT)
            try:
                self.proc.wait(timeout=5)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self._log.close()


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
