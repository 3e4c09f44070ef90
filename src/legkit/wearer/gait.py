"""Reference motions the wearer tracks: a treadmill walking gait and a squat cycle.

Both are generated here from a few parameters and the wearer's segment lengths, never
downloaded. Each is one periodic cycle sampled on a fine grid (`ReferenceMotion`): the
six joint angles of the person, the pelvis pose the harness guides it along, which foot
is on the ground and carries how much of the body, and the static joint torques that hold
each posture (`legkit.wearer.statics`: the learnt part of the wearer's muscle torque).

**Walking** is built from the feet, not from joint-angle curves, so that the stance foot
really stays on the ground (a joint-space reference that does not close the kinematic
loop would make the tracking controller fight the floor). In the treadmill frame the
pelvis stays at x = 0 and the belt carries each footprint backwards at the walking speed.
A stance foot rolls over three rockers, as in the clinical description of gait (Perry and
Burnfield, *Gait Analysis*, 2010): about its heel from heel strike to foot flat, flat, then
about its metatarsal heads from heel off to toe off. The ankle follows from the footprint
and the foot's pitch; in swing it travels to the next heel strike on a minimum-jerk path
lifted clear of the ground. The pelvis height is set by the supporting leg's knee, which
follows a stance-knee profile (a small flexion wave after heel strike, flexing again from
heel off), with the step length chosen so that support passes smoothly from one leg to the
other; hip and knee angles then come from two-link inverse kinematics and the ankle angle
from the foot pitch. Speed, cadence and stance fraction are those of ordinary walking.

**Squatting** lowers the hips with both feet flat. At depth ``s`` in [0, 1] the knee flexes
by ``s`` times its maximum and the ankle dorsiflexes in proportion; the trunk leans forward
just enough to keep the body's centre of mass where it is when standing, over the feet,
as people do (no heel lift, no step). Down, a short hold, up and a pause standing make one cycle,
each transition a minimum-jerk (quintic smoothstep) profile.

Angles are radians, positive in flexion (hip, knee), dorsiflexion (ankle) and forward
trunk lean, the conventions of `legkit.wearer.urdf`.
"""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass
from functools import lru_cache

import numpy as np

from legkit.wearer.anthropometry import ADULT, Anthropometry
from legkit.wearer.statics import support_torques

WEARER_JOINTS = (
    "wearer_L_hip",
    "wearer_L_knee",
    "wearer_L_ankle",
    "wearer_R_hip",
    "wearer_R_knee",
    "wearer_R_ankle",
)
"""The person's joints, in the order of every wearer joint array."""
HIP_INDICES = (0, 3)
"""Where the two hips sit in a wearer joint array."""

_SAMPLES = 1000  # per cycle; linear interpolation between them errs far below 1 mrad


@dataclass(frozen=True)
class MotionSample:
    """The reference at one instant."""

    phase: float
    """Position in the cycle [0, 1)."""
    joint_positions: np.ndarray
    """(6,) [rad], `WEARER_JOINTS` order."""
    joint_velocities: np.ndarray
    """(6,) [rad/s]."""
    pelvis: np.ndarray
    """(3,) pelvis x [m] (treadmill progression included), hip height [m], lean [rad]."""
    pelvis_velocity: np.ndarray
    """(3,) [m/s, m/s, rad/s]."""
    support: np.ndarray
    """(2,) share of the body weight on the left / right leg [-]."""
    feedforward: np.ndarray
    """(6,) static joint torques of the posture [N m]."""


