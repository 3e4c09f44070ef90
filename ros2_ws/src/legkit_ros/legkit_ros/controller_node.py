"""PID joint controller with the safety supervisor in front of it.

Event-driven: every /joint_states message yields one effort command, stamped with
the stamp of the state it was computed from (so downstream can measure latency and
refuse commands built on old states). With `pd_in_motor` the command is the PD target
itself (position, velocity and feed-forward, legkit.control.JointCommand) for motors
that close the loop in their firmware; the modes and their rules are the same.
A watchdog timer at the state rate catches silence: stale states or stale targets
put the robot in DAMPING within one period, and that command goes out even though no
new state arrived.

Time going backwards (a simulator reset or restart: /clock jumps back, or a joint state
stamped before the previous one) is a fault: every input age measured so far is
meaningless, so the robot goes to DAMPING before any command is computed on the new
time line, with one line "clock jumped back by X s".

`drop_fraction` injects loss of /joint_states and /joint_targets messages (tests only,
legkit_ros.drops).

Modes, transitions and their log lines belong to legkit.control.SafetySupervisor.
"""

from __future__ import annotations

import time

import numpy as np
from diagnostic_msgs.msg import DiagnosticStatus
from rclpy.clock import JumpThreshold, TimeJump
from rclpy.duration import Duration
from rclpy.node import Node
from sensor_msgs.msg import JointState
from std_msgs.msg import Bool, String
from std_srvs.srv import Trigger

from legkit.control import Mode, SafetySupervisor, SupervisorConfig
from legkit.robots import get_profile
from legkit.robots.joint_map import JointMap, JointNameError
from legkit.timing import LatencyMonitor, RateMonitor
from legkit_ros import ros_io, topics
from legkit_ros.drops import MessageDrops
from legkit_ros.latest import take_pending
from legkit_ros.ros_io import ERROR, OK, WARN, DiagnosticsPublisher
from legkit_ros.spin import run_node


