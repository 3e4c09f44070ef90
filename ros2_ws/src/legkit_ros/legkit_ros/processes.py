"""Running the graph as one process per node, in a safe start order.

The robot (sim or hardware bridge) starts last: its states should meet a controller
that is already listening, and the controller should stand the robot up while the
other processes are idle, not while they import onnxruntime and discover each
other. On two cores that start-up burst is enough to lose sensor messages.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from rclpy.node import Node

NODE_MODULES = {
    "sim_bridge": "legkit_ros.sim_bridge",
    "controller": "legkit_ros.controller_node",
    "observation": "legkit_ros.observation_node",
    "policy": "legkit_ros.policy_node",
    "command_source": "legkit_ros.command_source",
}
"""Node name -> module run with `python -m`."""

ASSISTANCE_MODULES = {
    "sim_bridge": "legkit_ros.sim_bridge",
    "controller": "legkit_ros.assistance_controller",
    "observation": "legkit_ros.observation_node",
    "policy": "legkit_ros.policy_node",
}
"""The graph of a torque-actuated robot (the exoskeleton): its controller shapes the
policy's assistance torque (legkit.control.AssistanceShaper) and nobody commands a
velocity, the wearer walks on their own."""


def graph_modules(actuation: str) -> dict[str, str]:
    """Node name -> module of the graph for a robot profile's `actuation`."""
    return ASSISTANCE_MODULES if actuation == "torque" else NODE_MODULES


ROBOT_MODULES = {
    "sim_bridge": "legkit_ros.sim_bridge",
    "rehearsal": "legkit_ros.rehearsal",
}
"""The processes that can play the robot: the pybullet sim bridge, or the rehearsal
(hardware bridge + emulated CAN motors + pybullet, one process)."""

START_ORDER = ("policy", "observation", "command_source", "controller", "sim_bridge", "rehearsal")

NICE = {"controller": -10, "sim_bridge": -10, "rehearsal": -10}
"""Scheduling priority of the hard-timed loops. With more runnable processes than
cores, the fair scheduler can leave a control loop waiting tens of milliseconds;
a higher priority lets the PD loop and the robot run first (a robot would use
real-time priorities for the same reason). Applied only where the user may raise
priorities (root or CAP_SYS_NICE); elsewhere the processes keep the default."""


class NodeProcess:
    """One node in its own process, its output in `<log_dir>/<name>.log`.

    `module` runs a node that is not in NODE_MODULES (e.g. the teleop).
    """

    def __init__(
        self, name: str, log_dir: Path, ros_args: list[str], module: str | None = None
    ) -> None:
        self.name = name
        self.log_path = log_dir / f"{name}.log"
        env = dict(os.environ, PYTHONUNBUFFERED="1", RCUTILS_COLORIZED_OUTPUT="0")
        self._log = open(self.log_path, "w")
        module = module or NODE_MODULES.get(name) or ROBOT_MODULES[name]
        self.proc = subprocess.Popen(
            [sys.executable, "-m", module, *ros_args],
            stdout=self._log,
            stderr=subprocess.STDOUT,
            env=env,
        )
        if name in NICE:
            try:
                os.setpriority(os.PRIO_PROCESS, self.proc.pid, NICE[name])
            except PermissionError:
                pass

    @property
    def returncode(self) -> int | None:
        return self.proc.poll()

    def log(self) -> str:
        return self.log_path.read_text()

    def log_lines(self, containing: str) -> list[str]:
        return [line for line in self.log().splitlines() if containing in line]

    def wait_exit(self, timeout: float) -> int:
        return self.proc.wait(timeout=timeout)

    def stop(self, timeout: float = 5.0) -> None:
        """Ctrl-C (a clean rclpy shutdown), then kill if it does not exit in time."""
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGINT)
            try:
                self.proc.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self._log.close()


def cpu_seconds(pid: int) -> float | None:
    """User + system CPU time a process has used [s] (Linux /proc); None elsewhere."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return None
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


class CpuMeter:
    """CPU % of a set of processes over a window (100 % = one core)."""

    def __init__(self, pids: dict[str, int]) -> None:
        self._pids = pids
        self._start = {name: cpu_seconds(pid) for name, pid in pids.items()}
        self._t0 = time.monotonic()

    def percent(self) -> dict[str, float]:
        elapsed = time.monotonic() - self._t0
        out = {}
        for name, pid in self._pids.items():
            now, start = cpu_seconds(pid), self._start[name]
            if now is not None and start is not None and elapsed > 0:
                out[name] = 100.0 * (now - start) / elapsed
        return out


def start_in_order(
    names: list[str],
    log_dir: Path,
    ros_args: list[str],
    watcher: Node,
    spin,
    timeout: float = 60.0,
    modules: dict[str, str] | None = None,
) -> dict[str, NodeProcess]:
    """Start `names` in START_ORDER, each once the previous one has joined the graph.

    `modules` maps a name to the module to run where it is not the default's
    (`graph_modules` of the robot).

    `spin()` lets `watcher` process discovery. A node that exits during start-up, or
    does not appear within `timeout`, raises RuntimeError naming it and its last log line.
    """
    started: dict[str, NodeProcess] = {}
    try:
        for name in sorted(names, key=START_ORDER.index):
            module = (modules or {}).get(name)
            started[name] = NodeProcess(name, log_dir, ros_args, module=module)
            end = time.monotonic() + timeout
            while name not in watcher.get_node_names():
                spin()
                proc = started[name]
                if proc.returncode is not None or time.monotonic() > end:
                    lines = proc.log().strip().splitlines()
                    why = (
                        f"exited with code {proc.returncode}"
                        if proc.returncode is not None
                        else f"did not start within {timeout:.0f} s"
                    )
                    raise RuntimeError(f"node '{name}' {why}: {lines[-1] if lines else ''}")
    except BaseException:
        stop_all(started)
        raise
    return started


def stop_all(processes: dict[str, NodeProcess]) -> None:
    """Ctrl-C every node, the robot first so nothing drives it while the rest stop."""
    for name in sorted(processes, key=START_ORDER.index, reverse=True):
        processes[name].stop()
