"""Motors that speak the MIT protocol on a python-can bus, for tests, benchmarks and rehearsal.

A `MotorEmulator` owns one bus and answers, from a background thread, every frame
addressed to one of its motors the way the firmware does: enter / exit motor mode, set
zero, command frames (applied only in motor mode), and a reply with the motor's state
after each frame. Its motors' shafts belong to a *plant*: `RotorPlant` (each motor a
free rotor with inertia and friction) or the rehearsal's pybullet robot
(`legkit.hardware.rehearsal.RehearsalPlant`), which any plant with the `MotorPlant`
methods can replace.

Faults are injected by setting attributes of an `EmulatedMotor` from the test:
``silent`` (no replies, frames ignored: lost power or wiring), ``error_code`` (reported
in every reply; the output turns off, as the firmware does), ``temperature_c`` and
``reply_delay`` (replies sent that many seconds late).
"""

from __future__ import annotations

import heapq
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

import can
import numpy as np

from legkit.hardware.config import HOST_ID, HardwareConfig
from legkit.hardware.mit_protocol import (
    ENTER_MOTOR_MODE,
    EXIT_MOTOR_MODE,
    SET_ZERO,
    MitCommand,
    MitReply,
    MotorModel,
    pack_reply,
    unpack_command,
)
from legkit.hardware.motor_bus import BusOpener


class MotorPlant(Protocol):
    """The mechanics behind emulated motors, addressed by plant index; motor-side units."""

    def command(self, index: int, cmd: MitCommand | None) -> None:
        """Apply `cmd` from now on; None turns the motor's output off (freewheel)."""

    def state(self, index: int) -> tuple[float, float, float]:
        """(position [rad], velocity [rad/s], torque [N m]) now."""

    def set_zero(self, index: int) -> None:
        """Make the present position read zero."""


@dataclass
class EmulatedMotor:
    """One motor's firmware state, and the faults a test injects into it."""

    can_id: int
    model: MotorModel
    plant_index: int
    in_motor_mode: bool = False
    silent: bool = False
    """Fault: answers nothing and ignores every frame (lost power or wiring)."""
    error_code: int = 0
    """Fault: reported in every reply; non-zero turns the output off."""
    temperature_c: float = 30.0
    reply_delay: float = 0.0
    """Fault: each reply goes out this late [s]."""
    enter_frames: int = 0
    exit_frames: int = 0
    command_frames: int = 0
    last_command: MitCommand | None = None
    """Latest command frame received in motor mode (decoded)."""


class MotorEmulator:
    """The motors on one bus, answering frames from a background thread."""

    def __init__(
        self,
        bus: can.BusABC,
        motors: Sequence[EmulatedMotor],
        plant: MotorPlant,
        reply_length: int = 8,
    ) -> None:
        """Args:
        bus: The bus to listen and answer on; the emulator shuts it down in `stop`.
        motors: The motors on this bus (distinct ids).
        plant: Whose `plant_index`-th shaft each motor turns.
        reply_length: 8 (CubeMars AK: with temperature and error code) or 6 bytes.
        """
        if reply_length not in (6, 8):
            raise ValueError(f"reply_length must be 6 or 8, got {reply_length}")
        self.bus = bus
        self.motors = {m.can_id: m for m in motors}
        self.plant = plant
        self.reply_length = reply_length
        self._delayed: list[tuple[float, int, bytes]] = []  # (due time, seq, frame) heap
        self._seq = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="motor-emulator", daemon=True)

    def start(self) -> MotorEmulator:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join(timeout=2.0)
        self.bus.shutdown()

    # ------------------------------------------------------------------ firmware

    def _run(self) -> None:
        while not self._stop.is_set():
            timeout = 0.01
            if self._delayed:
                timeout = min(timeout, max(self._delayed[0][0] - time.monotonic(), 0.0))
            try:
                msg = self.bus.recv(timeout=timeout)
            except can.CanError:
                return  # bus shut down under us
            if msg is not None:
                self._handle(msg)
            self._send_due()

    def _handle(self, msg: can.Message) -> None:
        motor = self.motors.get(msg.arbitration_id)
        if motor is None or motor.silent or msg.is_extended_id or msg.dlc != 8:
            return
        data = bytes(msg.data)
        i = motor.plant_index
        if data == ENTER_MOTOR_MODE:
            motor.in_motor_mode = True
            motor.enter_frames += 1
        elif data == EXIT_MOTOR_MODE:
            motor.in_motor_mode = False
            motor.exit_frames += 1
            self.plant.command(i, None)
        elif data == SET_ZERO:
            self.plant.set_zero(i)
        elif motor.in_motor_mode:
            motor.command_frames += 1
            motor.last_command = unpack_command(data, motor.model)
            self.plant.command(i, None if motor.error_code else motor.last_command)
        if motor.error_code:
            self.plant.command(i, None)
        self._reply(motor)

    def _reply(self, motor: EmulatedMotor) -> None:
        position, velocity, torque = self.plant.state(motor.plant_index)
        reply = MitReply(
            motor_id=motor.can_id,
            position=position,
            velocity=velocity,
            torque=torque,
            temperature=motor.temperature_c if self.reply_length == 8 else None,
            error_code=motor.error_code if self.reply_length == 8 else None,
        )
        frame = pack_reply(reply, motor.model)
        if motor.reply_delay > 0.0:
            self._seq += 1
            heapq.heappush(self._delayed, (time.monotonic() + motor.reply_delay, self._seq, frame))
        else:
            self._send(frame)

    def _send_due(self) -> None:
        now = time.monotonic()
        while self._delayed and self._delayed[0][0] <= now:
            self._send(heapq.heappop(self._delayed)[2])

    def _send(self, frame: bytes) -> None:
        try:
            self.bus.send(can.Message(arbitration_id=HOST_ID, data=frame, is_extended_id=False))
        except can.CanError:
            pass  # the host's side is gone; a real motor would not notice either


