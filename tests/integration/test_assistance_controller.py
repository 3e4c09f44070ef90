"""The exoskeleton's controller process (assistance mode) gives only safe torques.

The controller (legkit_ros.assistance_controller) runs as its own process over DDS; the
test plays the device and the policy (ExoDriver): /clock and /joint_states at a 200 Hz
sim rate, both thigh IMUs and the torque request (/joint_targets, effort) at 100 Hz.
Everything is judged in sim time (the stamps of the commands), so a loaded machine that
runs the driver slowly does not change the verdicts.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from builtin_interfaces.msg import Time
from diagnostic_msgs.msg import DiagnosticArray, DiagnosticStatus
from rclpy.clock import Clock, ClockType
from rosgraph_msgs.msg import Clock as ClockMsg
from sensor_msgs.msg import Imu, JointState
from std_msgs.msg import Bool, String
from std_srvs.srv import SetBool, Trigger

from legkit.robots import EXOSKELETON
from legkit.thigh_imu import imu_angular_velocity, imu_orientation
from legkit_ros import ros_io, topics
from legkit_ros.bringup import config_file, ros_args, write_overrides
from legkit_ros.processes import NodeProcess
from tests.integration.harness import Probe, wait_until

pytestmark = pytest.mark.integration

SIM_RATE = 200.0  # /joint_states and /clock; the test process drives 200 Hz steadily
PERIOD = 1.0 / SIM_RATE
LIMIT = 12.0  # N m: below the actuators' 18, to see the parameter at work
RAMP_S = 1.0
SENSOR_TIMEOUT = 0.03
STILL_S = 0.5
PARAMS = {
    "use_sim_time": True,
    "state_rate_hz": SIM_RATE,
    "torque_limit": LIMIT,
    "ramp_in_s": RAMP_S,
    "sensor_timeout_s": SENSOR_TIMEOUT,
    "command_timeout_s": 0.05,
    "standstill_time_s": STILL_S,
}
FILTER_SETTLE_S = 0.3  # low-pass (8 Hz) and slew limit after the ramp has ended


def thigh_swing(t: float, side: int) -> tuple[float, float]:
    """Walking-like thigh angle [rad] and rate [rad/s]: 1.1 s stride, sides in antiphase."""
    w = 2.0 * math.pi / 1.1
    phase = w * t + side * math.pi
    return 0.1 + 0.35 * math.sin(phase), 0.35 * w * math.cos(phase)


class ExoDriver(Probe):
    """Plays the device (clock, joint states, thigh IMUs) and the policy (torque request)."""

    def __init__(self) -> None:
        super().__init__("exo_driver")
        self.sim_ns = 0
        self.names = list(EXOSKELETON.joint_names)
        self.request: np.ndarray | None = None  # published at 100 Hz when set
        self.publish_imus = True
        self.publish_states = True
        self.last_state_stamp = 0.0
        self.standing = False
        self.last_imu_time = 0.0
        self.efforts: list[tuple[float, np.ndarray]] = []  # (source stamp [s], torques)
        self.diagnostics: list[dict[str, float | str]] = []  # the controller's
        self.modes: list[tuple[float, str]] = []  # (sim time seen, mode)
        self._ticks = 0
        qos = topics.CONTROL_QOS
        self.clock_pub = self.create_publisher(ClockMsg, topics.CLOCK, qos)
        self.state_pub = self.create_publisher(JointState, topics.JOINT_STATES, qos)
        self.target_pub = self.create_publisher(JointState, topics.JOINT_TARGETS, qos)
        self.imu_pubs = [self.create_publisher(Imu, topic, qos) for topic in topics.THIGH_IMUS]
        self.create_subscription(JointState, topics.EFFORT_COMMANDS, self._on_effort, qos)
        self.create_subscription(String, topics.CONTROLLER_STATE, self._on_mode, topics.LATCHED_QOS)
        self.create_subscription(DiagnosticArray, topics.DIAGNOSTICS, self._on_diagnostics, 10)
        self.create_timer(PERIOD, self._tick, clock=Clock(clock_type=ClockType.STEADY_TIME))

    @property
    def sim_time(self) -> float:
        return self.sim_ns * 1e-9

    @property
    def mode(self) -> str:
        with self.lock:
            return self.modes[-1][1] if self.modes else "UNKNOWN"

    def _tick(self) -> None:
        self.sim_ns += round(PERIOD * 1e9)
        stamp = Time(sec=self.sim_ns // 10**9, nanosec=self.sim_ns % 10**9)
        n = len(self.names)
        if self.publish_states:
            msg = ros_io.joint_state_msg(self.names, stamp, np.zeros(n), np.zeros(n))
            self.state_pub.publish(msg)
            with self.lock:
                self.last_state_stamp = self.sim_time
        self._ticks += 1
        if self._ticks % 2 == 0:  # 100 Hz: the IMUs' and the policy's rate
            if self.publish_imus:
                for side, pub in enumerate(self.imu_pubs):
                    angle, rate = (0.02, 0.0) if self.standing else thigh_swing(self.sim_time, side)
                    msg = Imu()
                    msg.header.stamp = stamp
                    o, w = imu_orientation(angle), imu_angular_velocity(rate)
                    msg.orientation.x, msg.orientation.y = float(o[0]), float(o[1])
                    msg.orientation.z, msg.orientation.w = float(o[2]), float(o[3])
                    msg.angular_velocity.x, msg.angular_velocity.y = float(w[0]), float(w[1])
                    msg.angular_velocity.z = float(w[2])
                    pub.publish(msg)
                with self.lock:
                    self.last_imu_time = self.sim_time
            if self.request is not None:
                self.target_pub.publish(
                    ros_io.joint_state_msg(EXOSKELETON.joint_names, stamp, effort=self.request)
                )
        self.clock_pub.publish(ClockMsg(clock=stamp))  # last, as the sim bridge does

    def _on_effort(self, msg: JointState) -> None:
        assert list(msg.name) == list(EXOSKELETON.joint_names)
        with self.lock:
            self.efforts.append((ros_io.stamp_to_sec(msg.header.stamp), np.array(msg.effort)))

    def _on_mode(self, msg: String) -> None:
        with self.lock:
            self.modes.append((self.sim_time, msg.data))

    def _on_diagnostics(self, msg: DiagnosticArray) -> None:
        for status in msg.status:
            if status.name == "/controller":
                with self.lock:
                    self.diagnostics.append(ros_io.diagnostic_values(status))

    def restart_clock(self) -> None:
        """A simulator reset: sim time starts again from zero."""
        self.sim_ns = 0

    def ask(self, value: float) -> None:
        self.request = np.full(EXOSKELETON.num_joints, value)

    def count(self) -> int:
        with self.lock:
            return len(self.efforts)

    def first_torques(self, index: int) -> list[float]:
        """First joint's commands from the `index`-th received on."""
        with self.lock:
            return [float(e[0]) for _, e in self.efforts[index:]]

    def torques_since(self, t: float) -> list[tuple[float, np.ndarray]]:
        """Commands computed from states stamped after sim time `t`."""
        with self.lock:
            return [(s, e) for s, e in self.efforts if s > t]

    def torque_at(self, t: float) -> np.ndarray:
        """The command computed from the first state stamped at or after sim time `t`
        (waits for it: the controller may run behind the driver on a loaded machine)."""

        def found() -> list[np.ndarray]:
            with self.lock:
                return [e for s, e in self.efforts if s >= t - 1e-9][:1]

        wait_until(found, 30.0, f"a command computed at sim time {t:.3f} s")
        return found()[0]

    def run_for(self, seconds: float) -> float:
        """Wait `seconds` of sim time; the sim time at the start."""
        start = self.sim_time
        wait_until(lambda: self.sim_time >= start + seconds, 20.0 + 10 * seconds, "sim time")
        return start


