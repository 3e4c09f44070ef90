"""The 12-joint quadruped: a ~14 kg robot of the Unitree A1/Go1 class.

Joint naming follows ANYmal: legs LF, RF, LH, RH (left/right, fore/hind), each with
HAA (hip abduction/adduction, about x), HFE (hip flexion/extension, about y) and KFE
(knee flexion/extension, about y). Positive HFE swings the foot backwards; the knee
is bent with negative KFE, so every knee points backwards.

Limits are those of a 23.7 N m hip / 35.5 N m knee actuator class. Gains are the
ones the shipped policies are trained with.
"""

from __future__ import annotations

from legkit import REPO_ROOT
from legkit.robots.profile import JointSpec, RobotProfile

LEGS = ("LF", "RF", "LH", "RH")

# Nominal standing pose [rad]: front and hind thighs slightly apart for a wider support.
_HFE_DEFAULT = {"LF": 0.8, "RF": 0.8, "LH": 1.0, "RH": 1.0}
_KFE_DEFAULT = -1.5
# Folded pose the robot rests in before stand-up [rad]. With 0.21 m links and the knee
# stop at -2.7 rad the folded legs reach ~7 cm below the belly, so held in this pose the
# robot crouches on its feet with the belly ~7 cm up (~5 cm once limp). Resting on the belly
# would need the legs splayed (HAA >= ~0.6 rad outwards), and a linear stand-up from a
# splay leaves the feet stuck wide by friction (HAA ~0.15 rad off at kp = 30).
_LYING = {"HAA": 0.0, "HFE": 1.25, "KFE": -2.65}

KP = 30.0  # N m / rad
KD = 0.8  # N m s / rad


def _leg(leg: str) -> list[JointSpec]:
    return [
        JointSpec(
            f"{leg}_HAA",
            lower=-0.80,
            upper=0.80,
            effort_limit=23.7,
            velocity_limit=30.0,
            default_position=0.0,
            kp=KP,
            kd=KD,
        ),
        JointSpec(
            f"{leg}_HFE",
            lower=-1.0,
            upper=3.0,
            effort_limit=23.7,
            velocity_limit=30.0,
            default_position=_HFE_DEFAULT[leg],
            kp=KP,
            kd=KD,
        ),
        JointSpec(
            f"{leg}_KFE",
            lower=-2.7,
            upper=-0.9,
            effort_limit=35.5,
            velocity_limit=20.0,
            default_position=_KFE_DEFAULT,
            kp=KP,
            kd=KD,
        ),
    ]


QUADRUPED = RobotProfile(
    name="quadruped",
    urdf=REPO_ROOT / "urdf" / "quadruped.urdf",
    joints=tuple(j for leg in LEGS for j in _leg(leg)),
    base_link="base",
    foot_links=tuple(f"{leg}_FOOT" for leg in LEGS),
    nominal_base_height=0.30,
    lying_joint_positions=tuple(_LYING[k] for _ in LEGS for k in ("HAA", "HFE", "KFE")),
    damping_kd=1.0,
    standup_duration=1.5,
    fall_height=0.15,
    fall_tilt=1.0,
)
