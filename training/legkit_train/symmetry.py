"""Left-right mirror symmetry of a legged robot's observations and actions.

A robot whose left and right sides are mirror images should react to a push from the
right as it reacts to one from the left, mirrored. A policy learns that only from the
data: each side's situations must each be met often enough. Mirroring every training
sample across the robot's sagittal (x-z) plane gives the update both sides of every
situation at once: rsl-rl-lib's symmetry extension (Mittal et al., "Symmetry
Considerations for Learning Task Symmetric Robot Policies", ICRA 2024) appends the
mirrored observations and actions to each mini-batch, with the same advantages.

Reflected across the x-z plane (y -> -y):

- a vector (velocity, gravity direction) keeps x and z and negates y;
- an angular velocity, a pseudo-vector, negates x and z and keeps y: a roll or yaw to
  the left becomes one to the right, a pitch stays a pitch;
- the velocity command keeps vx and negates vy and the yaw rate;
- left and right joints trade places. A joint about the x axis (hip abduction, HAA)
  changes sign; joints about the y axis (HFE, KFE) keep theirs. Which names are which
  is the ANYmal convention of `legkit.robots.quadruped`; its URDF is mirror-symmetric
  with every joint axis the same on both sides (checked against pybullet's forward
  kinematics in the tests).

Every mirror here is a signed permutation: element ``i`` of the mirrored vector is
``sign[i] * x[index[i]]``. Applying it twice gives the vector back.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import torch
from tensordict import TensorDict

from legkit.policy.contract import PolicyContract
from legkit.robots.profile import RobotProfile

_SIDES = {"L": "R", "R": "L"}
"""First letter of a quadruped leg name (LF, RF, LH, RH) and its mirror side."""

_JOINT_SIGN = {"HAA": -1.0, "HFE": 1.0, "KFE": 1.0}
"""Sign of each joint kind's angle under the mirror: HAA turns about x, the others about y."""

_TERM_SIGNS: dict[str, tuple[float, ...]] = {
    "base_ang_vel": (-1.0, 1.0, -1.0),
    "projected_gravity": (1.0, -1.0, 1.0),
    "velocity_command": (1.0, -1.0, -1.0),
}
"""Mirror of the observation terms that are one 3-vector in the body frame."""

_JOINT_TERMS = frozenset({"joint_pos", "joint_vel", "last_action"})
"""Observation terms with one element per joint, in the contract's joint order."""


@dataclass(frozen=True)
class SignedPermutation:
    """``mirrored[..., i] = sign[i] * x[..., index[i]]``, an involution."""

    index: np.ndarray
    sign: np.ndarray

    def __post_init__(self) -> None:
        n = len(self.index)
        if self.sign.shape != (n,) or sorted(self.index.tolist()) != list(range(n)):
            raise ValueError("a signed permutation needs a permutation of 0..n-1 and n signs")
        if not (
            np.array_equal(self.index[self.index], np.arange(n))
            and np.array_equal(self.sign * self.sign[self.index], np.ones(n))
        ):
            raise ValueError("a mirror must give the vector back when applied twice")

    @classmethod
    def concatenate(cls, parts: Sequence[SignedPermutation]) -> SignedPermutation:
        """The mirror of the concatenated vector of `parts`, each mirrored on its own."""
        index, sign, offset = [], [], 0
        for part in parts:
            index.append(part.index + offset)
            sign.append(part.sign)
            offset += len(part.index)
        return cls(np.concatenate(index), np.concatenate(sign))

    @classmethod
    def signs(cls, signs: Sequence[float]) -> SignedPermutation:
        """Each element stays in place, multiplied by its sign."""
        return cls(np.arange(len(signs)), np.asarray(signs, dtype=float))

    def __len__(self) -> int:
        return len(self.index)

    def apply(self, x: np.ndarray) -> np.ndarray:
        """The mirror of `x` along its last axis."""
        return x[..., self.index] * self.sign

    def apply_torch(self, x: torch.Tensor) -> torch.Tensor:
        """The mirror of `x` along its last axis (a new tensor of `x`'s dtype)."""
        index = torch.as_tensor(self.index, device=x.device)
        sign = torch.as_tensor(self.sign, dtype=x.dtype, device=x.device)
        return x[..., index] * sign


