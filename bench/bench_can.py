"""Control-cycle rate of the hardware bridge against emulated MIT motors, and the 1 Mbit/s bound.

    .venv/bin/python bench/bench_can.py --seconds 5 [--json figures.json]

For 12 motors on one bus and on four (one per leg) it runs HardwareInterface cycles back
to back (one command frame and one reply per motor each, through python-can's virtual
buses, the emulator answering from its own thread per bus) and prints the achieved
rate, cycle-time percentiles and how many cycles missed a reply. Everything is one
Python process, so this measures the host software (driver, protocol, emulator, GIL),
not a CAN bus.

Then the physical bound: a classic CAN 2.0A data frame with 8 data bytes is 111 bits
(SOF 1, identifier 11, RTR/IDE/r0 3, DLC 4, data 64, CRC 15 + delimiter 1, ACK 2,
EOF 7, intermission 3) plus up to 24 stuff bits in the 98 bits from SOF to CRC. One cycle
on a bus carries a command and a reply per motor. Figures only, no asserts.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
import uuid
from pathlib import Path

import numpy as np
import yaml

from legkit import REPO_ROOT
from legkit.hardware import (
    BridgeSettings,
    HardwareInterface,
    Mode,
    hardware_config_from_dict,
    open_bus,
)
from legkit.hardware.emulator import RotorPlant, emulate
from legkit.robots import QUADRUPED

MOTOR_MAP = REPO_ROOT / "ros2_ws" / "src" / "legkit_ros" / "config" / "quadruped_motors.yaml"

BITRATE = 1_000_000
FRAME_BITS = 1 + 11 + 3 + 4 + 64 + 15 + 1 + 2 + 7 + 3  # 111, no stuff bits
MAX_STUFF_BITS = (1 + 11 + 3 + 4 + 64 + 15 - 1) // 4  # 24: one per 4 bits after the first 5


def motor_map(buses: int) -> dict:
    """The shipped motor map (one bus per leg), or all its motors on can0 with ids 1..12."""
    doc = yaml.safe_load(MOTOR_MAP.read_text())
    if buses == 1:
        for i, row in enumerate(doc["joints"].values()):
            row.update(bus="can0", id=i + 1)
    return doc


def bench(buses: int, seconds: float) -> dict[str, float]:
    config = hardware_config_from_dict(motor_map(buses), QUADRUPED)
    tag = uuid.uuid4().hex[:8]

    def opener(name):
        return open_bus("virtual", f"{tag}/{name}")

    plant = RotorPlant(
        [m.model for m in config.motors],
        positions=[
            m.motor_position(q)
            for m, q in zip(config.motors, QUADRUPED.default_positions, strict=True)
        ],
    )
    emulators = emulate(config, opener, plant)
    settings = BridgeSettings(reply_timeout=0.05, effort_timeout=1.0, soft_start=0.01)
    hw = HardwareInterface(QUADRUPED, config, settings, opener, log=lambda _line: None)
    hw.configure()
    hw.activate(0.0)
    zeros = np.zeros(QUADRUPED.num_joints)
    durations = []
    incomplete_cycles = 0
    start = time.perf_counter()
    while time.perf_counter() - start < seconds:
        t0 = time.perf_counter()
        now = t0 - start
        hw.set_effort(now, zeros)
        reading = hw.cycle(now)
        durations.append(time.perf_counter() - t0)
        # On a busy machine an emulator thread can miss the reply timeout now and then: that
        # is a figure. A bridge that stops running, or motors that never answer, is not.
        if reading.replied != QUADRUPED.num_joints:
            incomplete_cycles += 1
            if hw.mode not in (Mode.SOFT_START, Mode.RUNNING) or reading.replied == 0:
                raise RuntimeError(f"only {reading.replied} motors replied; mode {hw.mode.value}")
    elapsed = time.perf_counter() - start
    hw.shutdown()
    for emulator in emulators:
        emulator.stop()
    d = np.array(durations) * 1e3
    return {
        "rate_hz": len(d) / elapsed,
        "p50_ms": float(np.percentile(d, 50)),
        "p99_ms": float(np.percentile(d, 99)),
        "max_ms": float(d.max()),
        "incomplete_cycles": float(incomplete_cycles),
    }


def bus_count(buses: int) -> str:
    return f"{buses} bus{'es' if buses > 1 else ''}"


def run(seconds: float = 5.0) -> dict[str, float]:
    """Print the cycle rates and the physical bound; return them as labelled figures."""
    n = QUADRUPED.num_joints
    figures: dict[str, float] = {}
    print(f"hardware bridge cycle, {n} motors, emulated on python-can virtual buses")
    for buses in (1, 4):
        r = bench(buses, seconds)
        missing = r["incomplete_cycles"]
        print(
            f"  {buses} bus{'es' if buses > 1 else '  '} ({n // buses:2d} motors each): "
            f"{r['rate_hz']:7.0f} cycles/s   cycle p50 {r['p50_ms']:.2f} ms  "
            f"p99 {r['p99_ms']:.2f} ms  max {r['max_ms']:.2f} ms"
            + (f"  cycles missing a reply: {missing:.0f}" if missing else "")
        )
        layout = f"{n} motors on {bus_count(buses)}"
        figures[f"{layout}: cycle rate [cycles/s]"] = r["rate_hz"]
        figures[f"{layout}: cycle p50 [ms]"] = r["p50_ms"]
        figures[f"{layout}: cycle p99 [ms]"] = r["p99_ms"]
        figures[f"{layout}: cycle max [ms]"] = r["max_ms"]
        figures[f"{layout}: cycles missing a reply"] = r["incomplete_cycles"]
    print(f"physical bound at {BITRATE / 1e6:g} Mbit/s, classic CAN, 8-byte frames")
    for bits, what in ((FRAME_BITS, "no stuff bits"), (FRAME_BITS + MAX_STUFF_BITS, "worst case")):
        frame_ms = bits / BITRATE * 1e3
        for buses in (1, 4):
            frames = 2 * n // buses  # a command and a reply per motor on each bus
            cycle_ms = frames * frame_ms
            print(
                f"  {what:13s} {bits} bits = {frame_ms:.3f} ms/frame; {buses} bus"
                f"{'es' if buses > 1 else '  '}: {frames:2d} frames = {cycle_ms:.2f} ms "
                f"-> at most {1e3 / cycle_ms:5.0f} cycles/s"
            )
            # Arithmetic, not a measurement: kept beside the measured rates as their ceiling.
            bound = f"{BITRATE / 1e6:g} Mbit/s bound, {bus_count(buses)}, {what} [cycles/s]"
            figures[bound] = 1e3 / cycle_ms
    return figures


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--seconds", type=float, default=5.0, help="measuring time per layout")
    ap.add_argument("--json", type=Path, help="also write the figures to this JSON file")
    args = ap.parse_args(argv)
    figures = run(args.seconds)
    if args.json:
        args.json.write_text(json.dumps(figures, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
