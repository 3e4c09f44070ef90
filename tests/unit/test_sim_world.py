"""The quadruped URDF and the pybullet world: model, torque path, sensors, rendering."""

from __future__ import annotations

import dataclasses
import xml.etree.ElementTree as ET
from collections.abc import Iterator

import numpy as np
import pybullet as p
import pytest
from PIL import Image

from legkit.robots import QUADRUPED
from legkit.robots.profile import JointSpec
from legkit.rotations import tilt
from legkit.sim import ImuReading, PybulletWorld, SimConfig, render_replay

G = 9.81  # m/s^2
LEVEL = np.array([0.0, 0.0, 0.0, 1.0])  # x, y, z, w


@pytest.fixture(scope="module")
def urdf() -> ET.Element:
    return ET.parse(QUADRUPED.urdf).getroot()


@pytest.fixture
def world() -> Iterator[PybulletWorld]:
    with PybulletWorld(QUADRUPED) as w:
        yield w


def pd_torques(world: PybulletWorld, target: np.ndarray) -> np.ndarray:
    """The profile's PD law towards `target` [rad], from the current state."""
    s = world.state()
    prof = world.profile
    return prof.kp * (target - s.joint_positions) - prof.kd * s.joint_velocities


def hold(world: PybulletWorld, target: np.ndarray, seconds: float) -> None:
    """Run the PD law towards a fixed target, re-evaluated every physics step."""
    for _ in range(round(seconds / world.dt)):
        world.apply_torques(pd_torques(world, target))
        world.step()


# ---------------------------------------------------------------- the model


@pytest.mark.parametrize("spec", QUADRUPED.joints, ids=QUADRUPED.joint_names)
def test_urdf_joint_limits_equal_the_profile(urdf: ET.Element, spec: JointSpec) -> None:
    joint = urdf.find(f"joint[@name='{spec.name}']")
    assert joint is not None, f"{spec.name} missing from the URDF"
    assert joint.get("type") == "revolute"
    limit = joint.find("limit")
    assert float(limit.get("lower")) == spec.lower
    assert float(limit.get("upper")) == spec.upper
    assert float(limit.get("effort")) == spec.effort_limit
    assert float(limit.get("velocity")) == spec.velocity_limit


def test_urdf_has_every_profile_link(urdf: ET.Element) -> None:
    links = {link.get("name") for link in urdf.findall("link")}
    assert {QUADRUPED.base_link, *QUADRUPED.foot_links} <= links


def test_total_mass_is_of_the_a1_go1_class(urdf: ET.Element) -> None:
    mass = sum(float(m.get("value")) for m in urdf.iter("mass"))
    assert 12.0 <= mass <= 15.0


def _link_x(world: PybulletWorld, link: str) -> float:
    """World x of a link origin, read through pybullet (test-only peek at the world)."""
    robot, cid = world._robot, world._client
    for i in range(p.getNumJoints(robot, physicsClientId=cid)):
        if p.getJointInfo(robot, i, physicsClientId=cid)[12].decode() == link:
            return p.getLinkState(robot, i, physicsClientId=cid)[4][0]
    raise KeyError(link)


def test_positive_hfe_swings_the_foot_backwards(world: PybulletWorld) -> None:
    q = np.zeros(QUADRUPED.num_joints)
    q[QUADRUPED.joint_index("LF_KFE")] = -0.9  # nearest to straight the limits allow
    world.set_kinematic_pose(np.array([0.0, 0.0, 1.0]), LEVEL, q)
    x_neutral = _link_x(world, "LF_FOOT")
    q[QUADRUPED.joint_index("LF_HFE")] = 0.5
    world.set_kinematic_pose(np.array([0.0, 0.0, 1.0]), LEVEL, q)
    assert _link_x(world, "LF_FOOT") < x_neutral - 0.05


def test_default_pose_bends_every_knee_backwards(world: PybulletWorld) -> None:
    world.set_kinematic_pose(np.array([0.0, 0.0, 1.0]), LEVEL, QUADRUPED.default_positions)
    for leg in ("LF", "RF", "LH", "RH"):
        # the knee (shank origin) sits behind the hip-to-foot line's midpoint
        knee = _link_x(world, f"{leg}_SHANK")
        mid = 0.5 * (_link_x(world, f"{leg}_THIGH") + _link_x(world, f"{leg}_FOOT"))
        assert knee < mid - 0.05, leg


def test_a_profile_joint_missing_from_the_urdf_is_rejected() -> None:
    renamed = (dataclasses.replace(QUADRUPED.joints[0], name="LF_NOPE"), *QUADRUPED.joints[1:])
    profile = dataclasses.replace(QUADRUPED, joints=renamed)
    with pytest.raises(ValueError, match="LF_NOPE"):
        PybulletWorld(profile)


