"""Joint control: the PID law and the safety supervisor that decides when it may act."""

from legkit.control.pid import JointPid
from legkit.control.supervisor import JointCommand, Mode, SafetySupervisor, SupervisorConfig

__all__ = ["JointCommand", "JointPid", "Mode", "SafetySupervisor", "SupervisorConfig"]
