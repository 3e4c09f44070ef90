"""Hardware config: a bad motor map is refused with a message naming the joint and the value."""

from __future__ import annotations

import copy

import pytest

from legkit import REPO_ROOT
from legkit.hardware import HardwareConfigError, hardware_config_from_dict, load_hardware_config
from legkit.robots import QUADRUPED
from tests.unit.hardware_rig import motor_map

SHIPPED = REPO_ROOT / "ros2_ws" / "src" / "legkit_ros" / "config" / "quadruped_motors.yaml"


def refused(doc: dict) -> str:
    with pytest.raises(HardwareConfigError) as err:
        hardware_config_from_dict(doc, QUADRUPED)
    return str(err.value)


def edited(joint: str, **changes) -> dict:
    doc = copy.deepcopy(motor_map())
    doc["joints"][joint].update(changes)
    return doc


def test_shipped_motor_map_validates_against_the_quadruped():
    config = load_hardware_config(SHIPPED, QUADRUPED)
    assert tuple(m.joint for m in config.motors) == QUADRUPED.joint_names
    assert config.buses == ("can0", "can1", "can2", "can3")


def test_motors_come_in_profile_order_whatever_the_file_order():
    doc = motor_map()
    doc["joints"] = dict(reversed(list(doc["joints"].items())))
    config = hardware_config_from_dict(doc, QUADRUPED)
    assert tuple(m.joint for m in config.motors) == QUADRUPED.joint_names


def test_missing_joint_is_named():
    doc = motor_map()
    del doc["joints"]["RH_KFE"]
    assert "joints missing: ['RH_KFE']" in refused(doc)


def test_joint_the_robot_does_not_have_is_named():
    doc = motor_map()
    doc["joints"]["LF_WHEEL"] = dict(doc["joints"]["LF_HAA"], id=9)
    assert "unknown joints ['LF_WHEEL']" in refused(doc)


def test_duplicate_id_on_one_bus_names_both_joints():
    message = refused(edited("LF_KFE", id=2))
    assert "duplicate CAN id 2 on can0: LF_HFE and LF_KFE" in message


def test_same_id_on_different_buses_is_fine():
    hardware_config_from_dict(motor_map(), QUADRUPED)  # ids 1..3 on each of can0..can3


@pytest.mark.parametrize("bad_id", [0, 256, -1])
def test_id_outside_the_motor_range_is_named(bad_id):
    assert f"joint LF_HAA: CAN id {bad_id} outside 1..255" in refused(edited("LF_HAA", id=bad_id))


def test_id_that_is_not_an_integer_is_named():
    assert "joint LF_HAA: CAN id must be an integer, got '1'" in refused(edited("LF_HAA", id="1"))


def test_unknown_motor_model_is_named_with_the_known_ones():
    message = refused(edited("RF_HFE", model="AK99-1"))
    assert "joint RF_HFE: unknown motor model 'AK99-1'" in message
    assert "AK70-10" in message


def test_direction_other_than_plus_or_minus_one_is_named():
    assert "joint LH_HAA: direction must be 1 or -1, got 0" in refused(
        edited("LH_HAA", direction=0)
    )


def test_torque_limit_beyond_what_the_motor_can_apply_is_named():
    # An AK70-10 encodes +-25 N m; through 1:1 the knee's 35.5 N m is out of reach.
    message = refused(edited("LF_KFE", gear_ratio=1.0, zero_offset=0.0))
    assert "joint LF_KFE: torque_limit 35.5 N m exceeds what an AK70-10" in message


def test_zero_offset_that_pushes_the_range_off_the_encoder_is_named():
    message = refused(edited("LF_HFE", zero_offset=12.0))
    assert "joint LF_HFE: range [-1.0, 3.0] rad maps to motor positions beyond" in message


def test_velocity_limit_the_encoding_cannot_report_is_named():
    # 30 rad/s through 2:1 is 60 rad/s at the motor; an AK70-10 reports up to 50.
    message = refused(edited("LF_HAA", gear_ratio=2.0))
    assert "joint LF_HAA: velocity limit 30.0 rad/s is 60 rad/s at the motor" in message


def test_misspelled_key_is_named():
    doc = edited("LF_HAA", gear=1.0)
    assert "joint LF_HAA: unknown keys ['gear']" in refused(doc)


def test_every_problem_is_reported_at_once():
    doc = edited("LF_HAA", model="AK99-1")
    doc["joints"]["RF_HAA"]["direction"] = 2
    message = refused(doc)
    assert "LF_HAA" in message and "RF_HAA" in message


def test_config_for_another_robot_is_refused():
    doc = dict(motor_map(), robot="exoskeleton")
    assert "written for robot 'exoskeleton', not 'quadruped'" in refused(doc)


def test_unreadable_file_is_named(tmp_path):
    with pytest.raises(HardwareConfigError, match="cannot read it"):
        load_hardware_config(tmp_path / "absent.yaml", QUADRUPED)


def test_joint_and_motor_positions_convert_both_ways():
    config = hardware_config_from_dict(motor_map(), QUADRUPED)
    knee = config.motors[QUADRUPED.joint_index("RF_KFE")]  # direction -1, 1.5:1, zero at -2.7
    assert knee.motor_position(-1.5) == pytest.approx(-1 * 1.5 * (-1.5 + 2.7))
    assert knee.joint_position(knee.motor_position(-1.2)) == pytest.approx(-1.2)
