"""Test rig for the hardware package: the quadruped's motors emulated on python-can virtual buses.

Every rig gets bus channels of its own (virtual buses are process-wide), so tests never
hear each other's frames. Motors start at the robot's default pose.
"""

from __future__ import annotations

import uuid

import numpy as np

from legkit.hardware import (
    BridgeSettings,
    HardwareConfig,
    HardwareInterface,
    hardware_config_from_dict,
    open_bus,
)
from legkit.hardware.emulator import EmulatedMotor, RotorPlant, emulate, emulated_motors
from legkit.robots import QUADRUPED

PROFILE = QUADRUPED
N = PROFILE.num_joints
LEGS = ("LF", "RF", "LH", "RH")


def motor_map(buses: int = 4) -> dict:
    """A config document: AK70-10 everywhere, knees through 1.5:1 and zeroed at their stop,
    right legs mirrored; one bus per leg (buses=4) or all on can0 (buses=1, ids 1..12)."""
    joints = {}
    for leg_index, leg in enumerate(LEGS):
        sign = -1 if leg.startswith("R") else 1
        for k, (joint, offset, ratio, limit) in enumerate(
            (("HAA", 0.0, 1.0, 23.7), ("HFE", 0.0, 1.0, 23.7), ("KFE", -2.7, 1.5, 35.5))
        ):
            joints[f"{leg}_{joint}"] = {
                "bus": f"can{leg_index}" if buses == 4 else "can0",
                "id": k + 1 if buses == 4 else 3 * leg_index + k + 1,
                "model": "AK70-10",
                "direction": sign,
                "zero_offset": offset,
                "gear_ratio": ratio,
                "torque_limit": limit,
            }
    return {"robot": "quadruped", "joints": joints}


CONFIG = hardware_config_from_dict(motor_map(), PROFILE)

FAST = BridgeSettings(
    control_period=0.004,
    effort_timeout=0.05,
    watchdog_damping=0.2,
    soft_start=0.1,
    exit_damping=0.02,
    # Generous: this machine is shared; an exchange returns as soon as every motor answered.
    reply_timeout=0.05,
    max_missed_replies=3,
    max_temperature_c=80.0,
    position_margin=0.2,
)


class Rig:
    """Emulated motors plus a HardwareInterface over them, on a clock the test advances."""

    def __init__(
        self,
        config: HardwareConfig = CONFIG,
        settings: BridgeSettings = FAST,
        emulated_config: HardwareConfig | None = None,
        pose: np.ndarray | None = None,
        reply_length: int = 8,
    ) -> None:
        """`emulated_config`: the motors as actually wired (default: as configured);
        `pose`: joint angles the rotors start at (default: the standing pose)."""
        self.tag = uuid.uuid4().hex[:8]
        wired = emulated_config or config
        pose = PROFILE.default_positions if pose is None else pose
        self.plant = RotorPlant(
            [m.model for m in wired.motors],
            positions=[m.motor_position(q) for m, q in zip(wired.motors, pose, strict=True)],
        )
        self.emulators = emulate(wired, self.open_bus, self.plant, reply_length)
        self.log: list[str] = []
        self.hw = HardwareInterface(PROFILE, config, settings, self.open_bus, log=self.log.append)
        self.settings = settings
        self.t = 0.0

    def open_bus(self, name: str):
        return open_bus("virtual", f"{self.tag}/{name}")

    @property
    def motors(self) -> list[EmulatedMotor]:
        """Emulated motors in joint order."""
        return emulated_motors(self.emulators)

    def motor(self, joint: str) -> EmulatedMotor:
        return self.motors[PROFILE.joint_index(joint)]

    def in_motor_mode(self) -> list[bool]:
        return [m.in_motor_mode for m in self.motors]

    def active(self) -> Rig:
        """Configured and activated at t = 0."""
        self.hw.configure()
        self.hw.activate(self.t)
        return self

    def run(self, seconds: float, effort: np.ndarray | None = None) -> None:
        """Control cycles for `seconds`, sending `effort` every cycle when given."""
        for _ in range(round(seconds / self.settings.control_period)):
            self.t += self.settings.control_period
            if effort is not None:
                self.hw.set_effort(self.t, effort)
            self.hw.cycle(self.t)

    def lines(self, prefix: str) -> list[str]:
        return [line for line in self.log if line.startswith(prefix)]

    def close(self) -> None:
        self.hw.shutdown()
        for emulator in self.emulators:
            emulator.stop()