class RotorPlant:
    """Each motor a free rotor: ``inertia * dqd/dt = tau - friction * qd``, tau from the
    motor's MIT law clamped to its model's torque range; integrated on demand in steps
    of at most `max_step` over the wall time elapsed (gaps over 50 ms count as 50 ms)."""

    def __init__(
        self,
        models: Sequence[MotorModel],
        inertia: float = 0.01,
        friction: float = 0.1,
        max_step: float = 5e-4,
        positions: Sequence[float] | None = None,
    ) -> None:
        """`inertia` [kg m^2] and `friction` [N m s/rad] at the output; `positions` [rad]
        the rotors start at (zeros by default)."""
        n = len(models)
        self._torque_max = np.array([m.torque_max for m in models])
        self.inertia, self.friction, self.max_step = inertia, friction, max_step
        self.position = np.zeros(n) if positions is None else np.array(positions, dtype=float)
        self.velocity = np.zeros(n)
        self.torque = np.zeros(n)
        self._commands: list[MitCommand | None] = [None] * n
        self._last = [time.monotonic()] * n
        self._lock = threading.Lock()

    def command(self, index: int, cmd: MitCommand | None) -> None:
        with self._lock:
            self._advance(index)
            self._commands[index] = cmd

    def state(self, index: int) -> tuple[float, float, float]:
        with self._lock:
            self._advance(index)
            return float(self.position[index]), float(self.velocity[index]), self.torque[index]

    def set_zero(self, index: int) -> None:
        with self._lock:
            self.position[index] = 0.0

    def _advance(self, i: int) -> None:
        now = time.monotonic()
        elapsed = min(now - self._last[i], 0.05)
        self._last[i] = now
        steps = int(elapsed / self.max_step) + 1
        h = elapsed / steps
        cmd, limit = self._commands[i], self._torque_max[i]
        p, v = float(self.position[i]), float(self.velocity[i])
        tau = 0.0
        for _ in range(steps):
            if cmd is not None:
                tau = cmd.torque + cmd.kp * (cmd.position - p) + cmd.kd * (cmd.velocity - v)
                tau = min(max(tau, -limit), limit)
            v += h * (tau - self.friction * v) / self.inertia
            p += h * v
        self.position[i], self.velocity[i], self.torque[i] = p, v, float(tau)


def emulate(
    config: HardwareConfig,
    open_bus: BusOpener,
    plant: MotorPlant | None = None,
    reply_length: int = 8,
) -> list[MotorEmulator]:
    """Started emulators for every motor of `config`, one per bus; motor i turns plant
    shaft i (a `RotorPlant` when `plant` is None)."""
    if plant is None:
        plant = RotorPlant([m.model for m in config.motors])
    emulators = []
    for name in config.buses:
        motors = [
            EmulatedMotor(can_id=m.can_id, model=m.model, plant_index=i)
            for i, m in enumerate(config.motors)
            if m.bus == name
        ]
        emulators.append(MotorEmulator(open_bus(name), motors, plant, reply_length).start())
    return emulators


def emulated_motors(emulators: Sequence[MotorEmulator]) -> list[EmulatedMotor]:
    """Every emulated motor, by plant index (for `emulate`: the config's joint order)."""
    motors = [m for e in emulators for m in e.motors.values()]
    return sorted(motors, key=lambda m: m.plant_index)