def mirror_name(name: str) -> str:
    """The leg, foot or joint on the other side: ``LF_HAA`` -> ``RF_HAA``."""
    if name[:1] not in _SIDES:
        raise ValueError(f"no mirror for {name!r}: names must start with L or R (LF_HAA, RH_FOOT)")
    return _SIDES[name[0]] + name[1:]


def _swap_sides(names: Sequence[str], signs: Sequence[float]) -> SignedPermutation:
    where = {name: i for i, name in enumerate(names)}
    try:
        index = np.array([where[mirror_name(name)] for name in names])
    except KeyError as missing:
        raise ValueError(f"{missing.args[0]!r} is the mirror of a name that is not there") from None
    return SignedPermutation(index, np.asarray(signs, dtype=float))


def joint_mirror(joint_names: Sequence[str]) -> SignedPermutation:
    """Mirror of a per-joint vector (positions, velocities, actions, PD targets)."""
    signs = []
    for name in joint_names:
        kind = name.rsplit("_", 1)[-1]
        if kind not in _JOINT_SIGN:
            raise ValueError(
                f"no mirror for joint {name!r}: known joint kinds are {sorted(_JOINT_SIGN)}"
            )
        signs.append(_JOINT_SIGN[kind])
    return _swap_sides(joint_names, signs)


def observation_mirror(contract: PolicyContract) -> SignedPermutation:
    """Mirror of the contract's observation, every history frame alike.

    Raises ValueError for a term without a mirror, or a per-joint scale that differs
    between a joint and its mirror (the mirrored value would be scaled wrongly).
    """
    joints = joint_mirror(contract.joint_names)
    parts = []
    for term in contract.observation:
        if term.name in _TERM_SIGNS:
            parts.append(SignedPermutation.signs(_TERM_SIGNS[term.name]))
        elif term.name in _JOINT_TERMS:
            scale = np.asarray(term.scale, dtype=float) * np.ones(len(joints))
            if not np.array_equal(scale, scale[joints.index]):
                raise ValueError(f"observation term {term.name}: scales are not left-right equal")
            parts.append(joints)
        else:
            raise ValueError(f"no mirror for observation term {term.name!r}")
    frame = SignedPermutation.concatenate(parts)
    return SignedPermutation.concatenate([frame] * contract.history_length)


def privileged_mirror(profile: RobotProfile) -> SignedPermutation:
    """Mirror of `QuadrupedWalkEnv.privileged_observation`: base linear velocity (body
    frame), base height, foot contacts in profile order, ground friction, added mass."""
    feet = _swap_sides(profile.foot_links, [1.0] * len(profile.foot_links))
    return SignedPermutation.concatenate(
        [
            SignedPermutation.signs((1.0, -1.0, 1.0, 1.0)),
            feet,
            SignedPermutation.signs((1.0, 1.0)),
        ]
    )


class MirrorAugmentation:
    """rsl-rl-lib's `data_augmentation_func`: each batch followed by its mirror image.

    Called as ``f(env=..., obs=TensorDict | None, actions=Tensor | None)``; returns the
    observations and actions twice as long (None stays None), the originals first.
    """

    def __init__(self, groups: dict[str, SignedPermutation], actions: SignedPermutation) -> None:
        self.groups = groups
        """Mirror of each observation group, by group name."""
        self.actions = actions
        """Mirror of the action vector."""

    def __call__(
        self, env: object, obs: TensorDict | None, actions: torch.Tensor | None
    ) -> tuple[TensorDict | None, torch.Tensor | None]:
        del env  # the mirrors were built from the env's contract beforehand
        mirrored_obs = None
        if obs is not None:
            n = obs.batch_size[0]
            mirrored_obs = TensorDict(
                {
                    key: torch.cat([obs[key], self.groups[key].apply_torch(obs[key])])
                    for key in obs.keys()
                },
                batch_size=[2 * n],
                device=obs.device,
            )
        mirrored_actions = None
        if actions is not None:
            mirrored_actions = torch.cat([actions, self.actions.apply_torch(actions)])
        return mirrored_obs, mirrored_actions
