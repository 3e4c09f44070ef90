"""One benchmark report: every benchmark's figures in one Markdown table, with the machine.

    .venv/bin/python bench/report.py [--quick] [--out runs/bench] [--only stack,training,can]
    .venv/bin/python bench/report.py --compare runs/bench/bench-A.json runs/bench/bench-B.json

The first form runs bench_stack.py (loop timing, policy inference, joint_state -> effort
latency, PID rate, CPU %), bench_training.py (env and PPO throughput) and bench_can.py
(CAN cycle rate), each in its own process so one cannot disturb the next, and writes
<out>/bench-<YYYYmmdd-HHMMSS>.json and .md: the machine's description (CPU, cores, RAM,
OS, Python and library versions, commit, load average) and a table of figures. --quick
measures for a few seconds each: a smoke test, and the report says so.

The second form puts saved reports side by side, one column per run, one row per figure
("—" where a run lacks it), prints the table and writes <out>/compare-<stamp>.md.

Only the standard library here, so the comparison works on any machine with the JSON files.
"""

from __future__ import annotations

import argparse
import importlib.metadata
import importlib.util
import json
import math
import os
import platform
import re
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

BENCH_DIR = Path(__file__).resolve().parent
REPO = BENCH_DIR.parent
DEFAULT_OUT = REPO / "runs" / "bench"
MISSING = "—"
REPORT_FORMAT = "legkit-bench/1"

# Libraries whose versions move the figures: inference, physics, training, ROS, CAN.
LIBRARIES = ("onnxruntime", "pybullet", "torch", "rclpy", "python-can")
IMPORT_NAMES = {"python-can": "can"}


@dataclass(frozen=True)
class Benchmark:
    script: str
    full: tuple[str, ...]
    quick: tuple[str, ...]

    def args(self, quick: bool) -> list[str]:
        return list(self.quick if quick else self.full)

    def shown(self, quick: bool) -> str:
        """The command as a reader would type it, for the report."""
        return " ".join([f"bench/{self.script}", *self.args(quick)])


# The full settings are each script's own defaults, spelled out so the report records them.
BENCHMARKS = {
    "stack": Benchmark("bench_stack.py", ("--duration", "30"), ("--duration", "3")),
    "training": Benchmark(
        "bench_training.py",
        ("--seconds", "10", "--iterations", "10"),
        ("--seconds", "1", "--iterations", "1"),
    ),
    "can": Benchmark("bench_can.py", ("--seconds", "5"), ("--seconds", "1")),
}


# --- the machine -------------------------------------------------------------------------


def cpu_model(cpuinfo: str) -> str | None:
    """The CPU's name from /proc/cpuinfo: "model name" on x86, "Model" or "Hardware" on ARM
    boards (a Raspberry Pi names the board there, a Jetson has neither)."""
    fields = {}
    for line in cpuinfo.splitlines():
        key, sep, value = line.partition(":")
        if sep and value.strip():
            fields.setdefault(key.strip(), value.strip())
    for key in ("model name", "Model", "Hardware"):
        if key in fields:
            return fields[key]
    return None


def ram_gib(meminfo: str) -> float | None:
    match = re.search(r"^MemTotal:\s+(\d+)\s+kB", meminfo, re.MULTILINE)
    return int(match.group(1)) / 2**20 if match else None


def os_name(os_release: str) -> str | None:
    match = re.search(r'^PRETTY_NAME="?([^"\n]*)"?', os_release, re.MULTILINE)
    return match.group(1) if match else None


def library_version(name: str) -> str:
    """The installed version, without importing (torch alone takes seconds to import).
    A ROS distro's rclpy is importable but has no package metadata, hence the fallback."""
    try:
        return importlib.metadata.version(name)
    except importlib.metadata.PackageNotFoundError:
        pass
    if importlib.util.find_spec(IMPORT_NAMES.get(name, name)) is not None:
        return "installed, version unknown"
    return "not installed"


