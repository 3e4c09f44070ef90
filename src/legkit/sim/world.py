"""A ROS-agnostic pybullet world that simulates any robot profile.

The world owns one pybullet client (DIRECT, headless), a ground plane and one robot
loaded from `profile.urdf`. Joints are torque controlled: the caller sets torques with
`apply_torques`, they are clamped to the profile's effort limits and held for every
physics step until the next call. Everything robot specific (joint order, limits, poses,
foot links) comes from the profile, so another robot only needs another profile.

Arrays are in profile joint order; quaternions are (x, y, z, w); the world frame is
z up with the ground plane at z = 0.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from types import TracebackType

import numpy as np
import pybullet as p
import pybullet_data

from legkit.robots.profile import RobotProfile
from legkit.rotations import rotate_floats_to_world, rotate_to_body

POSES = ("lying", "standing")
"""Initial poses a world can be reset into."""

GRAVITY = 9.81
"""Magnitude of gravity [m/s^2]."""

_GRAVITY_WORLD = np.array([0.0, 0.0, -GRAVITY])

_SPAWN_CLEARANCE = 0.002
"""Gap left between the lowest collision shape and the ground after a reset [m]."""

_CONTACT_DISTANCE = 0.002
"""Contact points farther apart than this do not count as touching [m]. Bullet keeps
manifold points a little beyond zero distance, so a threshold decides."""
_BASE_LINK = -1
"""pybullet's link index of a body's base."""

_CAMERA_DISTANCE = 1.2  # m
_CAMERA_YAW = 150.0  # deg; 90 looks at the front, 180 at the left side: a front-left view
_CAMERA_FOV = 40.0  # deg, vertical
_CAMERA_PITCH = -20.0  # deg; slightly from above


@dataclass
class SimConfig:
    """Settings of a simulated world."""

    physics_rate_hz: float = 250.0
    """Physics steps per simulated second [Hz]."""
    ground_friction: float = 1.0
    """Lateral (Coulomb) friction coefficient of the ground plane [-]."""
    initial_pose: str = "lying"
    """Pose after construction and `reset()`: "lying" (profile.lying_joint_positions, the
    folded rest pose) or "standing" (profile default pose, feet on the ground)."""
    solver_iterations: int = 50
    """Maximum constraint solver iterations per step (pybullet's default). Bullet stops
    early once the residual is small, so fewer iterations barely save time here."""
    gui: bool = False
    """Open pybullet's window (needs a display) instead of running headless."""

    def __post_init__(self) -> None:
        if not 100.0 <= self.physics_rate_hz <= 2000.0:
            raise ValueError(
                f"physics_rate_hz must be in [100, 2000] Hz, got {self.physics_rate_hz}"
            )
        if self.initial_pose not in POSES:
            raise ValueError(f"initial_pose must be one of {POSES}, got {self.initial_pose!r}")
        if not self.ground_friction >= 0.0:
            raise ValueError(f"ground_friction must be >= 0, got {self.ground_friction}")
        if self.solver_iterations < 1:
            raise ValueError(f"solver_iterations must be >= 1, got {self.solver_iterations}")


@dataclass
class RobotState:
    """Ground truth read from the simulator; joint arrays in profile order."""

    time: float
    """Simulated time since the last reset [s]."""
    joint_positions: np.ndarray
    """(n,) joint angles [rad]."""
    joint_velocities: np.ndarray
    """(n,) joint speeds [rad/s]."""
    joint_efforts: np.ndarray
    """(n,) torques applied during the last physics step [N m]."""
    base_position: np.ndarray
    """(3,) base link origin in the world [m]."""
    base_orientation: np.ndarray
    """(4,) base orientation quaternion (x, y, z, w)."""
    base_linear_velocity: np.ndarray
    """(3,) base linear velocity, world frame [m/s]."""
    base_angular_velocity: np.ndarray
    """(3,) base angular velocity, world frame [rad/s]."""


@dataclass
class ImuReading:
    """What an ideal IMU rigidly mounted on the base link reports."""

    orientation: np.ndarray
    """(4,) base orientation quaternion (x, y, z, w)."""
    angular_velocity: np.ndarray
    """(3,) angular velocity, body frame [rad/s]."""
    linear_acceleration: np.ndarray
    """(3,) specific force (acceleration minus gravity), body frame [m/s^2]; reads about
    (0, 0, +9.81) when level and at rest."""


class PybulletWorld:
    """Ground plane plus one torque-controlled robot in its own pybullet client."""

    def __init__(self, profile: RobotProfile, config: SimConfig | None = None) -> None:
        self.profile = profile
        self.config = config if config is not None else SimConfig()
        self._dt = 1.0 / self.config.physics_rate_hz
        client = p.connect(p.GUI if self.config.gui else p.DIRECT)
        if client < 0:
            mode = "GUI (is there a display?)" if self.config.gui else "DIRECT"
            raise RuntimeError(f"could not start a pybullet {mode} client")
        self._client: int | None = client
        try:
            self._setup()
        except Exception:
            self.close()
            raise

    # ------------------------------------------------------------------ setup
    def _setup(self) -> None:
        cid = self._client
        p.setGravity(0.0, 0.0, -GRAVITY, physicsClientId=cid)
        p.setTimeStep(self._dt, physicsClientId=cid)
        p.setPhysicsEngineParameter(
            numSolverIterations=self.config.solver_iterations, physicsClientId=cid
        )
        p.setAdditionalSearchPath(pybullet_data.getDataPath(), physicsClientId=cid)
        self._plane = p.loadURDF("plane.urdf", physicsClientId=cid)
        p.changeDynamics(
            self._plane, -1, lateralFriction=self.config.ground_friction, physicsClientId=cid
        )

        urdf = self.profile.urdf
        if not urdf.is_file():
            raise FileNotFoundError(f"robot '{self.profile.name}': URDF not found at {urdf}")
        self._robot = p.loadURDF(
            str(urdf),
            basePosition=(0.0, 0.0, 1.0),
            flags=p.URDF_USE_INERTIA_FROM_FILE,
            physicsClientId=cid,
        )
        joints: dict[str, int] = {}
        links: dict[str, int] = {}
        for i in range(p.getNumJoints(self._robot, physicsClientId=cid)):
            info = p.getJointInfo(self._robot, i, physicsClientId=cid)
            joints[info[1].decode()] = i
            links[info[12].decode()] = i
            # pybullet's default air drag on every link would slow a free fall; real
            # robots have none worth modelling.
            p.changeDynamics(
                self._robot, i, linearDamping=0.0, angularDamping=0.0, physicsClientId=cid
            )
        p.changeDynamics(
            self._robot, -1, linearDamping=0.0, angularDamping=0.0, physicsClientId=cid
        )
        links[p.getBodyInfo(self._robot, physicsClientId=cid)[0].decode()] = -1
        self._nominal_base_mass = float(p.getDynamicsInfo(self._robot, -1, physicsClientId=cid)[0])
        self._base_mass = self._nominal_base_mass
        self._com_offset: np.ndarray | None = None  # None: centre of mass as in the URDF

        missing = [n for n in self.profile.joint_names if n not in joints]
        if missing:
            raise ValueError(
                f"robot '{self.profile.name}': joints {missing} are not in {urdf.name}"
            )
        missing = [n for n in (self.profile.base_link, *self.profile.foot_links) if n not in links]
        if missing:
            raise ValueError(f"robot '{self.profile.name}': links {missing} are not in {urdf.name}")
        if links[self.profile.base_link] != -1:
            raise ValueError(
                f"robot '{self.profile.name}': base link '{self.profile.base_link}' is not "
                f"the root link of {urdf.name}"
            )
        self._joint_ids = [joints[n] for n in self.profile.joint_names]
        self._foot_ids = [links[n] for n in self.profile.foot_links]
        self._n = len(self._joint_ids)
        self._effort_limits = self.profile.effort_limits
        self._neg_effort_limits = -self._effort_limits

        # pybullet drives every joint with a velocity motor by default; zero its force so
        # the joints are purely torque controlled.
        p.setJointMotorControlArray(
            self._robot,
            self._joint_ids,
            p.VELOCITY_CONTROL,
            forces=[0.0] * self._n,
            physicsClientId=cid,
        )
        self.reset(self.config.initial_pose)

    # ------------------------------------------------------------ properties
    @property
    def dt(self) -> float:
        """Physics step [s]."""
        return self._dt

    @property
    def time(self) -> float:
        """Simulated time since the last reset [s]."""
        return self._steps * self._dt

    # --------------------------------------------------------------- control
    def reset(self, pose: str | None = None) -> RobotState:
        """Put the robot, level and at rest, in `pose` just above the ground.

        `pose` is "lying" or "standing"; None uses `config.initial_pose`. Torques are
        zeroed and time restarts at 0.
        """
        pose = self.config.initial_pose if pose is None else pose
        if pose not in POSES:
            raise ValueError(f"pose must be one of {POSES}, got {pose!r}")
        q = (
            np.asarray(self.profile.lying_joint_positions, dtype=float)
            if pose == "lying"
            else self.profile.default_positions
        )
        cid = self._client
        # Pose the robot high above the ground, measure the gap between its lowest
        # collision shape and the plane, then lower it by that gap.
        spawn_height = 2.0
        self._teleport((0.0, 0.0, spawn_height), (0.0, 0.0, 0.0, 1.0), q)
        # Collision detection up here empties Bullet's contact cache: otherwise the
        # solver warm-starts from the previous episode's contacts and a reset followed
        # by the same torques would not reproduce the same motion bit for bit.
        p.performCollisionDetection(physicsClientId=cid)
        points = p.getClosestPoints(
            self._robot, self._plane, 2.0 * spawn_height, physicsClientId=cid
        )
        gap = min(pt[8] for pt in points)
        height = spawn_height - gap + _SPAWN_CLEARANCE
        p.resetBasePositionAndOrientation(
            self._robot, (0.0, 0.0, height), (0.0, 0.0, 0.0, 1.0), physicsClientId=cid
        )

        self._steps = 0
        self._torques = np.zeros(self._n)
        self._torque_cmd = [0.0] * self._n  # list form handed to pybullet every step
        self._last_applied = np.zeros(self._n)
        return self.state()

    def apply_torques(self, torques: np.ndarray) -> np.ndarray:
        """Set the joint torques [N m], profile order, held until the next call.

        Non-finite entries become 0 and every entry is clamped to the profile's effort
        limit. Returns the torques that will be applied.
        """
        tau = np.asarray(torques, dtype=float)
        if tau.shape != (self._n,):
            raise ValueError(f"expected {self._n} torques, got shape {tau.shape}")
        # Training calls this every physics step: one sum on floats finds a NaN or inf
        # (or an overflowing sum, which the slow path then handles just the same).
        if not math.isfinite(sum(tau.tolist())):
            tau = np.where(np.isfinite(tau), tau, 0.0)
        # minimum/maximum: np.clip's result at a fraction of its call overhead.
        tau = np.maximum(np.minimum(tau, self._effort_limits), self._neg_effort_limits)
        self._torques = tau
        self._torque_cmd = tau.tolist()
        return tau.copy()

    def step(self) -> None:
        """Advance one physics step with the held torques."""
        cid = self._client
        # Torque commands only last one pybullet step, so they are re-sent every step.
        p.setJointMotorControlArray(
            self._robot,
            self._joint_ids,
            p.TORQUE_CONTROL,
            forces=self._torque_cmd,
            physicsClientId=cid,
        )
        if self._com_offset is not None:
            # pybullet cannot move a loaded link's centre of mass, so the shift is modelled
            # by the moment gravity would exert about the original one. External forces only
            # last one step, hence re-applied here.
            orn = p.getBasePositionAndOrientation(self._robot, physicsClientId=cid)[1]
            rx, ry, _ = rotate_floats_to_world(orn, self._com_offset_xyz)
            weight = -self._base_mass * GRAVITY
            torque = (ry * weight, -rx * weight, 0.0)  # r x (0, 0, weight)
            p.applyExternalTorque(self._robot, -1, torque, p.WORLD_FRAME, physicsClientId=cid)
        p.stepSimulation(physicsClientId=cid)
        self._joints_read = None
        self._steps += 1
        self._last_applied = self._torques
        # The IMU's accelerometer is the finite difference of the base velocity across
        # this step. Only the two velocities are kept here; `imu` differences them when
        # asked (training never reads the accelerometer).
        v = p.getBaseVelocity(self._robot, physicsClientId=cid)[0]
        self._velocity_across_step = (self._velocity_reference, v)
        self._velocity_reference = v

    # ----------------------------------------------------------- dynamics randomization
    # Changes made here persist across `reset` until changed again, so a training
    # environment sets them once per episode after resetting.
    @property
    def nominal_base_mass(self) -> float:
        """Mass of the base link as loaded from the URDF [kg]."""
        return self._nominal_base_mass

    def set_ground_friction(self, friction: float) -> None:
        """Set the lateral friction coefficient of the ground plane [-], >= 0."""
        if not friction >= 0.0:
            raise ValueError(f"ground friction must be >= 0, got {friction}")
        p.changeDynamics(
            self._plane, -1, lateralFriction=float(friction), physicsClientId=self._client
        )

    def set_added_base_mass(self, added_mass: float) -> None:
        """Make the base `added_mass` [kg] heavier than in the URDF (negative: lighter).

        The base keeps at least 10 % of its nominal mass, so a large negative value cannot
        make the dynamics degenerate.
        """
        mass = max(self._nominal_base_mass + float(added_mass), 0.1 * self._nominal_base_mass)
        p.changeDynamics(self._robot, -1, mass=mass, physicsClientId=self._client)
        self._base_mass = mass

    def set_base_com_offset(self, offset: np.ndarray) -> None:
        """Shift the base centre of mass by `offset` [m], base frame; zeros restore it.

        Modelled as the gravity moment of the shifted mass, applied every step: the static
        effect (the base leans towards the offset) is exact, the small change of the
        inertia tensor about the new centre is neglected.
        """
        r = np.asarray(offset, dtype=float)
        if r.shape != (3,) or not np.isfinite(r).all():
            raise ValueError(f"centre-of-mass offset must be 3 finite values, got {offset!r}")
        # None skips the per-step torque call entirely in the common unrandomized case.
        self._com_offset = r.copy() if r.any() else None
        self._com_offset_xyz = tuple(r.tolist())

    def push_base(self, delta_velocity: np.ndarray) -> None:
        """Add `delta_velocity` [m/s], world frame, to the base linear velocity (a shove)."""
        dv = np.asarray(delta_velocity, dtype=float)
        if dv.shape != (3,) or not np.isfinite(dv).all():
            raise ValueError(f"push must be 3 finite values [m/s], got {delta_velocity!r}")
        cid = self._client
        lin, ang = p.getBaseVelocity(self._robot, physicsClientId=cid)
        p.resetBaseVelocity(self._robot, tuple(np.add(lin, dv)), ang, physicsClientId=cid)
        # The shove is an impulse, not an acceleration the IMU would integrate over a step;
        # keep the accelerometer's reference velocity consistent with the new one.
        self._velocity_reference = tuple(np.add(self._velocity_reference, dv).tolist())

    # ---------------------------------------------------------------- sensing
    def state(self) -> RobotState:
        """Ground-truth state after the latest step."""
        cid = self._client
        if self._joints_read is None:
            self.joint_state()
        q, qd = self._joints_read
        pos, orn = p.getBasePositionAndOrientation(self._robot, physicsClientId=cid)
        lin, ang = p.getBaseVelocity(self._robot, physicsClientId=cid)
        return RobotState(
            time=self._steps * self._dt,
            joint_positions=q.copy(),
            joint_velocities=qd.copy(),
            joint_efforts=self._last_applied.copy(),
            base_position=np.array(pos),
            base_orientation=np.array(orn),
            base_linear_velocity=np.array(lin),
            base_angular_velocity=np.array(ang),
        )

    def joint_state(self) -> tuple[np.ndarray, np.ndarray]:
        """(positions [rad], velocities [rad/s]) after the latest step, profile order.

        The part of `state` a joint controller needs, at a third of its cost: training
        reads it every physics step. The arrays are read-only.
        """
        js = p.getJointStates(self._robot, self._joint_ids, physicsClientId=self._client)
        q, qd = np.array([s[0] for s in js]), np.array([s[1] for s in js])
        # Kept for `state` until the joints move again (training reads both after each
        # step), so read-only: a caller cannot change what `state` will report.
        q.flags.writeable = qd.flags.writeable = False
        self._joints_read = (q, qd)
        return q, qd

    def imu(self) -> ImuReading:
        """Reading of an ideal IMU at the base link origin."""
        orn, rate = self.imu_orientation_and_rate()
        before, after = self._velocity_across_step
        acceleration = (np.array(after) - np.array(before)) * self.config.physics_rate_hz
        return ImuReading(
            orientation=orn,
            angular_velocity=rate,
            linear_acceleration=rotate_to_body(orn, acceleration - _GRAVITY_WORLD),
        )

    def imu_orientation_and_rate(self) -> tuple[np.ndarray, np.ndarray]:
        """(orientation (x, y, z, w), angular velocity [rad/s], body frame) of `imu`.

        The IMU without its accelerometer, for a caller that reads nothing else (the
        training environment, every physics step of its observation latency).
        """
        cid = self._client
        orn = np.array(p.getBasePositionAndOrientation(self._robot, physicsClientId=cid)[1])
        ang = p.getBaseVelocity(self._robot, physicsClientId=cid)[1]
        return orn, rotate_to_body(orn, ang)

    def _ground_contact_links(self) -> set[int]:
        """Robot link indices (-1 = base) touching the ground after the latest step."""
        points = p.getContactPoints(self._robot, self._plane, physicsClientId=self._client)
        return {pt[3] for pt in points if pt[8] < _CONTACT_DISTANCE}

    def foot_contacts(self) -> np.ndarray:
        """Whether each of `profile.foot_links` touches the ground, in that order."""
        touching = self._ground_contact_links()
        return np.array([i in touching for i in self._foot_ids], dtype=bool)

    def ground_contacts(self) -> tuple[np.ndarray, bool, bool]:
        """(`foot_contacts()`, `non_foot_contact()`, `base_contact()`) from one query."""
        touching = self._ground_contact_links()
        feet = np.array([i in touching for i in self._foot_ids], dtype=bool)
        return feet, bool(touching.difference(self._foot_ids)), _BASE_LINK in touching

    def non_foot_contact(self) -> bool:
        """Whether any link other than a foot (base, hip, thigh, shank) touches the ground."""
        return bool(self._ground_contact_links().difference(self._foot_ids))

    def base_contact(self) -> bool:
        """Whether the base (the trunk) touches the ground."""
        return _BASE_LINK in self._ground_contact_links()

    # -------------------------------------------------------------- rendering
    def set_kinematic_pose(
        self,
        base_position: np.ndarray,
        base_orientation: np.ndarray,
        joint_positions: np.ndarray,
    ) -> None:
        """Teleport the robot to a pose with zero velocity (for replay rendering).

        base_position [m] world, base_orientation (x, y, z, w), joint_positions [rad] in
        profile order. Does not step the simulation.
        """
        q = np.asarray(joint_positions, dtype=float)
        if q.shape != (self._n,):
            raise ValueError(f"expected {self._n} joint positions, got shape {q.shape}")
        self._teleport(base_position, base_orientation, q)

    def _teleport(
        self, position: Sequence[float], orientation: Sequence[float], q: np.ndarray
    ) -> None:
        """Place the base and joints exactly, all velocities zero."""
        cid = self._client
        p.resetBasePositionAndOrientation(
            self._robot,
            list(map(float, position)),
            list(map(float, orientation)),
            physicsClientId=cid,
        )
        p.resetBaseVelocity(self._robot, (0.0, 0.0, 0.0), (0.0, 0.0, 0.0), physicsClientId=cid)
        for j, angle in zip(self._joint_ids, q, strict=True):
            p.resetJointState(self._robot, j, float(angle), 0.0, physicsClientId=cid)
        self._joints_read = None
        # A teleport is no motion: the accelerometer must not see a velocity jump.
        self._velocity_reference = (0.0, 0.0, 0.0)
        self._velocity_across_step = ((0.0, 0.0, 0.0), (0.0, 0.0, 0.0))

    def render_rgb(self, width: int = 320, height: int = 240) -> np.ndarray:
        """(height, width, 3) uint8 image from a camera following the base.

        The camera looks at the base from the front-left diagonal, slightly from above,
        1.2 m away; pybullet's CPU renderer is used, so no display is needed.
        """
        cid = self._client
        base = p.getBasePositionAndOrientation(self._robot, physicsClientId=cid)[0]
        view = p.computeViewMatrixFromYawPitchRoll(
            cameraTargetPosition=base,
            distance=_CAMERA_DISTANCE,
            yaw=_CAMERA_YAW,
            pitch=_CAMERA_PITCH,
            roll=0.0,
            upAxisIndex=2,
            physicsClientId=cid,
        )
        proj = p.computeProjectionMatrixFOV(
            fov=_CAMERA_FOV, aspect=width / height, nearVal=0.05, farVal=20.0, physicsClientId=cid
        )
        _, _, rgba, _, _ = p.getCameraImage(
            width,
            height,
            viewMatrix=view,
            projectionMatrix=proj,
            renderer=p.ER_TINY_RENDERER,
            shadow=1,
            lightDirection=(1.0, 1.0, 2.0),
            physicsClientId=cid,
        )
        return np.asarray(rgba, dtype=np.uint8).reshape(height, width, 4)[:, :, :3].copy()

    # -------------------------------------------------------------- lifecycle
    def close(self) -> None:
        """Disconnect the pybullet client; safe to call twice."""
        if self._client is not None:
            p.disconnect(physicsClientId=self._client)
            self._client = None

    def __enter__(self) -> PybulletWorld:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()
