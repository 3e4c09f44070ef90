"""MIT-protocol motors on one or more CAN buses: frames out, replies in, motor faults named.

One exchange sends one frame to every motor (all buses first, so the buses work in
parallel) and then collects every motor's reply until `reply_timeout` runs out. Replies
left over from an earlier exchange (a motor that answered late) are dropped before
sending, so a reply is never mistaken for the answer to a newer command: a motor whose
replies are always late counts as not replying.

Motor-level faults (no reply for several exchanges, a firmware error code, too hot, a
bus that refuses frames) come back as `MotorFault` values naming the joint, the bus
and id, and the value.
"""

from __future__ import annotations

import enum
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

import can

from legkit.hardware.config import JointMotor
from legkit.hardware.mit_protocol import (
    ENTER_MOTOR_MODE,
    EXIT_MOTOR_MODE,
    MitCommand,
    MitReply,
    error_name,
    pack_command,
    unpack_reply,
)


class FaultKind(str, enum.Enum):
    NO_REPLY = "no reply"
    ERROR_CODE = "motor error"
    OVER_TEMPERATURE = "over-temperature"
    BUS_ERROR = "bus error"
    POSITION = "position out of range"
    VELOCITY = "over-speed"


@dataclass(frozen=True)
class MotorFault:
    """A fault that must stop the robot, with what an engineer needs to act on it."""

    kind: FaultKind
    where: str
    """The motor ("LF_HAA (can0 id 1)") or the bus ("can0")."""
    detail: str
    """What was measured against what limit, e.g. "temperature 95 C >= limit 80 C"."""

    def __str__(self) -> str:
        return f"{self.where}: {self.detail}"


def open_bus(interface: str, channel: str) -> can.BusABC:
    """A python-can bus: "socketcan" on a robot (bitrate set with `ip link`), "virtual" in
    tests and rehearsal (virtual buses only connect Bus objects inside one process)."""
    if interface == "virtual":
        return can.Bus(interface="virtual", channel=channel, receive_own_messages=False)
    return can.Bus(interface=interface, channel=channel)


BusOpener = Callable[[str], can.BusABC]
"""Opens the bus called by a hardware config's bus name."""


