"""A person in a treadmill harness, optionally wearing the exoskeleton, in pybullet.

One physics step (500 Hz) applies, all as joint-space torques on one fixed-base
multibody (see `legkit.wearer.urdf` for the tree):

- **the wearer's muscles**: `TrackingController` torques toward the reference motion at
  the current time; these are the human effort the assistance is scored on;
- **the exoskeleton's actuators**: the torque last given to `apply_exo_torques`, times
  the motor strength, minus the actuators' back-drive friction;
- **the human-exoskeleton interface**: a spring-damper between each strut and the limb
  segment its cuff is strapped to (on their relative sagittal angle: a cuff's
  translational stiffness times the square of its lever arm), and one between the belt
  and the pelvis; the device is not bolted to the body, so assistance arrives filtered
  and a little late, and part of it is lost in the straps;
- **the harness**: spring-dampers pulling the pelvis towards the reference pelvis pose,
  forward at the treadmill speed, in height only as a catch (no spring: the legs carry
  the body) and in trunk lean. It stands in for balance, which is not the problem
  solved here: a treadmill harness that keeps the person upright and in place. The
  force it has to supply is reported, so that a gait that only works because the harness
  carries it shows up.

The pelvis thus moves in the sagittal plane (forward, up, lean); every joint of the
person and of the device bends about the lateral axis. Interaction between two bodies
of one chain is exact as generalized forces: a torque T that a strap applies to a
segment with sagittal angle ``s . q`` (a signed sum of joint coordinates) and -T to the
strut with angle ``s' . q`` is the generalized force ``(s - s') T``.

Time is the reference motion's time: `reset(t0)` starts the person on the reference at
``t0``, so an episode may start anywhere in a gait cycle.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from types import TracebackType

import numpy as np
import pybullet as p
import pybullet_data

from legkit.robots.exoskeleton import HARDWARE, ExoHardware
from legkit.robots.profile import RobotProfile
from legkit.wearer.gait import WEARER_JOINTS, MotionSample, ReferenceMotion
from legkit.wearer.muscles import MuscleModel, TrackingController
from legkit.wearer.urdf import WEARER_URDF

GRAVITY = 9.81
"""[m/s^2]"""

HARNESS_JOINTS = ("harness_x", "harness_z", "harness_pitch")
_FRICTION_SPEED = 0.05  # rad/s: Coulomb friction is smoothed over this speed (tanh)


@dataclass(frozen=True)
class HarnessConfig:
    """Spring-dampers pulling the pelvis to the reference (forward, height, lean)."""

    stiffness: tuple[float, float, float] = (3000.0, 0.0, 200.0)
    """[N/m, N/m, N m/rad]; zero in height: the legs carry the body weight."""
    damping: tuple[float, float, float] = (600.0, 0.0, 40.0)
    """[N s/m, N s/m, N m s/rad]"""


@dataclass(frozen=True)
class CouplingConfig:
    """The straps: belt on the pelvis, cuffs on thigh and shank (rotational, sagittal)."""

    belt_stiffness: float = 400.0
    """[N m/rad]"""
    belt_damping: float = 4.0
    """[N m s/rad]"""
    cuff_stiffness: float = 300.0
    """[N m/rad]: about 5 kN/m of strap and soft tissue at the cuff's 0.25 m lever; the full
    18 N m then deflects the cuff by 3.4 degrees."""
    cuff_damping: float = 3.0
    """[N m s/rad]"""


@dataclass(frozen=True)
class WearerConfig:
    """Everything about the simulated person and the straps, besides the reference motion."""

    physics_rate_hz: float = 500.0
    """[Hz]; the straps are stiff springs on light struts: 500 Hz keeps them stable."""
    ground_friction: float = 0.8
    """Shoe on treadmill belt, Coulomb coefficient [-]."""
    sole_stiffness: float = 1e5
    """Contact stiffness of the shoe sole [N/m]: 7 mm under the body weight, a heel pad's."""
    sole_damping: float = 3000.0
    """Contact damping of the shoe sole [N s/m]: a heel strike does not bounce."""
    muscles: MuscleModel = field(default_factory=MuscleModel)
    harness: HarnessConfig = field(default_factory=HarnessConfig)
    coupling: CouplingConfig = field(default_factory=CouplingConfig)


