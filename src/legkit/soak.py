"""Soak test: the command pattern, the samples and the pass/fail verdict, ROS-agnostic.

A soak runs the whole stack for a long time and, every sample period, records the
resident memory (RSS) of each process and the cumulative loop counters each node
reports (cycles run, deadlines missed). The verdict looks only at the window after
a warm-up, because start-up allocates memory that is not a leak (imports, the first
messages, caches filling) and the first cycles are late while the processes start.

Criteria (each one line in the verdict):
    domain_private    no other graph's nodes shared the DDS domain (their messages and
                      service calls would mix with this run's: another sim's clock,
                      another test's e-stop)
    processes_alive   every process still running at the end
    robot_active      the controller reached ACTIVE, never left it, the robot never fell
    rss_growth        per process, (last - first) / first RSS after warm-up <= 5 %
    missed_deadlines  per loop, missed / cycles over the window after warm-up <= 0.1 %
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, field
from pathlib import Path

RSS_GROWTH_LIMIT = 0.05
"""Largest allowed relative RSS growth of a process after warm-up."""

MISSED_FRACTION_LIMIT = 0.001
"""Largest allowed fraction of a loop's cycles that miss their deadline after warm-up."""

CRITERIA = (
    "domain_private",
    "processes_alive",
    "robot_active",
    "rss_growth",
    "missed_deadlines",
)

CYCLE_S = 60.0
COMMAND_CYCLE: tuple[tuple[float, float, float, float], ...] = (
    # (start in the cycle [s], vx [m/s], vy [m/s], yaw rate [rad/s]). Moderate commands,
    # about half the training range: the shipped walking policy is only partially
    # trained and falls on abrupt full-speed changes, and a soak tests the stack, not it.
    (0.0, 0.0, 0.0, 0.0),  # stand
    (10.0, 0.5, 0.0, 0.0),  # forward
    (20.0, 0.0, 0.0, 0.5),  # turn left
    (30.0, 0.0, 0.2, 0.0),  # sideways
    (40.0, -0.3, 0.0, 0.0),  # back
    (50.0, 0.0, 0.0, 0.0),  # stop
)


def command_pattern(
    duration_s: float,
    cycle: tuple[tuple[float, float, float, float], ...] = COMMAND_CYCLE,
    cycle_s: float = CYCLE_S,
) -> dict[str, list[float]]:
    """The command source's `times`, `vx`, `vy`, `yaw_rate`: `cycle` repeated over `duration_s`.

    The source holds its last segment forever, so the profile must cover the whole run.
    """
    repeats = max(1, math.ceil(duration_s / cycle_s))
    profile: dict[str, list[float]] = {"times": [], "vx": [], "vy": [], "yaw_rate": []}
    for k in range(repeats):
        for start, vx, vy, yaw_rate in cycle:
            profile["times"].append(float(k * cycle_s + start))
            profile["vx"].append(float(vx))
            profile["vy"].append(float(vy))
            profile["yaw_rate"].append(float(yaw_rate))
    return profile


def clamp_schedule(duration_s: float, warmup_s: float, period_s: float) -> tuple[float, float]:
    """(warm-up, sample period) that leave at least three samples after warm-up.

    A short run keeps its second half for judging: the warm-up is at most half the
    duration, and samples come at least every quarter of it.
    """
    return min(warmup_s, duration_s / 2.0), min(period_s, duration_s / 4.0)


def resident_kb(pid: int) -> float | None:
    """Resident memory of a process [kB] (VmRSS in Linux /proc); None if it is gone."""
    try:
        status = Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return None
    for line in status.splitlines():
        if line.startswith("VmRSS:"):
            return float(line.split()[1])
    return None  # a zombie has no VmRSS line


@dataclass(frozen=True)
class LoopCount:
    """A loop's cumulative counters, as its node last reported them."""

    cycles: float
    missed: float


@dataclass
class Sample:
    """The stack's state at one moment of the soak."""

    t: float  # wall seconds since the graph was up
    sim_time: float
    mode: str  # the controller's mode
    rss_kb: dict[str, float] = field(default_factory=dict)  # process -> RSS; absent if gone
    loops: dict[str, LoopCount] = field(default_factory=dict)  # node -> counters

    @classmethod
    def from_dict(cls, d: dict) -> Sample:
        loops = {name: LoopCount(**counts) for name, counts in d.get("loops", {}).items()}
        return cls(d["t"], d["sim_time"], d["mode"], dict(d.get("rss_kb", {})), loops)


@dataclass
class Events:
    """What happened during the soak, besides the samples."""

    exits: dict[str, int | None]  # process -> exit code; None: ran to the end
    transitions: list[tuple[float, str]] = field(default_factory=list)  # (sim time, mode)
    falls: list[float] = field(default_factory=list)  # sim times
    strangers: dict[str, float] = field(default_factory=dict)
    """Node name -> wall time [s] another graph's node of that name was first seen."""


@dataclass(frozen=True)
class Check:
    """One criterion applied to one subject (a process, a loop, the robot)."""

    criterion: str
    subject: str
    passed: bool
    line: str


