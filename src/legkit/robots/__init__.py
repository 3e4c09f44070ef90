"""Robot profiles, looked up by name."""

from legkit.robots.exoskeleton import EXOSKELETON, EXOSKELETON_KNEE
from legkit.robots.profile import JointSpec, RobotProfile
from legkit.robots.quadruped import QUADRUPED

PROFILES: dict[str, RobotProfile] = {p.name: p for p in (QUADRUPED, EXOSKELETON, EXOSKELETON_KNEE)}


def get_profile(name: str) -> RobotProfile:
    """The profile called `name`; ValueError listing the known ones otherwise."""
    try:
        return PROFILES[name]
    except KeyError:
        raise ValueError(f"unknown robot '{name}'; known robots: {sorted(PROFILES)}") from None


__all__ = [
    "JointSpec",
    "RobotProfile",
    "QUADRUPED",
    "EXOSKELETON",
    "EXOSKELETON_KNEE",
    "PROFILES",
    "get_profile",
]