@dataclass(frozen=True, eq=False)
class ReferenceMotion:
    """One cycle of a periodic motion on a uniform time grid."""

    name: str
    period: float
    """Cycle duration [s]."""
    speed: float
    """Forward speed of the pelvis (the treadmill belt speed) [m/s]; 0 for a squat."""
    joint_positions: np.ndarray
    """(N, 6) [rad]."""
    joint_velocities: np.ndarray
    """(N, 6) [rad/s]."""
    pelvis: np.ndarray
    """(N, 3) pelvis x relative to the progression ``speed * t`` [m], hip height [m], lean
    [rad]."""
    pelvis_velocity: np.ndarray
    """(N, 3) rate of `pelvis` (progression excluded)."""
    stance: np.ndarray
    """(N, 2) bool: the left / right foot is meant to be on the ground."""
    support: np.ndarray
    """(N, 2) share of the body weight the left / right leg is meant to carry [-]: 0 in
    swing, 1 in single support, shifting smoothly from one leg to the other in double
    support; the wearer's trunk balance acts through the supporting hips."""
    feedforward: np.ndarray
    """(N, 6) joint torques that hold each posture with that weight sharing [N m]
    (`legkit.wearer.statics`): the learnt part of the wearer's muscle torque."""

    def __post_init__(self) -> None:
        # One table, one interpolation per sample: this runs every physics step.
        table = np.concatenate(
            [
                self.joint_positions,
                self.joint_velocities,
                self.pelvis,
                self.pelvis_velocity,
                self.support,
                self.feedforward,
            ],
            axis=1,
        )
        object.__setattr__(self, "_table", np.vstack([table, table[:1]]))

    @property
    def samples(self) -> int:
        return len(self.joint_positions)

    def phase(self, t: float) -> float:
        """Position in the cycle at time `t` [s], in [0, 1)."""
        return (t / self.period) % 1.0

    def sample(self, t: float) -> MotionSample:
        """The reference at time `t` [s] (t = 0 is the start of the cycle), interpolated."""
        x = self.phase(t) * self.samples
        i = int(x)
        w = x - i
        row = self._table[i] + w * (self._table[i + 1] - self._table[i])
        row[12] += self.speed * t
        row[15] += self.speed
        return MotionSample(
            phase=x / self.samples,
            joint_positions=row[0:6],
            joint_velocities=row[6:12],
            pelvis=row[12:15],
            pelvis_velocity=row[15:18],
            support=row[18:20],
            feedforward=row[20:26],
        )


# --------------------------------------------------------------------------- helpers
def smoothstep(s: np.ndarray | float) -> np.ndarray:
    """Minimum-jerk 0 -> 1 on s in [0, 1]: zero velocity and acceleration at both ends."""
    s = np.clip(s, 0.0, 1.0)
    return s**3 * (10.0 - 15.0 * s + 6.0 * s**2)


def _quintic(p0: float, v0: float, p1: float, v1: float, s: np.ndarray, span: float):
    """Quintic from (p0, v0) to (p1, v1) over s in [0, 1] spanning `span` seconds, zero
    accelerations at the ends."""
    v0, v1 = v0 * span, v1 * span  # to d/ds
    h00 = 1 - 10 * s**3 + 15 * s**4 - 6 * s**5
    h10 = s - 6 * s**3 + 8 * s**4 - 3 * s**5
    h01 = 10 * s**3 - 15 * s**4 + 6 * s**5
    h11 = -4 * s**3 + 7 * s**4 - 3 * s**5
    return h00 * p0 + h10 * v0 + h01 * p1 + h11 * v1


def _periodic_rate(values: np.ndarray, dt: float) -> np.ndarray:
    """Central difference of a periodic table along axis 0."""
    return (np.roll(values, -1, axis=0) - np.roll(values, 1, axis=0)) / (2.0 * dt)


