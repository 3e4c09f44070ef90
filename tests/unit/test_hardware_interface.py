"""HardwareInterface against emulated motors: lifecycle, soft start, watchdog, limits, faults,
e-stop and shutdown. The clock is the test's; the CAN frames are real (virtual buses)."""

from __future__ import annotations

import copy
import dataclasses
import re

import numpy as np
import pytest

from legkit.control import JointCommand
from legkit.hardware import HardwareError, Mode, hardware_config_from_dict
from tests.unit.hardware_rig import CONFIG, FAST, PROFILE, Rig, motor_map

N = PROFILE.num_joints
ZEROS = np.zeros(N)
LSB = 50.0 / 4095  # one step of a 12-bit AK70-10 torque [N m]


@pytest.fixture
def rig():
    r = Rig()
    yield r
    r.close()


def joint(name: str) -> int:
    return PROFILE.joint_index(name)


# ---------------------------------------------------------------- configure


def test_configure_finds_every_motor_and_reads_the_pose_without_motor_mode(rig):
    rig.hw.configure()
    assert rig.hw.mode is Mode.INACTIVE
    assert not any(rig.in_motor_mode())
    reading = rig.hw.cycle(0.0)
    assert reading.replied == N
    np.testing.assert_allclose(reading.positions, PROFILE.default_positions, atol=1e-3)


def test_configure_names_a_motor_that_does_not_answer_its_id():
    doc = copy.deepcopy(motor_map())
    doc["joints"]["RH_KFE"]["id"] = 9  # wired as id 3
    rig = Rig(config=hardware_config_from_dict(doc, PROFILE), emulated_config=CONFIG)
    try:
        with pytest.raises(HardwareError, match=r"RH_KFE \(can3 id 9\): no reply to ping"):
            rig.hw.configure()
        assert rig.hw.mode is Mode.UNCONFIGURED
    finally:
        rig.close()


def test_configure_names_a_joint_that_reads_outside_its_range():
    # Knee wired with the opposite direction: it reads +1.5 rad instead of -1.5 rad.
    doc = copy.deepcopy(motor_map())
    doc["joints"]["LF_KFE"]["direction"] = -1
    rig = Rig(config=hardware_config_from_dict(doc, PROFILE), emulated_config=CONFIG)
    try:
        with pytest.raises(HardwareError, match=r"LF_KFE \(can0 id 3\): measured at -3\.90 rad"):
            rig.hw.configure()
    finally:
        rig.close()


@pytest.mark.parametrize(
    "fault, message",
    [
        ({"temperature_c": 90.0}, r"RF_HFE \(can1 id 2\): temperature 90 C >= limit 80 C"),
        ({"error_code": 5}, r"RF_HFE \(can1 id 2\): motor error code 5 \(encoder fault\)"),
    ],
)
def test_configure_refuses_a_motor_already_at_fault(rig, fault, message):
    for key, value in fault.items():
        setattr(rig.motor("RF_HFE"), key, value)
    with pytest.raises(HardwareError, match=message):
        rig.hw.configure()


def test_configure_names_a_bus_that_cannot_be_opened():
    rig = Rig()

    def failing(name):
        raise OSError(f"No such device: {name}")

    rig.hw._open_bus = failing
    try:
        with pytest.raises(HardwareError, match="cannot open CAN bus 'can0': No such device"):
            rig.hw.configure()
    finally:
        rig.close()


# ---------------------------------------------------------------- activate, soft start


def test_effort_commands_are_refused_unless_active(rig):
    assert not rig.hw.set_effort(0.0, ZEROS)  # unconfigured
    rig.hw.configure()
    assert not rig.hw.set_effort(0.0, ZEROS)  # inactive
    rig.hw.cycle(0.004)
    assert all(m.command_frames == 0 for m in rig.motors)
    assert len(rig.lines("effort commands refused")) == 1  # said once, not every cycle


def test_activation_enters_motor_mode_and_first_holds_the_measured_pose(rig):
    rig.active()
    assert all(rig.in_motor_mode())
    assert rig.hw.mode is Mode.SOFT_START
    rig.hw.set_effort(0.0, np.full(N, 5.0))
    rig.hw.cycle(0.0)  # soft start progress 0: pure hold
    for m, motor, q in zip(CONFIG.motors, rig.motors, PROFILE.default_positions, strict=True):
        cmd = motor.last_command
        assert cmd.position == pytest.approx(m.motor_position(q), abs=1e-3)
        assert cmd.kp == pytest.approx(PROFILE.kp[0] / m.gear_ratio**2, abs=500 / 4095)
        assert abs(cmd.torque) <= LSB


