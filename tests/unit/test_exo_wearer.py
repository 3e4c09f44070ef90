"""The simulated wearer: body model, URDFs, reference motions, and that it walks and squats
on its own muscles, with and without the (unpowered) exoskeleton."""

from __future__ import annotations

import numpy as np
import pybullet as p
import pytest

from legkit import REPO_ROOT
from legkit.robots import EXOSKELETON, EXOSKELETON_KNEE
from legkit.robots.exoskeleton import HARDWARE
from legkit.wearer.anthropometry import ADULT
from legkit.wearer.gait import (
    DEFAULT_GAIT,
    WEARER_JOINTS,
    ReferenceMotion,
    gait_for_speed,
    squat_cycle,
    walking_gait,
)
from legkit.wearer.statics import support_torques
from legkit.wearer.urdf import ANKLE_RANGE, HIP_RANGE, KNEE_RANGE, URDF_FILES, build_urdf
from legkit.wearer.world import WearerWorld


def test_segments_follow_winter_and_add_up_to_the_body_mass() -> None:
    assert ADULT.total_mass() == pytest.approx(70.0)
    assert ADULT.thigh.mass == pytest.approx(7.0)  # 10 % of body mass
    assert ADULT.shank.mass == pytest.approx(3.255)  # 4.65 %
    assert ADULT.hip_height == pytest.approx(0.9275)  # 0.530 H


@pytest.mark.parametrize("name", sorted(URDF_FILES))
def test_committed_urdfs_are_what_the_generator_writes(name: str) -> None:
    committed = (REPO_ROOT / "urdf" / name).read_text(encoding="utf-8")
    assert committed == build_urdf(**URDF_FILES[name]), "run python -m legkit.wearer.urdf"


@pytest.mark.parametrize(
    ("name", "device_mass"),
    [("wearer.urdf", 0.0), ("exoskeleton.urdf", 3.0), ("exoskeleton_knee.urdf", 4.7)],
)
def test_urdf_masses_are_the_wearer_plus_a_3_kg_hip_device(name: str, device_mass: float) -> None:
    client = p.connect(p.DIRECT)
    try:
        body = p.loadURDF(str(REPO_ROOT / "urdf" / name), useFixedBase=True, physicsClientId=client)
        links = range(p.getNumJoints(body, physicsClientId=client))
        mass = sum(p.getDynamicsInfo(body, i, physicsClientId=client)[0] for i in links)
    finally:
        p.disconnect(client)
    sliders = 0.1  # the harness trolley's two 50 g carriages
    assert mass == pytest.approx(70.0 + device_mass + sliders, abs=1e-6)
    assert HARDWARE.total_mass() == pytest.approx(3.0)


def foot_lowest_points(m: ReferenceMotion, side: int = 0) -> np.ndarray:
    """Height of the lowest sole corner of one foot over the cycle [m]."""
    q, h, lean = m.joint_positions[:, 3 * side : 3 * side + 3], m.pelvis[:, 1], m.pelvis[:, 2]
    thigh = q[:, 0] - lean
    shank = thigh - q[:, 1]
    pitch = shank + q[:, 2]
    ankle_z = h - ADULT.thigh.length * np.cos(thigh) - ADULT.shank.length * np.cos(shank)
    corners = [
        ankle_z + np.sin(pitch) * x - np.cos(pitch) * ADULT.ankle_height
        for x in (-ADULT.heel, ADULT.toe)
    ]
    return np.minimum(*corners)


def test_a_walking_stance_foot_stays_on_the_ground_and_the_swing_foot_clears_it() -> None:
    m = walking_gait()
    low = foot_lowest_points(m)
    stance = m.stance[:, 0]
    np.testing.assert_allclose(low[stance], 0.0, atol=1e-9)
    mid_swing = ~stance & (np.arange(m.samples) / m.samples > 0.65)
    mid_swing &= np.arange(m.samples) / m.samples < 0.9
    assert low[mid_swing].min() > 0.02  # 2 cm of toe clearance through mid swing
    assert stance.mean() == pytest.approx(DEFAULT_GAIT.duty_factor, abs=0.01)


@pytest.mark.parametrize("motion", [walking_gait(), squat_cycle()], ids=["walk", "squat"])
def test_references_stay_within_the_wearers_joint_ranges(motion: ReferenceMotion) -> None:
    lower = np.array([HIP_RANGE[0], KNEE_RANGE[0], ANKLE_RANGE[0]] * 2)
    upper = np.array([HIP_RANGE[1], KNEE_RANGE[1], ANKLE_RANGE[1]] * 2)
    q = motion.joint_positions
    assert np.all(q >= lower - 1e-6) and np.all(q <= upper + 1e-6)
    np.testing.assert_allclose(motion.support.sum(axis=1), 1.0, atol=1e-9)


