"""Topic and service names and QoS of the legkit graph, in one place.

High-rate control topics are best-effort with depth 1: a controller wants the
newest state, never a queue of old ones. A best-effort subscriber also accepts
reliable publishers (e.g. `ros2 topic pub`), so outside tools can inject data.
"""

from rclpy.qos import (
    DurabilityPolicy,
    HistoryPolicy,
    QoSProfile,
    ReliabilityPolicy,
)

JOINT_STATES = "/joint_states"
IMU = "/imu/data"
ODOM = "/odom"
CMD_VEL = "/cmd_vel"
OBSERVATION = "/policy/observation"
ACTION = "/policy/action"
JOINT_TARGETS = "/joint_targets"
EFFORT_COMMANDS = "/joint_effort_commands"
ESTOP = "/estop"
SAFETY_FAULTS = "/safety/faults"
CONTROLLER_STATE = "/controller/state"
DIAGNOSTICS = "/diagnostics"
JOY = "/joy"
CLOCK = "/clock"
THIGH_IMUS = ("/thigh_imu/left", "/thigh_imu/right")
"""The exoskeleton's cuff IMUs (sensor_msgs/Imu, frames per legkit.thigh_imu)."""
WEARER_STATES = "/wearer/joint_states"
"""Simulation ground truth: the wearer's own joints, effort = muscle torque [N m]."""

SRV_START = "/controller/start"
SRV_ESTOP = "/controller/estop"
SRV_RESET = "/controller/reset"
SRV_DAMP = "/controller/damp"
SRV_TRANSPARENT = "/controller/transparent"
"""std_srvs/SetBool: the exoskeleton's assistance off (zero torque, faded) or back on."""

CONTROL_QOS = QoSProfile(
    history=HistoryPolicy.KEEP_LAST, depth=1, reliability=ReliabilityPolicy.BEST_EFFORT
)
"""States, targets, efforts, observations: newest sample only."""

RECORD_QOS = QoSProfile(
    history=HistoryPolicy.KEEP_LAST, depth=50, reliability=ReliabilityPolicy.BEST_EFFORT
)
"""Monitors and recorders: every sample, buffered while the recorder is busy."""

EVENT_QOS = QoSProfile(
    history=HistoryPolicy.KEEP_LAST, depth=10, reliability=ReliabilityPolicy.RELIABLE
)
"""E-stop, faults, velocity commands: every message counts."""

LATCHED_QOS = QoSProfile(
    history=HistoryPolicy.KEEP_LAST,
    depth=1,
    reliability=ReliabilityPolicy.RELIABLE,
    durability=DurabilityPolicy.TRANSIENT_LOCAL,
)
"""Controller state: a late joiner still gets the current mode."""

MODE_WATCH_QOS = QoSProfile(
    history=HistoryPolicy.KEEP_LAST,
    depth=10,
    reliability=ReliabilityPolicy.RELIABLE,
    durability=DurabilityPolicy.TRANSIENT_LOCAL,
)
"""Monitors of /controller/state: like LATCHED_QOS, but deeper than the writer's 1, so
no transition is lost between two spins."""
