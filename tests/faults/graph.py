"""The fault catalogue's rig: the graph's nodes as real processes over DDS, a robot, a watcher.

`Watcher` (in the test process) records what the graph says on its public topics, all
against the sim clock: the controller's modes, /joint_targets, /safety/faults,
/diagnostics and /odom. `ScriptedRobot` is a watcher that also plays the robot driver
(the topics, types and QoS of the sim bridge, like tests.integration.fake_robot.FakeRobot,
plus an IMU, a velocity command and a clock that can jump) and records every effort
command with the stamp of the joint state it was computed from: it holds a pose and
lets a test break its outputs on purpose. Where the fault is not in the robot's
outputs, the robot is the pybullet sim bridge (`start_sim_graph`).

A scenario runs once per module and its graph is closed before the tests read the
recordings and logs, so nothing changes under them.

The scripted robot holds every joint 0.1 rad off its default position, moving at
0.5 rad/s, so the three safe commands can be told apart: PD toward a target in
STANDUP/ACTIVE, pure damping (-damping_kd x 0.5 on every joint) in DAMPING, zero in
ESTOP.

`Graph` starts node processes (controller, observation, policy on sim time), pauses,
kills and stops them, for one module's scenario.
"""

from __future__ import annotations

import os
import re
import signal
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from builtin_interfaces.msg import Time
from diagnostic_msgs.msg import DiagnosticArray, DiagnosticStatus
from geometry_msgs.msg import Twist, Vector3
from nav_msgs.msg import Odometry
from rclpy.clock import Clock, ClockType
from rosgraph_msgs.msg import Clock as ClockMsg
from sensor_msgs.msg import Imu, JointState
from std_msgs.msg import Bool, String
from std_srvs.srv import Trigger

from legkit.robots import QUADRUPED
from legkit_ros import ros_io, topics
from legkit_ros.latest import LatestMessage
from legkit_ros.processes import NodeProcess
from legkit_ros.spin import freeze_startup_objects
from tests.integration.harness import Probe, node_process, wait_until

PROFILE = QUADRUPED
SCRIPTED_RATE_HZ = 100.0
"""The scripted robot's state and clock rate: the test process can drive 100 Hz steadily."""
SCRIPTED_PERIOD_NS = round(1e9 / SCRIPTED_RATE_HZ)
TARGET_PERIOD_NS = round(1e9 / PROFILE.control_rate_hz)
"""Observation, policy and target period (50 Hz)."""
STATE_TIMEOUT_PERIODS = TARGET_TIMEOUT_PERIODS = 3
SIM_REAL_TIME_FACTOR = 0.25
"""The pybullet graph runs at a quarter of real time: at 250 Hz its controller period is
4 ms of sim time, and the 50 Hz path through three processes must keep within one of
them while two cores also run pytest (and, here, a niced training job)."""

POSE_OFFSET = 0.1
"""Scripted robot: every joint this far [rad] above its default position..."""
JOINT_VELOCITY = 0.5
"""...and moving at this velocity [rad/s]."""
DAMPING_TORQUE = -PROFILE.damping_kd * JOINT_VELOCITY
"""What DAMPING commands on every joint of the scripted robot [N m]."""

_START_LINES = {"observation": "observation of", "policy": "running policy"}
"""What each node logs at the end of its constructor."""
_TRANSITION = re.compile(r"\]: (\w+ -> \w+): (.*)$")


@dataclass
class Command:
    """One message on /joint_effort_commands."""

    stamp_ns: int
    """Stamp of the joint state it was computed from."""
    effort: np.ndarray
    position: np.ndarray
    velocity: np.ndarray
    seen_ns: int
    """The watcher's sim time when it arrived."""