def test_soft_start_hands_over_to_the_effort_commands(rig):
    rig.active()
    effort = np.full(N, 3.0)
    rig.run(FAST.soft_start + 0.02, effort)
    assert rig.hw.mode is Mode.RUNNING
    for m, motor in zip(CONFIG.motors, rig.motors, strict=True):
        cmd = motor.last_command
        assert cmd.kp == 0.0 and cmd.kd == 0.0
        assert cmd.torque == pytest.approx(m.direction * 3.0 / m.gear_ratio, abs=LSB)


# ---------------------------------------------------------------- PD in the motor

KP_LSB = 500.0 / 4095  # one step of a 12-bit kp
KD_LSB = 5.0 / 4095
POS_LSB = 25.0 / 65535  # one step of a 16-bit position over +-12.5 rad


def run_command(rig, seconds: float, command: JointCommand) -> None:
    for _ in range(round(seconds / FAST.control_period)):
        rig.t += FAST.control_period
        rig.hw.set_command(rig.t, command)
        rig.hw.cycle(rig.t)


def test_pd_target_reaches_each_motor_with_the_profile_gains_at_the_motor_side(rig):
    rig.active()
    target = PROFILE.default_positions + 0.05
    run_command(rig, FAST.soft_start + 0.02, JointCommand(position=target, velocity=ZEROS))
    assert rig.hw.mode is Mode.RUNNING
    for i, (m, motor) in enumerate(zip(CONFIG.motors, rig.motors, strict=True)):
        cmd = motor.last_command
        # A joint stiffness k through ratio G is k / G^2 at the rotor.
        assert cmd.kp == pytest.approx(PROFILE.kp[i] / m.gear_ratio**2, abs=KP_LSB)
        assert cmd.kd == pytest.approx(PROFILE.kd[i] / m.gear_ratio**2, abs=KD_LSB)
        assert cmd.position == pytest.approx(m.motor_position(target[i]), abs=2 * POS_LSB)
        assert cmd.torque == pytest.approx(0.0, abs=LSB)


def test_pd_target_beyond_the_joint_range_is_clamped_before_encoding(rig):
    rig.active()
    target = PROFILE.default_positions.copy()
    k = joint("LF_HAA")
    target[k] = PROFILE.upper_limits[k] + 0.5
    run_command(rig, FAST.soft_start + 0.02, JointCommand(position=target, velocity=ZEROS))
    m = CONFIG.motors[k]
    # Pulled in further if the torque limit needs it, never beyond the range.
    assert m.direction * rig.motor("LF_HAA").last_command.position <= (
        m.direction * m.motor_position(PROFILE.upper_limits[k]) + 2 * POS_LSB
    )


def test_pd_target_is_pulled_toward_the_measured_pose_to_respect_the_torque_limit(rig):
    rig.active()
    run_command(rig, FAST.soft_start + 0.02, JointCommand(position=PROFILE.default_positions))
    # Knee at -1.5 rad asked to go to its stop at -2.7: kp 30 x 1.2 rad = 36 N m > 35.5.
    k = joint("LF_KFE")
    target = PROFILE.default_positions.copy()
    target[k] = PROFILE.lower_limits[k]
    rig.hw.set_command(rig.t, JointCommand(position=target))
    rig.hw.cycle(rig.t)
    m, cmd, q = CONFIG.motors[k], rig.motor("LF_KFE").last_command, rig.hw.reading().positions[k]
    target_joint = m.direction * cmd.position / m.gear_ratio + m.zero_offset
    limit = min(m.torque_limit, PROFILE.effort_limits[k])
    assert target_joint > PROFILE.lower_limits[k]
    assert abs(PROFILE.kp[k] * (target_joint - q)) <= limit + 0.5


def test_velocity_only_command_is_damping_with_the_profile_damping_gain(rig):
    rig.active()
    run_command(rig, FAST.soft_start + 0.02, JointCommand(velocity=ZEROS))
    for m, motor in zip(CONFIG.motors, rig.motors, strict=True):
        assert motor.last_command.kp == 0.0
        assert motor.last_command.kd == pytest.approx(
            PROFILE.damping_kd / m.gear_ratio**2, abs=KD_LSB
        )


