"""The exoskeleton's controller ("assistance mode"): requested torques in, safe torques out.

For a torque-actuated robot (the exoskeleton: `RobotProfile.actuation` "torque") the node
called `controller` is this one, not legkit_ros.controller_node: the same graph, topics
and service names, with `legkit.control.assistance.AssistanceShaper` (the object the
training environment runs) between the policy's torque request and the actuators instead
of a PD law and the quadruped's safety supervisor. Modes, rules and their log lines belong
to the shaper; this node only feeds it and publishes what it says.

Inputs:

- /joint_states: the actuators' joints (names checked; values unused). Each one yields
  one /joint_effort_commands message, ``effort = shaper.update(now)``, stamped with the
  state's stamp (the bridge measures latency from it).
- /joint_targets: the requested assistance torque [N m] per joint in the *effort* field,
  by name (the policy node's output for a torque-actuated robot) -> ``on_command``.
- /thigh_imu/left, /thigh_imu/right (sensor_msgs/Imu, legkit.thigh_imu convention) ->
  ``on_sensors`` with the newest pair once both sides have reported, taken when a command
  is computed (legkit_ros.latest: the sim bridge sends them with every state, 1,000
  messages a second that need no callback of their own). A reading is dated
  by its header stamp, but never later than its arrival on the ROS clock: what matters to
  the wearer is how old the measurement is, so a sample that spent long in transport
  (a stalled driver, a flushed queue) counts as old, which the receive time would hide;
  and a stamp from an unsynchronised clock can only make data look older, never fresher
  (an unstamped reading is dated by its arrival). The pair is as old as its older side.
- /estop (True: latched zero torque), /safety/faults (an ERROR status from the
  observation or policy node: zero torque while it is reported, ``shaper.fault``).

Services (the quadruped controller's names): /controller/estop; /controller/reset
(releases a latched e-stop; refused otherwise); /controller/start (assistance on:
leaves transparent mode; assistance needs no start of its own, it ramps in by itself
once the inputs are fresh; refused while the e-stop is latched); /controller/damp (the
pad's "sit": transparent mode); /controller/transparent (std_srvs/SetBool: True fades the
torque to zero and the device follows the wearer, False assists again, ramping in).

Mode: the shaper's AssistMode on /controller/state (latched) at every change.

Silence: a watchdog timer at the state rate on the ROS clock runs the shaper when no
joint state arrived for a period (after taking whatever was delivered but not yet
dispatched), so stale thigh data or a stale request still changes the mode; a change
then also goes out as a command stamped with the last state's stamp (zero in a hard
zero mode). While /joint_states is silent no other command is sent: the states' source
(sim or hardware bridge) is the one that stopped, and it zeroes the actuators on its
own command timeout.

Time is the ROS clock (sim time in simulation). A step back of it (a simulator reset),
on /clock or in the joint state stamps, forgets every input (``shaper.reset``; the
e-stop latch and transparent mode are kept): zero torque until fresh data.
"""

from __future__ import annotations

import math
import re
import time
from dataclasses import fields

import numpy as np
from diagnostic_msgs.msg import DiagnosticStatus
from rcl_interfaces.msg import ParameterDescriptor
from rclpy.clock import JumpThreshold, TimeJump
from rclpy.duration import Duration
from rclpy.node import Node
from sensor_msgs.msg import Imu, JointState
from std_msgs.msg import Bool, String
from std_srvs.srv import SetBool, Trigger

from legkit.control.assistance import AssistanceConfig, AssistanceShaper, AssistMode
from legkit.robots import get_profile
from legkit.robots.joint_map import JointMap, JointNameError
from legkit.thigh_imu import thigh_reading
from legkit.timing import LatencyMonitor, RateMonitor
from legkit_ros import ros_io, topics
from legkit_ros.latest import LatestMessage, take_pending
from legkit_ros.ros_io import ERROR, OK, WARN, DiagnosticsPublisher
from legkit_ros.spin import StartupError, run_node

CONFIG_PARAMETERS = tuple(f.name for f in fields(AssistanceConfig))
"""AssistanceConfig fields that are node parameters (torque_limit, ramp_in_s, ...)."""

_HARD_ZERO = (AssistMode.ESTOP, AssistMode.FAULT, AssistMode.STALE)
_HARD_ZERO_NAMES = tuple(mode.value for mode in _HARD_ZERO)
_TRANSITION = re.compile(r"assistance: (\w+) -> (\w+) at \S+ s \((.*)\)$")