def _leg_ik(
    hip: np.ndarray,
    ankle: np.ndarray,
    foot_pitch: np.ndarray,
    body: Anthropometry,
    swing: np.ndarray,
) -> np.ndarray:
    """(N, 3) hip, knee, ankle angles placing the ankle and pitching the foot, knee forward.

    `hip` and `ankle` are (N, 2) sagittal (x, z) positions; the pelvis is upright. A swing
    ankle beyond reach is pulled in along the hip-ankle line (the knee just straightens);
    a stance ankle beyond reach is an error: the gait parameters do not fit the legs.
    """
    l1, l2 = body.thigh.length, body.shank.length
    d = ankle - hip
    dist = np.hypot(d[:, 0], d[:, 1])
    if np.any(dist[~swing] > l1 + l2 - 1e-6):
        worst = float(np.max(dist[~swing] - (l1 + l2)))
        raise ValueError(
            f"gait out of reach: a stance ankle is {worst * 1000:.0f} mm beyond the leg; "
            "walk slower, with a shorter stride or more stance knee flexion"
        )
    reach = l1 + l2 - 1e-3  # a swing knee stays bent by at least 5 degrees
    far = swing & (dist > reach)
    d[far] *= (reach / dist[far])[:, None]
    dist[far] = reach
    knee = math.pi - np.arccos(np.clip((l1**2 + l2**2 - dist**2) / (2 * l1 * l2), -1, 1))
    # Angle of the hip-ankle line from straight down (forward positive), then the thigh
    # turned forward of it by the knee's bend.
    line = np.arctan2(d[:, 0], -d[:, 1])
    thigh = line + np.arccos(np.clip((l1**2 + dist**2 - l2**2) / (2 * l1 * dist), -1, 1))
    shank = thigh - knee
    return np.stack([thigh, knee, foot_pitch - shank], axis=1)


def _stance_leg_length(knee: np.ndarray | float, body: Anthropometry) -> np.ndarray:
    """Hip-ankle distance with the knee flexed by `knee` [rad]."""
    l1, l2 = body.thigh.length, body.shank.length
    return np.sqrt(l1**2 + l2**2 + 2 * l1 * l2 * np.cos(knee))


def _fourier_smooth(values: np.ndarray, harmonics: int) -> np.ndarray:
    """Keep the first `harmonics` harmonics of a periodic signal (axis 0)."""
    spectrum = np.fft.rfft(values, axis=0)
    spectrum[harmonics + 1 :] = 0.0
    return np.fft.irfft(spectrum, n=len(values), axis=0)


# --------------------------------------------------------------------------- walking
@dataclass(frozen=True)
class GaitParameters:
    """A walking gait on a treadmill; defaults are ordinary adult walking."""

    speed: float = 1.0
    """Treadmill belt speed [m/s]."""
    stride_period: float = 1.05
    """Heel strike to heel strike of one foot [s] (1.05 s: 114 steps/min)."""
    duty_factor: float = 0.60
    """Fraction of the stride a foot is on the ground [-] (about 0.6 in adult walking)."""
    foot_flat: float = 0.10
    """End of the heel rocker, fraction of the stride [-]."""
    heel_off: float = 0.35
    """Start of the toe rocker, fraction of the stride [-]."""
    heel_strike_pitch: float = 0.25
    """Foot pitch at heel strike, toes up [rad]."""
    toe_off_pitch: float = -0.90
    """Foot pitch at toe off, heel up [rad] (the rigid foot ends at the metatarsal heads, so
    this is steeper than a whole shoe's)."""
    stance_knee: float = 0.08
    """Knee flexion of the supporting leg at heel strike and in mid stance [rad]."""
    loading_knee: float = 0.30
    """Peak knee flexion of the loading response [rad] (about 17 degrees)."""
    loading_end: float = 0.36
    """End of the loading-response knee wave, fraction of the stride [-]."""
    push_off_knee: float = 0.6
    """Knee flexion the supporting leg heads for at toe off [rad] (about 35 degrees)."""
    landing_speed: float = 0.5
    """Fraction of the belt speed the heel has taken on when it lands [-]."""
    swing_lift: float = 0.08
    """Ankle lift above the straight path in mid swing [m]."""
    trunk_lean: float = 0.05
    """Forward lean of the trunk [rad]."""

    def __post_init__(self) -> None:
        if not 0.0 < self.speed <= 2.0 or not 0.6 <= self.stride_period <= 2.0:
            raise ValueError(
                f"walking at {self.speed} m/s with a {self.stride_period} s stride is outside "
                "what the generator is made for (0-2 m/s, 0.6-2 s)"
            )
        if not 0.0 < self.foot_flat < self.heel_off < self.duty_factor < 1.0:
            raise ValueError("need 0 < foot_flat < heel_off < duty_factor < 1")
        if not 0.5 < self.duty_factor:
            raise ValueError("walking needs a double-support phase: duty_factor > 0.5")


