"""bench/report.py: machine description, report Markdown and the side-by-side comparison,
on synthetic reports (no benchmark runs here)."""

import importlib.util
import json
import sys

import pytest

from legkit import REPO_ROOT


def _load_report_module():
    # bench/ holds scripts, not a package: load report.py from its path. Registered before
    # it runs, because its dataclass looks its own module up in sys.modules.
    path = REPO_ROOT / "bench" / "report.py"
    spec = importlib.util.spec_from_file_location("bench_report", path)
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


report = _load_report_module()

X86_CPUINFO = """\
processor\t: 0
vendor_id\t: GenuineIntel
model name\t: Intel(R) Core(TM) i7-8700 CPU @ 3.20GHz
processor\t: 1
model name\t: Intel(R) Core(TM) i7-8700 CPU @ 3.20GHz
"""

# A Raspberry Pi: no "model name" on some kernels; the board is under "Model".
PI_CPUINFO = """\
processor\t: 0
BogoMIPS\t: 108.00
CPU part\t: 0xd08
Hardware\t: BCM2835
Model\t\t: Raspberry Pi 4 Model B Rev 1.4
"""


def machine(cpu="Intel(R) Core(TM) i7-8700 CPU @ 3.20GHz", cores=12, ram="31.2 GiB"):
    return {"CPU": cpu, "cores": cores, "RAM": ram, "legkit commit": "abc123"}


def run_report(date, figures_by_benchmark, quick=False, **machine_fields):
    return {
        "format": report.REPORT_FORMAT,
        "date": date,
        "quick": quick,
        "machine": machine(**machine_fields),
        "benchmarks": {
            name: {"command": f"bench/{name}.py", "status": "ok", "wall_s": 1.0, "figures": f}
            for name, f in figures_by_benchmark.items()
        },
    }


def table_rows(markdown):
    """Table rows as lists of cells, the header and separator rows left out."""
    rows = [line for line in markdown.splitlines() if line.startswith("|")]
    return [[c.strip() for c in row.strip("|").split(" | ")] for row in rows[2:]]


@pytest.mark.parametrize(
    ("cpuinfo", "model"),
    [
        (X86_CPUINFO, "Intel(R) Core(TM) i7-8700 CPU @ 3.20GHz"),
        (PI_CPUINFO, "Raspberry Pi 4 Model B Rev 1.4"),
        ("processor\t: 0\nCPU part\t: 0xd08\n", None),  # nothing that names the CPU
    ],
)
def test_cpu_model_reads_proc_cpuinfo(cpuinfo, model):
    assert report.cpu_model(cpuinfo) == model


def test_ram_and_os_come_from_meminfo_and_os_release():
    meminfo = "MemTotal:       24683656 kB\nMemFree:         1024 kB\n"
    assert report.ram_gib(meminfo) == pytest.approx(23.54, abs=0.01)
    assert report.ram_gib("") is None
    os_release = 'NAME="Debian GNU/Linux"\nPRETTY_NAME="Debian GNU/Linux 12 (bookworm)"\n'
    assert report.os_name(os_release) == "Debian GNU/Linux 12 (bookworm)"


def test_short_description_drops_trademarks_and_names_cores_and_ram():
    described = report.short_description(machine())
    assert described == "Intel Core i7-8700 @ 3.20GHz, 12 cores, 31.2 GiB"


def test_machine_description_of_this_machine_names_cores_python_and_libraries():
    described = report.machine_description()
    assert described["cores"] >= 1
    assert described["Python"].count(".") == 2
    for library in ("onnxruntime", "pybullet", "torch", "rclpy"):
        assert described[library]  # a version, or says it is not installed


def test_library_version_of_an_absent_package_says_so():
    assert report.library_version("surely-no-such-package-legkit") == "not installed"


@pytest.mark.parametrize(
    ("value", "text"),
    [(None, "—"), (86.0, "86"), (225.753, "225.8"), (0.240161, "0.2402"), (52345.6, "52346")],
)
def test_format_value(value, text):
    assert report.format_value(value) == text


def test_comparison_puts_runs_side_by_side_and_marks_missing_figures():
    old = run_report(
        "2026-11-20T09:15:42+00:00",
        {"can": {"cycle rate [cycles/s]": 600.0}, "stack": {"policy inference p50 [ms]": 0.25}},
    )
    new = run_report(
        "2026-11-23T14:30:05+00:00",
        {"can": {"cycle rate [cycles/s]": 650.0, "cycle p99 [ms]": 5.25}},
        quick=True,
        cpu="AMD EPYC",
        cores=2,
        ram="23.5 GiB",
    )
    table = report.comparison_table([old, new])
    header = table.splitlines()[0]
    assert "2026-11-20 09:15, Intel Core i7-8700 @ 3.20GHz, 12 cores, 31.2 GiB" in header
    assert "2026-11-23 14:30, AMD EPYC, 2 cores, 23.5 GiB (quick)" in header
    assert table_rows(table) == [
        ["can", "cycle rate [cycles/s]", "600", "650"],
        ["stack", "policy inference p50 [ms]", "0.25", "—"],  # no stack run in the new report
        ["can", "cycle p99 [ms]", "—", "5.25"],  # a figure the old run did not have
    ]


def test_report_markdown_says_quick_and_lists_every_figure_and_failure():
    run = run_report("2026-11-23T14:30:05+00:00", {"can": {"cycle rate [cycles/s]": 650.0}})
    run["benchmarks"]["stack"] = {
        "command": "bench/bench_stack.py --duration 3",
        "status": "failed (exit status 1)",
        "wall_s": 12.0,
        "figures": {},
    }
    full = report.markdown_report(run)
    assert "Quick run" not in full
    assert "| can | cycle rate [cycles/s] | 650 |" in full
    assert "| stack | `bench/bench_stack.py --duration 3` | 12 | failed (exit status 1) |" in full
    assert "- CPU: Intel(R) Core(TM) i7-8700 CPU @ 3.20GHz" in full
    run["quick"] = True
    assert "Quick run" in report.markdown_report(run)


def test_compare_command_reads_saved_reports_and_writes_the_table(tmp_path, capsys):
    paths = []
    for i, rate in enumerate((600.0, 650.0)):
        path = tmp_path / f"bench-{i}.json"
        path.write_text(
            json.dumps(run_report(f"2026-11-2{i}T10:00:00+00:00", {"can": {"rate": rate}}))
        )
        paths.append(path)
    assert report.main(["--compare", *map(str, paths), "--out", str(tmp_path / "out")]) == 0
    (written,) = (tmp_path / "out").glob("compare-*.md")
    assert ["can", "rate", "600", "650"] in table_rows(written.read_text())
    assert "bench-0.json" in capsys.readouterr().out


def test_compare_refuses_a_file_that_is_not_a_report(tmp_path):
    path = tmp_path / "summary.json"
    path.write_text(json.dumps({"timing": {}}))
    with pytest.raises(SystemExit, match="not a bench/report.py report"):
        report.main(["--compare", str(path), "--out", str(tmp_path)])


def test_only_accepts_known_benchmarks():
    assert report.parse_only("can, stack") == ["can", "stack"]
    with pytest.raises(Exception, match="unknown benchmark"):
        report.parse_only("can,gpu")
