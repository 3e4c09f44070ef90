"""Real actuators: MIT-protocol CAN motors, their emulator, and the bridge logic without ROS.

mit_protocol  frame packing and parsing, motor model table (pure, no I/O)
config        hardware config (joint -> bus, id, model, transmission), validated
motor_bus     the motors over python-can buses: exchanges, motor faults
interface     lifecycle, soft start, watchdog, limits, faults, e-stop
emulator      motors answering on a bus, simple rotor dynamics, fault injection
rehearsal     the emulated motors driving the pybullet robot's joints
"""

from legkit.hardware.config import (
    HardwareConfig,
    HardwareConfigError,
    JointMotor,
    hardware_config_from_dict,
    load_hardware_config,
)
from legkit.hardware.interface import (
    BridgeSettings,
    HardwareError,
    HardwareInterface,
    JointReading,
    Mode,
)
from legkit.hardware.mit_protocol import MOTOR_MODELS, MitCommand, MitReply, MotorModel
from legkit.hardware.motor_bus import FaultKind, MotorBus, MotorFault, open_bus

__all__ = [
    "BridgeSettings",
    "FaultKind",
    "HardwareConfig",
    "HardwareConfigError",
    "HardwareError",
    "HardwareInterface",
    "JointMotor",
    "JointReading",
    "MOTOR_MODELS",
    "MitCommand",
    "MitReply",
    "Mode",
    "MotorBus",
    "MotorFault",
    "MotorModel",
    "hardware_config_from_dict",
    "load_hardware_config",
    "open_bus",
]
