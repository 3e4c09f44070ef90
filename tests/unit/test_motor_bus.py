"""MotorBus against the emulator over python-can virtual buses: frames, replies, motor faults."""

from __future__ import annotations

import time

import numpy as np
import pytest

from legkit.hardware import FaultKind, MitCommand, MotorBus
from legkit.hardware.emulator import EmulatedMotor, MotorEmulator
from legkit.hardware.mit_protocol import SET_ZERO
from tests.unit.hardware_rig import CONFIG, PROFILE, Rig

N = PROFILE.num_joints


@pytest.fixture
def rig():
    r = Rig()
    yield r
    r.close()


def driver(rig: Rig, config=CONFIG, reply_timeout: float = 0.05) -> MotorBus:
    buses = {name: rig.open_bus(name) for name in config.buses}
    return MotorBus(config.motors, buses, reply_timeout=reply_timeout, max_missed_replies=3)


def test_every_motor_answers_an_exchange_with_its_own_id(rig):
    bus = driver(rig)
    replies = bus.exit_motor_mode()
    assert [r.motor_id for r in replies] == [m.can_id for m in CONFIG.motors]
    assert bus.faults(replies, max_temperature=80.0) == []
    bus.close()


def test_replies_report_the_shaft_position(rig):
    bus = driver(rig)
    replies = bus.exit_motor_mode()
    pose = PROFILE.default_positions
    expected = [m.motor_position(q) for m, q in zip(CONFIG.motors, pose, strict=True)]
    np.testing.assert_allclose([r.position for r in replies], expected, atol=25 / 65535)
    bus.close()


def test_motor_mode_is_entered_and_left_on_the_special_frames(rig):
    bus = driver(rig)
    bus.enter_motor_mode()
    assert all(rig.in_motor_mode())
    bus.exit_motor_mode()
    assert not any(rig.in_motor_mode())
    bus.close()


def test_commands_are_ignored_out_of_motor_mode(rig):
    bus = driver(rig)
    bus.command([MitCommand(torque=1.0)] * N)
    assert all(m.last_command is None for m in rig.motors)
    bus.enter_motor_mode()
    bus.command([MitCommand(torque=1.0)] * N)
    assert all(m.last_command.torque == pytest.approx(1.0, abs=50 / 4095) for m in rig.motors)
    bus.close()


def test_a_position_command_moves_the_emulated_rotor_there(rig):
    bus = driver(rig)
    bus.enter_motor_mode()
    target = 0.5
    for _ in range(300):  # 3 s of wall time at most
        replies = bus.command([MitCommand(position=target, kp=20.0, kd=1.0)] * N)
        if all(abs(r.position - target) < 0.02 for r in replies):
            break
        time.sleep(0.01)
    assert all(abs(r.position - target) < 0.02 for r in replies)
    bus.close()


def test_set_zero_makes_the_present_position_read_zero(rig):
    bus = driver(rig)
    bus.exchange([SET_ZERO] * N)
    assert all(abs(r.position) < 0.01 for r in bus.exit_motor_mode())
    bus.close()


def test_silent_motor_is_a_fault_only_after_the_allowed_misses(rig):
    rig.motor("LH_HFE").silent = True
    bus = driver(rig, reply_timeout=0.01)
    for _ in range(2):
        replies = bus.exit_motor_mode()
        assert replies[PROFILE.joint_index("LH_HFE")] is None
        assert bus.faults(replies, 80.0) == []
    (fault,) = bus.faults(bus.exit_motor_mode(), 80.0)
    assert fault.kind is FaultKind.NO_REPLY
    assert str(fault) == "LH_HFE (can2 id 2): no reply for 3 consecutive frames"
    bus.close()


def test_a_reply_is_enough_to_clear_the_missed_count(rig):
    rig.motor("LH_HFE").silent = True
    bus = driver(rig, reply_timeout=0.01)
    bus.exit_motor_mode()
    bus.exit_motor_mode()
    rig.motor("LH_HFE").silent = False
    assert bus.faults(bus.exit_motor_mode(), 80.0) == []
    assert bus.missed[PROFILE.joint_index("LH_HFE")] == 0
    bus.close()


def test_error_code_is_a_fault_naming_it(rig):
    rig.motor("RF_KFE").error_code = 2
    bus = driver(rig)
    (fault,) = bus.faults(bus.exit_motor_mode(), 80.0)
    assert fault.kind is FaultKind.ERROR_CODE
    assert str(fault) == "RF_KFE (can1 id 3): motor error code 2 (over-current)"
    bus.close()


def test_over_temperature_is_a_fault_naming_the_value(rig):
    rig.motor("LF_HAA").temperature_c = 95.0
    bus = driver(rig)
    (fault,) = bus.faults(bus.exit_motor_mode(), 80.0)
    assert fault.kind is FaultKind.OVER_TEMPERATURE
    assert str(fault) == "LF_HAA (can0 id 1): temperature 95 C >= limit 80 C"
    bus.close()


def test_late_replies_are_dropped_never_taken_for_a_newer_answer(rig):
    rig.motor("RH_HAA").reply_delay = 0.03
    bus = driver(rig, reply_timeout=0.01)
    first = bus.exit_motor_mode()
    time.sleep(0.05)  # the late reply is in the queue now
    second = bus.exit_motor_mode()
    i = PROFILE.joint_index("RH_HAA")
    assert first[i] is None and second[i] is None
    assert bus.late_replies >= 1
    bus.close()


def test_replies_delayed_within_the_timeout_are_accepted(rig):
    rig.motor("RH_HAA").reply_delay = 0.005
    bus = driver(rig, reply_timeout=0.05)
    assert all(r is not None for r in bus.exit_motor_mode())
    bus.close()


def test_bus_that_refuses_frames_is_a_bus_fault_and_the_others_still_answer(rig):
    bus = driver(rig)
    bus._buses["can3"].shutdown()  # as if can3 went bus-off
    replies = bus.exit_motor_mode()
    faults = bus.faults(replies, 80.0)
    assert [f.kind for f in faults] == [FaultKind.BUS_ERROR]
    assert faults[0].where == "can3"
    on_can3 = [i for i, m in enumerate(CONFIG.motors) if m.bus == "can3"]
    assert all((r is None) == (i in on_can3) for i, r in enumerate(replies))
    bus.close()


def test_two_motors_sharing_an_id_are_noticed(rig):
    # A second motor flashed with id 1 on can0, where LF_HAA already is id 1.
    twin = MotorEmulator(
        rig.open_bus("can0"),
        [EmulatedMotor(can_id=1, model=CONFIG.motors[0].model, plant_index=0)],
        rig.plant,
    ).start()
    bus = driver(rig)
    try:
        bus.exit_motor_mode(linger=0.05)
        assert bus.duplicate_replies == ["LF_HAA (can0 id 1)"]
    finally:
        twin.stop()
        bus.close()


def test_six_byte_replies_carry_no_temperature_and_raise_no_temperature_fault():
    rig = Rig(reply_length=6)
    try:
        rig.motor("LF_HAA").temperature_c = 120.0  # not reported by this firmware
        bus = driver(rig)
        replies = bus.exit_motor_mode()
        assert all(r.temperature is None and r.error_code is None for r in replies)
        assert bus.faults(replies, 80.0) == []
        bus.close()
    finally:
        rig.close()