def start_controller(log_dir, robot: str = "exoskeleton", **params) -> NodeProcess:
    overrides = write_overrides(log_dir / "controller.params.yaml", {"controller": params})
    args = ros_args([config_file(robot)], overrides)  # the robot's YAML names the robot
    return NodeProcess("controller", log_dir, args, module="legkit_ros.assistance_controller")


@pytest.fixture
def exo():
    driver = ExoDriver().start()
    yield driver
    driver.close()


@pytest.fixture
def controller(tmp_path, exo):
    node = start_controller(tmp_path, **PARAMS)
    yield node
    node.stop()


def assisting(exo: ExoDriver, request: float = 10.0) -> float:
    """Walk, ask for `request` N m, wait for ASSIST; the sim time it was seen."""
    exo.ask(request)
    wait_until(lambda: exo.mode == "ASSIST", 30.0, "the controller to assist")
    return exo.sim_time


def fully_assisting(exo: ExoDriver, request: float = 10.0) -> None:
    """Assisting, ramped in: the torque is the request (within the limit)."""
    assisting(exo, request)
    reaches_full_torque(exo, request)


def reaches_full_torque(exo: ExoDriver, request: float = 10.0) -> None:
    """Wait until the newest command is the full request (within the limit).

    A precondition, not the ramp's specification (that is the first test): it waits for
    the full torque rather than reading it at the end of the ramp, because on a loaded
    machine a stalled driver can let the thigh data go stale for a moment, and the
    controller then rightly cuts the torque and ramps in again from zero.
    """
    full = np.full(2, min(request, LIMIT))

    def at_full() -> bool:
        """At the request and settled: the low-pass has stopped creeping up to it, so a
        fade that follows starts from a constant torque."""
        with exo.lock:
            if len(exo.efforts) < 2:
                return False
            (_, before), (_, last) = exo.efforts[-2:]
        return np.allclose(last, full, atol=0.05) and np.allclose(last, before, rtol=0, atol=1e-9)

    wait_until(at_full, 60.0, f"the full assistance torque {full[0]} N m")