class MotorBus:
    """The motors of a hardware config, over the buses they are wired to."""

    def __init__(
        self,
        motors: Sequence[JointMotor],
        buses: Mapping[str, can.BusABC],
        reply_timeout: float,
        max_missed_replies: int = 3,
    ) -> None:
        """Args:
        motors: One per joint, in the order every list here uses.
        buses: An open python-can bus for every bus name in `motors`.
        reply_timeout: How long an exchange waits for the last reply [s].
        max_missed_replies: Consecutive exchanges without a reply that make a fault.
        """
        self.motors = tuple(motors)
        self._buses = dict(buses)
        self.reply_timeout = reply_timeout
        self.max_missed_replies = max_missed_replies
        # bus name -> {can id: motor index}
        self._index: dict[str, dict[int, int]] = {name: {} for name in self._buses}
        for i, m in enumerate(self.motors):
            self._index[m.bus][m.can_id] = i
        self.missed = [0] * len(self.motors)
        """Consecutive exchanges each motor has not answered."""
        self.late_replies = 0
        """Replies that arrived after their exchange had given up on them."""
        self.duplicate_replies: list[str] = []
        """Motors that answered twice to one frame in the latest exchange (shared id?)."""
        self.bus_errors: dict[str, str] = {}
        """Bus name -> error from the latest exchange."""

    # ------------------------------------------------------------------ frames

    def command(self, commands: Sequence[MitCommand]) -> list[MitReply | None]:
        """Send one command frame per motor; each motor's reply, or None."""
        return self.exchange(
            [pack_command(c, m.model) for c, m in zip(commands, self.motors, strict=True)]
        )

    def enter_motor_mode(self) -> list[MitReply | None]:
        return self.exchange([ENTER_MOTOR_MODE] * len(self.motors))

    def exit_motor_mode(self, linger: float = 0.0) -> list[MitReply | None]:
        """Also the safe way to read a motor out of motor mode: it stays out and answers."""
        return self.exchange([EXIT_MOTOR_MODE] * len(self.motors), linger)

    def exchange(self, frames: Sequence[bytes], linger: float = 0.0) -> list[MitReply | None]:
        """Send frames[i] to motor i, then collect replies until all came or time ran out.

        With `linger` > 0 it listens that much longer after the last reply, so that two
        motors answering to one id show up in `duplicate_replies` (used at configure).
        Never raises for a bus problem: a bus that fails is recorded in `bus_errors`
        and its motors count as not replying.
        """
        self.bus_errors = {}
        self.duplicate_replies = []
        for name, bus in self._buses.items():
            try:
                while bus.recv(timeout=0.0) is not None:
                    self.late_replies += 1
            except can.CanError as err:
                self.bus_errors[name] = str(err)
        for i, m in enumerate(self.motors):
            if m.bus in self.bus_errors:
                continue
            try:
                self._buses[m.bus].send(
                    can.Message(arbitration_id=m.can_id, data=frames[i], is_extended_id=False)
                )
            except can.CanError as err:
                self.bus_errors[m.bus] = str(err)

        replies: list[MitReply | None] = [None] * len(self.motors)
        deadline = time.monotonic() + self.reply_timeout
        for name, bus in self._buses.items():
            if name not in self.bus_errors:
                self._collect(name, bus, replies, deadline)
        if linger > 0.0:
            deadline = time.monotonic() + linger
            for name, bus in self._buses.items():
                if name not in self.bus_errors:
                    self._collect(name, bus, replies, deadline, until_deadline=True)
        for i, reply in enumerate(replies):
            self.missed[i] = 0 if reply is not None else self.missed[i] + 1
        return replies

    def _collect(
        self,
        name: str,
        bus: can.BusABC,
        replies: list[MitReply | None],
        deadline: float,
        until_deadline: bool = False,
    ) -> None:
        index = self._index[name]
        waiting = sum(replies[i] is None for i in index.values())
        while waiting or until_deadline:
            remaining = deadline - time.monotonic()
            try:
                msg = bus.recv(timeout=max(remaining, 0.0))
            except can.CanError as err:
                self.bus_errors[name] = str(err)
                return
            if msg is None:
                return
            if msg.is_error_frame or msg.dlc not in (6, 8):
                continue
            i = index.get(msg.data[0])
            if i is None:
                continue  # not one of ours (another host's traffic)
            if replies[i] is not None:
                self.duplicate_replies.append(self.motors[i].label)
                continue
            replies[i] = unpack_reply(bytes(msg.data), self.motors[i].model)
            waiting = max(waiting - 1, 0)

    # ------------------------------------------------------------------ faults

    def faults(
        self, replies: Sequence[MitReply | None], max_temperature: float
    ) -> list[MotorFault]:
        """Faults shown by the latest exchange, buses first."""
        found = [
            MotorFault(FaultKind.BUS_ERROR, name, f"bus error: {err}")
            for name, err in self.bus_errors.items()
        ]
        for i, (m, reply) in enumerate(zip(self.motors, replies, strict=True)):
            if reply is None:
                if self.missed[i] >= self.max_missed_replies and m.bus not in self.bus_errors:
                    found.append(
                        MotorFault(
                            FaultKind.NO_REPLY,
                            m.label,
                            f"no reply for {self.missed[i]} consecutive frames",
                        )
                    )
                continue
            if reply.error_code:
                found.append(
                    MotorFault(
                        FaultKind.ERROR_CODE,
                        m.label,
                        f"motor error code {reply.error_code} ({error_name(reply.error_code)})",
                    )
                )
            if reply.temperature is not None and reply.temperature >= max_temperature:
                found.append(
                    MotorFault(
                        FaultKind.OVER_TEMPERATURE,
                        m.label,
                        f"temperature {reply.temperature:.0f} C >= limit {max_temperature:.0f} C",
                    )
                )
        return found

    def close(self) -> None:
        for bus in self._buses.values():
            bus.shutdown()
