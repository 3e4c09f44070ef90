"""Write the wearer's URDFs: the person alone, with the hip exoskeleton, and with knee actuators.

Usage (rewrites the three files under urdf/; a test checks they match this generator)::

    python -m legkit.wearer.urdf

Every number comes from `legkit.wearer.anthropometry` (the person) and
`legkit.robots.exoskeleton.ExoHardware` (the device), so a file cannot drift from the
model the simulation and its tests reason with.

Kinematic tree (sagittal model, all revolute axes lateral)::

    rig (fixed to the world, the treadmill harness frame)
     harness_x (prismatic, forward) > harness_z (prismatic, up) > harness_pitch (lean)
      pelvis: head, arms and trunk, origin midway between the hip joints
       wearer_{L,R}_hip > wearer_{L,R}_knee > wearer_{L,R}_ankle   (the person's joints)
       belt_pitch > belt > {L,R}_HIP > {L,R}_exo_thigh [> {L,R}_KNEE > {L,R}_exo_shank]

``belt_pitch`` is the belt's compliant seat on the pelvis, not an actuator: the
simulation puts a spring-damper on it, as it puts one between each strut and the thigh
(cuff) or shank it is strapped to. Only the feet have collision shapes.
"""

from __future__ import annotations

import argparse
from collections.abc import Iterator
from pathlib import Path

from legkit import REPO_ROOT
from legkit.robots.exoskeleton import EXOSKELETON_KNEE, HARDWARE, SIDES, ExoHardware
from legkit.wearer.anthropometry import ADULT, HIP_HALF_SPACING, Anthropometry

FLEXION_AXIS = "0 -1 0"
"""Positive rotation about -y swings a hanging segment forward (hip flexion, toes up)."""
KNEE_AXIS = "0 1 0"
"""Positive knee angle is flexion: the shank swings backward relative to the thigh."""
LEAN_AXIS = "0 1 0"
"""Positive pelvis pitch leans the trunk forward."""

# Anatomical joint ranges [rad] (flexion / dorsiflexion positive): roughly those of a
# healthy adult, enough for walking and a deep squat.
HIP_RANGE = (-0.5, 2.1)
KNEE_RANGE = (0.0, 2.4)
ANKLE_RANGE = (-0.8, 0.6)
# The harness: forward travel, hip height range (the lower stop catches a collapse)
# and trunk lean [m, m, rad].
HARNESS_X_RANGE = (-1000.0, 1000.0)
HARNESS_Z_RANGE = (0.30, 1.40)
HARNESS_PITCH_RANGE = (-1.2, 1.2)
BELT_RANGE = (-0.5, 0.5)

_SLIDER_MASS = 0.05  # kg: the harness trolley's moving parts add next to nothing
_FOOT_SOLE_THICKNESS = 0.04  # m: collision box height above the sole


def _f(x: float) -> str:
    return f"{x:.6g}"


def _v(*xs: float) -> str:
    return " ".join(_f(x) for x in xs)


def _inertial(mass: float, com: tuple[float, float, float], ixx: float, iyy: float, izz: float):
    return (
        f"    <inertial>\n"
        f'      <origin xyz="{_v(*com)}" rpy="0 0 0"/>\n'
        f'      <mass value="{_f(mass)}"/>\n'
        f'      <inertia ixx="{_f(ixx)}" ixy="0" ixz="0" iyy="{_f(iyy)}" iyz="0" '
        f'izz="{_f(izz)}"/>\n'
        f"    </inertial>\n"
    )


def _box(size: tuple[float, float, float], at: tuple[float, float, float], material: str) -> str:
    return (
        f"    <visual>\n"
        f'      <origin xyz="{_v(*at)}" rpy="0 0 0"/>\n'
        f'      <geometry><box size="{_v(*size)}"/></geometry>\n'
        f'      <material name="{material}"/>\n'
        f"    </visual>\n"
    )


def _link(name: str, body: str = "", collision: str = "") -> str:
    return f'  <link name="{name}">\n{body}{collision}  </link>\n'


def _joint(
    name: str,
    kind: str,
    parent: str,
    child: str,
    xyz: tuple[float, float, float],
    axis: str,
    limits: tuple[float, float],
    effort: float,
    velocity: float,
) -> str:
    return (
        f'  <joint name="{name}" type="{kind}">\n'
        f'    <parent link="{parent}"/>\n'
        f'    <child link="{child}"/>\n'
        f'    <origin xyz="{_v(*xyz)}" rpy="0 0 0"/>\n'
        f'    <axis xyz="{axis}"/>\n'
        f'    <limit lower="{_f(limits[0])}" upper="{_f(limits[1])}" effort="{_f(effort)}" '
        f'velocity="{_f(velocity)}"/>\n'
        f'    <dynamics damping="0" friction="0"/>\n'
        f"  </joint>\n"
    )


