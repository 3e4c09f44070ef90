"""Segment lengths, masses and inertias of the simulated wearer's lower body.

Numbers are fractions of body height H and body mass M from the anthropometric table
in D. A. Winter, *Biomechanics and Motor Control of Human Movement* (4th ed., 2009,
Table 4.1 and Fig. 4.1; masses after Dempster, lengths after Drillis and Contini):

=========  =============  ===========================  ======================
segment    mass [M]       centre of mass from           radius of gyration
                          proximal end [length]         about it [length]
=========  =============  ===========================  ======================
foot       0.0145         0.50                          0.475
shank      0.0465         0.433                         0.302
thigh      0.100          0.433                         0.323
HAT        0.678          0.626 (above the hip)         0.496
=========  =============  ===========================  ======================

HAT is head, arms and trunk: everything above the hips, one rigid segment here. Joint
heights: hip (greater trochanter) 0.530 H, knee 0.285 H, ankle 0.039 H, shoulder
(glenohumeral) 0.818 H; foot length 0.152 H, foot width 0.055 H. Thigh, shank and foot
of both sides plus HAT add up to exactly M.

The model is sagittal (hips, knees and ankles bend about one lateral axis), so only the
inertia about that axis matters to the dynamics; the other two are given plausible
values for a valid URDF.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

# (mass fraction of M, centre of mass from the proximal end, radius of gyration), both
# as fractions of the segment length. Winter (2009), Table 4.1.
_WINTER = {
    "foot": (0.0145, 0.50, 0.475),
    "shank": (0.0465, 0.433, 0.302),
    "thigh": (0.100, 0.433, 0.323),
    "hat": (0.678, 0.626, 0.496),
}
# Joint heights and foot dimensions as fractions of H. Winter (2009), Fig. 4.1.
_HIP_HEIGHT = 0.530
_KNEE_HEIGHT = 0.285
_ANKLE_HEIGHT = 0.039
_SHOULDER_HEIGHT = 0.818
_FOOT_LENGTH = 0.152
_FOOT_WIDTH = 0.055

HEEL_FRACTION = 0.20
"""Heel behind the ankle joint, as a fraction of foot length: the ankle sits over the rear
fifth of the foot."""
TOE_FRACTION = 0.58
"""Metatarsal heads ahead of the ankle joint, as a fraction of foot length. The toes beyond
them bend in push-off, so the rigid foot of the model ends here: its front edge is the
pivot of the toe rocker."""
HIP_HALF_SPACING = 0.09
"""Lateral distance of each hip joint centre from the midline [m] (about 0.1 H apart)."""


@dataclass(frozen=True)
class Segment:
    """One rigid body segment, its frame at the proximal joint, the segment pointing along -z."""

    name: str
    mass: float
    """[kg]"""
    length: float
    """Proximal to distal joint [m] (HAT: hip to shoulder)."""
    com: float
    """Centre of mass from the proximal joint along the segment [m]."""
    radius_of_gyration: float
    """About the centre of mass, sagittal axis [m]."""

    @property
    def inertia(self) -> float:
        """Sagittal moment of inertia about the centre of mass [kg m^2]."""
        return self.mass * self.radius_of_gyration**2


@dataclass(frozen=True)
class Anthropometry:
    """A lower body scaled to one person: 1.75 m and 70 kg by default (a typical adult)."""

    height: float = 1.75
    """Body height H [m]."""
    mass: float = 70.0
    """Body mass M [kg]."""

    def __post_init__(self) -> None:
        if not 1.2 <= self.height <= 2.2 or not 30.0 <= self.mass <= 150.0:
            raise ValueError(
                f"height {self.height} m / mass {self.mass} kg outside the adult range the "
                "anthropometric table describes"
            )

    def _segment(self, name: str, length: float) -> Segment:
        fraction, com, gyration = _WINTER[name]
        return Segment(name, fraction * self.mass, length, com * length, gyration * length)

    @property
    def thigh(self) -> Segment:
        return self._segment("thigh", (_HIP_HEIGHT - _KNEE_HEIGHT) * self.height)

    @property
    def shank(self) -> Segment:
        return self._segment("shank", (_KNEE_HEIGHT - _ANKLE_HEIGHT) * self.height)

    @property
    def foot(self) -> Segment:
        """Winter's foot: ankle joint to the metatarsal heads (on the sole, `toe` ahead)."""
        return self._segment("foot", math.hypot(self.toe, self.ankle_height))

    @property
    def hat(self) -> Segment:
        """Head, arms and trunk, measured upwards from the hip joint."""
        return self._segment("hat", (_SHOULDER_HEIGHT - _HIP_HEIGHT) * self.height)

    @property
    def ankle_height(self) -> float:
        """Ankle joint above the sole [m]."""
        return _ANKLE_HEIGHT * self.height

    @property
    def hip_height(self) -> float:
        """Hip joint above the ground, standing straight [m]."""
        return _HIP_HEIGHT * self.height

    @property
    def foot_length(self) -> float:
        """Heel to toe tip [m]."""
        return _FOOT_LENGTH * self.height

    @property
    def foot_width(self) -> float:
        return _FOOT_WIDTH * self.height

    @property
    def heel(self) -> float:
        """Heel edge behind the ankle joint [m]."""
        return HEEL_FRACTION * self.foot_length

    @property
    def toe(self) -> float:
        """Front edge of the rigid foot (metatarsal heads) ahead of the ankle joint [m]."""
        return TOE_FRACTION * self.foot_length

    @property
    def leg_length(self) -> float:
        """Hip to ankle, knee straight [m]."""
        return self.thigh.length + self.shank.length

    def total_mass(self) -> float:
        """Sum of the segment masses, both legs [kg]; equals `mass`."""
        return self.hat.mass + 2.0 * (self.thigh.mass + self.shank.mass + self.foot.mass)


ADULT = Anthropometry()
"""The wearer the exoskeleton is trained with: 1.75 m, 70 kg."""