@dataclass
class StepRecord:
    """What happened during the latest physics step; joint arrays in their owners' order."""

    time: float
    """Reference time at the end of the step [s]."""
    human_torques: np.ndarray
    """(6,) muscle torque of the wearer's joints [N m], `WEARER_JOINTS` order."""
    human_velocities: np.ndarray
    """(6,) the wearer's joint velocities at the start of the step [rad/s]."""
    exo_torques: np.ndarray
    """(n,) actuator torque applied, friction excluded [N m], profile order."""
    exo_velocities: np.ndarray
    """(n,) actuator speeds (strut relative to belt) at the start of the step [rad/s]."""
    harness_forces: np.ndarray
    """(3,) harness force forward [N], up [N] and moment on the trunk [N m]."""


class WearerWorld:
    """The wearer, the harness and (unless `exo` is None) the exoskeleton, in pybullet."""

    def __init__(
        self,
        motion: ReferenceMotion,
        exo: RobotProfile | None,
        config: WearerConfig | None = None,
        hardware: ExoHardware = HARDWARE,
    ) -> None:
        self.motion = motion
        self.exo = exo
        self.config = config if config is not None else WearerConfig()
        self.hardware = hardware
        self.controller = TrackingController(self.config.muscles)
        self._dt = 1.0 / self.config.physics_rate_hz
        cid = p.connect(p.DIRECT)
        if cid < 0:
            raise RuntimeError("could not start a pybullet DIRECT client")
        self._client: int | None = cid
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
        p.setAdditionalSearchPath(pybullet_data.getDataPath(), physicsClientId=cid)
        self._plane = p.loadURDF("plane.urdf", physicsClientId=cid)
        urdf = self.exo.urdf if self.exo is not None else WEARER_URDF
        if not urdf.is_file():
            raise FileNotFoundError(f"wearer URDF not found at {urdf}")
        self._body = p.loadURDF(
            str(urdf), useFixedBase=True, flags=p.URDF_USE_INERTIA_FROM_FILE, physicsClientId=cid
        )
        joints, links = {}, {}
        for i in range(p.getNumJoints(self._body, physicsClientId=cid)):
            info = p.getJointInfo(self._body, i, physicsClientId=cid)
            joints[info[1].decode()] = i
            links[info[12].decode()] = i
            p.changeDynamics(
                self._body, i, linearDamping=0.0, angularDamping=0.0, physicsClientId=cid
            )
        exo_joints = self.exo.joint_names if self.exo is not None else ()
        names = HARNESS_JOINTS + WEARER_JOINTS + (("belt_pitch",) if self.exo else ()) + exo_joints
        missing = [n for n in names if n not in joints]
        if missing:
            raise ValueError(f"{urdf.name}: joints {missing} missing")
        self._ids = [joints[n] for n in names]
        self._links = links
        self._feet = [links[f"wearer_{s}_foot"] for s in ("L", "R")]
        n = len(names)
        self._n = n
        self._wearer = slice(3, 9)
        self._exo = slice(10, n) if self.exo is not None else slice(n, n)
        self._num_exo = len(exo_joints)
        p.setJointMotorControlArray(
            self._body, self._ids, p.VELOCITY_CONTROL, forces=[0.0] * n, physicsClientId=cid
        )
        self._build_interface(names)
        device = ["belt"] + [f"{s}_exo_{part}" for s in ("L", "R") for part in ("thigh", "shank")]
        self._exo_links = [links[name] for name in device if name in links]
        self._exo_nominal = {
            i: p.getDynamicsInfo(self._body, i, physicsClientId=cid)[:3] for i in self._exo_links
        }
        self._motor_strength = np.ones(self._num_exo)
        self._effort_limits = self.exo.effort_limits if self.exo is not None else np.zeros(0)
        self._friction_scale = 1.0
        h = self.config.harness
        self._harness_k = np.array(h.stiffness)
        self._harness_c = np.array(h.damping)
        self.set_ground_friction(self.config.ground_friction)
        self.reset(0.0)

    def _angle(self, *terms: tuple[str, float]) -> np.ndarray:
        """Coefficients s of a sagittal angle s . q (flexion sense) over the coordinates."""
        s = np.zeros(self._n)
        for name, sign in terms:
            s[self._index[name]] += sign
        return s

    def _build_interface(self, names: tuple[str, ...]) -> None:
        """Stiffness and damping matrices of the straps, and the thigh-IMU angle vectors."""
        self._index = {name: i for i, name in enumerate(names)}
        c = self.config.coupling
        # The pelvis leans forward about +y: in the flexion sense (about -y) that is negative.
        pelvis = (("harness_pitch", -1.0),)
        stiffness, damping = np.zeros((self._n, self._n)), np.zeros((self._n, self._n))
        thighs = {}
        for side in ("L", "R"):
            human_thigh = pelvis + ((f"wearer_{side}_hip", 1.0),)
            thighs[side] = self._angle(*human_thigh)
            if self.exo is None:
                continue
            strut = pelvis + (("belt_pitch", 1.0), (f"{side}_HIP", 1.0))
            pairs = [(strut, human_thigh)]
            if f"{side}_KNEE" in self._index:
                human_shank = human_thigh + ((f"wearer_{side}_knee", -1.0),)
                pairs.append((strut + ((f"{side}_KNEE", -1.0),), human_shank))
            for device, limb in pairs:
                d = self._angle(*device) - self._angle(*limb)
                stiffness += c.cuff_stiffness * np.outer(d, d)
                damping += c.cuff_damping * np.outer(d, d)
            thighs[side] = self._angle(*strut)  # the IMU rides on the strut's cuff
        if self.exo is not None:
            belt = self._angle(("belt_pitch", 1.0))
            stiffness += c.belt_stiffness * np.outer(belt, belt)
            damping += c.belt_damping * np.outer(belt, belt)
        self._coupling_k, self._coupling_c = stiffness, damping
        self._imu = np.stack([thighs["L"], thighs["R"]])
        self._human_thighs = np.stack(
            [self._angle(*pelvis, (f"wearer_{s}_hip", 1.0)) for s in ("L", "R")]
        )

    # ------------------------------------------------------------ properties
    @property
    def dt(self) -> float:
        """Physics step [s]."""
        return self._dt

    @property
    def time(self) -> float:
        """Reference time [s]."""
        return self._t

    @property
    def num_exo_joints(self) -> int:
        return self._num_exo

    # ---------------------------------------------------------------- control
    def reset(self, t0: float = 0.0, motion: ReferenceMotion | None = None) -> None:
        """Put the person exactly on the reference at time `t0` [s], moving with it.

        The device sits unstrained on the body (struts on the limb angles, belt on the
        pelvis). A new `motion` replaces the reference from now on. Exo torques are zeroed.
        """
        if motion is not None:
            self.motion = motion
        ref = self.motion.sample(t0)
        q, qd = np.zeros(self._n), np.zeros(self._n)
        q[:3], qd[:3] = ref.pelvis, ref.pelvis_velocity
        q[self._wearer], qd[self._wearer] = ref.joint_positions, ref.joint_velocities
        for i, name in enumerate(self.exo.joint_names if self.exo is not None else ()):
            side, joint = name.split("_")
            human = self._index[f"wearer_{side}_{joint.lower()}"]
            q[self._exo.start + i], qd[self._exo.start + i] = q[human], qd[human]
        cid = self._client
        for j, angle, rate in zip(self._ids, q, qd, strict=True):
            p.resetJointState(self._body, j, float(angle), float(rate), physicsClientId=cid)
        # Forget the previous episode's contacts, so a reset replays bit for bit.
        p.performCollisionDetection(physicsClientId=cid)
        self._now = None
        self._t = float(t0)
        self._t0 = float(t0)
        self._exo_cmd = np.zeros(self._num_exo)
        self._q, self._qd = q, qd
        self.last = StepRecord(
            self._t,
            np.zeros(6),
            ref.joint_velocities.copy(),
            np.zeros(self._num_exo),
            qd[self._exo].copy(),
            np.zeros(3),
        )

    def apply_exo_torques(self, torques: np.ndarray) -> np.ndarray:
        """Command the actuators [N m], profile order, held until the next call.

        Non-finite entries become 0; each is clamped to the profile's effort limit, then
        scaled by the motor strength. Returns the torques that will act.
        """
        if self.exo is None:
            raise RuntimeError("no exoskeleton is worn in this world")
        tau = np.asarray(torques, dtype=float)
        if tau.shape != (self._num_exo,):
            raise ValueError(f"expected {self._num_exo} torques, got shape {tau.shape}")
        if not np.isfinite(tau).all():
            tau = np.where(np.isfinite(tau), tau, 0.0)
        limit = self._effort_limits
        tau = np.maximum(np.minimum(tau, limit), -limit) * self._motor_strength
        self._exo_cmd = tau
        return tau.copy()

    def step(self) -> None:
        """Advance one physics step: muscles track the reference, the device pushes."""
        cid = self._client
        q, qd = self._read()
        ref = self.motion.sample(self._t)
        forces = -(self._coupling_k @ q) - self._coupling_c @ qd
        human = self.controller.torques(ref, q[self._wearer], qd[self._wearer], q[2], qd[2])
        forces[self._wearer] += human
        harness = self._harness_k * (ref.pelvis - q[:3])
        harness += self._harness_c * (ref.pelvis_velocity - qd[:3])
        forces[:3] += harness
        if self._num_exo:
            hw = self.hardware
            speed = qd[self._exo]
            friction = hw.actuator_friction * np.tanh(speed / _FRICTION_SPEED)
            friction += hw.actuator_damping * speed
            forces[self._exo] += self._exo_cmd - self._friction_scale * friction
        p.setJointMotorControlArray(
            self._body, self._ids, p.TORQUE_CONTROL, forces=forces.tolist(), physicsClientId=cid
        )
        p.stepSimulation(physicsClientId=cid)
        self._t += self._dt
        self._q, self._qd = q, qd
        self._now = None
        self.last = StepRecord(
            self._t, human, qd[self._wearer], self._exo_cmd.copy(), qd[self._exo], harness
        )

    # ----------------------------------------------------------------- sensing
    def reference(self) -> MotionSample:
        """The reference at the current time."""
        return self.motion.sample(self._t)

    def joint_state(self) -> tuple[np.ndarray, np.ndarray]:
        """All coordinates (harness, wearer, belt, device) at the start of the latest step."""
        return self._q.copy(), self._qd.copy()

    def thigh_imu(self) -> tuple[np.ndarray, np.ndarray]:
        """(angles [rad], rates [rad/s]) of the left and right thigh IMUs, now.

        The sagittal angle of each cuff from the vertical, thigh forward positive, as an
        IMU on the cuff measures it (gravity-referenced, not relative to the pelvis).
        Without a device, the thighs themselves.
        """
        q, qd = self._read()
        return self._imu @ q, self._imu @ qd

    def exo_joint_state(self) -> tuple[np.ndarray, np.ndarray]:
        """(positions [rad], velocities [rad/s]) of the actuators, profile order, now."""
        q, qd = self._read()
        return q[self._exo].copy(), qd[self._exo].copy()

    def human_state(self) -> tuple[np.ndarray, np.ndarray]:
        """(positions, velocities) of the wearer's joints, `WEARER_JOINTS` order, now."""
        q, qd = self._read()
        return q[self._wearer].copy(), qd[self._wearer].copy()

    def human_thigh_angles(self) -> np.ndarray:
        """(2,) sagittal angles of the person's own thighs [rad], now."""
        return self._human_thighs @ self._read()[0]

    def pelvis(self) -> tuple[np.ndarray, np.ndarray]:
        """(x [m], hip height [m], lean [rad]) and their rates, now."""
        q, qd = self._read()
        return q[:3].copy(), qd[:3].copy()

    def foot_contacts(self) -> np.ndarray:
        """(2,) whether the left / right foot touches the ground."""
        points = p.getContactPoints(self._body, self._plane, physicsClientId=self._client)
        touching = {pt[3] for pt in points}
        return np.array([f in touching for f in self._feet])

    def _read(self) -> tuple[np.ndarray, np.ndarray]:
        """All coordinates now; read from pybullet once per step, however often asked."""
        if self._now is None:
            states = p.getJointStates(self._body, self._ids, physicsClientId=self._client)
            self._now = (np.array([s[0] for s in states]), np.array([s[1] for s in states]))
        return self._now

    # --------------------------------------------------------- randomization
    # Persist across `reset` until changed again.
    def set_ground_friction(self, friction: float) -> None:
        """Coulomb friction coefficient of the ground [-], >= 0."""
        if not friction >= 0.0:
            raise ValueError(f"ground friction must be >= 0, got {friction}")
        p.changeDynamics(self._plane, -1, lateralFriction=friction, physicsClientId=self._client)
        for foot in self._feet:
            p.changeDynamics(
                self._body,
                foot,
                lateralFriction=1.0,  # pybullet multiplies the two: the ground's value counts
                contactStiffness=self.config.sole_stiffness,
                contactDamping=self.config.sole_damping,
                physicsClientId=self._client,
            )

    def set_exo_mass_scale(self, scale: float) -> None:
        """Scale the mass and inertia of every device link by `scale` (> 0) [-]."""
        if not scale > 0.0:
            raise ValueError(f"mass scale must be > 0, got {scale}")
        for link, (mass, _, inertia) in self._exo_nominal.items():
            p.changeDynamics(
                self._body,
                link,
                mass=mass * scale,
                localInertiaDiagonal=[i * scale for i in inertia],
                physicsClientId=self._client,
            )

    def set_motor_strength(self, strength: np.ndarray) -> None:
        """Factor on each actuator's torque [-], profile order (a weak or strong motor)."""
        s = np.asarray(strength, dtype=float)
        if s.shape != (self._num_exo,) or not np.all(s > 0.0):
            raise ValueError(f"motor strength: {self._num_exo} positive values, got {strength}")
        self._motor_strength = s.copy()

    def set_actuator_friction_scale(self, scale: float) -> None:
        """Factor on the actuators' back-drive friction [-], >= 0."""
        if not scale >= 0.0:
            raise ValueError(f"friction scale must be >= 0, got {scale}")
        self._friction_scale = float(scale)

    # ---------------------------------------------------------------- rendering
    def render_rgb(self, width: int = 320, height: int = 240) -> np.ndarray:
        """(height, width, 3) uint8 side view following the pelvis (CPU renderer)."""
        cid = self._client
        x = float(self._read()[0][0])
        view = p.computeViewMatrixFromYawPitchRoll(
            (x, 0.0, 0.6), 2.2, 0.0, -5.0, 0.0, 2, physicsClientId=cid
        )
        proj = p.computeProjectionMatrixFOV(40.0, width / height, 0.05, 20.0, physicsClientId=cid)
        _, _, rgba, _, _ = p.getCameraImage(
            width, height, view, proj, renderer=p.ER_TINY_RENDERER, physicsClientId=cid
        )
        return np.asarray(rgba, dtype=np.uint8).reshape(height, width, 4)[:, :, :3].copy()

    # -------------------------------------------------------------- lifecycle
    def close(self) -> None:
        """Disconnect the pybullet client; safe to call twice."""
        if self._client is not None:
            p.disconnect(physicsClientId=self._client)
            self._client = None

    def __enter__(self) -> WearerWorld:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()