def git_commit() -> str:
    def git(*args: str) -> str:
        # --no-optional-locks: reading the status must not rewrite the index.
        return subprocess.run(
            ["git", "--no-optional-locks", "-C", str(REPO), *args],
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()

    try:
        commit = git("rev-parse", "--short=12", "HEAD")
        dirty = git("status", "--porcelain", "--untracked-files=no")
    except (OSError, subprocess.CalledProcessError):
        return "unknown (not a git checkout)"
    return f"{commit} (with uncommitted changes)" if dirty else commit


def read_text(path: str) -> str:
    try:
        return Path(path).read_text()
    except OSError:
        return ""


def machine_description() -> dict[str, str | int]:
    """What the figures depend on, in the words the Markdown header prints."""
    ram = ram_gib(read_text("/proc/meminfo"))
    machine: dict[str, str | int] = {
        "CPU": cpu_model(read_text("/proc/cpuinfo")) or platform.processor() or "unknown",
        "architecture": platform.machine(),
        "cores": os.cpu_count() or 0,
        "RAM": f"{ram:.1f} GiB" if ram else "unknown",
        "OS": os_name(read_text("/etc/os-release")) or platform.system(),
        "kernel": platform.release(),
        "Python": platform.python_version(),
    }
    machine |= {name: library_version(name) for name in LIBRARIES}
    if os.environ.get("ROS_DISTRO"):
        machine["ROS distro"] = os.environ["ROS_DISTRO"]
    machine["legkit commit"] = git_commit()
    # Another job on the machine (a training run, say) slows every figure: this shows it.
    machine["load average at start (1, 5, 15 min)"] = ", ".join(f"{x:.2f}" for x in os.getloadavg())
    return machine


def short_description(machine: dict) -> str:
    """CPU, cores and RAM in a few words, the trademark signs and "CPU" left out."""
    cpu = str(machine.get("CPU", "unknown CPU"))
    cpu = re.sub(r"\((R|TM|tm)\)|\bCPU\b|\bProcessor\b", "", cpu)
    cpu = " ".join(cpu.split())
    parts = [cpu, f"{machine['cores']} cores" if "cores" in machine else None, machine.get("RAM")]
    return ", ".join(str(p) for p in parts if p)


# --- running the benchmarks --------------------------------------------------------------


def benchmark_env() -> dict[str, str]:
    # The stack benchmark starts ROS nodes: keep their discovery on this machine unless the
    # caller chose otherwise, as scripts/ros_env.sh does.
    env = dict(os.environ)
    env.setdefault("ROS_AUTOMATIC_DISCOVERY_RANGE", "LOCALHOST")
    env.setdefault("ROS_DOMAIN_ID", "0")
    return env


def run_benchmark(name: str, quick: bool) -> dict:
    """Run one benchmark script in its own process; its printout goes to the terminal."""
    bench = BENCHMARKS[name]
    print(f"\n=== {name}: {bench.shown(quick)}", flush=True)
    with tempfile.TemporaryDirectory() as tmp:
        json_path = Path(tmp) / f"{name}.json"
        command = [sys.executable, str(BENCH_DIR / bench.script), *bench.args(quick)]
        start = time.perf_counter()
        rc = subprocess.run(
            [*command, "--json", str(json_path)], cwd=REPO, env=benchmark_env()
        ).returncode
        wall_s = time.perf_counter() - start
        figures = json.loads(json_path.read_text()) if rc == 0 and json_path.exists() else {}
    return {
        "command": bench.shown(quick),
        "status": "ok" if rc == 0 else f"failed (exit status {rc})",
        "wall_s": wall_s,
        "figures": figures,
    }


# --- writing -----------------------------------------------------------------------------


def format_value(value: float | None) -> str:
    """Four significant digits, whole numbers without a decimal point, "—" for no value."""
    if value is None:
        return MISSING
    if not math.isfinite(value):
        return str(value)
    return f"{value:.0f}" if abs(value) >= 1e4 else f"{value:.4g}"


def cell(text: str) -> str:
    return str(text).replace("|", "\\|")


def markdown_report(report: dict) -> str:
    lines = [f"# legkit benchmarks, {report['date']}", ""]
    if report["quick"]:
        lines += [
            "**Quick run** (`--quick`): a few seconds per measurement, a smoke test. "
            "Its figures are noisy; compare full runs with full runs.",
            "",
        ]
    lines += ["## Machine", ""]
    lines += [f"- {key}: {value}" for key, value in report["machine"].items()]
    lines += ["", "## Benchmarks", "", "| benchmark | command | wall time [s] | status |"]
    lines.append("|---|---|---:|---|")
    for name, run in report["benchmarks"].items():
        lines.append(
            f"| {name} | `{cell(run['command'])}` | {run['wall_s']:.0f} | {cell(run['status'])} |"
        )
    lines += ["", "## Figures", "", "| benchmark | figure | value |", "|---|---|---:|"]
    for name, run in report["benchmarks"].items():
        for figure, value in run["figures"].items():
            lines.append(f"| {name} | {cell(figure)} | {format_value(value)} |")
    return "\n".join(lines) + "\n"


def write_report(report: dict, out: Path, stamp: str) -> tuple[Path, Path]:
    out.mkdir(parents=True, exist_ok=True)
    json_path, md_path = out / f"bench-{stamp}.json", out / f"bench-{stamp}.md"
    json_path.write_text(json.dumps(report, indent=2) + "\n")
    md_path.write_text(markdown_report(report))
    return json_path, md_path


# --- comparing runs ----------------------------------------------------------------------


def run_heading(report: dict) -> str:
    date = report["date"][:16].replace("T", " ")  # to the minute
    heading = f"{date}, {short_description(report['machine'])}"
    return heading + (" (quick)" if report.get("quick") else "")


def comparison_table(reports: list[dict]) -> str:
    """One column per run, one row per figure that any run has, in order of first sight."""
    rows: dict[tuple[str, str], None] = {}  # a dict keeps first-seen order without duplicates
    for report in reports:
        for name, run in report["benchmarks"].items():
            rows |= {(name, figure): None for figure in run["figures"]}
    header = ["benchmark", "figure", *(run_heading(r) for r in reports)]
    lines = [
        "| " + " | ".join(cell(h) for h in header) + " |",
        "|---|---|" + "---:|" * len(reports),
    ]
    for name, figure in rows:
        values = [
            format_value(r["benchmarks"].get(name, {}).get("figures", {}).get(figure))
            for r in reports
        ]
        lines.append(f"| {name} | {cell(figure)} | " + " | ".join(values) + " |")
    return "\n".join(lines) + "\n"


def comparison_markdown(reports: list[dict], paths: list[Path]) -> str:
    lines = ["# legkit benchmarks side by side", ""]
    for i, (report, path) in enumerate(zip(reports, paths, strict=True), start=1):
        lines.append(
            f"{i}. `{path.name}`: {run_heading(report)}; "
            f"commit {report['machine'].get('legkit commit', 'unknown')}"
        )
    return "\n".join(lines) + "\n\n" + comparison_table(reports)


def load_report(path: Path) -> dict:
    report = json.loads(path.read_text())
    if report.get("format") != REPORT_FORMAT:
        raise SystemExit(f"{path}: not a bench/report.py report (format {report.get('format')!r})")
    return report


# --- command line ------------------------------------------------------------------------


def parse_only(text: str) -> list[str]:
    names = [n.strip() for n in text.split(",") if n.strip()]
    unknown = [n for n in names if n not in BENCHMARKS]
    if unknown or not names:
        raise argparse.ArgumentTypeError(
            f"unknown benchmark(s) {', '.join(unknown) or '(none given)'}; "
            f"choose from {', '.join(BENCHMARKS)}"
        )
    return names


def run_all(names: list[str], quick: bool, out: Path, stamp: str) -> dict:
    report = {
        "format": REPORT_FORMAT,
        "date": datetime.now().astimezone().isoformat(timespec="seconds"),
        "quick": quick,
        "machine": machine_description(),
        "benchmarks": {},
    }
    for name in names:
        report["benchmarks"][name] = run_benchmark(name, quick)
        # Written after each benchmark, so an interrupted run keeps what it measured.
        json_path, md_path = write_report(report, out, stamp)
    print(f"\n{markdown_report(report)}\nwrote {json_path}\nwrote {md_path}")
    return report


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--quick", action="store_true", help="a few seconds per benchmark")
    ap.add_argument("--out", type=Path, default=DEFAULT_OUT, help="folder for the reports")
    ap.add_argument(
        "--only",
        type=parse_only,
        default=list(BENCHMARKS),
        help=f"comma-separated subset of {','.join(BENCHMARKS)}",
    )
    ap.add_argument(
        "--compare", nargs="+", type=Path, metavar="JSON", help="compare saved reports instead"
    )
    args = ap.parse_args(argv)
    stamp = datetime.now().strftime("%Y%m%d-%H%M%S")
    if args.compare:
        text = comparison_markdown([load_report(p) for p in args.compare], args.compare)
        args.out.mkdir(parents=True, exist_ok=True)
        path = args.out / f"compare-{stamp}.md"
        path.write_text(text)
        print(f"{text}\nwrote {path}")
        return 0
    report = run_all(args.only, args.quick, args.out, stamp)
    return 0 if all(run["status"] == "ok" for run in report["benchmarks"].values()) else 1


if __name__ == "__main__":
    sys.exit(main())
