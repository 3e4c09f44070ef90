"""A motor fault drill on the real-driver path, shared by the CAN fault modules.

Processes, as on the robot: the controller (`pd_in_motor`, operator start) and the
rehearsal (pybullet robot, emulated MIT motors on virtual CAN buses, the lifecycle
hardware bridge). Once the bridge is active and the controller is standing the robot up,
the drill breaks one motor through the rehearsal's `inject_fault` parameter, waits for
the stack to reach its safe state, then presses Ctrl-C on the rehearsal.

The watcher records, in the test process, every effort command the controller sends
(with the stamp of the joint state it was computed from, and whether it holds a PD
target) and the newest /joint_states stamp at the moment the first fault report arrives.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import rclpy
from diagnostic_msgs.msg import DiagnosticStatus
from lifecycle_msgs.srv import GetState
from rcl_interfaces.msg import Parameter, ParameterType, ParameterValue
from rcl_interfaces.srv import SetParameters
from rosgraph_msgs.msg import Clock
from sensor_msgs.msg import JointState
from std_msgs.msg import String
from std_srvs.srv import Trigger

from legkit_ros import ros_io, topics
from legkit_ros.bringup import config_file, ros_args, write_overrides
from legkit_ros.processes import NodeProcess
from tests.integration.harness import Probe, wait_until

REAL_TIME_FACTOR = 0.25
"""The rehearsal process runs physics, bridge and emulators on one GIL; CI has 2 cores."""
FAULTED_JOINT = "RH_KFE"
CONTROL_PERIOD = 0.004
"""Bridge and controller period [s] (the quadruped's 250 Hz physics rate)."""


class Watcher(Probe):
    def __init__(self) -> None:
        super().__init__("fault_drill_watcher")
        self.sim_time = 0.0
        self.state_stamp = 0.0
        self.commands: list[tuple[float, bool]] = []  # (source stamp, holds a PD target)
        self.modes: list[str] = []
        self.fault_at_state: float | None = None  # newest state stamp when the fault arrived
        self.create_subscription(Clock, "/clock", self.on_clock, topics.CONTROL_QOS)
        self.create_subscription(JointState, topics.JOINT_STATES, self.on_state, topics.RECORD_QOS)
        self.create_subscription(
            JointState, topics.EFFORT_COMMANDS, self.on_command, topics.RECORD_QOS
        )
        self.create_subscription(
            String, topics.CONTROLLER_STATE, lambda m: self.modes.append(m.data), topics.LATCHED_QOS
        )
        self.create_subscription(
            DiagnosticStatus, topics.SAFETY_FAULTS, self.on_fault, topics.EVENT_QOS
        )
        self.start_client = self.create_client(Trigger, topics.SRV_START)
        self.state_client = self.create_client(GetState, "/hardware_bridge/get_state")
        self.param_client = self.create_client(SetParameters, "/rehearsal/set_parameters")
        self.armed = False

    def on_clock(self, msg: Clock) -> None:
        self.sim_time = ros_io.stamp_to_sec(msg.clock)

    def on_state(self, msg: JointState) -> None:
        self.state_stamp = max(self.state_stamp, ros_io.stamp_to_sec(msg.header.stamp))

    def on_command(self, msg: JointState) -> None:
        self.commands.append((ros_io.stamp_to_sec(msg.header.stamp), len(msg.position) > 0))

    def on_fault(self, msg: DiagnosticStatus) -> None:
        # Faults reported while the bridge is inactive (before the drill) do not count.
        if self.armed and self.fault_at_state is None and "hardware fault" in msg.message:
            self.fault_at_state = self.state_stamp

    def call(self, client, request, timeout: float = 5.0):
        future = client.call_async(request)
        wait_until(future.done, timeout, f"reply from {client.srv_name}")
        return future.result()


@dataclass
class DrillResult:
    watcher: Watcher
    bridge_log: str
    controller_log: str
    returncode: int


def _string_param(name: str, value: str) -> Parameter:
    return Parameter(
        name=name, value=ParameterValue(type=ParameterType.PARAMETER_STRING, string_value=value)
    )


def run_drill(log_dir: Path, fault: str) -> DrillResult:
    """Stand up through the bridge, inject `fault` ("KIND[:VALUE]") on FAULTED_JOINT."""
    overrides = write_overrides(
        log_dir / "overrides.yaml",
        {
            "controller": {"use_sim_time": True, "pd_in_motor": True, "auto_start": False},
            "rehearsal": {"real_time_factor": REAL_TIME_FACTOR},
            "hardware_bridge": {"reply_timeout": 0.02, "max_missed_replies": 10},
        },
    )
    args = ros_args([config_file("quadruped"), config_file("quadruped_hardware")], overrides)
    controller = NodeProcess("controller", log_dir, args)
    watcher = Watcher().start()
    log_path = log_dir / "rehearsal.log"
    log = open(log_path, "w")
    rehearsal = subprocess.Popen(
        [sys.executable, "-m", "legkit_ros.rehearsal", *args],
        stdout=log,
        stderr=subprocess.STDOUT,
        env=dict(os.environ, PYTHONUNBUFFERED="1", RCUTILS_COLORIZED_OUTPUT="0"),
    )
    try:
        assert watcher.state_client.wait_for_service(timeout_sec=60.0), "no hardware bridge"
        wait_until(
            lambda: (
                watcher.call(watcher.state_client, GetState.Request()).current_state.label
                == "active"
            ),
            60.0,
            "hardware bridge active",
        )
        assert watcher.start_client.wait_for_service(timeout_sec=30.0), "no controller"
        wait_until(
            lambda: watcher.call(watcher.start_client, Trigger.Request()).success,
            30.0,
            "controller to accept /controller/start",
        )
        wait_until(lambda: watcher.modes and watcher.modes[-1] == "STANDUP", 10.0, "STANDUP")
        started = watcher.sim_time
        wait_until(lambda: watcher.sim_time > started + 0.5, 30.0, "half a second of stand-up")
        watcher.armed = True
        request = SetParameters.Request(
            parameters=[_string_param("inject_fault", f"{FAULTED_JOINT}:{fault}")]
        )
        (result,) = watcher.call(watcher.param_client, request).results
        assert result.successful, result.reason
        wait_until(lambda: "FAULT handling done" in log_path.read_text(), 60.0, "fault handling")
        wait_until(lambda: watcher.modes[-1] == "DAMPING", 10.0, "controller in DAMPING")
        rehearsal.send_signal(signal.SIGINT)
        returncode = rehearsal.wait(timeout=30.0)
        return DrillResult(watcher, log_path.read_text(), controller.log(), returncode)
    finally:
        if rehearsal.poll() is None:
            rehearsal.kill()
            rehearsal.wait()
        log.close()
        controller.stop()
        watcher.close()


def fault_lines(log: str) -> list[str]:
    """The bridge's fault lines that name a joint (not the closing "FAULT handling done")."""
    return [line for line in log.splitlines() if f"]: FAULT {FAULTED_JOINT} " in line]


def commands_after_detection(result: DrillResult) -> list[bool]:
    """For each command computed from a state one period or more after the fault was
    reported: does it still hold a PD target?"""
    w = result.watcher
    assert w.fault_at_state is not None, "no hardware fault reached /safety/faults"
    return [pd for stamp, pd in w.commands if stamp >= w.fault_at_state + CONTROL_PERIOD - 1e-6]


def ensure_ros() -> None:
    if not rclpy.ok():
        rclpy.init()


def assert_controller_sends_no_pd_target_one_period_after(result: DrillResult) -> None:
    after = commands_after_detection(result)
    assert after, "no command after the fault"
    assert not any(after), "a PD target was sent after the fault was reported"
    assert result.watcher.modes[-1] == "DAMPING"


def assert_every_motor_left_motor_mode(result: DrillResult) -> None:
    """Damping, then every motor out of motor mode, and still out after Ctrl-C."""
    assert "FAULT handling done: 12 of 12 motors confirmed out of motor mode" in result.bridge_log
    assert result.returncode == 0, (
        f"rehearsal exited {result.returncode} after Ctrl-C; its log ends:\n"
        + result.bridge_log[-3000:]
    )
    assert "after shutdown: 0 of 12 emulated motors in motor mode" in result.bridge_log
