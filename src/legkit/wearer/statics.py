"""Quasi-static joint torques that hold a posture: the feedforward part of the wearer's muscles.

People do not wait for a joint to sag before their muscles take the body's weight: a
learnt motor pattern supplies most of the torque, feedback corrects the rest. For each
instant of a reference motion this computes the torques that hold the posture still,
with the body weight shared between the legs as the reference's ``support`` says:

- a supporting leg pushes on the ground with its share of the body weight, vertically,
  at its centre of pressure: the pivot of the heel or toe rocker, or, with the foot flat,
  the point under the body's centre of mass clamped to the sole;
- every leg segment's own weight hangs from the joints above it.

In the flexion sense (the sagittal angle convention of `legkit.wearer.urdf`), a vertical
force F at horizontal position x acts about a joint at x_j with the moment F (x - x_j); the
joint holds the part of the leg below it against these moments. Dynamics (the
accelerations of walking) are left to the feedback of `legkit.wearer.muscles`.
"""

from __future__ import annotations

import numpy as np

from legkit.wearer.anthropometry import Anthropometry

GRAVITY = 9.81
"""[m/s^2]"""

_FLAT = 1e-3  # rad: a foot pitched less than this is flat on the ground
# Converts the torque on the distal segment (flexion sense) into the joint's own sign:
# hip flexion and ankle dorsiflexion turn the distal segment forward, knee flexion back.
_JOINT_SIGN = np.array([1.0, -1.0, 1.0])


def _rotate(pitch: np.ndarray, x: float, z: float) -> np.ndarray:
    """(N, 2) foot-frame point (x, z) in the world for foot pitches `pitch` (toes up +)."""
    c, s = np.cos(pitch), np.sin(pitch)
    return np.stack([c * x - s * z, s * x + c * z], axis=1)


def support_torques(
    joint_positions: np.ndarray,
    pelvis: np.ndarray,
    support: np.ndarray,
    body: Anthropometry,
) -> np.ndarray:
    """(N, 6) static joint torques [N m] for postures (N, 6), pelvis (N, 3) and weight
    shares (N, 2), in `legkit.wearer.gait.WEARER_JOINTS` order."""
    n = len(joint_positions)
    lean = pelvis[:, 2]
    hip = np.stack([np.zeros(n), pelvis[:, 1]], axis=1)
    th, sh, ft, hat = body.thigh, body.shank, body.foot, body.hat
    legs, com_moment = [], hat.mass * hat.com * np.sin(lean)  # HAT about the hip, x only
    for side in range(2):
        q = joint_positions[:, 3 * side : 3 * side + 3]
        thigh = q[:, 0] - lean  # sagittal angles from the vertical, forward positive
        shank = thigh - q[:, 1]
        pitch = shank + q[:, 2]
        down_t = np.stack([np.sin(thigh), -np.cos(thigh)], axis=1)
        down_s = np.stack([np.sin(shank), -np.cos(shank)], axis=1)
        knee = hip + th.length * down_t
        ankle = knee + sh.length * down_s
        masses = np.array([th.mass, sh.mass, ft.mass])
        coms = np.stack(
            [
                hip + th.com * down_t,
                knee + sh.com * down_s,
                ankle + _rotate(pitch, body.toe / 2.0, -body.ankle_height / 2.0),
            ]
        )  # (3 segments, N, 2)
        com_moment = com_moment + (masses[:, None] * coms[:, :, 0]).sum(axis=0)
        heel = ankle + _rotate(pitch, -body.heel, -body.ankle_height)
        toe = ankle + _rotate(pitch, body.toe, -body.ankle_height)
        legs.append((np.stack([hip, knee, ankle]), masses, coms, pitch, heel, toe))
    com_x = com_moment / body.total_mass()

    torques = np.zeros((n, 6))
    for side, (joints, masses, coms, pitch, heel, toe) in enumerate(legs):
        flat_cop = np.clip(com_x, heel[:, 0], toe[:, 0])
        cop = np.where(pitch > _FLAT, heel[:, 0], np.where(pitch < -_FLAT, toe[:, 0], flat_cop))
        load = support[:, side] * body.total_mass() * GRAVITY
        for j in range(3):
            # On the part of the leg below joint j (flexion sense): the ground pushes up
            # with `load` at the centre of pressure, gravity pulls each segment below.
            moment = load * (cop - joints[j, :, 0])
            for k in range(j, 3):
                moment -= masses[k] * GRAVITY * (coms[k, :, 0] - joints[j, :, 0])
            torques[:, 3 * side + j] = -_JOINT_SIGN[j] * moment
    return torques
