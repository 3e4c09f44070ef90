"""The simulated person who wears the exoskeleton.

    anthropometry  segment masses and lengths of a 1.75 m, 70 kg adult (Winter 2009)
    urdf           generator of urdf/wearer.urdf, exoskeleton.urdf, exoskeleton_knee.urdf
    gait           reference motions: treadmill walking and a squat cycle
    statics        the static joint torques of a posture (the muscles' feedforward)
    muscles        the wearer's tracking controller with bounded muscle torque
    world          the wearer, the treadmill harness and the device in pybullet
    metrics        effort integrals: hip muscle torque squared, positive hip work

See docs/exoskeleton.md for the modelling choices and their sources.
"""

from legkit.wearer.gait import ReferenceMotion, squat_cycle, walking_gait
from legkit.wearer.world import WearerConfig, WearerWorld

__all__ = ["ReferenceMotion", "WearerConfig", "WearerWorld", "squat_cycle", "walking_gait"]
