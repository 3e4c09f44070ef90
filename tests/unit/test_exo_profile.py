"""The exoskeleton's robot profile, its observation layout and its policy contract."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from legkit.policy import ObservationBuilder, ObservationInputs, PolicyContract, make_layout
from legkit.policy.contract import mismatches
from legkit.policy.defaults import training_contract
from legkit.robots import EXOSKELETON, QUADRUPED, get_profile


def test_the_exoskeleton_profiles_are_registered() -> None:
    hip = get_profile("exoskeleton")
    assert hip.joint_names == ("L_HIP", "R_HIP")
    assert get_profile("exoskeleton_knee").joint_names == ("L_HIP", "R_HIP", "L_KNEE", "R_KNEE")
    np.testing.assert_array_equal(hip.effort_limits, [18.0, 18.0])  # AK80-9 class peak
    assert (hip.physics_rate_hz, hip.control_rate_hz) == (500.0, 100.0)
    assert hip.actuation == "torque" and not hip.kp.any() and not hip.kd.any()
    assert hip.urdf.is_file()


def test_the_quadruped_still_commands_positions() -> None:
    assert QUADRUPED.actuation == "position"
    with pytest.raises(ValueError, match="actuation must be one of"):
        dataclasses.replace(QUADRUPED, actuation="velocity")


def test_the_assistance_contract_is_18_thigh_inputs_to_2_torques_at_100_hz() -> None:
    contract = training_contract(EXOSKELETON)
    assert [t.name for t in contract.observation] == ["thigh_angle", "thigh_ang_vel", "last_action"]
    assert contract.history_length == 3
    assert (contract.observation_size, contract.action_size) == (18, 2)
    assert contract.control_period == pytest.approx(0.01)
    assert contract.decimation == 5
    assert mismatches(contract, EXOSKELETON) == []
    # Actions are normalized torques: clipped to +-1, times the 18 N m peak.
    np.testing.assert_allclose(contract.joint_targets(np.array([0.5, -3.0])), [9.0, -18.0])
    assert PolicyContract.from_json(contract.to_json()) == contract


def test_the_quadruped_contract_is_unchanged() -> None:
    contract = training_contract(QUADRUPED)
    assert contract.observation_size == 45 and contract.action_scale == 0.25


def exo_builder() -> ObservationBuilder:
    return ObservationBuilder.from_contract(training_contract(EXOSKELETON))


def test_thigh_terms_hold_the_scaled_imu_readings_and_the_last_action() -> None:
    builder = exo_builder()
    frame = builder.build(
        ObservationInputs(
            thigh_angles=np.array([0.4, -0.1]),
            thigh_angular_velocities=np.array([3.0, -2.0]),
            last_action=np.array([0.5, -0.25]),
        )
    )[-builder.frame_size :]
    slices = builder.term_slices()
    np.testing.assert_allclose(frame[slices["thigh_angle"]], [0.4, -0.1], rtol=1e-6)
    np.testing.assert_allclose(frame[slices["thigh_ang_vel"]], [0.6, -0.4], rtol=1e-6)
    np.testing.assert_allclose(frame[slices["last_action"]], [0.5, -0.25])


def test_an_exoskeleton_needs_no_base_imu_but_must_give_what_its_layout_reads() -> None:
    with pytest.raises(ValueError, match=r"ObservationInputs\.thigh_angles: expected shape"):
        exo_builder().build(
            ObservationInputs(thigh_angular_velocities=np.zeros(2), last_action=np.zeros(2))
        )


def test_thigh_terms_are_two_wide_whatever_the_number_of_actuators() -> None:
    layout = make_layout(("thigh_angle", "thigh_ang_vel", "last_action"), num_joints=4)
    assert [t.size for t in layout] == [2, 2, 4]