def test_non_finite_pd_target_is_dropped_and_named(rig):
    rig.active()
    target = PROFILE.default_positions.copy()
    target[joint("RF_HFE")] = np.inf
    assert not rig.hw.set_command(0.0, JointCommand(position=target))
    assert rig.lines("position command dropped: RF_HFE=inf is not finite")


def test_measured_state_comes_back_in_joint_space(rig):
    rig.active()
    rig.run(0.02, ZEROS)
    reading = rig.hw.reading()
    np.testing.assert_allclose(reading.positions, PROFILE.default_positions, atol=0.01)
    assert reading.replied == N


# ---------------------------------------------------------------- limits


def test_effort_is_clamped_to_the_joint_torque_limit_before_encoding(rig):
    rig.active()
    rig.run(FAST.soft_start + 0.01, ZEROS)
    rig.hw.set_effort(rig.t, np.full(N, 1000.0))
    rig.hw.cycle(rig.t)
    for m, motor in zip(CONFIG.motors, rig.motors, strict=True):
        # Joint limit (23.7 or 35.5 N m) through the transmission, never the model's 25 N m.
        expected = m.direction * m.torque_limit / m.gear_ratio
        assert motor.last_command.torque == pytest.approx(expected, abs=LSB)


def test_non_finite_effort_is_dropped_and_named(rig):
    rig.active()
    effort = np.full(N, 2.0)
    effort[joint("LH_KFE")] = np.nan
    assert not rig.hw.set_effort(0.0, effort)
    assert rig.lines("effort command dropped: LH_KFE=nan is not finite")


def test_hold_target_is_clamped_into_the_joint_range():
    # LF_HAA rests 0.1 rad beyond its upper limit (within the margin): hold at the limit.
    pose = PROFILE.default_positions.copy()
    pose[joint("LF_HAA")] = PROFILE.upper_limits[joint("LF_HAA")] + 0.1
    rig = Rig(pose=pose)
    try:
        rig.active()
        rig.hw.cycle(0.0)
        assert rig.motor("LF_HAA").last_command.position == pytest.approx(0.8, abs=1e-3)
    finally:
        rig.close()


def test_joint_pushed_beyond_its_range_is_a_fault(rig):
    rig.active()
    rig.run(0.02, ZEROS)
    rig.plant.position[joint("RH_HFE")] = -3.5  # direction -1: joint at +3.5 rad, limit 3.0
    rig.run(0.008, ZEROS)
    (line,) = rig.lines("FAULT RH_HFE")
    reported = re.search(r"position ([0-9.]+) rad outside \[-1.00, 3.00\] rad by more than", line)
    assert reported and 3.2 < float(reported.group(1)) < 3.8, line


def test_joint_spinning_beyond_its_speed_limit_is_a_fault(rig):
    rig.active()
    rig.run(0.02, ZEROS)
    rig.plant.friction = 0.0  # keeps spinning however late the next reply is read
    rig.plant.velocity[joint("LF_HFE")] = 40.0
    rig.hw.cycle(rig.t)
    (line,) = rig.lines("FAULT LF_HFE")
    reported = re.search(r"velocity ([0-9.]+) rad/s beyond limit 30.0 rad/s", line)
    assert reported and 30.0 < float(reported.group(1)) <= 40.5, line


# ---------------------------------------------------------------- watchdog


def test_watchdog_damps_then_zeroes_torque_when_commands_stop(rig):
    rig.active()
    rig.run(FAST.soft_start + 0.02, np.full(N, 2.0))
    rig.run(FAST.effort_timeout + 0.01)  # no effort commands
    assert rig.hw.mode is Mode.DAMPING
    (line,) = rig.lines("WATCHDOG no effort command")
    assert "limit 50 ms" in line
    for m, motor in zip(CONFIG.motors, rig.motors, strict=True):
        cmd = motor.last_command
        assert cmd.kp == 0.0 and abs(cmd.torque) <= LSB
        assert cmd.kd == pytest.approx(PROFILE.damping_kd / m.gear_ratio**2, abs=5 / 4095)
    rig.run(FAST.watchdog_damping)
    assert rig.hw.mode is Mode.ZERO_TORQUE
    assert all(m.last_command.kd == 0.0 and abs(m.last_command.torque) <= LSB for m in rig.motors)
    assert all(rig.in_motor_mode())


def test_commands_after_a_watchdog_stop_resume_through_a_soft_start(rig):
    rig.active()
    rig.run(FAST.soft_start + 0.02, ZEROS)
    rig.run(FAST.effort_timeout + 0.01)
    assert rig.hw.set_effort(rig.t, ZEROS)
    assert rig.hw.mode is Mode.SOFT_START
    rig.run(FAST.soft_start + 0.01, ZEROS)
    assert rig.hw.mode is Mode.RUNNING


