"""Hardware bridge: the real robot's MIT CAN motors behind the sim bridge's topics.

A ROS 2 lifecycle node around legkit.hardware.HardwareInterface (all rules live there):

    ros2 lifecycle set /hardware_bridge configure   # open buses, ping and check every motor
    ros2 lifecycle set /hardware_bridge activate    # motor mode, soft start from the measured pose
    ros2 service call /controller/start std_srvs/srv/Trigger
    ros2 lifecycle set /hardware_bridge deactivate  # damping, then out of motor mode

Every control period once configured it exchanges one frame with every motor and
publishes /joint_states (position, velocity, measured effort by joint name, also while
inactive so calibration can be checked before torque is on). It applies named effort
commands from /joint_effort_commands only while active. /estop (std_msgs/Bool, true)
takes every motor out of motor mode, latched until cleanup. While it is not applying
commands (inactive, watchdog, fault, e-stop, or a stale IMU) it publishes an ERROR on
/safety/faults at 20 Hz, so the controller holds DAMPING and cannot be started
against motors that would ignore it.

IMU: a standard driver (microstrain_inertial_driver, xsens_mti_driver, phidgets_spatial,
...) publishes sensor_msgs/Imu on /imu/data in the base frame, with orientation (raw
drivers go through imu_filter_madgwick first). The observation node reads it directly;
this node only watches it: activation is refused, and while active a fault is reported,
when the newest sample is older than `imu_timeout` (0 disables the check).

Its control loop runs on the node's clock: wall time on a robot, the rehearsal's
simulated time with use_sim_time.
"""

from __future__ import annotations

import time
from pathlib import Path

from rclpy.lifecycle import LifecycleNode, LifecycleState, TransitionCallbackReturn
from sensor_msgs.msg import Imu, JointState
from std_msgs.msg import Bool

from legkit.hardware import (
    BridgeSettings,
    HardwareConfigError,
    HardwareError,
    HardwareInterface,
    Mode,
    load_hardware_config,
    open_bus,
)
from legkit.robots import get_profile
from legkit.robots.joint_map import JointMap, JointNameError
from legkit.timing import LatencyMonitor, RateMonitor
from legkit_ros import ros_io, topics
from legkit_ros.bringup import config_file
from legkit_ros.faults import FaultReporter
from legkit_ros.latest import LatestMessage
from legkit_ros.ros_io import ERROR, OK, WARN, DiagnosticsPublisher
from legkit_ros.spin import run_node

FAULT_REPORT_PERIOD = 0.05
"""How often a persisting reason for not applying commands goes to /safety/faults [s]."""

SUCCESS = TransitionCallbackReturn.SUCCESS
FAILURE = TransitionCallbackReturn.FAILURE