@dataclass
class Recording:
    commands: list[Command] = field(default_factory=list)
    states: dict[int, np.ndarray] = field(default_factory=dict)  # stamp -> velocities
    modes: list[tuple[int, str]] = field(default_factory=list)  # (sim ns seen, mode)
    faults: list[tuple[int, str]] = field(default_factory=list)  # (sim ns seen, message)
    diagnostics: dict[str, dict[str, float | str]] = field(default_factory=dict)
    heights: list[tuple[int, float]] = field(default_factory=list)  # (stamp ns, base z)
    targets: list[tuple[int, int, np.ndarray]] = field(default_factory=list)
    """(stamp ns, sim ns seen, positions in profile order)"""


class Watcher(Probe):
    """Records the graph's public topics; `robot` when the robot is someone else.

    Kept light, as it shares the machine with the graph: with a `robot` it reads the
    clock on demand and records /odom, not the 250 Hz state and command streams.
    """

    def __init__(self, name: str = "fault_watcher", robot: bool = True) -> None:
        super().__init__(name)
        self.sim_ns = 0
        self.rec = Recording()
        self._clock = None
        if robot:
            self._clock = LatestMessage(self, ClockMsg, topics.CLOCK, topics.CONTROL_QOS)
            self.create_subscription(Odometry, topics.ODOM, self._on_odom, topics.RECORD_QOS)
        else:
            self.create_subscription(
                JointState, topics.EFFORT_COMMANDS, self._on_command, topics.RECORD_QOS
            )
        self.create_subscription(String, topics.CONTROLLER_STATE, self._on_mode, topics.LATCHED_QOS)
        self.create_subscription(
            JointState, topics.JOINT_TARGETS, self._on_target, topics.RECORD_QOS
        )
        self.create_subscription(
            DiagnosticStatus, topics.SAFETY_FAULTS, self._on_fault, topics.EVENT_QOS
        )
        self.create_subscription(DiagnosticArray, topics.DIAGNOSTICS, self._on_diagnostics, 10)
        self._event_pubs: dict[str, object] = {}

    def start(self) -> Watcher:
        # The test process holds every earlier module's recordings: keep the garbage
        # collector's full passes (tens of ms) off the robot's clock, as the nodes do.
        freeze_startup_objects()
        return super().start()

    # --- recording (callbacks hold the lock) --------------------------------
    def _now(self) -> int:
        if self._clock is not None:
            latest = self._clock.take()
            self.sim_ns = 0 if latest is None else ros_io.stamp_key(latest.clock)
        return self.sim_ns

    def _on_odom(self, msg: Odometry) -> None:
        with self.lock:
            z = msg.pose.pose.position.z
            self.rec.heights.append((ros_io.stamp_key(msg.header.stamp), z))

    def _on_command(self, msg: JointState) -> None:
        with self.lock:
            self.rec.commands.append(
                Command(
                    ros_io.stamp_key(msg.header.stamp),
                    np.array(msg.effort),
                    np.array(msg.position),
                    np.array(msg.velocity),
                    self._now(),
                )
            )

    def _on_target(self, msg: JointState) -> None:
        with self.lock:
            self.rec.targets.append(
                (ros_io.stamp_key(msg.header.stamp), self._now(), np.array(msg.position))
            )

    def _on_mode(self, msg: String) -> None:
        with self.lock:
            self.rec.modes.append((self._now(), msg.data))

    def _on_fault(self, msg: DiagnosticStatus) -> None:
        with self.lock:
            self.rec.faults.append((self._now(), msg.message))

    def _on_diagnostics(self, msg: DiagnosticArray) -> None:
        with self.lock:
            for status in msg.status:
                self.rec.diagnostics[status.name] = ros_io.diagnostic_values(status)

    # --- queries ------------------------------------------------------------
    @property
    def mode(self) -> str:
        with self.lock:
            return self.rec.modes[-1][1] if self.rec.modes else "UNKNOWN"

    @property
    def now_ns(self) -> int:
        """Sim time [ns]: the newest /clock, or the scripted robot's own."""
        with self.lock:
            return self._now()

    def modes(self) -> list[str]:
        with self.lock:
            return [m for _, m in self.rec.modes]

    def commands(self) -> list[Command]:
        with self.lock:
            return list(self.rec.commands)

    def commands_after(self, stamp_ns: int) -> list[Command]:
        """Commands computed from joint states stamped later than `stamp_ns`."""
        return [c for c in self.commands() if c.stamp_ns > stamp_ns]

    def damping_torque(self, command: Command) -> np.ndarray | None:
        """What DAMPING commands for the joint state `command` was computed from (None
        when that state was not recorded)."""
        with self.lock:
            qd = self.rec.states.get(command.stamp_ns)
        if qd is None:
            return None
        limit = PROFILE.effort_limits
        return np.clip(-PROFILE.damping_kd * qd, -limit, limit)

    def is_damping(self, command: Command) -> bool | None:
        expected = self.damping_torque(command)
        return None if expected is None else bool(np.allclose(command.effort, expected, atol=1e-6))

    def first_fault_seen(self) -> int:
        """Sim time when the first /safety/faults report arrived."""
        with self.lock:
            return self.rec.faults[0][0]

    def mode_seen_at(self, mode: str) -> int:
        """The watcher's sim time when it first heard the controller in `mode`."""
        with self.lock:
            return next(t for t, m in self.rec.modes if m == mode)

    def damping_verdicts_since(self, mode: str) -> list[bool]:
        """For each command since the controller entered `mode` (in the order sent): is
        it pure damping? Commands whose source state was not recorded are left out."""
        since = self.mode_seen_at(mode)
        verdicts = [self.is_damping(c) for c in self.commands() if c.stamp_ns >= since]
        return [v for v in verdicts if v is not None]

    def wait_mode(self, mode: str, timeout: float = 20.0) -> None:
        wait_until(lambda: self.mode == mode, timeout, f"controller in {mode}")

    def wait_sim(self, seconds: float, timeout: float = 30.0) -> None:
        """Let `seconds` of sim time pass."""
        end = self.now_ns + round(seconds * 1e9)
        wait_until(lambda: self.now_ns >= end, timeout, f"{seconds} s of sim time")

    def send(self, topic: str, msg) -> None:
        """Publish one event (reliable QoS) once someone listens on `topic`."""
        if topic not in self._event_pubs:
            self._event_pubs[topic] = self.create_publisher(type(msg), topic, topics.EVENT_QOS)
        pub = self._event_pubs[topic]
        wait_until(lambda: pub.get_subscription_count() > 0, 10.0, f"a subscriber on {topic}")
        pub.publish(msg)

    def send_estop(self) -> None:
        self.send(topics.ESTOP, Bool(data=True))

    def diagnostics_of(self, node: str) -> dict[str, float | str]:
        with self.lock:
            return dict(self.rec.diagnostics.get(f"/{node}", {}))

    def call(self, service: str) -> Trigger.Response:
        client = self.create_client(Trigger, service)
        assert client.wait_for_service(timeout_sec=10.0), f"service {service} not offered"
        future = client.call_async(Trigger.Request())
        wait_until(future.done, 10.0, f"reply from {service}")
        self.destroy_client(client)
        return future.result()