# ---------------------------------------------------------------- faults


@pytest.mark.parametrize(
    "inject, expected",
    [
        ({"silent": True}, "LH_KFE (can2 id 3): no reply for 3 consecutive frames"),
        ({"reply_delay": 0.2}, "LH_KFE (can2 id 3): no reply for 3 consecutive frames"),
        ({"error_code": 2}, "LH_KFE (can2 id 3): motor error code 2 (over-current)"),
        ({"temperature_c": 95.0}, "LH_KFE (can2 id 3): temperature 95 C >= limit 80 C"),
    ],
    ids=["no reply", "delayed replies", "fault code", "over-temperature"],
)
def test_motor_fault_damps_every_motor_then_exits_motor_mode(inject, expected):
    rig = Rig(settings=dataclasses.replace(FAST, reply_timeout=0.01))
    try:
        rig.active()
        rig.run(FAST.soft_start + 0.02, ZEROS)
        for key, value in inject.items():
            setattr(rig.motor("LH_KFE"), key, value)
        rig.run(0.02, ZEROS)
        assert rig.hw.mode is Mode.FAULT
        (line,) = rig.lines("FAULT LH_KFE")  # one line, naming the joint and the value
        assert expected in line and "damping" in line
        healthy = [m for m in rig.motors if m.plant_index != joint("LH_KFE")]
        assert all(m.last_command.kd > 0.0 for m in healthy)  # damping first
        rig.run(FAST.exit_damping + 0.01, ZEROS)
        assert not any(m.in_motor_mode for m in healthy)  # then out of motor mode
        assert rig.lines("FAULT handling done")
        assert not rig.hw.set_effort(rig.t, ZEROS)
    finally:
        rig.close()


def test_bus_error_is_a_fault_naming_the_bus(rig):
    rig.active()
    rig.run(FAST.soft_start + 0.02, ZEROS)
    rig.hw.motor_bus._buses["can1"].shutdown()
    rig.hw.cycle(rig.t + 0.004)
    (line,) = rig.lines("FAULT can1: bus error")
    assert "all 12 motors damping" in line


def test_fault_stays_latched_until_cleanup(rig):
    rig.active()
    rig.run(FAST.soft_start + 0.02, ZEROS)
    rig.motor("RF_HAA").error_code = 3
    rig.run(FAST.exit_damping + 0.05, ZEROS)
    rig.motor("RF_HAA").error_code = 0  # the fault went away by itself...
    rig.hw.deactivate()
    with pytest.raises(HardwareError, match="FAULT latched"):
        rig.hw.activate(rig.t)  # ...but the bridge does not restart on its own
    rig.hw.cleanup()
    rig.active()
    assert rig.hw.mode is Mode.SOFT_START


# ---------------------------------------------------------------- e-stop, deactivate, shutdown


def test_estop_takes_every_motor_out_at_once_and_latches(rig):
    rig.active()
    rig.run(FAST.soft_start + 0.02, np.full(N, 2.0))
    rig.hw.estop("button")
    assert not any(rig.in_motor_mode())
    (line,) = rig.lines("ESTOP button")
    assert "12 of 12 motors confirmed out of motor mode" in line
    assert not rig.hw.set_effort(rig.t, ZEROS)
    rig.hw.estop("again")  # a repeat changes nothing
    rig.hw.deactivate()
    with pytest.raises(HardwareError, match="ESTOP latched"):
        rig.hw.activate(rig.t)
    rig.hw.cleanup()
    rig.active()
    assert all(rig.in_motor_mode())


def test_deactivate_damps_then_leaves_motor_mode(rig):
    rig.active()
    rig.run(FAST.soft_start + 0.02, np.full(N, 2.0))
    before = [m.command_frames for m in rig.motors]
    rig.hw.deactivate()
    assert rig.hw.mode is Mode.INACTIVE
    assert not any(rig.in_motor_mode())
    assert all(m.command_frames > b for m, b in zip(rig.motors, before, strict=True))
    assert rig.lines("deactivating: all motors damping")


def test_shutdown_while_running_leaves_no_motor_in_motor_mode(rig):
    rig.active()
    rig.run(FAST.soft_start + 0.02, np.full(N, 2.0))
    rig.hw.shutdown()
    assert rig.hw.mode is Mode.UNCONFIGURED
    assert not any(rig.in_motor_mode())
