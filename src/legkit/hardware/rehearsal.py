"""Rehearsal: the simulated robot's joints are the emulated motors' shafts.

`RehearsalPlant` is a `MotorPlant` whose motor i drives joint i of a `PybulletWorld`
through the hardware config's transmission (direction, zero offset, gear ratio), so the
whole real-driver path (bridge, protocol, CAN frames) is exercised, and a wrong sign or
offset in the config shows up as a robot that does not stand. Each physics step applies
each motor's latest MIT command as its firmware would, evaluated on the state of that
step (the firmware's own loop is far faster than the bus)::

    tau_motor = clamp(kp (p* - p) + kd (v* - v) + t_ff, +-torque_max)
    tau_joint = direction * gear_ratio * tau_motor

`RealTimeLoop` steps the plant on the wall clock (times a real-time factor) in its own
thread. Free-running (``max_wait=0``) the physics does not wait for the software, as a
real robot does not; on a loaded machine, though, Python's slow control cycles then add
latency that no robot computer would, and the joint PD loops go unstable. In lockstep
(``max_wait>0``, the rehearsal's default) each step first waits, at most `max_wait` wall
seconds, until every motor in motor mode has had a new frame since the previous step:
a slow machine stretches simulated time instead.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

import numpy as np

from legkit.hardware.config import HardwareConfig
from legkit.hardware.mit_protocol import MitCommand
from legkit.sim.world import PybulletWorld


class RehearsalPlant:
    """A pybullet robot whose joints are turned by emulated MIT motors (config order)."""

    def __init__(self, world: PybulletWorld, config: HardwareConfig) -> None:
        if config.robot != world.profile.name:
            raise ValueError(f"hardware config is for '{config.robot}', not '{world.profile.name}'")
        self.world = world
        n = len(config.motors)
        self._dir, self._ratio, self._offset = config.arrays()
        self._torque_max = np.array([m.model.torque_max for m in config.motors])
        # Latest command per motor, motor side; enabled False = output off.
        self._p = np.zeros(n)
        self._v = np.zeros(n)
        self._kp = np.zeros(n)
        self._kd = np.zeros(n)
        self._t = np.zeros(n)
        self._enabled = np.zeros(n, dtype=bool)
        self._zero = np.zeros(n)  # encoder re-zeroing by SET_ZERO frames [rad, motor side]
        self._motor_torque = np.zeros(n)
        self._fresh = np.zeros(n, dtype=bool)  # a command arrived since the last step
        self._lock = threading.Lock()
        self._commanded = threading.Condition(self._lock)
        self._refresh()

    # ------------------------------------------------------------------ MotorPlant

    def command(self, index: int, cmd: MitCommand | None) -> None:
        with self._lock:
            self._enabled[index] = cmd is not None
            if cmd is not None:
                self._p[index] = cmd.position + self._zero[index]
                self._v[index], self._kp[index] = cmd.velocity, cmd.kp
                self._kd[index], self._t[index] = cmd.kd, cmd.torque
                self._fresh[index] = True
            else:
                self._motor_torque[index] = 0.0
            self._commanded.notify()

    def state(self, index: int) -> tuple[float, float, float]:
        with self._lock:
            return (
                float(self._pm[index] - self._zero[index]),
                float(self._vm[index]),
                float(self._motor_torque[index]),
            )

    def set_zero(self, index: int) -> None:
        with self._lock:
            self._zero[index] = self._pm[index]

    # ------------------------------------------------------------------ physics

    def step(self, max_wait: float = 0.0) -> bool:
        """One physics step with every motor's latest command.

        With `max_wait` > 0, first wait up to that long [s, wall] for a new command to every
        motor whose output is on. Returns False when that wait timed out.
        """
        with self._lock:
            on_time = True
            if max_wait > 0.0:
                on_time = self._commanded.wait_for(
                    lambda: bool((self._fresh | ~self._enabled).all()), timeout=max_wait
                )
            self._fresh[:] = False
            tau = self._kp * (self._p - self._pm) + self._kd * (self._v - self._vm) + self._t
            tau = np.where(self._enabled, np.clip(tau, -self._torque_max, self._torque_max), 0.0)
            self._motor_torque = tau
            self.world.apply_torques(self._dir * self._ratio * tau)
            self.world.step()
            self._refresh()
        return on_time

    def in_motor_mode(self) -> np.ndarray:
        """Which motors are applying commands (output on)."""
        with self._lock:
            return self._enabled.copy()

    def _refresh(self) -> None:
        q, qd = self.world.joint_state()
        self._pm = self._dir * self._ratio * (q - self._offset)  # raw encoder, motor side
        self._vm = self._dir * self._ratio * qd


class RealTimeLoop:
    """Calls `step` every `period / real_time_factor` wall seconds in a daemon thread."""

    def __init__(self, step: Callable[[], None], period: float, real_time_factor: float = 1.0):
        if real_time_factor <= 0.0:
            raise ValueError(f"real_time_factor must be positive, got {real_time_factor}")
        self._step = step
        self._wall_period = period / real_time_factor
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="rehearsal-physics", daemon=True)
        self.overruns = 0
        """Steps that started more than one period late (the machine could not keep up)."""

    def start(self) -> RealTimeLoop:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join(timeout=2.0)

    def _run(self) -> None:
        next_time = time.monotonic()
        while not self._stop.is_set():
            self._step()
            next_time += self._wall_period
            delay = next_time - time.monotonic()
            if delay > 0.0:
                self._stop.wait(delay)
            elif delay < -self._wall_period:
                # Far behind: skip ahead instead of running a burst of catch-up steps.
                self.overruns += 1
                next_time = time.monotonic()