class ScriptedRobot(Watcher):
    """The robot driver, played by the test: /clock, /joint_states and /imu/data each tick.

    `real_time_factor` < 1 runs the sim clock slower than the wall clock (each tick
    still advances it by one period), so slow processes are not mistaken for a fault.
    """

    def __init__(self, rate_hz: float = SCRIPTED_RATE_HZ, real_time_factor: float = 1.0) -> None:
        super().__init__("scripted_robot", robot=False)
        self.period_ns = round(1e9 / rate_hz)
        self.names = list(PROFILE.joint_names)
        self.positions = PROFILE.default_positions + POSE_OFFSET
        self.velocities = np.full(PROFILE.num_joints, JOINT_VELOCITY)
        self.angular_velocity = np.zeros(3)
        self.publish_states = True
        self.cmd_vx: float | None = None  # /cmd_vel, re-sent at 20 Hz once commanded
        self.running = False  # the clock starts with `go`
        self.state_stamps: list[int] = []
        self.misnamed_from: int | None = None  # stamp of the first state with other names
        self._jump_ns = 0
        self.clock_pub = self.create_publisher(ClockMsg, topics.CLOCK, topics.CONTROL_QOS)
        self.state_pub = self.create_publisher(JointState, topics.JOINT_STATES, topics.CONTROL_QOS)
        self.imu_pub = self.create_publisher(Imu, topics.IMU, topics.CONTROL_QOS)
        self.create_timer(
            self.period_ns * 1e-9 / real_time_factor,
            self._tick,
            clock=Clock(clock_type=ClockType.STEADY_TIME),
        )

    def jump_back(self, seconds: float) -> None:
        """The next tick's clock and stamps are `seconds` before the last ones."""
        with self.lock:
            self._jump_ns = round(seconds * 1e9) + self.period_ns

    def go(self) -> None:
        self.running = True

    def command(self, vx: float) -> None:
        """Command forward velocity `vx` [m/s] on /cmd_vel now, and again every 50 ms."""
        self.send(topics.CMD_VEL, Twist(linear=Vector3(x=vx)))
        self.cmd_vx = vx

    def _tick(self) -> None:
        if not self.running:
            return
        with self.lock:
            self.sim_ns += self.period_ns - self._jump_ns
            self._jump_ns = 0
            ns = self.sim_ns
        stamp = Time(sec=ns // 10**9, nanosec=ns % 10**9)
        if self.publish_states:
            n = len(self.names)
            self.state_pub.publish(
                ros_io.joint_state_msg(
                    self.names, stamp, self.positions[:n], self.velocities[:n], np.zeros(n)
                )
            )
            with self.lock:
                self.state_stamps.append(ns)
                if self.misnamed_from is None and tuple(self.names) != PROFILE.joint_names:
                    self.misnamed_from = ns
                self.rec.states[ns] = self.velocities[:n].copy()
        imu = Imu()
        imu.header.stamp = stamp
        imu.orientation.w = 1.0  # level
        w = self.angular_velocity
        imu.angular_velocity.x, imu.angular_velocity.y, imu.angular_velocity.z = map(float, w)
        imu.linear_acceleration.z = 9.81
        self.imu_pub.publish(imu)
        self.clock_pub.publish(ClockMsg(clock=stamp))  # last, as the sim bridge does
        if self.cmd_vx is not None and ns % (5 * self.period_ns) == 0:
            self._event_pubs[topics.CMD_VEL].publish(Twist(linear=Vector3(x=self.cmd_vx)))

    def last_state_stamp(self) -> int:
        with self.lock:
            return self.state_stamps[-1]


class Graph:
    """Node processes of one scenario, their logs in `log_dir`; nodes run on sim time."""

    def __init__(self, log_dir: Path, watcher: Watcher) -> None:
        self.log_dir = log_dir
        self.watcher = watcher
        self.nodes: dict[str, NodeProcess] = {}
        self._paused: set[str] = set()

    def start(self, name: str, **params: object) -> NodeProcess:
        if name != "sim_bridge":
            params.setdefault("use_sim_time", True)
        self.nodes[name] = node_process(name, self.log_dir, params)
        return self.nodes[name]

    def wait_ready(self, names: list[str] | None = None, timeout: float = 60.0) -> None:
        """Until every node (or those `names`) is constructed: it has logged its start line
        (the controller: published its first mode).

        The robot starts after that, as in the bringup: a node still importing and
        discovering its peers would meet the robot's first seconds with start-up stalls.
        """
        for name, node in self.nodes.items():
            if names is not None and name not in names:
                continue
            if name == "controller":
                started = lambda: self.watcher.mode != "UNKNOWN"  # noqa: E731
            else:
                started = lambda n=node, line=_START_LINES[name]: line in n.log()  # noqa: E731
            wait_until(
                lambda p=node, s=started: p.returncode is not None or s(),
                timeout,
                f"{name} to start",
            )
            assert node.returncode is None, f"{name} exited: {node.log()}"

    def __getitem__(self, name: str) -> NodeProcess:
        return self.nodes[name]

    def kill(self, name: str) -> None:
        """SIGKILL: the process gets no chance to say goodbye."""
        proc = self.nodes[name].proc
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait(timeout=10)

    def pause(self, name: str) -> None:
        """SIGSTOP: the process hangs (as a stuck inference would), alive but silent."""
        os.kill(self.nodes[name].proc.pid, signal.SIGSTOP)
        self._paused.add(name)

    def resume(self, name: str) -> None:
        os.kill(self.nodes[name].proc.pid, signal.SIGCONT)
        self._paused.discard(name)

    def close(self) -> None:
        """Stop every node, the controller first: what the others do while stopping is no
        fault of the scenario's and must not show in the controller's log."""
        for name in list(self._paused):
            self.resume(name)
        for name in sorted(self.nodes, key=lambda n: n != "controller"):
            self.nodes[name].stop()
        self.watcher.close()


def start_scripted_graph(
    log_dir: Path,
    policy_file: str | Path | None = "quadruped_stand.onnx",
    real_time_factor: float = 0.5,
    **params: dict[str, object],
) -> tuple[Graph, ScriptedRobot]:
    """Scripted robot, controller, and (with a `policy_file`) observation and policy nodes.

    Half real time by default: the 50 Hz path through three processes then has 40 ms of
    wall time per period, so a loaded two-core machine does not make targets late.

    `params` maps a node name to extra parameters for it.
    """
    robot = ScriptedRobot(real_time_factor=real_time_factor).start()
    graph = Graph(log_dir, robot)
    # The scripted robot reads the safe commands off the wire as torques (see above).
    controller = {"state_rate_hz": SCRIPTED_RATE_HZ, "pd_in_motor": False}
    graph.start("controller", **(controller | params.get("controller", {})))
    if policy_file is not None:
        graph.start("observation", policy=str(policy_file), **params.get("observation", {}))
        graph.start("policy", policy=str(policy_file), **params.get("policy", {}))
    try:
        graph.wait_ready()
    except BaseException:
        graph.close()
        raise
    robot.go()
    return graph, robot


def start_sim_graph(
    log_dir: Path,
    policy_file: str | Path = "quadruped_stand.onnx",
    real_time_factor: float = SIM_REAL_TIME_FACTOR,
    **params: dict[str, object],
) -> tuple[Graph, Watcher]:
    """Controller, observation, policy and, once they run, the pybullet sim bridge."""
    watcher = Watcher().start()
    graph = Graph(log_dir, watcher)
    graph.start("controller", **params.get("controller", {}))
    graph.start("observation", policy=str(policy_file), **params.get("observation", {}))
    graph.start("policy", policy=str(policy_file), **params.get("policy", {}))
    try:
        graph.wait_ready()
        graph.start("sim_bridge", real_time_factor=real_time_factor, **params.get("sim_bridge", {}))
    except BaseException:
        graph.close()
        raise
    return graph, watcher


def transitions(node: NodeProcess) -> list[str]:
    """The "FROM -> TO" of every mode transition the node logged, in order."""
    return [m.group(1) for line in node.log().splitlines() if (m := _TRANSITION.search(line))]


def transition_lines(node: NodeProcess, to: str) -> list[str]:
    """The full log lines of transitions into mode `to`."""
    return [line for line in node.log().splitlines() if f" -> {to}: " in line]


def stale_age_ms(line: str) -> float:
    """The age a "... stale: X ms > Y ms" line reports."""
    match = re.search(r"stale: ([0-9.]+) ms >", line)
    assert match, f"no stale age in: {line}"
    return float(match.group(1))