def first_assistance(exo: ExoDriver, index: int) -> np.ndarray:
    """The first torque that is not zero from the `index`-th command received on."""

    def nonzero() -> list[np.ndarray]:
        with exo.lock:
            return [e for _, e in exo.efforts[index:] if e.any()]

    wait_until(nonzero, 10.0, "assistance torque")
    return nonzero()[0]


def call(exo: ExoDriver, srv_type, name: str, request=None):
    client = exo.create_client(srv_type, name)
    assert client.wait_for_service(timeout_sec=10.0), f"service {name} not offered"
    future = client.call_async(request or srv_type.Request())
    wait_until(future.done, 10.0, f"reply from {name}")
    return future.result()


def test_ramps_in_to_the_request_and_never_exceeds_the_torque_limit(exo, controller):
    wait_until(lambda: exo.mode == "STALE", 30.0, "the controller's first mode")
    t_assist = assisting(exo, 10.0)
    assert exo.torque_at(t_assist + RAMP_S + FILTER_SETTLE_S) == pytest.approx([10, 10], abs=0.05)
    ramp = [(s, e[0]) for s, e in exo.torques_since(0.0) if e.any()]  # zero while STALE
    t0 = ramp[0][0]  # the first command that is not zero
    assert ramp[0][1] < 0.5, "starts near zero"
    assert all(tau < 5.0 for s, tau in ramp if s < t0 + 0.4 * RAMP_S), "ramps in slowly"
    assert all(b >= a - 1e-9 for (_, a), (_, b) in zip(ramp, ramp[1:], strict=False))

    exo.ask(50.0)  # far above the limit
    t_big = exo.sim_time
    assert exo.torque_at(t_big + 0.5) == pytest.approx([LIMIT, LIMIT], abs=1e-6)
    big = exo.torques_since(t_big)
    assert max(float(np.abs(e).max()) for _, e in big) <= LIMIT + 1e-9

    wait_until(lambda: exo.diagnostics, 10.0, "the controller's diagnostics")
    report = exo.diagnostics[-1]
    assert report["mode"] == "ASSIST" and report["torque_limit_nm"] == LIMIT
    assert 0.0 < report["peak_torque_nm"] <= LIMIT and report["cycles"] > 0


