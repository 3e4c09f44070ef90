"""Specification of the observation layout and builder (legkit.policy.observation)."""

from __future__ import annotations

import math

import numpy as np
import pytest

from legkit.policy import (
    DEFAULT_QUADRUPED_TERMS,
    ObservationBuilder,
    ObservationInputs,
    ObservationTerm,
    contract_for_profile,
    is_finite,
    make_layout,
)
from legkit.robots import QUADRUPED

S45 = math.sqrt(0.5)  # sin(45 deg) = cos(45 deg): half-angle terms of a 90 deg rotation
DEFAULT_2 = np.array([0.5, -1.0])  # default pose of a made-up 2-joint robot [rad]


def inputs(num_joints: int = 2, **fields: object) -> ObservationInputs:
    """Level, still robot at its default pose (2-joint default: DEFAULT_2), overridable."""
    values: dict[str, object] = {
        "base_angular_velocity": np.zeros(3),
        "base_orientation": np.array([0.0, 0.0, 0.0, 1.0]),
        "velocity_command": np.zeros(3),
        "joint_positions": DEFAULT_2.copy() if num_joints == 2 else np.zeros(num_joints),
        "joint_velocities": np.zeros(num_joints),
        "last_action": np.zeros(num_joints),
    }
    values.update(fields)
    return ObservationInputs(**values)  # type: ignore[arg-type]


def builder_2(**kwargs: object) -> ObservationBuilder:
    """Default quadruped layout on the 2-joint robot: frame size 3+3+3+2+2+2 = 15."""
    return ObservationBuilder(make_layout(DEFAULT_QUADRUPED_TERMS, 2), DEFAULT_2, **kwargs)


# (case, input fields, term, expected scaled value in that term's slice)
TERM_VALUES = [
    (
        "angular velocity scaled by 0.25",
        {"base_angular_velocity": [1.0, -2.0, 4.0]},
        "base_ang_vel",
        [0.25, -0.5, 1.0],
    ),
    ("level base sees gravity straight down", {}, "projected_gravity", [0.0, 0.0, -1.0]),
    (
        "90 deg roll (left side up): gravity along -y",
        {"base_orientation": [S45, 0, 0, S45]},
        "projected_gravity",
        [0.0, -1.0, 0.0],
    ),
    (
        "90 deg pitch (nose down): gravity along +x",
        {"base_orientation": [0, S45, 0, S45]},
        "projected_gravity",
        [1.0, 0.0, 0.0],
    ),
    (
        "non-unit quaternion is normalised",
        {"base_orientation": [0.0, 0.0, 0.0, 2.0]},
        "projected_gravity",
        [0.0, 0.0, -1.0],
    ),
    (
        "command scaled by (2, 2, 0.25)",
        {"velocity_command": [1.0, -0.5, 2.0]},
        "velocity_command",
        [2.0, -1.0, 0.5],
    ),
    ("joint_pos at the default pose is zero", {}, "joint_pos", [0.0, 0.0]),
    (
        "joint_pos is relative to the default pose",
        {"joint_positions": [0.7, -1.5]},
        "joint_pos",
        [0.2, -0.5],
    ),
    ("joint velocity scaled by 0.05", {"joint_velocities": [10.0, -4.0]}, "joint_vel", [0.5, -0.2]),
    (
        "last action passes through unscaled",
        {"last_action": [0.3, -7.0]},
        "last_action",
        [0.3, -7.0],
    ),
    (
        "scaled values are clipped to +-100",
        {"joint_velocities": [1e5, -1e5]},
        "joint_vel",
        [100.0, -100.0],
    ),
]


@pytest.mark.parametrize(
    ("fields", "term", "expected"),
    [case[1:] for case in TERM_VALUES],
    ids=[case[0] for case in TERM_VALUES],
)
def test_each_term_holds_its_scaled_value(fields, term, expected):
    builder = builder_2()
    obs = builder.build(inputs(**fields))
    np.testing.assert_allclose(obs[builder.term_slices()[term]], expected, atol=1e-6)


@pytest.mark.parametrize(
    ("terms", "num_joints", "history", "size"),
    [
        (DEFAULT_QUADRUPED_TERMS, 12, 1, 45),  # 3 + 3 + 3 + 3 * 12
        (DEFAULT_QUADRUPED_TERMS, 2, 1, 15),  # 3 + 3 + 3 + 3 * 2
        (DEFAULT_QUADRUPED_TERMS, 12, 3, 135),  # history multiplies the frame
        (("projected_gravity", "joint_pos"), 12, 1, 15),
        (("joint_vel",), 7, 2, 14),
    ],
)
def test_size_derives_from_terms_joint_count_and_history(terms, num_joints, history, size):
    builder = ObservationBuilder(
        make_layout(terms, num_joints), np.zeros(num_joints), history_length=history
    )
    assert builder.size == size
    assert builder.frame_size * history == size
    assert builder.build(inputs(num_joints)).shape == (size,)


def test_output_is_float32():
    assert builder_2().build(inputs()).dtype == np.float32


def test_term_slices_follow_layout_order():
    builder = ObservationBuilder(make_layout(DEFAULT_QUADRUPED_TERMS, 12), np.zeros(12))
    assert builder.term_slices() == {
        "base_ang_vel": slice(0, 3),
        "projected_gravity": slice(3, 6),
        "velocity_command": slice(6, 9),
        "joint_pos": slice(9, 21),
        "joint_vel": slice(21, 33),
        "last_action": slice(33, 45),
    }