class HardwareBridge(LifecycleNode):
    NODE_NAME = "hardware_bridge"

    def __init__(self, **kwargs) -> None:
        super().__init__(self.NODE_NAME, **kwargs)
        self.profile = get_profile(self.declare_parameter("robot", "quadruped").value)
        self.config_path = self.declare_parameter("hardware_config", "quadruped_motors.yaml").value
        self.interface = self.declare_parameter("can_interface", "socketcan").value
        rate = self.declare_parameter("control_rate_hz", self.profile.physics_rate_hz).value
        self.imu_timeout = self.declare_parameter("imu_timeout", 0.1).value
        defaults = BridgeSettings()
        self.settings = BridgeSettings(
            control_period=1.0 / rate,
            **{
                name: self.declare_parameter(name, getattr(defaults, name)).value
                for name in (
                    "effort_timeout",
                    "watchdog_damping",
                    "soft_start",
                    "exit_damping",
                    "reply_timeout",
                    "max_missed_replies",
                    "max_temperature_c",
                    "position_margin",
                )
            },
        )
        self.hw: HardwareInterface | None = None
        self.names = list(self.profile.joint_names)
        self.joint_map = JointMap(self.names)
        self.rejected: set[tuple[str, ...]] = set()

        self.state_pub = self.create_publisher(JointState, topics.JOINT_STATES, topics.CONTROL_QOS)
        self.create_subscription(
            JointState, topics.EFFORT_COMMANDS, self.on_effort, topics.CONTROL_QOS
        )
        self.create_subscription(Bool, topics.ESTOP, self.on_estop, topics.EVENT_QOS)
        self.imu = LatestMessage(self, Imu, topics.IMU, topics.CONTROL_QOS)
        self.faults = FaultReporter(self)
        self.last_report = -1.0
        self.published_at: dict[int, float] = {}
        self.latency = LatencyMonitor()
        self.loop = RateMonitor(self.settings.control_period)
        self.create_timer(self.settings.control_period, self.on_cycle)
        self.diagnostics_pub = DiagnosticsPublisher(self, self.diagnostics)

    # --- lifecycle ----------------------------------------------------------
    def on_configure(self, state: LifecycleState) -> TransitionCallbackReturn:
        try:
            path = resolve_config(self.config_path)
            config = load_hardware_config(path, self.profile)
            self.hw = HardwareInterface(
                self.profile,
                config,
                self.settings,
                lambda name: open_bus(self.interface, name),
                log=self.log_line,
            )
            self.hw.configure()
        except (HardwareConfigError, HardwareError, FileNotFoundError) as err:
            self.get_logger().error(f"configure failed: {err}")
            self.hw = None
            return FAILURE
        self.get_logger().info(f"hardware config {path}, CAN interface '{self.interface}'")
        return SUCCESS

    def on_activate(self, state: LifecycleState) -> TransitionCallbackReturn:
        imu_problem = self.imu_problem()
        try:
            if imu_problem:
                raise HardwareError(f"activate refused: {imu_problem}")
            self.hw.activate(self.now())
        except HardwareError as err:
            self.get_logger().error(str(err))
            return FAILURE
        return SUCCESS

    def on_deactivate(self, state: LifecycleState) -> TransitionCallbackReturn:
        self.hw.deactivate()
        return SUCCESS

    def on_cleanup(self, state: LifecycleState) -> TransitionCallbackReturn:
        self.hw.cleanup()
        self.hw = None
        return SUCCESS

    def on_shutdown(self, state: LifecycleState) -> TransitionCallbackReturn:
        self.release_motors()
        return SUCCESS

    def on_error(self, state: LifecycleState) -> TransitionCallbackReturn:
        self.release_motors()
        return SUCCESS

    def release_motors(self) -> None:
        """Motors out of motor mode (after damping if active), buses closed."""
        if self.hw is not None:
            self.hw.shutdown()
            self.hw = None

    def destroy_node(self) -> None:
        self.release_motors()  # Ctrl-C: never leave a motor in motor mode
        super().destroy_node()

    # --- inputs -------------------------------------------------------------
    def now(self) -> float:
        return self.get_clock().now().nanoseconds * 1e-9

    def on_effort(self, msg: JointState) -> None:
        if self.hw is None:
            return
        try:
            command = ros_io.joint_command(self.joint_map, msg)
        except JointNameError as err:
            key = tuple(msg.name)
            if key not in self.rejected:
                self.rejected.add(key)
                self.get_logger().error(f"effort command rejected, not applied: {err}")
            return
        if self.hw.set_command(self.now(), command):
            sent = self.published_at.get(ros_io.stamp_key(msg.header.stamp))
            if sent is not None:
                self.latency.add(time.perf_counter() - sent)

    def on_estop(self, msg: Bool) -> None:
        if msg.data and self.hw is not None:
            self.hw.estop(f"requested on {topics.ESTOP}")

    def imu_problem(self) -> str:
        """Why the IMU cannot be trusted now; "" when fresh (or the check is off)."""
        if self.imu_timeout <= 0.0:
            return ""
        msg = self.imu.take()
        if msg is None:
            return f"no IMU data on {topics.IMU}"
        age = self.now() - ros_io.stamp_to_sec(msg.header.stamp)
        if age > self.imu_timeout:
            return f"IMU data on {topics.IMU} is {age * 1e3:.0f} ms old"
        return ""

    # --- the control loop ---------------------------------------------------
    def on_cycle(self) -> None:
        if self.hw is None:
            return
        self.loop.tick(time.perf_counter())
        reading = self.hw.cycle(self.now())
        stamp = self.get_clock().now().to_msg()
        self.state_pub.publish(
            ros_io.joint_state_msg(
                self.names, stamp, reading.positions, reading.velocities, reading.efforts
            )
        )
        self.published_at[ros_io.stamp_key(stamp)] = time.perf_counter()
        if len(self.published_at) > 256:
            del self.published_at[next(iter(self.published_at))]
        problem = self.hw.not_applying_commands()
        if not problem and self.hw.mode in (Mode.SOFT_START, Mode.RUNNING):
            problem = self.imu_problem()
        if not problem:
            self.faults.clear()
            self.last_report = -1.0
            return
        # Every cycle would flood the controller; a few times a second keeps it in DAMPING.
        wall = time.monotonic()
        if wall - self.last_report >= FAULT_REPORT_PERIOD:
            self.last_report = wall
            self.faults.report(problem.split(":")[0], problem)

    def log_line(self, line: str) -> None:
        if line.startswith(("FAULT", "ESTOP")):
            self.get_logger().error(line)
        elif line.startswith("WATCHDOG"):
            self.get_logger().warning(line)
        else:
            self.get_logger().info(line)

    def diagnostics(self):
        mode = self.hw.mode if self.hw is not None else Mode.UNCONFIGURED
        values = {"mode": mode.value, **self.loop.summary()}
        values.update(self.latency.summary("state_to_effort"))
        if self.hw is not None:
            values["motors_replied"] = float(self.hw.reading().replied)
            if self.hw.max_temperature is not None:
                values["max_temperature_c"] = self.hw.max_temperature
            if self.hw.motor_bus is not None:
                values["late_replies"] = float(self.hw.motor_bus.late_replies)
        if mode in (Mode.SOFT_START, Mode.RUNNING):
            problem = self.imu_problem()
            return (ERROR, problem, values) if problem else (OK, mode.value, values)
        level = ERROR if mode in (Mode.FAULT, Mode.ESTOP) else WARN
        reason = self.hw.not_applying_commands() if self.hw else "hardware bridge not configured"
        return level, reason, values


def resolve_config(value: str) -> Path:
    """A hardware config path: as given if it exists, else a file in legkit_ros's config/."""
    path = Path(value)
    if path.is_file():
        return path
    if path.parent == Path(".") and path.suffix == ".yaml":
        return config_file(path.stem)
    raise FileNotFoundError(f"hardware config not found: {value}")


def main(args=None) -> None:
    run_node(HardwareBridge, args)


if __name__ == "__main__":
    main()