def test_walking_looks_like_walking() -> None:
    q = np.degrees(walking_gait().joint_positions)
    assert 25 < q[:, 0].max() < 45 and -20 < q[:, 0].min() < -5  # hip flexion / extension
    assert 55 < q[:, 1].max() < 80  # knee flexion in swing
    # The right leg is the left half a stride later.
    np.testing.assert_allclose(np.roll(q[:, :3], 500, axis=0), q[:, 3:])


def test_faster_walking_takes_longer_and_quicker_strides() -> None:
    slow, fast = gait_for_speed(0.8), gait_for_speed(1.1)
    assert slow.stride_period > fast.stride_period
    assert slow.speed * slow.stride_period < fast.speed * fast.stride_period
    walking_gait(fast)  # within reach of the legs


def test_the_squat_keeps_the_feet_flat_and_the_centre_of_mass_over_them() -> None:
    m = squat_cycle()
    np.testing.assert_allclose(foot_lowest_points(m), 0.0, atol=1e-9)
    depth = ADULT.hip_height - m.pelvis[:, 1].min()
    assert 0.12 < depth < 0.3


def test_static_torques_hold_the_body_up() -> None:
    # Standing straight on both legs, the weight passes through the joints: little torque.
    straight = np.zeros((1, 6))
    pelvis = np.array([[0.0, ADULT.hip_height, 0.0]])
    standing = support_torques(straight, pelvis, np.array([[0.5, 0.5]]), ADULT)
    assert np.abs(standing).max() < 3.0
    # At the bottom of the squat the knees need extensor (negative) torque.
    m = squat_cycle()
    bottom = int(np.argmin(m.pelvis[:, 1]))
    assert m.feedforward[bottom, 1] < -30.0 and m.feedforward[bottom, 4] < -30.0


def simulate(motion: ReferenceMotion, exo: bool, seconds: float) -> dict[str, float]:
    """Run the wearer alone on its muscles (a worn device commanded zero torque)."""
    world = WearerWorld(motion, EXOSKELETON if exo else None)
    errors, heights, harness, contacts = [], [], [], []
    try:
        for _ in range(round(seconds / world.dt)):
            if exo:
                world.apply_exo_torques(np.zeros(2))
            world.step()
            if world.time > seconds - 2 * motion.period:
                q, _ = world.human_state()
                ref = world.reference()
                pelvis, _ = world.pelvis()
                errors.append(q - ref.joint_positions)
                heights.append(pelvis[1] - ref.pelvis[1])
                harness.append(np.abs(world.last.harness_forces))
                contacts.append(world.foot_contacts())
    finally:
        world.close()
    weight = 9.81 * (70.0 + (3.0 if exo else 0.0))
    return {
        "tracking_rms_deg": float(np.degrees(np.sqrt(np.mean(np.square(errors))))),
        "worst_sag": float(-np.min(heights)),
        "harness_mean_force": float(np.mean(np.array(harness)[:, :2].sum(axis=1))) / weight,
        "single_support": float(np.mean(np.sum(contacts, axis=1) == 1)),
    }


@pytest.mark.parametrize("exo", [False, True], ids=["alone", "wearing_the_device"])
def test_the_wearer_walks_on_its_own_muscles(exo: bool) -> None:
    result = simulate(walking_gait(), exo, seconds=6.0)
    assert result["tracking_rms_deg"] < 3.0
    assert result["worst_sag"] < 0.05
    assert result["harness_mean_force"] < 0.15  # the legs, not the harness, carry the body
    assert result["single_support"] > 0.5  # one foot at a time, most of the stride


@pytest.mark.parametrize("exo", [False, True], ids=["alone", "wearing_the_device"])
def test_the_wearer_squats_on_its_own_muscles(exo: bool) -> None:
    result = simulate(squat_cycle(), exo, seconds=9.0)
    assert result["tracking_rms_deg"] < 1.0
    assert result["worst_sag"] < 0.02
    assert result["harness_mean_force"] < 0.05


def test_the_knee_device_loads_and_straps_to_both_segments() -> None:
    world = WearerWorld(walking_gait(), EXOSKELETON_KNEE)
    try:
        assert world.num_exo_joints == 4
        for _ in range(200):
            world.apply_exo_torques(np.array([0.0, 0.0, 5.0, 5.0]))
            world.step()
        q, _ = world.human_state()
        assert np.all(np.isfinite(q))
    finally:
        world.close()


def test_the_thigh_imus_measure_the_cuffs_from_vertical() -> None:
    world = WearerWorld(walking_gait(), EXOSKELETON)
    try:
        world.reset(0.0)
        angles, _ = world.thigh_imu()
        ref = world.reference()
        thigh = ref.joint_positions[[0, 3]] - ref.pelvis[2]  # hip angle minus trunk lean
        np.testing.assert_allclose(angles, thigh, atol=1e-9)
        assert WEARER_JOINTS[0] == "wearer_L_hip"
    finally:
        world.close()
