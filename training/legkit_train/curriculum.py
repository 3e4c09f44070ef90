"""Command curriculum: widen the velocity commands as the policy learns to track them.

The curriculum keeps one level in (0, 1]: commands are drawn from the configured
`CommandRanges` scaled about zero by the level. When an episode ends (terminated or
truncated), the environment reports its mean linear-velocity tracking term (the
unweighted exp kernel, 1 = perfect, 0 = far off) over the full episode length, the steps
lost to a fall counting as 0. Above `Curriculum.tracking_threshold` the level rises by
`Curriculum.step`, up to 1. The level never falls: a policy that tracks slow commands
keeps being asked for them now and then anyway, since ranges include zero.
"""

from __future__ import annotations

from legkit_train.config import CommandRanges, Curriculum, Interval


class CommandCurriculum:
    """Current command ranges, widened by episode results."""

    def __init__(self, config: Curriculum, full_ranges: CommandRanges) -> None:
        self.config = config
        self.full_ranges = full_ranges
        self.level = config.initial_level if config.enabled else 1.0

    def ranges(self) -> tuple[Interval, Interval, Interval]:
        """Current (vx [m/s], vy [m/s], yaw rate [rad/s]) ranges."""
        r = self.full_ranges
        return tuple(  # type: ignore[return-value]
            (low * self.level, high * self.level) for low, high in (r.vx, r.vy, r.yaw_rate)
        )

    def update(self, mean_tracking: float) -> bool:
        """Record an episode's mean tracking term in [0, 1]; True if the ranges widened."""
        if not self.config.enabled or self.level >= 1.0:
            return False
        if mean_tracking <= self.config.tracking_threshold:
            return False
        self.level = min(1.0, self.level + self.config.step)
        return True
