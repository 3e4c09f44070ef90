"""Rehearsal: the real hardware bridge drives the simulated robot through emulated CAN motors.

    python -m legkit_ros.rehearsal --ros-args \\
        --params-file ros2_ws/src/legkit_ros/config/quadruped_hardware.yaml
    # then the controller (use_sim_time:=true) and `ros2 service call /controller/start ...`

One process holds two nodes, because python-can's virtual buses connect Bus objects
inside one process only:

* `rehearsal` (RehearsalRobot) plays the robot: a pybullet world stepped in its own
  thread at real time x `real_time_factor` (in lockstep with the bridge's frames unless
  `lockstep_wait` is 0; see legkit.hardware.rehearsal), whose joints are the shafts of emulated
  MIT motors answering on virtual CAN buses named as in the hardware config. It also
  publishes what the rest of a robot would: /clock (simulated time), /imu/data (as an
  IMU driver would) and ground-truth /odom for monitors and tests.
* `hardware_bridge`, the node that runs on the robot, unchanged but for
  `can_interface: virtual` and `use_sim_time: true`.

With `auto_activate` it configures and activates the bridge once the bridge has seen
the clock and the IMU. Setting the `inject_fault` parameter at run time breaks one
emulated motor, for fault drills::

    ros2 param set /rehearsal inject_fault RH_KFE:no_reply          # CAN timeout
    ros2 param set /rehearsal inject_fault RH_KFE:error_code:3      # firmware fault code
    ros2 param set /rehearsal inject_fault RH_KFE:temperature:95    # over-temperature [C]
    ros2 param set /rehearsal inject_fault RH_KFE:reply_delay:0.01  # late replies [s]
 On Ctrl-C the bridge damps and takes every motor out of motor
mode first; the last log line says how many emulated motors are still in motor mode.
"""

from __future__ import annotations

import signal
import sys
import time

import rclpy
from builtin_interfaces.msg import Time
from nav_msgs.msg import Odometry
from rcl_interfaces.msg import SetParametersResult
from rclpy.executors import ExternalShutdownException
from rclpy.lifecycle import TransitionCallbackReturn
from rclpy.node import Node
from rclpy.parameter import Parameter
from rclpy.signals import SignalHandlerOptions
from rosgraph_msgs.msg import Clock as ClockMsg
from sensor_msgs.msg import Imu

from legkit.hardware import load_hardware_config, open_bus
from legkit.hardware.emulator import emulate, emulated_motors
from legkit.hardware.rehearsal import RealTimeLoop, RehearsalPlant
from legkit.robots import get_profile
from legkit.rotations import rotate_to_body
from legkit.sim import PybulletWorld, SimConfig
from legkit_ros import topics
from legkit_ros.hardware_bridge import HardwareBridge, resolve_config
from legkit_ros.spin import (
    StartupError,
    freeze_startup_objects,
    make_executor,
    spin_until_stopped,
)