def test_custom_scales_scalar_broadcast_and_per_element():
    layout = make_layout(
        DEFAULT_QUADRUPED_TERMS, 2, scales={"joint_vel": 0.1, "velocity_command": [1, 1, 1]}
    )
    builder = ObservationBuilder(layout, DEFAULT_2)
    obs = builder.build(inputs(joint_velocities=[1.0, 2.0], velocity_command=[0.5, 0.0, 3.0]))
    slices = builder.term_slices()
    np.testing.assert_allclose(obs[slices["joint_vel"]], [0.1, 0.2], rtol=1e-6)
    np.testing.assert_allclose(obs[slices["velocity_command"]], [0.5, 0.0, 3.0])


def test_custom_clip():
    builder = builder_2(clip=5.0)
    obs = builder.build(inputs(last_action=[6.0, -6.0]))
    np.testing.assert_array_equal(obs[builder.term_slices()["last_action"]], [5.0, -5.0])


def _frame_marked(value: float) -> ObservationInputs:
    # The first base_ang_vel element identifies the frame (scaled by 0.25).
    return inputs(base_angular_velocity=[4.0 * value, 0.0, 0.0])


def _marks(obs: np.ndarray, builder: ObservationBuilder) -> list[float]:
    frames = obs.reshape(builder.history_length, builder.frame_size)
    return [float(f[0]) for f in frames]


def test_history_concatenates_frames_oldest_first():
    builder = builder_2(history_length=3)
    assert _marks(builder.build(_frame_marked(1)), builder) == [1, 1, 1]  # filled with the first
    assert _marks(builder.build(_frame_marked(2)), builder) == [1, 1, 2]
    assert _marks(builder.build(_frame_marked(3)), builder) == [1, 2, 3]
    assert _marks(builder.build(_frame_marked(4)), builder) == [2, 3, 4]


def test_reset_refills_history_with_the_next_frame():
    builder = builder_2(history_length=3)
    for mark in (1, 2, 3):
        builder.build(_frame_marked(mark))
    builder.reset()
    assert _marks(builder.build(_frame_marked(9)), builder) == [9, 9, 9]


def test_returned_observation_is_not_overwritten_by_later_builds():
    builder = builder_2(history_length=2)
    first = builder.build(_frame_marked(1))
    builder.build(_frame_marked(2))
    assert _marks(first, builder) == [1, 1]


@pytest.mark.parametrize(
    ("field", "bad_value", "expected_shape"),
    [
        ("base_angular_velocity", np.zeros(2), r"\(3,\)"),
        ("base_orientation", np.zeros(3), r"\(4,\)"),
        ("velocity_command", np.zeros((1, 3)), r"\(3,\)"),
        ("joint_positions", np.zeros(3), r"\(2,\)"),
        ("joint_velocities", np.zeros(12), r"\(2,\)"),
        ("last_action", np.zeros(0), r"\(2,\)"),
    ],
)
def test_wrong_input_shape_names_the_field(field, bad_value, expected_shape):
    with pytest.raises(
        ValueError, match=rf"ObservationInputs\.{field}: expected shape {expected_shape}"
    ):
        builder_2().build(inputs(**{field: bad_value}))


@pytest.mark.parametrize(
    ("fields", "term"),
    [
        ({"joint_velocities": [np.nan, 0.0]}, "joint_vel"),
        ({"base_orientation": [np.nan, 0.0, 0.0, 1.0]}, "projected_gravity"),
        ({"base_orientation": [0.0, 0.0, 0.0, 0.0]}, "projected_gravity"),  # no orientation
    ],
)
def test_invalid_readings_become_nan_not_hidden(fields, term):
    builder = builder_2()
    obs = builder.build(inputs(**fields))
    assert np.isnan(obs[builder.term_slices()[term]]).any()
    assert not is_finite(obs)


def test_valid_readings_are_finite():
    assert is_finite(builder_2().build(inputs()))


def test_unknown_term_is_refused_with_the_known_terms():
    with pytest.raises(ValueError, match="unknown observation term 'foot_contact'.*joint_pos"):
        make_layout(("joint_pos", "foot_contact"), 12)


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (
            lambda: make_layout(("joint_vel",), 12, scales={"joint_vel": [1.0, 2.0]}),
            "'joint_vel': scale has 2 values, term size is 12",
        ),
        (
            lambda: make_layout(("joint_vel",), 12, scales={"joint_pos": 1.0}),
            "scales given for terms not in the layout: joint_pos",
        ),
        (lambda: make_layout(("joint_pos", "joint_pos"), 12), "'joint_pos' appears more than once"),
        (
            lambda: ObservationBuilder(make_layout(("joint_pos",), 12), np.zeros(2)),
            "'joint_pos' has size 12, expected 2 for 2 joints",
        ),
        (
            lambda: ObservationBuilder((ObservationTerm("base_ang_vel", (1.0,)),), np.zeros(2)),
            "'base_ang_vel' has size 1, expected 3",
        ),
        (lambda: builder_2(history_length=0), "history_length must be at least 1"),
    ],
)
def test_inconsistent_layouts_are_refused(call, message):
    with pytest.raises(ValueError, match=message):
        call()


def test_builder_from_contract_uses_its_layout_pose_and_history():
    contract = contract_for_profile(QUADRUPED, history_length=2)
    builder = ObservationBuilder.from_contract(contract)
    assert builder.size == contract.observation_size == 90
    standing = inputs(12, joint_positions=QUADRUPED.default_positions)
    obs = builder.build(standing)
    np.testing.assert_allclose(obs[builder.term_slices()["joint_pos"]], 0.0, atol=1e-7)