DEFAULT_GAIT = GaitParameters()


def gait_for_speed(speed: float) -> GaitParameters:
    """Default gait at treadmill speed `speed` [m/s]: people lengthen their stride and
    quicken their cadence together as they walk faster; here the stride grows with the
    square root of speed (1.05 m at 1 m/s, as `DEFAULT_GAIT`)."""
    stride = DEFAULT_GAIT.speed * DEFAULT_GAIT.stride_period * math.sqrt(speed / DEFAULT_GAIT.speed)
    return dataclasses.replace(DEFAULT_GAIT, speed=speed, stride_period=stride / speed)


def _stance_foot(psi: np.ndarray, g: GaitParameters, body: Anthropometry, heel_x0: float):
    """Ankle (x, z) and foot pitch of a stance foot at stride fractions `psi` < duty factor."""
    belt = heel_x0 - g.speed * g.stride_period * psi  # the heel print, carried by the belt
    b, f, h = body.heel, body.toe, body.ankle_height
    heel_rock = g.heel_strike_pitch * (1.0 - smoothstep(psi / g.foot_flat))
    # The heel rises slowly at first and fast at push-off: a quadratic, so the foot leaves
    # the ground turning, as it does, and the swing takes that rate over.
    rise = np.clip((psi - g.heel_off) / (g.duty_factor - g.heel_off), 0.0, 1.0)
    toe_rock = g.toe_off_pitch * rise**2
    pitch = np.where(psi < g.foot_flat, heel_rock, np.where(psi < g.heel_off, 0.0, toe_rock))
    # Rotating the foot about its heel (pitch > 0) or its toe edge (pitch < 0).
    c, s = np.cos(pitch), np.sin(pitch)
    heel_x, heel_z = belt + b * c - h * s, b * s + h * c
    toe_x, toe_z = belt + b + f - f * c - h * s, -f * s + h * c
    x = np.where(pitch >= 0.0, heel_x, toe_x)
    z = np.where(pitch >= 0.0, heel_z, toe_z)
    return np.stack([x, z], axis=1), pitch


def _support_knee(psi: np.ndarray, g: GaitParameters) -> np.ndarray:
    """Knee flexion of a supporting leg: the loading-response wave, then, from heel off,
    the flexion that continues into swing (the pelvis is lowest in double support)."""
    wave = np.sin(np.pi * np.clip(psi / g.loading_end, 0.0, 1.0)) ** 2
    rise = np.clip((psi - g.heel_off) / (g.duty_factor - g.heel_off), 0.0, 1.0)
    return (
        g.stance_knee
        + (g.loading_knee - g.stance_knee) * wave
        + (g.push_off_knee - g.stance_knee) * rise**2
    )


def _support_height(psi: np.ndarray, g: GaitParameters, body: Anthropometry, heel_x0: float):
    """Hip height that gives the supporting leg its stance-knee profile."""
    ankle, _ = _stance_foot(psi, g, body, heel_x0)
    reach = _stance_leg_length(_support_knee(psi, g), body)
    return ankle[:, 1] + np.sqrt(np.maximum(reach**2 - ankle[:, 0] ** 2, 1e-6))


def _step_placement(g: GaitParameters, body: Anthropometry) -> float:
    """Heel-strike position ahead of the hip [m] at which support passes smoothly from one
    leg to the other: the trailing leg's height at its half stride equals the leading leg's
    height at heel strike."""
    psi = np.array([0.0, 0.5])

    def mismatch(x0: float) -> float:
        h = _support_height(psi, g, body, x0)
        return float(h[1] - h[0])

    lo, hi = -0.2, 0.8
    for _ in range(60):
        mid = 0.5 * (lo + hi)
        lo, hi = (mid, hi) if mismatch(mid) < 0.0 else (lo, mid)
    return 0.5 * (lo + hi)