class RehearsalRobot(Node):
    NODE_NAME = "rehearsal"

    def __init__(self, **kwargs) -> None:
        super().__init__(self.NODE_NAME, **kwargs)
        # The robot is the clock source; it must never run on the clock it publishes.
        self.set_parameters([Parameter("use_sim_time", value=False)])
        self.profile = get_profile(self.declare_parameter("robot", "quadruped").value)
        path = resolve_config(
            self.declare_parameter("hardware_config", "quadruped_motors.yaml").value
        )
        self.real_time_factor = self.declare_parameter("real_time_factor", 1.0).value
        initial_pose = self.declare_parameter("initial_pose", "lying").value
        friction = self.declare_parameter("ground_friction", 1.0).value
        odom_rate = self.declare_parameter("odom_rate_hz", 50.0).value
        reply_length = self.declare_parameter("reply_length", 8).value
        self.lockstep_wait = self.declare_parameter("lockstep_wait", 0.1).value
        self.auto_activate = self.declare_parameter("auto_activate", True).value
        self.declare_parameter("inject_fault", "")

        config = load_hardware_config(path, self.profile)
        self.world = PybulletWorld(
            self.profile,
            SimConfig(
                physics_rate_hz=self.profile.physics_rate_hz,
                ground_friction=friction,
                initial_pose=initial_pose,
            ),
        )
        self.plant = RehearsalPlant(self.world, config)
        self.emulators = emulate(
            config, lambda name: open_bus("virtual", name), self.plant, reply_length
        )
        self.odom_every = max(1, round(self.profile.physics_rate_hz / odom_rate))
        self.steps = 0
        self.lockstep_timeouts = 0
        self.clock_pub = self.create_publisher(ClockMsg, "/clock", topics.CONTROL_QOS)
        self.imu_pub = self.create_publisher(Imu, topics.IMU, topics.CONTROL_QOS)
        self.odom_pub = self.create_publisher(Odometry, topics.ODOM, topics.CONTROL_QOS)
        self.joint_names = list(self.profile.joint_names)
        self.add_on_set_parameters_callback(self.on_set_parameters)
        self.loop = RealTimeLoop(self.step, self.world.dt, self.real_time_factor)
        self.get_logger().info(
            f"rehearsing '{self.profile.name}' with {len(config.motors)} emulated motors on "
            f"virtual buses {', '.join(config.buses)}, real-time factor {self.real_time_factor}, "
            + (
                f"lockstep (waits up to {self.lockstep_wait:g} s for the bridge)"
                if self.lockstep_wait > 0.0
                else "free-running physics"
            )
        )

    def start(self) -> None:
        self.loop.start()

    def step(self) -> None:
        """Physics thread: one step, then the robot's own topics (the clock last)."""
        if not self.plant.step(self.lockstep_wait) and self.lockstep_wait > 0.0:
            self.lockstep_timeouts += 1
        self.steps += 1
        if not rclpy.ok():
            return  # shutting down: physics runs on while the bridge releases the motors
        state = self.world.state()
        stamp = _stamp(state.time)
        try:
            self.imu_pub.publish(_imu_msg(self.world, stamp, self.profile.base_link))
            if self.steps % self.odom_every == 0:
                self.odom_pub.publish(_odom_msg(state, stamp, self.profile.base_link))
            self.clock_pub.publish(ClockMsg(clock=stamp))
        except Exception:  # the context went down between the check and the publish
            pass

    def on_set_parameters(self, params: list[Parameter]) -> SetParametersResult:
        for param in params:
            if param.name == "inject_fault" and param.value:
                try:
                    line = inject_fault(
                        emulated_motors(self.emulators), self.joint_names, str(param.value)
                    )
                except ValueError as err:
                    return SetParametersResult(successful=False, reason=str(err))
                self.get_logger().warning(f"fault drill: {line}")
        return SetParametersResult(successful=True)

    def motors_in_motor_mode(self) -> int:
        return sum(m.in_motor_mode for m in emulated_motors(self.emulators))

    def destroy_node(self) -> None:
        self.loop.stop()
        for emulator in self.emulators:
            emulator.stop()
        self.world.close()
        super().destroy_node()


FAULT_KINDS = ("no_reply", "error_code", "temperature", "reply_delay")


def inject_fault(motors, joint_names: list[str], spec: str) -> str:
    """Break the motor of one joint as `spec` ("JOINT:KIND[:VALUE]") says; a line saying what.

    `motors` are the emulated motors in joint order. ValueError names what is wrong.
    """
    joint, _, rest = spec.partition(":")
    kind, _, value = rest.partition(":")
    if joint not in joint_names:
        raise ValueError(f"inject_fault '{spec}': unknown joint '{joint}'")
    if kind not in FAULT_KINDS:
        raise ValueError(f"inject_fault '{spec}': kind must be one of {', '.join(FAULT_KINDS)}")
    motor = motors[joint_names.index(joint)]
    if kind == "no_reply":
        motor.silent = True
        return f"{joint} motor stops answering"
    try:
        number = float(value)
    except ValueError:
        raise ValueError(f"inject_fault '{spec}': {kind} needs a number") from None
    if kind == "error_code":
        motor.error_code = int(number)
    elif kind == "temperature":
        motor.temperature_c = number
    else:
        motor.reply_delay = number
    return f"{joint} motor {kind.replace('_', ' ')} = {value}"