def test_stale_thigh_imus_give_zero_torque_at_once(exo, controller):
    fully_assisting(exo)
    exo.publish_imus = False
    wait_until(lambda: exo.mode == "STALE", 10.0, "STALE after the IMUs stop")
    stale_by = exo.last_imu_time + SENSOR_TIMEOUT + 2 * PERIOD
    exo.torque_at(stale_by + 0.2)
    late = exo.torques_since(stale_by)
    assert all(np.all(e == 0.0) for _, e in late), "torque after the IMUs went stale"
    (line,) = controller.log_lines("ASSIST -> STALE")
    assert "thigh data" in line and "WARN" in line

    n = exo.count()
    exo.publish_imus = True  # back: assistance ramps in again, from zero
    assisting(exo)
    assert np.all(first_assistance(exo, n) < 1.0)


def test_transparent_fades_to_zero_and_back_to_assisting(exo, controller):
    fully_assisting(exo)
    n = exo.count()
    reply = call(exo, SetBool, topics.SRV_TRANSPARENT, SetBool.Request(data=True))
    assert reply.success and "transparent" in reply.message
    wait_until(lambda: exo.mode == "TRANSPARENT", 10.0, "TRANSPARENT")
    assert np.all(np.abs(exo.torque_at(exo.sim_time + 0.5)) < 0.01)
    fading = exo.first_torques(n)
    assert any(0.5 < tau < 9.5 for tau in fading), "faded, not cut"
    assert all(b <= a + 1e-9 for a, b in zip(fading, fading[1:], strict=False))

    reply = call(exo, SetBool, topics.SRV_TRANSPARENT, SetBool.Request(data=False))
    assert reply.success
    wait_until(lambda: exo.mode == "ASSIST", 10.0, "ASSIST after transparent off")
    reaches_full_torque(exo)


def test_estop_gives_zero_torque_at_once_latched_until_reset(exo, controller):
    fully_assisting(exo)
    assert not call(exo, Trigger, topics.SRV_RESET).success  # nothing to reset
    pub = exo.create_publisher(Bool, topics.ESTOP, topics.EVENT_QOS)
    wait_until(lambda: pub.get_subscription_count() > 0, 10.0, "the controller on /estop")
    n = exo.count()
    pub.publish(Bool(data=True))  # once: the latch holds it
    wait_until(lambda: exo.mode == "ESTOP", 10.0, "ESTOP")
    exo.torque_at(exo.sim_time + 0.5)  # the latch holds with /estop silent
    after = exo.first_torques(n)
    cut = after.index(0.0)
    assert all(tau > 9.0 for tau in after[:cut]), "cut at once, not faded"
    assert all(tau == 0.0 for tau in after[cut:])
    assert exo.mode == "ESTOP"
    assert not call(exo, Trigger, topics.SRV_START).success
    assert not call(exo, SetBool, topics.SRV_TRANSPARENT, SetBool.Request(data=False)).success
    assert exo.mode == "ESTOP"

    n = exo.count()
    assert call(exo, Trigger, topics.SRV_RESET).success
    assisting(exo)
    assert np.all(first_assistance(exo, n) < 1.0), "ramps in again after the reset"


def test_non_finite_request_or_reported_fault_gives_zero_torque(exo, controller):
    fully_assisting(exo)
    exo.ask(float("nan"))
    wait_until(lambda: exo.mode == "FAULT", 10.0, "FAULT on a NaN request")
    t = exo.sim_time
    exo.torque_at(t + 0.2)
    assert all(np.all(e == 0.0) for _, e in exo.torques_since(t))
    assert controller.log_lines("-> FAULT") and "non-finite command" in controller.log()
    assisting(exo)  # a valid request again

    # The observation or policy node reports a fault (every cycle while it lasts).
    faults = exo.create_publisher(DiagnosticStatus, topics.SAFETY_FAULTS, topics.EVENT_QOS)
    wait_until(lambda: faults.get_subscription_count() > 0, 10.0, "the controller on faults")
    status = DiagnosticStatus(name="/policy", message="non-finite observation received")
    status.level = DiagnosticStatus.ERROR
    fully_assisting(exo)
    n = exo.count()
    faults.publish(status)  # once: held for command_timeout_s, then assistance resumes
    wait_until(lambda: exo.mode == "FAULT", 10.0, "FAULT on a reported fault")
    assert "fault: from /policy: non-finite observation" in controller.log()
    wait_until(lambda: exo.mode == "ASSIST", 10.0, "ASSIST once faults stop")
    exo.torque_at(exo.sim_time + 0.1)
    after = exo.first_torques(n)
    cut = after.index(0.0)
    assert all(tau > 9.0 for tau in after[:cut]), "cut at once, not faded"
    resumed = [tau for tau in after[cut:] if tau != 0.0]
    assert resumed and resumed[0] < 1.0, "ramps in again"