@lru_cache(maxsize=32)
def walking_gait(g: GaitParameters = DEFAULT_GAIT, body: Anthropometry = ADULT) -> ReferenceMotion:
    """The walking reference for gait `g` on body `body` (cached per parameter set)."""
    n = _SAMPLES
    dt = g.stride_period / n
    psi = np.arange(n) / n  # stride fraction of the left leg; the right is half a stride on
    x0 = _step_placement(g, body)

    # Hip height: the left leg supports over the first half stride, the right over the second.
    half = psi % 0.5
    height = _support_height(half, g, body, x0)
    # The hand-over at heel strike matches in height but not in slope; a few harmonics of
    # the step frequency keep the pelvis smooth (the knees absorb the difference).
    height = _fourier_smooth(height, harmonics=12)

    # Left ankle and foot pitch over the stride: stance, then a swing to the next heel strike.
    stance = psi < g.duty_factor
    ankle = np.empty((n, 2))
    pitch = np.empty(n)
    ankle[stance], pitch[stance] = _stance_foot(psi[stance], g, body, x0)
    eps = 1e-4
    end = np.array([g.duty_factor - eps, g.duty_factor - 2 * eps])
    start = np.array([0.0, eps])
    (a_end, p_end), (a_start, p_start) = (_stance_foot(e, g, body, x0) for e in (end, start))
    to_rate = 1.0 / (eps * g.stride_period)
    v_end, w_end = (a_end[0] - a_end[1]) * to_rate, (p_end[0] - p_end[1]) * to_rate
    v_start, w_start = (a_start[1] - a_start[0]) * to_rate, (p_start[1] - p_start[0]) * to_rate
    swing_s = (psi[~stance] - g.duty_factor) / (1.0 - g.duty_factor)
    span = (1.0 - g.duty_factor) * g.stride_period
    # Matching the belt's speed exactly at heel strike would swing the foot out past the
    # footprint and back; real heels land while still slowing down.
    v_start = v_start * np.array([g.landing_speed, 1.0])
    for k in range(2):
        ankle[~stance, k] = _quintic(
            a_end[0, k], v_end[k], a_start[0, k], v_start[k], swing_s, span
        )
    # Lifted most a third into swing, when the knee is most flexed in human gait.
    ankle[~stance, 1] += g.swing_lift * (729.0 / 16.0) * swing_s**2 * (1.0 - swing_s) ** 4
    pitch[~stance] = _quintic(p_end[0], w_end, p_start[0], w_start, swing_s, span)

    hip = np.stack([np.zeros(n), height], axis=1)
    left = _leg_ik(hip, ankle, pitch, body, swing=~stance)
    left[:, 0] += g.trunk_lean  # hip angle is measured from the leaning pelvis
    shift = n // 2
    right = np.roll(left, shift, axis=0)  # the right leg's stride fraction is psi - 0.5
    q = np.concatenate([left, right], axis=1)
    pelvis = np.stack([np.zeros(n), height, np.full(n, g.trunk_lean)], axis=1)
    # The left leg takes the weight over the double support after its heel strike and
    # hands it over in the double support before its toe off.
    handover = g.duty_factor - 0.5
    left_share = np.where(
        psi < 0.5, smoothstep(psi / handover), 1.0 - smoothstep((psi - 0.5) / handover)
    )
    left_share[~stance] = 0.0
    support = np.stack([left_share, np.roll(left_share, shift)], axis=1)
    return ReferenceMotion(
        name="walk",
        period=g.stride_period,
        speed=g.speed,
        joint_positions=q,
        joint_velocities=_periodic_rate(q, dt),
        pelvis=pelvis,
        pelvis_velocity=_periodic_rate(pelvis, dt),
        stance=np.stack([stance, np.roll(stance, shift)], axis=1),
        support=support,
        feedforward=support_torques(q, pelvis, support, body),
    )