def bring_up(bridge: HardwareBridge, executor, timeout: float = 30.0) -> bool:
    """Configure and activate `bridge` once it has seen the clock and a fresh IMU sample."""
    end = time.monotonic() + timeout
    while bridge.get_clock().now().nanoseconds == 0 or bridge.imu_problem():
        executor.spin_once(timeout_sec=0.05)
        if time.monotonic() > end:
            bridge.get_logger().error(f"no clock or IMU after {timeout:.0f} s: not activating")
            return False
    ok = TransitionCallbackReturn.SUCCESS
    return bridge.trigger_configure() == ok and bridge.trigger_activate() == ok


def main(args=None) -> None:
    # Six threads share the GIL here (executor, physics, one emulator per bus); a 1 ms
    # switch interval instead of 5 ms keeps each CAN reply from waiting on the others.
    sys.setswitchinterval(1e-3)
    # Not rclpy's Ctrl-C handler (it shuts the context down first): the bridge releases
    # the motors while logging still reaches /rosout. Until spinning starts, Ctrl-C
    # interrupts start-up; installed explicitly because a process started in the
    # background may inherit SIGINT ignored.
    signal.signal(signal.SIGINT, signal.default_int_handler)
    rclpy.init(args=args, signal_handler_options=SignalHandlerOptions.NO)
    robot = bridge = None
    try:
        try:
            robot = RehearsalRobot()
            bridge = HardwareBridge(
                parameter_overrides=[
                    Parameter("can_interface", value="virtual"),
                    Parameter("use_sim_time", value=True),
                ]
            )
        except (StartupError, ValueError, KeyError, FileNotFoundError) as err:
            rclpy.logging.get_logger("rehearsal").fatal(f"refusing to start: {err}")
            sys.exit(1)
        executor = make_executor()
        executor.add_node(robot)
        executor.add_node(bridge)
        robot.start()
        if robot.auto_activate:
            bring_up(bridge, executor)
        freeze_startup_objects()
        spin_until_stopped(executor)
    except (KeyboardInterrupt, ExternalShutdownException):
        pass
    finally:
        if bridge is not None:
            bridge.destroy_node()  # damping, then every motor out of motor mode
        if robot is not None:
            robot.get_logger().info(
                f"after shutdown: {robot.motors_in_motor_mode()} of "
                f"{len(emulated_motors(robot.emulators))} emulated motors in motor mode; "
                f"{robot.lockstep_timeouts} physics steps did not wait for the bridge"
            )
            robot.destroy_node()
        if rclpy.ok():
            rclpy.shutdown()


def _stamp(t: float) -> Time:
    ns = round(t * 1e9)
    return Time(sec=ns // 1_000_000_000, nanosec=ns % 1_000_000_000)


def _imu_msg(world: PybulletWorld, stamp: Time, frame: str) -> Imu:
    imu = world.imu()
    msg = Imu()
    msg.header.stamp = stamp
    msg.header.frame_id = frame
    o, w, a = msg.orientation, msg.angular_velocity, msg.linear_acceleration
    o.x, o.y, o.z, o.w = imu.orientation.tolist()
    w.x, w.y, w.z = imu.angular_velocity.tolist()
    a.x, a.y, a.z = imu.linear_acceleration.tolist()
    return msg


def _odom_msg(state, stamp: Time, child_frame: str) -> Odometry:
    """Ground truth: pose in the world frame, twist in the base frame (REP 105)."""
    msg = Odometry()
    msg.header.stamp = stamp
    msg.header.frame_id = "odom"
    msg.child_frame_id = child_frame
    pose = msg.pose.pose
    pose.position.x, pose.position.y, pose.position.z = state.base_position.tolist()
    q = state.base_orientation
    pose.orientation.x, pose.orientation.y, pose.orientation.z, pose.orientation.w = q.tolist()
    twist = msg.twist.twist
    twist.linear.x, twist.linear.y, twist.linear.z = rotate_to_body(
        q, state.base_linear_velocity
    ).tolist()
    twist.angular.x, twist.angular.y, twist.angular.z = rotate_to_body(
        q, state.base_angular_velocity
    ).tolist()
    return msg


if __name__ == "__main__":
    main()