@dataclass
class Verdict:
    checks: list[Check]
    notes: list[str] = field(default_factory=list)  # figures shown but not judged, and why

    @property
    def passed(self) -> bool:
        return all(c.passed for c in self.checks)

    def failures(self) -> list[Check]:
        return [c for c in self.checks if not c.passed]

    def criteria(self) -> dict[str, bool]:
        """Each criterion passed? (A criterion with no subject at all fails: nothing judged.)"""
        return {
            name: any(c.criterion == name for c in self.checks)
            and all(c.passed for c in self.checks if c.criterion == name)
            for name in CRITERIA
        }

    def to_dict(self) -> dict:
        return {
            "passed": self.passed,
            "criteria": self.criteria(),
            "checks": [asdict(c) for c in self.checks],
            "notes": list(self.notes),
        }


@dataclass(frozen=True)
class RssFigures:
    first_kb: float
    last_kb: float

    @property
    def growth(self) -> float:
        return (self.last_kb - self.first_kb) / self.first_kb


@dataclass(frozen=True)
class LoopFigures:
    cycles: float  # cycles run in the window
    missed: float  # deadlines missed in the window

    @property
    def fraction(self) -> float | None:
        return self.missed / self.cycles if self.cycles > 0 else None


def after_warmup(samples: list[Sample], warmup_s: float) -> list[Sample]:
    return [s for s in samples if s.t >= warmup_s]


def rss_figures(window: list[Sample]) -> dict[str, RssFigures]:
    """Per process, its RSS at the first and the last sample of the window that has it."""
    out = {}
    for name in _names(window, "rss_kb"):
        values = [s.rss_kb[name] for s in window if name in s.rss_kb]
        if len(values) >= 2 and values[0] > 0:
            out[name] = RssFigures(values[0], values[-1])
    return out


def loop_figures(window: list[Sample]) -> dict[str, LoopFigures]:
    """Per loop, cycles and missed deadlines between the first and last sample that has it."""
    out = {}
    for name in _names(window, "loops"):
        counts = [s.loops[name] for s in window if name in s.loops]
        if len(counts) >= 2:
            first, last = counts[0], counts[-1]
            out[name] = LoopFigures(last.cycles - first.cycles, last.missed - first.missed)
    return out


def _names(window: list[Sample], attribute: str) -> list[str]:
    names: dict[str, None] = {}  # insertion-ordered set
    for s in window:
        names.update(dict.fromkeys(getattr(s, attribute)))
    return list(names)


def judge(
    samples: list[Sample],
    warmup_s: float,
    events: Events,
    unjudged_loops: dict[str, str] | None = None,
    rss_limit: float = RSS_GROWTH_LIMIT,
    missed_limit: float = MISSED_FRACTION_LIMIT,
) -> Verdict:
    """The soak's verdict.

    `unjudged_loops`: loop -> why its deadline figures mean nothing in this run; they
    are reported as notes, not checks.
    """
    window = after_warmup(samples, warmup_s)
    verdict = Verdict(checks=[domain_check(events.strangers)])
    verdict.checks += process_checks(events.exits)
    verdict.checks += robot_checks(events.transitions, events.falls)
    verdict.checks += rss_checks(window, list(events.exits), rss_limit)
    loop_checks, notes = missed_deadline_checks(window, unjudged_loops or {}, missed_limit)
    verdict.checks += loop_checks
    verdict.notes += notes
    return verdict


def domain_check(strangers: dict[str, float]) -> Check:
    if not strangers:
        return Check("domain_private", "domain", True, "domain: no other graph's nodes seen")
    first = min(strangers.values())
    names = ", ".join(sorted(strangers))
    line = (
        f"domain: another graph's nodes ({names}) shared the DDS domain from t={first:.0f} s; "
        "the figures mix both graphs"
    )
    return Check("domain_private", "domain", False, line)


def process_checks(exits: dict[str, int | None]) -> list[Check]:
    return [
        Check(
            "processes_alive",
            name,
            code is None,
            f"{name}: running" if code is None else f"{name}: exited with code {code}",
        )
        for name, code in exits.items()
    ]


def robot_checks(transitions: list[tuple[float, str]], falls: list[float]) -> list[Check]:
    modes = [mode for _, mode in transitions]
    if "ACTIVE" not in modes:
        reached = " -> ".join(modes) or "no mode seen"
        return [Check("robot_active", "robot", False, f"robot: never reached ACTIVE ({reached})")]
    first_active = modes.index("ACTIVE")
    left = transitions[first_active + 1 :]
    problems = [f"left ACTIVE for {mode} at sim {t:.1f} s" for t, mode in left[:1]]
    if falls:
        problems.append(f"fell {len(falls)} time(s), first at sim {falls[0]:.1f} s")
    if problems:
        return [Check("robot_active", "robot", False, "robot: " + "; ".join(problems))]
    active_at = transitions[first_active][0]
    return [Check("robot_active", "robot", True, f"robot: ACTIVE from sim {active_at:.1f} s")]