# ---------------------------------------------------------------- config


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        (dict(physics_rate_hz=50.0), "physics_rate_hz"),
        (dict(physics_rate_hz=5000.0), "physics_rate_hz"),
        (dict(initial_pose="sitting"), "initial_pose"),
        (dict(ground_friction=-0.1), "ground_friction"),
        (dict(solver_iterations=0), "solver_iterations"),
    ],
    ids=["rate-too-low", "rate-too-high", "unknown-pose", "negative-friction", "no-iterations"],
)
def test_sim_config_rejects(kwargs: dict, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        SimConfig(**kwargs)


def test_reset_rejects_an_unknown_pose(world: PybulletWorld) -> None:
    with pytest.raises(ValueError, match="sitting"):
        world.reset("sitting")


# ---------------------------------------------------------------- reset & stepping


@pytest.mark.parametrize("pose", ["lying", "standing"])
def test_reset_puts_the_robot_at_rest_just_above_the_ground(
    world: PybulletWorld, pose: str
) -> None:
    s = world.reset(pose)
    expected_q = (
        np.array(QUADRUPED.lying_joint_positions)
        if pose == "lying"
        else QUADRUPED.default_positions
    )
    assert s.time == 0.0
    np.testing.assert_allclose(s.joint_positions, expected_q, atol=1e-9)
    for v in (s.joint_velocities, s.joint_efforts, s.base_linear_velocity):
        np.testing.assert_array_equal(v, 0.0)
    np.testing.assert_allclose(s.base_orientation, LEVEL, atol=1e-9)
    assert not world.foot_contacts().any() and not world.non_foot_contact()
    # Holding the pose, the robot meets the ground within 50 ms, having dropped only the
    # few millimetres of spawn clearance.
    for _ in range(round(0.05 / world.dt)):
        world.apply_torques(pd_torques(world, expected_q))
        world.step()
        if world.foot_contacts().any() or world.non_foot_contact():
            break
    else:
        pytest.fail("no ground contact within 50 ms of reset")
    assert world.state().base_position[2] > s.base_position[2] - 0.005


def test_reset_then_the_same_torques_reproduce_the_motion_whatever_ran_before(
    world: PybulletWorld,
) -> None:
    def run(steps_before: int) -> np.ndarray:
        world.reset("standing")
        hold(world, QUADRUPED.default_positions + 0.3, steps_before * world.dt)
        world.reset("standing")  # must forget the contacts of the run before
        hold(world, QUADRUPED.default_positions + 0.2, 3 * world.dt)
        return world.state().joint_positions

    np.testing.assert_array_equal(run(0), run(1))
    np.testing.assert_array_equal(run(0), run(7))


def test_time_advances_by_dt_per_step(world: PybulletWorld) -> None:
    for _ in range(5):
        world.step()
    assert world.time == pytest.approx(5 * world.dt)
    assert world.state().time == pytest.approx(5 * world.dt)
    assert world.dt == pytest.approx(1.0 / world.config.physics_rate_hz)


def test_robot_stands_up_from_lying_with_the_profile_pd_gains() -> None:
    """Ramp the PD targets from lying to the default pose, then hold it."""
    with PybulletWorld(QUADRUPED, SimConfig(initial_pose="lying")) as world:
        q_lying = world.state().joint_positions
        q_default = QUADRUPED.default_positions
        n_ramp = round(1.5 / world.dt)
        for k in range(1, n_ramp + 1):
            world.apply_torques(pd_torques(world, q_lying + (k / n_ramp) * (q_default - q_lying)))
            world.step()
        hold(world, q_default, 5.0)

        s = world.state()
        assert s.base_position[2] == pytest.approx(QUADRUPED.nominal_base_height, abs=0.03)
        assert tilt(s.base_orientation) < 0.1
        assert world.foot_contacts().all()
        assert not world.non_foot_contact()


# ---------------------------------------------------------------- torque path

LIMIT_HAA = QUADRUPED.joints[0].effort_limit
LIMIT_KFE = QUADRUPED.joints[2].effort_limit


@pytest.mark.parametrize(
    ("joint", "command", "applied"),
    [
        (0, 5.0, 5.0),
        (0, 100.0, LIMIT_HAA),
        (0, -100.0, -LIMIT_HAA),
        (2, 100.0, LIMIT_KFE),
        (2, np.nan, 0.0),
        (2, np.inf, 0.0),
        (2, -np.inf, 0.0),
    ],
    ids=["within", "above-limit", "below-limit", "knee-limit", "nan", "inf", "-inf"],
)
def test_apply_torques_clamps_to_the_effort_limit_and_zeroes_non_finite(
    world: PybulletWorld, joint: int, command: float, applied: float
) -> None:
    cmd = np.full(QUADRUPED.num_joints, 1.0)
    cmd[joint] = command
    expected = np.full(QUADRUPED.num_joints, 1.0)
    expected[joint] = applied
    np.testing.assert_array_equal(world.apply_torques(cmd), expected)
    world.step()
    np.testing.assert_array_equal(world.state().joint_efforts, expected)


def test_apply_torques_rejects_the_wrong_number_of_joints(world: PybulletWorld) -> None:
    with pytest.raises(ValueError, match="12"):
        world.apply_torques(np.zeros(3))


def test_torques_are_held_until_replaced(world: PybulletWorld) -> None:
    world.reset("standing")
    tau = np.zeros(QUADRUPED.num_joints)
    tau[QUADRUPED.joint_index("LF_HAA")] = 2.0
    world.apply_torques(tau)
    for _ in range(10):
        world.step()
    s = world.state()
    np.testing.assert_array_equal(s.joint_efforts, tau)
    assert s.joint_velocities[QUADRUPED.joint_index("LF_HAA")] > 0.1


# ---------------------------------------------------------------- sensors


def test_imu_of_a_level_robot_at_rest_reads_gravity_up_and_no_rotation(
    world: PybulletWorld,
) -> None:
    world.reset("standing")
    # The profile's light damping lets the body sway in pitch for a few seconds.
    hold(world, QUADRUPED.default_positions, 3.0)
    s = world.state()
    imu = world.imu()
    assert isinstance(imu, ImuReading)
    assert tilt(s.base_orientation) < 0.05  # nearly level
    np.testing.assert_allclose(imu.orientation, s.base_orientation)
    np.testing.assert_allclose(imu.angular_velocity, 0.0, atol=0.02)
    np.testing.assert_allclose(imu.linear_acceleration, [0.0, 0.0, G], atol=0.3)


def test_imu_in_free_fall_reads_no_specific_force(world: PybulletWorld) -> None:
    world.set_kinematic_pose(np.array([0.0, 0.0, 3.0]), LEVEL, QUADRUPED.default_positions)
    for _ in range(5):
        world.step()
    np.testing.assert_allclose(world.imu().linear_acceleration, 0.0, atol=1e-6)


def test_imu_reports_rates_in_the_body_frame(world: PybulletWorld) -> None:
    # Base rolled 90 deg about x: the body z axis is world -y.
    rolled = np.array([np.sin(np.pi / 4), 0.0, 0.0, np.cos(np.pi / 4)])
    world.set_kinematic_pose(np.array([0.0, 0.0, 3.0]), rolled, QUADRUPED.default_positions)
    p.resetBaseVelocity(world._robot, (0, 0, 0), (0, -1.0, 0), physicsClientId=world._client)
    np.testing.assert_allclose(world.imu().angular_velocity, [0.0, 0.0, 1.0], atol=1e-9)


def test_a_crouch_on_the_shanks_is_a_non_foot_contact_but_not_a_base_contact(
    world: PybulletWorld,
) -> None:
    level = np.array([0.0, 0.0, 0.0, 1.0])
    world.set_kinematic_pose(np.array([0.0, 0.0, 0.08]), level, QUADRUPED.lying_joint_positions)
    world.step()
    assert world.non_foot_contact() and not world.base_contact()
    feet, non_foot, base = world.ground_contacts()
    assert non_foot and not base and feet.any()


def test_upside_down_robot_touches_the_ground_with_its_base(world: PybulletWorld) -> None:
    upside_down = np.array([1.0, 0.0, 0.0, 0.0])
    # base box top 0.5 mm above the ground; it touches within a few steps
    world.set_kinematic_pose(np.array([0.0, 0.0, 0.0555]), upside_down, QUADRUPED.default_positions)
    for _ in range(10):
        world.step()
    assert world.base_contact() and world.non_foot_contact()
    assert not world.foot_contacts().any()


# ---------------------------------------------------------------- rendering


def test_render_rgb_returns_a_non_blank_image(world: PybulletWorld) -> None:
    image = world.render_rgb(64, 48)
    assert image.shape == (48, 64, 3) and image.dtype == np.uint8
    colours = np.unique(image.reshape(-1, 3), axis=0)
    assert len(colours) > 20  # robot, ground checker and shading, not a flat fill


def _sample(hfe: float) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    q = QUADRUPED.default_positions.copy()
    q[1::3] = hfe  # all HFE joints
    return np.array([0.0, 0.0, 0.35]), LEVEL, q


def test_render_replay_writes_a_looping_gif_with_one_frame_per_pose(tmp_path) -> None:
    # Distinct poses: Pillow merges identical consecutive frames.
    samples = [_sample(hfe) for hfe in (0.2, 0.8, 1.4)]
    path = render_replay(QUADRUPED, samples, tmp_path / "run" / "robot.gif", width=64, height=48)
    with Image.open(path) as gif:
        assert gif.format == "GIF"
        assert gif.size == (64, 48)
        assert gif.n_frames == 3
        assert gif.info.get("loop") == 0


def test_render_replay_rejects_no_samples(tmp_path) -> None:
    with pytest.raises(ValueError, match="at least one"):
        render_replay(QUADRUPED, [], tmp_path / "empty.gif")


# ------------------------------------------------------- dynamics randomization hooks


def test_set_ground_friction_changes_the_plane_friction(world: PybulletWorld) -> None:
    world.set_ground_friction(0.3)
    assert p.getDynamicsInfo(world._plane, -1, physicsClientId=world._client)[1] == 0.3
    with pytest.raises(ValueError, match="friction"):
        world.set_ground_friction(-0.1)


def test_added_base_mass_is_relative_to_the_urdf_mass_and_never_collapses(
    world: PybulletWorld,
) -> None:
    def base_mass() -> float:
        return p.getDynamicsInfo(world._robot, -1, physicsClientId=world._client)[0]

    nominal = world.nominal_base_mass
    world.set_added_base_mass(2.0)
    assert base_mass() == pytest.approx(nominal + 2.0)
    world.set_added_base_mass(-1.0)  # relative to the URDF, not to the last call
    assert base_mass() == pytest.approx(nominal - 1.0)
    world.set_added_base_mass(-1000.0)
    assert base_mass() == pytest.approx(0.1 * nominal)


def test_a_forward_com_offset_pitches_a_free_falling_base_nose_down(
    world: PybulletWorld,
) -> None:
    world.set_kinematic_pose(np.array([0.0, 0.0, 3.0]), LEVEL, QUADRUPED.default_positions)
    world.set_base_com_offset(np.array([0.05, 0.0, 0.0]))
    for _ in range(10):
        world.step()
    # Gravity acting ahead of the centre of mass turns the nose down: positive pitch rate.
    assert world.imu().angular_velocity[1] > 0.01
    world.set_base_com_offset(np.zeros(3))
    world.set_kinematic_pose(np.array([0.0, 0.0, 3.0]), LEVEL, QUADRUPED.default_positions)
    for _ in range(10):
        world.step()
    np.testing.assert_allclose(world.imu().angular_velocity, 0.0, atol=1e-6)


def test_push_base_adds_to_the_base_velocity(world: PybulletWorld) -> None:
    world.set_kinematic_pose(np.array([0.0, 0.0, 3.0]), LEVEL, QUADRUPED.default_positions)
    world.push_base(np.array([0.5, -0.2, 0.0]))
    world.push_base(np.array([0.5, 0.0, 0.0]))
    np.testing.assert_allclose(world.state().base_linear_velocity, [1.0, -0.2, 0.0], atol=1e-9)
    with pytest.raises(ValueError, match="push"):
        world.push_base(np.array([np.nan, 0.0, 0.0]))


def test_a_push_is_not_read_by_the_accelerometer_as_an_acceleration(
    world: PybulletWorld,
) -> None:
    world.set_kinematic_pose(np.array([0.0, 0.0, 3.0]), LEVEL, QUADRUPED.default_positions)
    world.step()
    world.push_base(np.array([2.0, 0.0, 0.0]))
    world.step()
    # In free fall after the shove: no specific force, as before it.
    np.testing.assert_allclose(world.imu().linear_acceleration, 0.0, atol=1e-6)


def test_joint_state_is_read_only_and_the_state_reports_the_same_reading(
    world: PybulletWorld,
) -> None:
    world.reset("standing")
    world.apply_torques(np.full(QUADRUPED.num_joints, 1.0))
    world.step()
    q, qd = world.joint_state()
    with pytest.raises(ValueError, match="read-only"):
        q[0] = 0.0
    s = world.state()
    np.testing.assert_array_equal(s.joint_positions, q)
    np.testing.assert_array_equal(s.joint_velocities, qd)
    s.joint_positions[0] = 99.0  # the state's arrays are the caller's own
    world.step()
    assert not np.array_equal(world.state().joint_velocities, qd)  # read anew after a step
    assert world.state().joint_positions[0] != 99.0