class ControllerNode(Node):
    NODE_NAME = "controller"

    def __init__(self, **kwargs) -> None:
        super().__init__(self.NODE_NAME, **kwargs)
        self.profile = get_profile(self.declare_parameter("robot", "quadruped").value)
        state_rate = self.declare_parameter("state_rate_hz", self.profile.physics_rate_hz).value
        target_rate = self.declare_parameter("target_rate_hz", self.profile.control_rate_hz).value
        auto_start = self.declare_parameter("auto_start", True).value
        # On motors that run the PD law in their firmware (MIT mode), send them the PD
        # target instead of a torque: a host PD loop across DDS and a CAN bus adds a
        # period of delay, which the stiff, light legs do not survive.
        self.pd_in_motor = bool(self.declare_parameter("pd_in_motor", False).value)
        self.state_period = 1.0 / state_rate

        self.supervisor = SafetySupervisor(
            self.profile,
            SupervisorConfig.for_profile(
                self.profile,
                state_period=self.state_period,
                target_period=1.0 / target_rate,
                auto_start=auto_start,
            ),
            log=self.log_transition,
        )
        self.joint_map = JointMap(self.profile.joint_names)
        self.rejected: set[tuple[str, ...]] = set()
        self.last_state_stamp = None
        self.last_compute = None
        self.mode = self.supervisor.mode

        self.effort_pub = self.create_publisher(
            JointState, topics.EFFORT_COMMANDS, topics.CONTROL_QOS
        )
        self.state_pub = self.create_publisher(String, topics.CONTROLLER_STATE, topics.LATCHED_QOS)
        # Received states and targets, after the (test-only) drop injection.
        self.drops = MessageDrops(self)
        self.receive_state = self.drops.wrap(topics.JOINT_STATES, self.on_joint_state)
        self.receive_target = self.drops.wrap(topics.JOINT_TARGETS, self.on_target)
        self.state_sub = self.create_subscription(
            JointState, topics.JOINT_STATES, self.receive_state, topics.CONTROL_QOS
        )
        self.target_sub = self.create_subscription(
            JointState, topics.JOINT_TARGETS, self.receive_target, topics.CONTROL_QOS
        )
        self.create_subscription(Bool, topics.ESTOP, self.on_estop_topic, topics.EVENT_QOS)
        self.create_subscription(
            DiagnosticStatus, topics.SAFETY_FAULTS, self.on_fault, topics.EVENT_QOS
        )
        self.create_service(Trigger, topics.SRV_START, self.srv_start)
        self.create_service(Trigger, topics.SRV_ESTOP, self.srv_estop)
        self.create_service(Trigger, topics.SRV_RESET, self.srv_reset)
        self.create_service(Trigger, topics.SRV_DAMP, self.srv_damp)
        # ROS clock: in simulation the watchdog runs on sim time, so a slow machine
        # (sim slower than real time) does not look like a sensor failure.
        self.create_timer(self.state_period, self.watchdog)
        # Any step back of the ROS clock (in simulation: /clock) is a fault.
        self.clock_jump = self.get_clock().create_jump_callback(
            JumpThreshold(
                min_forward=None, min_backward=Duration(nanoseconds=-1), on_clock_change=False
            ),
            post_callback=self.on_clock_jump,
        )

        self.loop = RateMonitor(self.state_period)
        self.compute_time = LatencyMonitor()
        self.diagnostics_pub = DiagnosticsPublisher(self, self.diagnostics)
        self.publish_mode()

    # --- inputs -------------------------------------------------------------
    def now(self) -> float:
        return self.get_clock().now().nanoseconds * 1e-9

    def on_joint_state(self, msg: JointState) -> None:
        t0 = time.perf_counter()
        try:
            perm = self.joint_map.permutation(msg.name)
            if len(msg.position) != len(msg.name) or len(msg.velocity) != len(msg.name):
                raise JointNameError(
                    f"{len(msg.name)} names but {len(msg.position)} positions and "
                    f"{len(msg.velocity)} velocities"
                )
        except JointNameError as err:
            self.reject(msg, f"/joint_states rejected, no torque from it: {err}")
            return
        # In simulation /clock and /joint_states are separate topics: the clock seen here
        # may lag the state just received by a tick. A state is never older than its stamp.
        now = max(self.now(), ros_io.stamp_to_sec(msg.header.stamp))
        if self.last_state_stamp is not None:
            back = ros_io.stamp_key(self.last_state_stamp) - ros_io.stamp_key(msg.header.stamp)
            if back > 0:  # the robot's time line restarted before /clock said so
                self.supervisor.clock_jumped_back(now, back * 1e-9, "/joint_states stamps")
        self.supervisor.on_joint_state(
            now, self.as_array(msg.position)[perm], self.as_array(msg.velocity)[perm]
        )
        self.last_state_stamp = msg.header.stamp
        self.loop.tick(t0)
        self.publish_effort(now, msg.header.stamp)
        self.compute_time.add(time.perf_counter() - t0)

    def on_target(self, msg: JointState) -> None:
        try:
            target = self.joint_map.to_profile_order(msg.name, msg.position)
        except JointNameError as err:
            self.reject(msg, f"/joint_targets rejected: {err}")
            return
        self.supervisor.on_target(self.now(), target)
        self.after_event()

    def on_clock_jump(self, jump: TimeJump) -> None:
        if jump.delta.nanoseconds < 0:
            back = -jump.delta.nanoseconds * 1e-9
            self.supervisor.clock_jumped_back(self.now(), back, "/clock")
            self.after_event()

    def on_estop_topic(self, msg: Bool) -> None:
        if msg.data:
            self.supervisor.estop(f"e-stop requested on {topics.ESTOP}")
            self.after_event()

    def on_fault(self, msg: DiagnosticStatus) -> None:
        if msg.level >= DiagnosticStatus.ERROR:
            self.supervisor.fault(self.now(), f"fault from {msg.name}: {msg.message}")
            self.after_event()

    def srv_start(self, request, response):
        response.success = self.supervisor.request_start(self.now())
        response.message = (
            f"mode {self.supervisor.mode.value}: {self.supervisor.last_transition_reason}"
        )
        self.after_event()
        return response

    def srv_estop(self, request, response):
        self.supervisor.estop(f"e-stop requested on {topics.SRV_ESTOP}")
        self.after_event()
        response.success, response.message = True, "ESTOP latched: zero torque until reset"
        return response

    def srv_reset(self, request, response):
        response.success = self.supervisor.reset_estop()
        response.message = f"mode {self.supervisor.mode.value}"
        self.after_event()
        return response

    def srv_damp(self, request, response):
        self.supervisor.request_damping(self.now(), f"sit requested on {topics.SRV_DAMP}")
        self.after_event()
        response.success = self.supervisor.mode is Mode.DAMPING
        response.message = f"mode {self.supervisor.mode.value}"
        return response

    # --- outputs ------------------------------------------------------------
    def watchdog(self) -> None:
        # rclpy runs ready timers before ready subscriptions, and /clock can be dispatched
        # a pass before the state published with it. Handle whatever has already been
        # delivered first: stale must mean "nothing arrived", not "not dispatched yet".
        for sub, handler in (
            (self.state_sub, self.receive_state),
            (self.target_sub, self.receive_target),
        ):
            pending = take_pending(sub)
            if pending is not None:
                handler(pending)
        self.supervisor.check_timeouts(self.now())
        self.after_event()

    def after_event(self) -> None:
        """A mode change takes effect now, not at the next joint state."""
        if self.supervisor.mode is not self.mode:
            self.publish_mode()
            if self.last_state_stamp is not None:
                self.publish_effort(self.now(), self.last_state_stamp)

    def publish_effort(self, now: float, stamp) -> None:
        dt = self.state_period if self.last_compute is None else max(now - self.last_compute, 1e-4)
        self.last_compute = now
        if self.pd_in_motor:
            cmd = self.supervisor.compute_joint_command(now)
            msg = ros_io.joint_state_msg(
                self.profile.joint_names, stamp, cmd.position, cmd.velocity, cmd.effort
            )
        else:
            torques = self.supervisor.compute_torques(now, dt)
            msg = ros_io.joint_state_msg(self.profile.joint_names, stamp, effort=torques)
        self.effort_pub.publish(msg)
        if self.supervisor.mode is not self.mode:
            self.publish_mode()

    def publish_mode(self) -> None:
        self.mode = self.supervisor.mode
        self.state_pub.publish(String(data=self.mode.value))

    def log_transition(self, line: str) -> None:
        if "-> DAMPING" in line or "-> ESTOP" in line:
            self.get_logger().error(line)
        else:
            self.get_logger().info(line)

    def reject(self, msg: JointState, line: str) -> None:
        key = tuple(msg.name)
        if key not in self.rejected:  # logged once per distinct bad name list
            self.rejected.add(key)
            self.get_logger().error(line)

    @staticmethod
    def as_array(values) -> np.ndarray:
        return np.asarray(values, dtype=float)

    def diagnostics(self):
        values = {"mode": self.supervisor.mode.value, **self.loop.summary()}
        values.update(self.compute_time.summary("compute"))
        values.update(self.drops.summary())
        mode = self.supervisor.mode
        level = OK if mode in (Mode.ACTIVE, Mode.STANDUP) else ERROR if mode is Mode.ESTOP else WARN
        return level, f"{mode.value}: {self.supervisor.last_transition_reason}", values


def main(args=None) -> None:
    run_node(ControllerNode, args)


if __name__ == "__main__":
    main()