# --------------------------------------------------------------------------- squatting
@dataclass(frozen=True)
class SquatParameters:
    """A squat cycle: down, hold, up, pause standing."""

    knee_flexion: float = 1.25
    """Knee flexion at the bottom [rad] (72 degrees: a half squat)."""
    ankle_dorsiflexion: float = 0.45
    """Ankle dorsiflexion at the bottom [rad]."""
    descent: float = 1.6
    """[s]"""
    hold: float = 0.2
    """At the bottom [s]."""
    ascent: float = 1.6
    """[s]"""
    pause: float = 0.6
    """Standing between squats [s]."""

    @property
    def period(self) -> float:
        return self.descent + self.hold + self.ascent + self.pause

    def __post_init__(self) -> None:
        if not 0.0 < self.knee_flexion <= 2.2 or not 0.0 <= self.ankle_dorsiflexion <= 0.55:
            raise ValueError("squat depth outside the wearer's joint ranges")
        if min(self.descent, self.ascent) <= 0.0 or min(self.hold, self.pause) < 0.0:
            raise ValueError("squat phase durations must be positive (hold, pause >= 0)")


DEFAULT_SQUAT = SquatParameters()


def _depth(t: np.ndarray, sq: SquatParameters) -> np.ndarray:
    down = smoothstep(t / sq.descent)
    up = smoothstep((t - sq.descent - sq.hold) / sq.ascent)
    return down - up


def _squat_pose(depth: np.ndarray, sq: SquatParameters, body: Anthropometry):
    """(hip x, hip z, lean, thigh angle, knee, ankle) with the centre of mass over the feet."""
    knee = depth * sq.knee_flexion
    ankle = depth * sq.ankle_dorsiflexion
    shank = -ankle  # leaning forward: the knee ahead of the ankle
    thigh = knee + shank
    l1, l2, ha = body.thigh.length, body.shank.length, body.ankle_height
    knee_x, knee_z = -l2 * np.sin(shank), ha + l2 * np.cos(shank)
    hip_x, hip_z = knee_x - l1 * np.sin(thigh), knee_z + l1 * np.cos(thigh)
    # Centre of mass of everything but the trunk, for both legs alike.
    th, sh, ft, hat = body.thigh, body.shank, body.foot, body.hat
    legs = 2.0 * (
        th.mass * (hip_x + th.com * np.sin(thigh))
        + sh.mass * (knee_x + sh.com * np.sin(shank))
        + ft.mass * body.toe / 2.0
    )
    # Keep the centre of mass where it is standing straight (just ahead of the ankles).
    target = 2.0 * ft.mass * body.toe / 2.0 / body.total_mass()
    # Lean the trunk so that the whole body's centre is over the target:
    # hat.mass * (hip_x + r sin(lean)) + legs = M * target.
    r = hat.com
    reach = (body.total_mass() * target - legs) / hat.mass - hip_x
    lean = np.arcsin(np.clip(reach / r, -1.0, 1.0))
    return hip_x, hip_z, lean, thigh, knee, ankle


@lru_cache(maxsize=8)
def squat_cycle(
    sq: SquatParameters = DEFAULT_SQUAT, body: Anthropometry = ADULT
) -> ReferenceMotion:
    """The squat reference (cached per parameter set)."""
    n = _SAMPLES
    dt = sq.period / n
    t = np.arange(n) * dt
    hip_x, hip_z, lean, thigh, knee, ankle = _squat_pose(_depth(t, sq), sq, body)
    leg = np.stack([thigh + lean, knee, ankle], axis=1)  # hip angle from the leaning pelvis
    q = np.concatenate([leg, leg], axis=1)
    pelvis = np.stack([hip_x, hip_z, lean], axis=1)
    return ReferenceMotion(
        name="squat",
        period=sq.period,
        speed=0.0,
        joint_positions=q,
        joint_velocities=_periodic_rate(q, dt),
        pelvis=pelvis,
        pelvis_velocity=_periodic_rate(pelvis, dt),
        stance=np.ones((n, 2), dtype=bool),
        support=np.full((n, 2), 0.5),
        feedforward=support_torques(q, pelvis, np.full((n, 2), 0.5), body),
    )