def _segment_link(name: str, mass: float, length: float, com: float, iyy: float, rgba: str):
    """A limb segment hanging from its proximal joint along -z."""
    body = _inertial(mass, (0.0, 0.0, -com), iyy, iyy, 0.2 * iyy)
    body += _box((0.09, 0.09, length), (0.0, 0.0, -length / 2.0), rgba)
    return _link(name, body)


def _wearer_leg(side: str, a: Anthropometry) -> Iterator[str]:
    y = HIP_HALF_SPACING if side == "L" else -HIP_HALF_SPACING
    thigh, shank, foot = a.thigh, a.shank, a.foot
    yield _joint(
        f"wearer_{side}_hip",
        "revolute",
        "pelvis",
        f"wearer_{side}_thigh",
        (0.0, y, 0.0),
        FLEXION_AXIS,
        HIP_RANGE,
        300.0,
        20.0,
    )
    yield _segment_link(
        f"wearer_{side}_thigh", thigh.mass, thigh.length, thigh.com, thigh.inertia, "skin"
    )
    yield _joint(
        f"wearer_{side}_knee",
        "revolute",
        f"wearer_{side}_thigh",
        f"wearer_{side}_shank",
        (0.0, 0.0, -thigh.length),
        KNEE_AXIS,
        KNEE_RANGE,
        300.0,
        20.0,
    )
    yield _segment_link(
        f"wearer_{side}_shank", shank.mass, shank.length, shank.com, shank.inertia, "skin"
    )
    yield _joint(
        f"wearer_{side}_ankle",
        "revolute",
        f"wearer_{side}_shank",
        f"wearer_{side}_foot",
        (0.0, 0.0, -shank.length),
        FLEXION_AXIS,
        ANKLE_RANGE,
        300.0,
        20.0,
    )
    # Winter's foot centre of mass: halfway from the ankle to the metatarsal heads.
    com = (a.toe / 2.0, 0.0, -a.ankle_height / 2.0)
    sole = (a.heel + a.toe, a.foot_width, _FOOT_SOLE_THICKNESS)
    sole_at = ((a.toe - a.heel) / 2.0, 0.0, -a.ankle_height + _FOOT_SOLE_THICKNESS / 2.0)
    body = _inertial(foot.mass, com, 0.5 * foot.inertia, foot.inertia, foot.inertia)
    shoe = (a.heel + a.toe, a.foot_width, a.ankle_height)
    body += _box(shoe, (sole_at[0], 0.0, -a.ankle_height / 2.0), "shoe")
    collision = (
        f"    <collision>\n"
        f'      <origin xyz="{_v(*sole_at)}" rpy="0 0 0"/>\n'
        f'      <geometry><box size="{_v(*sole)}"/></geometry>\n'
        f"    </collision>\n"
    )
    yield _link(f"wearer_{side}_foot", body, collision)


def _exo(hw: ExoHardware, a: Anthropometry, knee: bool) -> Iterator[str]:
    yield _joint(
        "belt_pitch", "revolute", "pelvis", "belt", (0, 0, 0), FLEXION_AXIS, BELT_RANGE, 100.0, 20.0
    )
    # The belt: a 0.3 m wide, 0.1 m deep, 0.15 m tall block at the small of the back.
    belt_inertia = hw.belt_mass * (0.1**2 + 0.15**2) / 12.0
    body = _inertial(hw.belt_mass, hw.belt_com, belt_inertia, belt_inertia, belt_inertia)
    body += _box((0.10, 0.36, 0.15), hw.belt_com, "exo")
    yield _link("belt", body)
    for side in SIDES:
        y = hw.actuator_offset if side == "L" else -hw.actuator_offset
        hip = EXOSKELETON_KNEE.joints[EXOSKELETON_KNEE.joint_index(f"{side}_HIP")]
        yield _joint(
            f"{side}_HIP",
            "revolute",
            "belt",
            f"{side}_exo_thigh",
            (0.0, y, 0.0),
            FLEXION_AXIS,
            (hip.lower, hip.upper),
            hip.effort_limit,
            hip.velocity_limit,
        )
        strut = hw.thigh_strut_mass
        iyy = strut * hw.thigh_strut_com**2 / 3.0  # a slender strut about its centre
        body = _inertial(strut, (0.0, 0.0, -hw.thigh_strut_com), iyy, iyy, 0.1 * iyy)
        body += _box((0.03, 0.02, 2 * hw.thigh_strut_com), (0, 0, -hw.thigh_strut_com), "exo")
        body += _box((0.14, 0.03, 0.06), (0.0, 0.0, -hw.cuff_distance), "cuff")
        yield _link(f"{side}_exo_thigh", body)
        if not knee:
            continue
        k = EXOSKELETON_KNEE.joints[EXOSKELETON_KNEE.joint_index(f"{side}_KNEE")]
        yield _joint(
            f"{side}_KNEE",
            "revolute",
            f"{side}_exo_thigh",
            f"{side}_exo_shank",
            (0.0, 0.0, -a.thigh.length),
            KNEE_AXIS,
            (k.lower, k.upper),
            k.effort_limit,
            k.velocity_limit,
        )
        mass, com = hw.knee_strut_mass, hw.knee_strut_com
        iyy = mass * com**2
        body = _inertial(mass, (0.0, 0.0, -com), iyy, iyy, 0.1 * iyy)
        body += _box((0.03, 0.02, 2 * com), (0, 0, -com), "exo")
        yield _link(f"{side}_exo_shank", body)