def test_a_wearer_standing_still_gets_the_torque_faded_out(exo, controller):
    fully_assisting(exo)
    exo.standing = True
    t_still = exo.sim_time
    wait_until(lambda: exo.mode == "STANDSTILL", 10.0, "STANDSTILL")
    assert np.all(np.abs(exo.torque_at(exo.sim_time + 0.4)) < 0.01)
    assert all(np.all(e > 1.0) for s, e in exo.torques_since(t_still) if s < t_still + STILL_S)
    exo.standing = False  # walks on
    wait_until(lambda: exo.mode == "ASSIST", 10.0, "ASSIST when walking again")


def test_silence_of_the_device_sends_zero_torque_on_the_last_state(exo, controller):
    fully_assisting(exo)
    exo.publish_states = False  # the device stops; the sim clock runs on
    exo.publish_imus = False
    wait_until(lambda: exo.mode == "STALE", 10.0, "STALE after the device went silent")
    last_state = exo.last_state_stamp

    def zero_on_last_state() -> bool:
        with exo.lock:
            stamp, torques = exo.efforts[-1]
        return stamp == pytest.approx(last_state) and np.all(torques == 0.0)

    wait_until(zero_on_last_state, 10.0, "a zero command on the last state")


def test_a_simulator_reset_forgets_the_inputs_and_ramps_in_again(exo, controller):
    fully_assisting(exo)
    exo.run_for(max(3.0 - exo.sim_time, 0.0))  # the new time line stays far below the old
    old_time_line, n = exo.sim_time, exo.count()
    exo.restart_clock()
    wait_until(lambda: controller.log_lines("clock jumped back"), 10.0, "the clock jump line")
    assisting(exo)
    exo.run_for(0.2)
    with exo.lock:
        new = [e for s, e in exo.efforts[n:] if s < old_time_line - 1.0]
        modes = [m for _, m in exo.modes]
    assert np.all(new[0] == 0.0), "zero torque on the new time line until fresh data"
    first = [e for e in new if e.any()][0]
    assert np.all(first < 1.0), "ramps in again"
    assert modes[-1] == "ASSIST"


def test_joint_states_with_wrong_names_give_no_torque(exo, controller):
    exo.names = ["L_HIP", "R_KNEE"]
    exo.ask(10.0)
    wait_until(lambda: controller.log_lines("rejected"), 30.0, "the rejection line")
    exo.run_for(0.3)
    assert len(controller.log_lines("rejected")) == 1
    assert exo.efforts == []


@pytest.mark.parametrize(
    ("robot", "params", "message"),
    [
        pytest.param("quadruped", {}, "'quadruped' is position-actuated", id="quadruped"),
        pytest.param(
            "exoskeleton", {"torque_limit": 30.0}, "exceeds the actuators' 18.0 N m", id="limit"
        ),
        pytest.param("exoskeleton", {"ramp_in_s": -1.0}, "ramp_in_s must be >= 0", id="ramp"),
    ],
)
def test_refuses_to_start_with_a_clear_message(tmp_path, robot, params, message):
    node = start_controller(tmp_path, robot, **params)
    try:
        assert node.wait_exit(timeout=60) == 1
    finally:
        node.stop()
    (line,) = node.log_lines("refusing to start")
    assert message in line
