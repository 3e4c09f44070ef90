"""The hip exoskeleton: one actuator per hip, worn by a simulated person (~3 kg device).

A waist belt carries the electronics, the battery and two hip actuators of the AK80-9
class (18 N m peak, 9:1 planetary, 0.485 kg); a strut from each actuator runs down the
outside of the thigh to a cuff strapped above the knee, where an IMU measures the thigh's
angle and angular velocity. The actuator axis is aligned with the wearer's hip
flexion/extension axis. Optionally (profile ``exoskeleton_knee``) the struts continue to
knee actuators of the same class with shank cuffs.

The exoskeleton is torque controlled (`RobotProfile.actuation` ``"torque"``): the policy
commands assistance torque, normalized, times `TORQUE_SCALE`; there is no PD loop, so kp
and kd are zero. Joint sign follows the wearer: positive is hip (or knee) flexion.
Simulated with its wearer by `legkit.wearer.WearerWorld`, not `legkit.sim.PybulletWorld`.

The policy sees only what the device itself measures, as in Luo et al., "Experiment-free
exoskeleton assistance via learning in simulation", Nature 630 (2024): left and right
thigh angle and angular velocity from the cuff IMUs and its own last action, three
frames at 100 Hz: 18 inputs, 2 hip torques out.
"""

from __future__ import annotations

from dataclasses import dataclass

from legkit import REPO_ROOT
from legkit.robots.profile import JointSpec, RobotProfile

SIDES = ("L", "R")


@dataclass(frozen=True)
class ExoHardware:
    """Masses and geometry of the device; the URDF generator and the simulation read them."""

    belt_mass: float = 1.8
    """Waist belt with frame, battery, electronics and both hip actuators [kg]."""
    belt_com: tuple[float, float, float] = (-0.10, 0.0, 0.05)
    """Belt centre of mass from the midpoint of the hip joints, pelvis frame [m]: at the back."""
    actuator_offset: float = 0.17
    """Actuator axis from the midline, each side [m]: outside the hip."""
    thigh_strut_mass: float = 0.6
    """Strut, cuff and IMU on one thigh [kg]."""
    thigh_strut_com: float = 0.18
    """Centre of mass of a thigh strut below the hip axis [m]."""
    cuff_distance: float = 0.25
    """Thigh cuff (and its IMU) below the hip axis [m]."""
    knee_strut_mass: float = 0.85
    """Knee option, per side: actuator (0.485 kg), shank strut and cuff, longer thigh strut [kg]."""
    knee_strut_com: float = 0.10
    """Centre of mass of the knee option's parts below the knee axis [m]."""
    actuator_mass: float = 0.485
    """One AK80-9-class actuator [kg] (part of the belt and knee masses above)."""
    actuator_friction: float = 0.3
    """Coulomb friction of an actuator when back-driven, at the output [N m]."""
    actuator_damping: float = 0.02
    """Viscous friction of an actuator at the output [N m s/rad]."""

    def total_mass(self, knee: bool = False) -> float:
        """Mass the wearer carries [kg]."""
        return self.belt_mass + 2.0 * (
            self.thigh_strut_mass + (self.knee_strut_mass if knee else 0)
        )


HARDWARE = ExoHardware()

TORQUE_SCALE = 18.0
"""Assistance torque of a unit action [N m]: the actuator's peak torque."""
OBSERVATION_TERMS = ("thigh_angle", "thigh_ang_vel", "last_action")
"""Observation layout of the assistance policies (see `legkit.policy.observation`)."""
HISTORY_LENGTH = 3
"""Frames stacked into the policy input: 3 x (2 + 2 + 2) = 18 inputs for the hip device."""


def _actuator(name: str, lower: float, upper: float) -> JointSpec:
    return JointSpec(
        name,
        lower=lower,
        upper=upper,
        effort_limit=TORQUE_SCALE,
        # Far above the ~5 rad/s of a hip in walking; what an 18 N m actuator at 48 V
        # reaches unloaded is higher still.
        velocity_limit=20.0,
        default_position=0.0,
        kp=0.0,
        kd=0.0,
    )


# Mechanical stops a little wider than the wearer's joint range (see legkit.wearer.urdf),
# so the device never stops a joint the body could still move.
_HIPS = tuple(_actuator(f"{s}_HIP", -0.6, 2.2) for s in SIDES)
_KNEES = tuple(_actuator(f"{s}_KNEE", -0.05, 2.5) for s in SIDES)


def _profile(name: str, urdf: str, joints: tuple[JointSpec, ...]) -> RobotProfile:
    return RobotProfile(
        name=name,
        urdf=REPO_ROOT / "urdf" / urdf,
        joints=joints,
        base_link="belt",
        foot_links=("wearer_L_foot", "wearer_R_foot"),
        nominal_base_height=0.9275,  # the wearer's hip height, standing (1.75 m adult)
        lying_joint_positions=tuple(0.0 for _ in joints),
        physics_rate_hz=500.0,
        control_rate_hz=100.0,
        damping_kd=0.5,  # light: a stopped device must not hold the wearer's legs
        standup_duration=2.0,
        fall_height=0.45,  # hip joints below this: the wearer has sunk into the harness
        fall_tilt=1.0,
        actuation="torque",
    )


EXOSKELETON = _profile("exoskeleton", "exoskeleton.urdf", _HIPS)
"""Hip-only device: joints L_HIP, R_HIP."""
EXOSKELETON_KNEE = _profile("exoskeleton_knee", "exoskeleton_knee.urdf", _HIPS + _KNEES)
"""With knee actuators: joints L_HIP, R_HIP, L_KNEE, R_KNEE."""