def build_urdf(
    exo: bool, knee: bool = False, a: Anthropometry = ADULT, hw: ExoHardware = HARDWARE
) -> str:
    """The URDF text: the wearer, with the hip exoskeleton if `exo`, knee actuators if `knee`."""
    if knee and not exo:
        raise ValueError("knee actuators need the exoskeleton")
    name = "exoskeleton_knee" if knee else "exoskeleton" if exo else "wearer"
    device = (
        f"{hw.total_mass(knee):.2f} kg {'hip and knee' if knee else 'hip'} exoskeleton "
        "(legkit.robots.exoskeleton)"
        if exo
        else "no exoskeleton"
    )
    hat = a.hat
    parts = [
        '<?xml version="1.0"?>\n',
        "<!--\n"
        f"  GENERATED by `python -m legkit.wearer.urdf`: edit the generator, not this file.\n"
        f"  A {a.height:g} m, {a.mass:g} kg person (segments after Winter 2009, Table 4.1) in a\n"
        f"  treadmill harness, wearing: {device}.\n"
        "  Frames: x forward, y left, z up. Sagittal model: every revolute axis is lateral;\n"
        "  positive angles are flexion (hip, knee), dorsiflexion (ankle), forward lean\n"
        "  (harness_pitch). With all joints at zero the person stands straight, hip joints\n"
        "  harness_z above the rig origin. See legkit/wearer/urdf.py for the tree.\n"
        "-->\n",
        f'<robot name="{name}">\n',
        '  <material name="skin"><color rgba="0.85 0.68 0.55 1"/></material>\n',
        '  <material name="shirt"><color rgba="0.20 0.35 0.60 1"/></material>\n',
        '  <material name="shoe"><color rgba="0.10 0.10 0.10 1"/></material>\n',
        '  <material name="exo"><color rgba="0.15 0.15 0.15 1"/></material>\n',
        '  <material name="cuff"><color rgba="0.95 0.50 0.12 1"/></material>\n',
        _link("rig", _inertial(1.0, (0, 0, 0), 0.01, 0.01, 0.01)),
        _joint(
            "harness_x",
            "prismatic",
            "rig",
            "harness_slider_x",
            (0, 0, 0),
            "1 0 0",
            HARNESS_X_RANGE,
            5000.0,
            10.0,
        ),
        _link("harness_slider_x", _inertial(_SLIDER_MASS, (0, 0, 0), 1e-4, 1e-4, 1e-4)),
        _joint(
            "harness_z",
            "prismatic",
            "harness_slider_x",
            "harness_slider_z",
            (0, 0, 0),
            "0 0 1",
            HARNESS_Z_RANGE,
            5000.0,
            10.0,
        ),
        _link("harness_slider_z", _inertial(_SLIDER_MASS, (0, 0, 0), 1e-4, 1e-4, 1e-4)),
        _joint(
            "harness_pitch",
            "revolute",
            "harness_slider_z",
            "pelvis",
            (0, 0, 0),
            LEAN_AXIS,
            HARNESS_PITCH_RANGE,
            1000.0,
            10.0,
        ),
        _link(
            "pelvis",
            _inertial(hat.mass, (0.0, 0.0, hat.com), hat.inertia, hat.inertia, 0.3 * hat.inertia)
            + _box((0.22, 0.34, hat.length), (0.0, 0.0, hat.length / 2.0), "shirt"),
        ),
    ]
    for side in SIDES:
        parts.extend(_wearer_leg(side, a))
    if exo:
        parts.extend(_exo(hw, a, knee))
    parts.append("</robot>\n")
    return "".join(parts)


URDF_FILES = {
    "wearer.urdf": {"exo": False},
    "exoskeleton.urdf": {"exo": True},
    "exoskeleton_knee.urdf": {"exo": True, "knee": True},
}
"""The generated files (under urdf/) and the `build_urdf` arguments of each."""

WEARER_URDF = REPO_ROOT / "urdf" / "wearer.urdf"
"""The person alone, for the no-exoskeleton baseline."""


def main(argv: list[str] | None = None) -> None:
    p = argparse.ArgumentParser(prog="python -m legkit.wearer.urdf", description=__doc__)
    p.add_argument("--out-dir", type=Path, default=REPO_ROOT / "urdf")
    args = p.parse_args(argv)
    for name, kwargs in URDF_FILES.items():
        path = args.out_dir / name
        path.write_text(build_urdf(**kwargs), encoding="utf-8")
        print(f"wrote {path}")


if __name__ == "__main__":
    main()
