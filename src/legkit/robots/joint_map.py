"""Map named joint arrays (as they arrive in messages) to profile order and back.

Commands and states carry joint names. A message with a name the profile does not
know, or missing one it needs, is refused as a whole: a torque computed from a
half-understood state is worse than no torque.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np


class JointNameError(ValueError):
    """The names in a message do not match the robot profile."""


class JointMap:
    """Reorders arrays from a message's joint order into the profile's order."""

    def __init__(self, profile_names: Sequence[str]) -> None:
        self.names = tuple(profile_names)
        self._index = {name: i for i, name in enumerate(self.names)}
        # Messages almost always repeat the same name list; cache its permutation.
        self._cached_names: tuple[str, ...] | None = None
        self._cached_perm: np.ndarray | None = None

    def permutation(self, names: Sequence[str]) -> np.ndarray:
        """perm such that profile_array = message_array[perm]; JointNameError if names differ."""
        names = tuple(names)
        if names == self._cached_names:
            return self._cached_perm
        unknown = [n for n in names if n not in self._index]
        missing = [n for n in self.names if n not in set(names)]
        duplicated = sorted({n for n in names if names.count(n) > 1})
        problems = []
        if unknown:
            problems.append(f"unknown joints {unknown}")
        if missing:
            problems.append(f"missing joints {missing}")
        if duplicated:
            problems.append(f"duplicated joints {duplicated}")
        if problems:
            raise JointNameError("; ".join(problems))
        position = {n: i for i, n in enumerate(names)}
        perm = np.array([position[n] for n in self.names], dtype=np.intp)
        self._cached_names, self._cached_perm = names, perm
        return perm

    def to_profile_order(self, names: Sequence[str], values: Sequence[float]) -> np.ndarray:
        """`values` (in `names` order) rearranged into profile order."""
        if len(values) != len(names):
            raise JointNameError(f"{len(names)} joint names but {len(values)} values")
        return np.asarray(values, dtype=float)[self.permutation(names)]