def rss_checks(window: list[Sample], processes: list[str], limit: float) -> list[Check]:
    figures = rss_figures(window)
    checks = []
    for name in processes:
        f = figures.get(name)
        if f is None:
            line = f"{name}: fewer than 2 RSS samples after warm-up"
            checks.append(Check("rss_growth", name, False, line))
            continue
        line = (
            f"{name}: RSS {f.first_kb / 1024:.1f} -> {f.last_kb / 1024:.1f} MB "
            f"({f.growth:+.2%}, limit +{limit:.0%})"
        )
        checks.append(Check("rss_growth", name, f.growth <= limit, line))
    return checks


def missed_deadline_checks(
    window: list[Sample], unjudged: dict[str, str], limit: float
) -> tuple[list[Check], list[str]]:
    checks, notes = [], []
    figures = loop_figures(window)
    for name, f in figures.items():
        described = _describe_loop(name, f)
        if name in unjudged:
            notes.append(f"{described}: not judged, {unjudged[name]}")
        elif f.fraction is None:
            line = f"{name}: no cycles after warm-up"
            checks.append(Check("missed_deadlines", name, False, line))
        else:
            line = f"{described}, limit {limit:.1%}"
            checks.append(Check("missed_deadlines", name, f.fraction <= limit, line))
    if not figures:
        line = "no loop reported cycles twice after warm-up"
        checks.append(Check("missed_deadlines", "loops", False, line))
    return checks, notes


def _describe_loop(name: str, f: LoopFigures) -> str:
    share = "n/a" if f.fraction is None else f"{f.fraction:.3%}"
    return f"{name}: {f.missed:.0f} of {f.cycles:.0f} cycles missed their deadline ({share})"


# --- reporting --------------------------------------------------------------


def sample_line(sample: Sample, previous: Sample | None) -> str:
    """One printed line per sample: RSS per process, loop misses since the last sample."""
    rss = " ".join(f"{n} {kb / 1024:.1f}" for n, kb in sample.rss_kb.items())
    loops = []
    for name, count in sample.loops.items():
        before = previous.loops.get(name) if previous is not None else None
        cycles = count.cycles - (before.cycles if before else 0.0)
        missed = count.missed - (before.missed if before else 0.0)
        loops.append(f"{name} {missed:.0f}/{cycles:.0f}")
    return (
        f"soak t={sample.t:7.1f} s  sim={sample.sim_time:7.1f} s  {sample.mode:8s}  "
        f"RSS MB: {rss}  |  missed/cycles: {' '.join(loops) or '-'}"
    )


def markdown(report: dict) -> str:
    """soak.md from the soak.json document: RSS and loop tables, then the verdict lines."""
    s, figures, verdict = report["settings"], report["figures"], report["verdict"]
    lines = [
        "# Soak",
        "",
        f"{s['duration_min']:g} min wall, sample every {s['sample_period_s']:g} s, "
        f"warm-up {s['warmup_s']:g} s, real-time factor {s['real_time_factor']:g}, "
        f"policy `{Path(s['policy']).name}`; {len(report['samples'])} samples, "
        f"sim time reached {report['samples'][-1]['sim_time'] if report['samples'] else 0:.1f} s.",
        "",
        "## Resident memory after warm-up",
        "",
        "| process | first [MB] | last [MB] | growth |",
        "|---|---:|---:|---:|",
    ]
    for name, f in figures["rss"].items():
        lines.append(
            f"| {name} | {f['first_kb'] / 1024:.1f} | {f['last_kb'] / 1024:.1f} "
            f"| {f['growth']:+.2%} |"
        )
    lines += [
        "",
        "## Loop deadlines after warm-up",
        "",
        "| loop | cycles | missed | missed fraction | judged |",
        "|---|---:|---:|---:|---|",
    ]
    for name, f in figures["loops"].items():
        share = "n/a" if f["fraction"] is None else f"{f['fraction']:.3%}"
        lines.append(
            f"| {name} | {f['cycles']:.0f} | {f['missed']:.0f} | {share} "
            f"| {'yes' if f['judged'] else 'no'} |"
        )
    lines += ["", f"## Verdict: {'PASS' if verdict['passed'] else 'FAIL'}", ""]
    lines += [
        f"- {'ok  ' if c['passed'] else 'FAIL'} {c['criterion']}: {c['line']}"
        for c in verdict["checks"]
    ]
    lines += [f"- note: {note}" for note in verdict["notes"]]
    return "\n".join(lines) + "\n"


def figures_dict(samples: list[Sample], warmup_s: float, unjudged: dict[str, str]) -> dict:
    """The after-warm-up figures of soak.json."""
    window = after_warmup(samples, warmup_s)
    return {
        "rss": {
            name: {"first_kb": f.first_kb, "last_kb": f.last_kb, "growth": f.growth}
            for name, f in rss_figures(window).items()
        },
        "loops": {
            name: {
                "cycles": f.cycles,
                "missed": f.missed,
                "fraction": f.fraction,
                "judged": name not in unjudged,
            }
            for name, f in loop_figures(window).items()
        },
    }