class AssistanceControllerNode(Node):
    NODE_NAME = "controller"

    def __init__(self, **kwargs) -> None:
        super().__init__(self.NODE_NAME, **kwargs)
        self.profile = get_profile(self.declare_parameter("robot", "exoskeleton").value)
        if self.profile.actuation != "torque":
            raise StartupError(
                f"robot '{self.profile.name}' is {self.profile.actuation}-actuated; the "
                "assistance controller drives torque-actuated robots only (exoskeleton, "
                "exoskeleton_knee): run legkit_ros.controller_node for it"
            )
        state_rate = self.declare_parameter("state_rate_hz", self.profile.physics_rate_hz).value
        if not 0.0 < float(state_rate) < math.inf:
            raise StartupError(f"state_rate_hz must be positive, got {state_rate}")
        self.state_period = 1.0 / float(state_rate)
        self.shaper = AssistanceShaper(
            self.assistance_config(), self.profile.num_joints, log=self.log_transition
        )
        c = self.shaper.config
        self.get_logger().info(
            f"assistance for '{self.profile.name}' {list(self.profile.joint_names)}: limit "
            f"{c.torque_limit} N m, ramp-in {c.ramp_in_s} s, thigh data timeout "
            f"{c.sensor_timeout_s} s, command timeout {c.command_timeout_s} s"
        )
        self.joint_map = JointMap(self.profile.joint_names)
        self.rejected: set[tuple[str, tuple[str, ...]]] = set()
        self.thighs: list[tuple[float, float, float] | None] = [None, None]  # (t, angle, rate)
        # Starting transparent: donning the device, or the zero-torque baseline of an
        # assist-on / assist-off comparison; /controller/transparent false assists.
        self.transparent = bool(self.declare_parameter("transparent", False).value)
        self.shaper.set_transparent(self.transparent)
        self.last_state_stamp = None
        self.last_update: float | None = None
        self.reason = "no data yet"
        self.mode = self.shaper.mode
        self.peak = 0.0

        self.effort_pub = self.create_publisher(
            JointState, topics.EFFORT_COMMANDS, topics.CONTROL_QOS
        )
        self.state_pub = self.create_publisher(String, topics.CONTROLLER_STATE, topics.LATCHED_QOS)
        self.state_sub = self.create_subscription(
            JointState, topics.JOINT_STATES, self.on_joint_state, topics.CONTROL_QOS
        )
        self.target_sub = self.create_subscription(
            JointState, topics.JOINT_TARGETS, self.on_target, topics.CONTROL_QOS
        )
        self.imus = [
            LatestMessage(self, Imu, topic, topics.CONTROL_QOS) for topic in topics.THIGH_IMUS
        ]
        self.imus_used: list[Imu | None] = [None, None]
        self.create_subscription(Bool, topics.ESTOP, self.on_estop_topic, topics.EVENT_QOS)
        self.create_subscription(
            DiagnosticStatus, topics.SAFETY_FAULTS, self.on_fault, topics.EVENT_QOS
        )
        self.create_service(Trigger, topics.SRV_START, self.srv_start)
        self.create_service(Trigger, topics.SRV_ESTOP, self.srv_estop)
        self.create_service(Trigger, topics.SRV_RESET, self.srv_reset)
        self.create_service(Trigger, topics.SRV_DAMP, self.srv_damp)
        self.create_service(SetBool, topics.SRV_TRANSPARENT, self.srv_transparent)
        # ROS clock: in simulation the watchdog runs on sim time, so a slow machine
        # (sim slower than real time) does not look like a sensor failure.
        self.create_timer(self.state_period, self.watchdog)
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

    def assistance_config(self) -> AssistanceConfig:
        """AssistanceConfig.for_profile with the parameters that are set; StartupError if bad."""
        defaults = AssistanceConfig.for_profile(self.profile)
        overrides = {}
        for name in CONFIG_PARAMETERS:
            value = self.declare_parameter(
                name,
                getattr(defaults, name),
                ParameterDescriptor(dynamic_typing=True),  # 10 as well as 10.0
            ).value
            if isinstance(value, bool) or not isinstance(value, int | float):
                raise StartupError(f"parameter {name} must be a number, got {value!r}")
            overrides[name] = float(value)
        try:
            return AssistanceConfig.for_profile(self.profile, **overrides)
        except ValueError as err:
            raise StartupError(str(err)) from err

    # --- inputs -------------------------------------------------------------
    def now(self) -> float:
        return self.get_clock().now().nanoseconds * 1e-9

    def on_joint_state(self, msg: JointState) -> None:
        t0 = time.perf_counter()
        try:
            self.joint_map.permutation(msg.name)
        except JointNameError as err:
            self.reject(msg, topics.JOINT_STATES, f"no torque from it: {err}")
            return
        # In simulation /clock and /joint_states are separate topics: the clock seen here
        # may lag the state just received by a tick. A state is never older than its stamp.
        now = max(self.now(), ros_io.stamp_to_sec(msg.header.stamp))
        if self.last_state_stamp is not None:
            back = ros_io.stamp_key(self.last_state_stamp) - ros_io.stamp_key(msg.header.stamp)
            if back > 0:  # the robot's time line restarted before /clock said so
                # The command built from this state carries the mode change.
                self.forget_inputs(now, back * 1e-9, f"{topics.JOINT_STATES} stamps")
        self.last_state_stamp = msg.header.stamp
        self.take_delivered()
        self.loop.tick(t0)
        self.publish_effort(now)
        self.compute_time.add(time.perf_counter() - t0)

    def on_target(self, msg: JointState) -> None:
        try:
            request = self.joint_map.to_profile_order(msg.name, msg.effort)
        except JointNameError as err:
            self.reject(msg, topics.JOINT_TARGETS, f"no torque request in its effort field: {err}")
            return
        self.shaper.on_command(self.now(), request)

    def on_imu(self, side: int, msg: Imu) -> None:
        q, w = msg.orientation, msg.angular_velocity
        angle, rate = thigh_reading(np.array([q.x, q.y, q.z, q.w]), np.array([w.x, w.y, w.z]))
        arrival = self.now()
        stamp = ros_io.stamp_to_sec(msg.header.stamp)
        # Dated by its stamp, never later than its arrival (see the module docstring).
        self.thighs[side] = (min(stamp, arrival) if stamp > 0.0 else arrival, angle, rate)
        left, right = self.thighs
        if left is not None and right is not None:
            self.shaper.on_sensors(min(left[0], right[0]), [left[1], right[1]], [left[2], right[2]])

    def take_delivered(self) -> None:
        """Feed the shaper the newest thigh readings, and a request already delivered but
        not yet dispatched.

        rclpy dispatches ready timers before ready subscriptions, and one subscription's
        message can wait a pass behind another's: the shaper's data must be as fresh as
        what has arrived, so that stale means "nothing arrived".
        """
        pending = take_pending(self.target_sub)
        if pending is not None:
            self.on_target(pending)
        for side, imu in enumerate(self.imus):
            msg = imu.take()
            if msg is not None and msg is not self.imus_used[side]:
                self.imus_used[side] = msg
                self.on_imu(side, msg)

    def on_clock_jump(self, jump: TimeJump) -> None:
        if jump.delta.nanoseconds < 0:
            self.forget_inputs(self.now(), -jump.delta.nanoseconds * 1e-9, topics.CLOCK)
            self.after_event()  # zero torque now, stamped with the last (old) state
            self.last_state_stamp = None  # the next state starts the new time line

    def forget_inputs(self, now: float, back: float, seen_on: str) -> None:
        """Time went back: every input time lies in the new time line's future, so it
        would look fresh for as long as the jump. Forget them all (zero torque)."""
        self.get_logger().warning(
            f"clock jumped back by {back:.3f} s (seen on {seen_on}): inputs forgotten, "
            "zero torque until fresh data"
        )
        self.shaper.reset(now)  # keeps a latched e-stop
        self.shaper.set_transparent(self.transparent)  # and the operator's choice
        self.thighs = [None, None]
        self.last_update = None
        self.reason = "clock jumped back; no data yet"

    def on_estop_topic(self, msg: Bool) -> None:
        if msg.data:
            self.shaper.estop(self.now(), f"requested on {topics.ESTOP}")
            self.after_event()

    def on_fault(self, msg: DiagnosticStatus) -> None:
        if msg.level >= DiagnosticStatus.ERROR:
            self.shaper.fault(self.now(), f"from {msg.name}: {msg.message}")
            self.after_event()

    # --- services -----------------------------------------------------------
    def srv_start(self, request, response):
        return self.request_assistance(response, topics.SRV_START)

    def srv_damp(self, request, response):
        self.set_transparent(True, topics.SRV_DAMP)
        response.success, response.message = True, self.transparent_message()
        return response

    def srv_transparent(self, request, response):
        if request.data:
            self.set_transparent(True, topics.SRV_TRANSPARENT)
            response.success, response.message = True, self.transparent_message()
            return response
        return self.request_assistance(response, topics.SRV_TRANSPARENT)

    def srv_estop(self, request, response):
        self.shaper.estop(self.now(), f"requested on {topics.SRV_ESTOP}")
        self.after_event()
        response.success, response.message = True, "ESTOP latched: zero torque until reset"
        return response

    def srv_reset(self, request, response):
        if self.shaper.mode is not AssistMode.ESTOP:
            response.success = False
            response.message = f"not in ESTOP (mode {self.shaper.mode.value}): nothing to reset"
            return response
        self.shaper.reset_estop(self.now())
        self.after_event()
        response.success = True
        response.message = (
            f"e-stop released: assistance ramps in over {self.shaper.config.ramp_in_s} s "
            "once the inputs are fresh"
        )
        return response

    def request_assistance(self, response, service: str):
        """Transparent mode off; refused while the e-stop is latched."""
        if self.shaper.mode is AssistMode.ESTOP:
            response.success = False
            response.message = f"e-stop latched: reset it first ({topics.SRV_RESET})"
            return response
        self.set_transparent(False, service)
        response.success = True
        response.message = (
            f"assisting: ramps in over {self.shaper.config.ramp_in_s} s once the inputs are "
            f"fresh (mode now {self.shaper.mode.value})"
        )
        return response

    def set_transparent(self, on: bool, service: str) -> None:
        if on != self.transparent:
            what = "transparent mode" if on else "assistance"
            self.get_logger().info(f"{what} requested on {service}")
        self.transparent = on
        self.shaper.set_transparent(on)  # takes effect at the next update

    def transparent_message(self) -> str:
        return "transparent: torque fading to zero, the device follows the wearer"

    # --- outputs ------------------------------------------------------------
    def watchdog(self) -> None:
        # States still pending are handled first: silence must mean "nothing arrived".
        pending = take_pending(self.state_sub)
        if pending is not None:
            self.on_joint_state(pending)
        now = self.now()
        if self.last_update is not None and now - self.last_update < self.state_period:
            return  # the joint states drive the updates
        self.take_delivered()
        self.update(now)
        self.after_event()

    def after_event(self) -> None:
        """A mode change takes effect now, not at the next joint state."""
        if self.shaper.mode is not self.mode:
            self.publish_mode()
            if self.last_state_stamp is not None:
                self.publish_torques(self.shaper.output)

    def update(self, now: float) -> np.ndarray:
        torques = self.shaper.update(now)
        self.last_update = now
        self.peak = max(self.peak, float(np.abs(torques).max()))
        return torques

    def publish_effort(self, now: float) -> None:
        torques = self.update(now)
        self.publish_torques(torques)
        if self.shaper.mode is not self.mode:
            self.publish_mode()

    def publish_torques(self, torques: np.ndarray) -> None:
        self.effort_pub.publish(
            ros_io.joint_state_msg(self.profile.joint_names, self.last_state_stamp, effort=torques)
        )

    def publish_mode(self) -> None:
        self.mode = self.shaper.mode
        self.state_pub.publish(String(data=self.mode.value))

    def log_transition(self, line: str) -> None:
        """The shaper's one line per mode change: a warning when it cuts the torque at once
        (into ESTOP, FAULT or STALE; not the e-stop's release, ESTOP -> STALE)."""
        match = _TRANSITION.match(line)
        if match is None:
            self.reason = line
            self.get_logger().info(line)
            return
        before, after, self.reason = match.groups()
        if after in _HARD_ZERO_NAMES and before != AssistMode.ESTOP.value:
            self.get_logger().warning(line)
        else:
            self.get_logger().info(line)

    def reject(self, msg: JointState, topic: str, why: str) -> None:
        key = (topic, tuple(msg.name))
        if key not in self.rejected:  # logged once per topic and distinct bad name list
            self.rejected.add(key)
            self.get_logger().error(f"{topic} rejected, {why}")

    def diagnostics(self):
        mode = self.shaper.mode
        values = {"mode": mode.value, **self.loop.summary()}
        values.update(self.compute_time.summary("compute"))
        values["peak_torque_nm"] = self.peak  # since the previous report
        values["torque_limit_nm"] = self.shaper.config.torque_limit
        self.peak = 0.0
        level = ERROR if mode is AssistMode.ESTOP else WARN if mode in _HARD_ZERO else OK
        return level, f"{mode.value}: {self.reason}", values


def main(args=None) -> None:
    run_node(AssistanceControllerNode, args)


if __name__ == "__main__":
    main()
