"""`make bench`: pipeaudit's commands against the bare pandas read of the same file, on every shape.

The shapes (benchmarks/matrix.py) are a baseline, one factor changed at a time, and the worst
combination: repeated vs distinct-per-row text, Chinese vs English, Excel vs text dates, few vs
many findings, a 100k-deal workbook and a 1M-deal CSV. For each shape the bench runs, interleaved
with the bare read of the same file (read, check, check-null, audit, report, read, check, ...):

    read        pandas.read_excel(path, engine="calamine", sheet_name=<deal sheet>) for xlsx,
                pandas.read_csv(path, skiprows=1) for csv (the title line above the header):
                the same file, the same sheet, default dtypes
    check       pipeaudit check --format json --output FILE             goal ≤ 1.0× (xlsx), ≤ 1.5× (csv)
    report      pipeaudit report --format html,xlsx (xlsx shapes only)   goal ≤ 3.0×
    check-null  the same check with --output /dev/null: rendered, not written (no goal)
    audit       the same check with rendering replaced (benchmarks/audit_only.py; no goal)
    help        pipeaudit --help, once for the run                       goal ≤ 0.3 s

and every pipeaudit case has the memory goal: peak RSS ≤ 2× the bare read's. check − check-null is
the write of the output file, check-null − audit the rendering of the findings. Every measurement
is a separate process, started through GNU time (or os.wait4) so that the peak memory we read is
that child's own. The median wall and CPU time and peak RSS of each case, the ratios and the goals
met or missed are appended to RESULTS.md, with the load average (uptime) at the start and end; a
full run then profiles the case furthest past each goal (pyinstrument, the `bench` extra) and
appends the top of each profile.

    python benchmarks/bench.py                          # every shape, 3 repeats, then profiles
    python benchmarks/bench.py --quick                  # 10k xlsx, 100k csv, 1 repeat, no profile
    python benchmarks/bench.py --shape xlsx-worst --shape csv   # a shape, or every shape of a format
    python benchmarks/bench.py --only check --only report       # cases of these kinds (+ their read)
    python benchmarks/bench.py --only xlsx-base/check --repeats 5
    python benchmarks/bench.py --profile csv-worst/check        # one profile, appended to RESULTS.md
    python benchmarks/bench.py --list                           # the shapes and case names
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import platform
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from matrix import QUICK_SIZES, SHAPES, SIZES, Shape  # noqa: E402  (no numpy/pandas: this process stays small)

RESULTS = HERE / "RESULTS.md"
AS_OF = "2026-11-23"
TIMEOUT = 900
KINDS = ("read", "check", "check-null", "audit", "report", "help")
#: The goals of issue 14: time as a ratio to the bare read (seconds for help), memory likewise.
CHECK_GOAL = {"xlsx": 1.0, "csv": 1.5}
REPORT_GOAL = 3.0
MEM_GOAL = 2.0
HELP_GOAL = 0.3
#: Per shape of this run: deals, and the generated file.
ROWS: dict[str, int] = {}
PATHS: dict[str, Path] = {}


@dataclass
class Case:
    name: str
    kind: str
    what: str
    argv: list[str]  # may hold {out}: replaced by a fresh temp path per run
    shape: Shape | None = None
    baseline: str | None = None  # name of the case this one is compared to
    time_goal: float | None = None  # ratio to the baseline, or seconds when there is no baseline
    mem_goal: float | None = None  # ratio of peak memory to the baseline's
    walls: list[float] = field(default_factory=list)
    peaks: list[float] = field(default_factory=list)  # MiB
    cpus: list[float] = field(default_factory=list)  # user + system seconds: steadier than wall on a busy box
    note: str = ""  # the audit case's finding count
    error: str | None = None

    @property
    def ok(self) -> bool:
        return not self.error and bool(self.walls)

    def median(self, what: str) -> float:
        return statistics.median(getattr(self, what))


def cli_argv() -> list[str]:
    """The installed console script when present (what users run), else `python -m pipeaudit`."""
    script = Path(sys.executable).with_name("pipeaudit")
    return [str(script)] if script.exists() else [sys.executable, "-m", "pipeaudit"]


def bare_read(shape: Shape, path: Path) -> str:
    """The baseline: pandas' own read of the same file and sheet, with default dtypes."""
    if shape.fmt == "xlsx":
        return f"import pandas; pandas.read_excel({str(path)!r}, engine='calamine', sheet_name={shape.sheet!r})"
    # The generated CSV has a title line above the header, as real exports do; the bare read skips it.
    return f"import pandas; pandas.read_csv({str(path)!r}, skiprows=1)"


def shape_cases(shape: Shape, path: Path) -> list[Case]:
    py, cli = sys.executable, cli_argv()
    audit = [py, str(HERE / "audit_only.py")]
    check = ["check", str(path), "--format", "json", "--fail-on", "never", "--as-of", AS_OF, "--output"]
    read = f"{shape.name}/read"

    def case(kind: str, what: str, argv: list[str], time_goal=None, mem_goal=None) -> Case:
        return Case(f"{shape.name}/{kind}", kind, what, argv, shape, None if kind == "read" else read,
                    time_goal, mem_goal)

    cases = [
        case("read", ("pandas.read_excel(calamine)" if shape.fmt == "xlsx" else "pandas.read_csv") + f" {path.name}",
             [py, "-c", bare_read(shape, path)]),
        case("check", "check --format json -o FILE", cli + check + ["{out}"], CHECK_GOAL[shape.fmt], MEM_GOAL),
        case("check-null", "check --format json -o /dev/null", cli + check + ["/dev/null"]),
        case("audit", "check, rendering replaced (audit_only.py)", audit + check + ["{out}"]),
    ]
    if shape.fmt == "xlsx":
        cases.append(case("report", "report --format html,xlsx",
                          cli + ["report", str(path), "--format", "html,xlsx", "--out", "{out}", "--as-of", AS_OF],
                          REPORT_GOAL, MEM_GOAL))
    return cases


def help_case() -> Case:
    return Case("help", "help", "pipeaudit --help", cli_argv() + ["--help"], None, None, HELP_GOAL)


def _over(value: float, goal: float) -> str:
    """How far past its goal a figure is: '4% over' when close, '6.6× the goal' when far."""
    share = value / goal
    return f"{(share - 1) * 100:.0f}% over" if share < 2 else f"{share:.1f}× the goal"


def _gnu_time() -> str | None:
    """/usr/bin/time when it is GNU time (it reports the child's peak RSS with -f %M)."""
    path = shutil.which("time") or ("/usr/bin/time" if Path("/usr/bin/time").exists() else None)
    if not path:
        return None
    probe = subprocess.run([path, "-f", "%M", "true"], capture_output=True, text=True)
    return path if probe.returncode == 0 and probe.stderr.strip().isdigit() else None


GNU_TIME = _gnu_time()


def run_once(argv: list[str], timeout: float = TIMEOUT) -> tuple[float, float, int, str, float]:
    """Run one child; return wall seconds, its own peak RSS in MiB, exit code, last stderr line, CPU s.

    Linux keeps ru_maxrss across fork+exec, so a child forked from this process would start from
    our peak: the child is started by GNU time (a tiny C process) when present, and os.wait4 gives
    that one child's rusage either way.
    """
    with tempfile.TemporaryDirectory(prefix="pipeaudit-bench-") as tmp:
        argv = [a.replace("{out}", str(Path(tmp) / "out")) for a in argv]
        rss_path = Path(tmp) / "rss"
        if GNU_TIME:
            argv = [GNU_TIME, "-q", "-f", "%M %U %S", "-o", str(rss_path)] + argv
        err_path = Path(tmp) / "stderr"
        with open(err_path, "wb") as err:
            start = time.perf_counter()
            proc = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=err, stdin=subprocess.DEVNULL)
            deadline = start + timeout
            while True:
                pid, status, usage = os.wait4(proc.pid, os.WNOHANG)
                if pid:
                    break
                if time.perf_counter() > deadline:
                    proc.kill()
                    pid, status, usage = os.wait4(proc.pid, 0)
                    proc.returncode = -9
                    return timeout, usage.ru_maxrss / 1024, -9, f"timed out after {timeout:.0f} s", 0.0
                time.sleep(0.002)
            wall = time.perf_counter() - start
        proc.returncode = os.waitstatus_to_exitcode(status)
        peak_kib, cpu = usage.ru_maxrss, usage.ru_utime + usage.ru_stime
        if GNU_TIME and rss_path.exists():
            # time may write "Command exited with non-zero status N" before the figures
            words = rss_path.read_text().split()
            try:
                peak_kib, cpu = int(words[-3]), float(words[-2]) + float(words[-1])
            except (IndexError, ValueError):
                pass
        lines = err_path.read_text(errors="replace").strip().splitlines()
        return wall, peak_kib / 1024, proc.returncode, (lines[-1] if lines else ""), cpu


def measure_one(case: Case, step: str) -> None:
    if case.error:
        return
    wall, peak, code, last, cpu = run_once(case.argv)
    ok_codes = (0,) if case.kind in ("help", "read") else (0, 1)
    if code not in ok_codes:
        case.error = f"exit {code}: {last}" if last else f"exit {code}"
        print(f"  {case.name}: failed ({case.error})", file=sys.stderr)
        return
    case.walls.append(wall)
    case.peaks.append(peak)
    case.cpus.append(cpu)
    if case.kind == "audit" and last.startswith("findings "):
        case.note = last.split()[1]
    print(f"  [{step}] {case.name:<26} {wall:7.2f} s {cpu:7.2f} cpu-s {peak:8.0f} MiB", file=sys.stderr, flush=True)


def measure(groups: list[list[Case]], repeats: int) -> None:
    """Shape by shape, interleaving each case with its bare read (read, check, ..., read, check, ...)
    so that drift (load from other engineers, page cache) hits a case and its baseline alike; the
    read runs once unmeasured first to warm the page cache."""
    for cases in groups:
        if cases[0].kind == "read":
            run_once(cases[0].argv)
        for i in range(repeats):
            for case in cases:
                measure_one(case, f"{i + 1}/{repeats}")


# ---- the tables --------------------------------------------------------------------------


def _fmt(x: float | None, spec: str) -> str:
    return "—" if x is None else format(x, spec)


def ratios(case: Case, cases: dict[str, Case]) -> tuple[float | None, float | None, float | None]:
    """Wall, CPU and peak-memory ratios of a case to its baseline (None without one)."""
    base = cases.get(case.baseline) if case.baseline else None
    if not (case.ok and base and base.ok):
        return None, None, None
    return (case.median("walls") / base.median("walls"),
            case.median("cpus") / max(base.median("cpus"), 1e-9),
            case.median("peaks") / base.median("peaks"))


def verdict(value: float | None, goal: float | None, unit: str = "×") -> str:
    if value is None or goal is None:
        return "—"
    spec = ".2f"
    if value <= goal:
        return f"{value:{spec}}{unit} met"
    return f"**{value:{spec}}{unit} missed**, {_over(value, goal)}"


def goals_table(cases: dict[str, Case], shapes: list[Shape]) -> list[str]:
    """Every shape against every goal: time ratios judged on wall time (CPU ratio in brackets)."""
    rows = [
        "| shape | factors | deals | findings | bare read s · MiB | check × read (goal ≤ 1.0× xlsx, ≤ 1.5× csv) "
        "| check memory × read (≤ 2×) | report × read (≤ 3×) | report memory × read (≤ 2×) |",
        "|---|---|---:|---:|---:|---|---|---|---|",
    ]
    for shape in shapes:
        read = cases.get(f"{shape.name}/read")
        if read is None:
            continue
        cells = []
        for kind in ("check", "report"):
            case = cases.get(f"{shape.name}/{kind}")
            if case is None:
                cells += ["n/a" if kind == "report" and shape.fmt == "csv" else "not run"] * 2
                continue
            if not case.ok:
                cells += [f"failed: {(case.error or 'not run').replace('|', '/')}", "—"]
                continue
            t, c, m = ratios(case, cases)
            cells += [f"{verdict(t, case.time_goal)} (CPU {_fmt(c, '.2f')}×)", verdict(m, case.mem_goal)]
        audit = cases.get(f"{shape.name}/audit")
        findings = f"{int(audit.note):,}" if audit and audit.note.isdigit() else "—"
        base = f"{read.median('walls'):.2f} · {read.median('peaks'):.0f}" if read.ok else f"failed: {read.error}"
        rows.append(f"| {shape.name} | {shape.factors} | {ROWS[shape.name]:,} | {findings} | {base} | " + " | ".join(cells) + " |")
    help_ = cases.get("help")
    if help_ is not None:
        figure = verdict(help_.median("walls"), HELP_GOAL, " s") if help_.ok else f"failed: {help_.error}"
        rows += ["", f"`pipeaudit --help` (goal ≤ {HELP_GOAL} s): {figure}."]
    return rows


def detail_table(cases: dict[str, Case], names: list[str]) -> list[str]:
    rows = [
        "| case | what | wall (median s) | CPU (median s) | peak RSS (MiB) | time ratio | CPU ratio | memory ratio |",
        "|---|---|---:|---:|---:|---:|---:|---:|",
    ]
    for name in names:
        c = cases[name]
        if not c.ok:
            rows.append(f"| {name} | {c.what} | failed | | | | | {(c.error or 'not run').replace('|', '/')} |")
            continue
        t, cr, m = ratios(c, cases)
        rows.append(f"| {name} | {c.what} | {c.median('walls'):.2f} | {c.median('cpus'):.2f} | {c.median('peaks'):.0f} "
                    f"| {_fmt(t, '.2f')} | {_fmt(cr, '.2f')} | {_fmt(m, '.2f')} |")
    return rows


def output_table(cases: dict[str, Case], shapes: list[Shape]) -> list[str]:
    """How much of a check is the output: audit only, + rendering (to /dev/null), + the file write.
    Each cell is median wall · median CPU seconds; on a shared box the CPU figures are the steadier."""
    rows = [
        "| shape | findings | audit only s | rendering s (null − audit) | file write s (check − null) "
        "| check s | rendering + write, share of check |",
        "|---|---:|---:|---:|---:|---:|---:|",
    ]
    any_row = False
    for shape in shapes:
        a, n, c = (cases.get(f"{shape.name}/{k}") for k in ("audit", "check-null", "check"))
        if not (a and n and c and a.ok and n.ok and c.ok):
            continue
        any_row = True
        wa, wn, wc = a.median("walls"), n.median("walls"), c.median("walls")
        ca, cn, cc = a.median("cpus"), n.median("cpus"), c.median("cpus")
        findings = f"{int(a.note):,}" if a.note.isdigit() else "—"
        rows.append(f"| {shape.name} | {findings} | {wa:.2f} · {ca:.2f} | {wn - wa:+.2f} · {cn - ca:+.2f} "
                    f"| {wc - wn:+.2f} · {cc - cn:+.2f} | {wc:.2f} · {cc:.2f} "
                    f"| {(wc - wa) / wc * 100:.0f}% · {(cc - ca) / max(cc, 1e-9) * 100:.0f}% |")
    return rows if any_row else []


def load() -> str:
    return ", ".join(f"{x:.1f}" for x in os.getloadavg())


def machine() -> str:
    cpu = "unknown CPU"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    from importlib.metadata import PackageNotFoundError, version

    def ver(name: str) -> str:
        try:
            return version(name)
        except PackageNotFoundError:
            return "?"

    return (f"{platform.machine()}, {cpu}, {os.cpu_count()} cores, Python {platform.python_version()}, "
            f"pandas {ver('pandas')}, python-calamine {ver('python-calamine')}, pyarrow {ver('pyarrow')}")


def uptime() -> str:
    try:
        return subprocess.run(["uptime"], capture_output=True, text=True, timeout=5).stdout.strip() or load()
    except (OSError, subprocess.SubprocessError):
        return f"load average {load()}"


def _ensure_results() -> None:
    if not RESULTS.exists():
        RESULTS.write_text("# Benchmark results\n\nAppended by `make bench` (benchmarks/bench.py); newest last.\n\n")


def append_results(cases: dict[str, Case], names: list[str], shapes: list[Shape], repeats: int, quick: bool,
                   started: str, seconds: float) -> None:
    files = ", ".join(f"{s.name}: {PATHS[s.name].name}" for s in shapes)
    head = [
        f"## {dt.datetime.now().strftime('%Y-%m-%d %H:%M')} — shape matrix{' (quick)' if quick else ''}",
        "",
        f"Machine: {machine()}.  ",
        f"Load (`uptime`, 2 cores shared with other engineers): at the start `{started}`; "
        f"at the end `{uptime()}`.  ",
        f"Median of {repeats} run(s) per case, each a separate process, each shape's cases interleaved with its "
        f"bare read; peak = the child's own ru_maxrss; {seconds / 60:.0f} min in all. Shapes: "
        "benchmarks/matrix.py; data from benchmarks/generate.py (GENERATOR_VERSION "
        f"{_generator_version()}): {files}.",
        "",
        "Goals (issue 14), on wall time; the CPU ratio is in brackets:",
        "",
    ]
    body = goals_table(cases, shapes)
    out = output_table(cases, shapes)
    if out:
        body += ["", "Where a check's time goes (median wall · median CPU seconds; differences of medians, "
                     "so a small negative one is noise):", ""] + out
    body += ["", "Every case:", ""] + detail_table(cases, names)
    failed = [n for n in names if not cases[n].ok]
    if failed:
        body += ["", f"Failed: {', '.join(f'{n} ({cases[n].error})' for n in failed)}."]
    _ensure_results()
    with open(RESULTS, "a", encoding="utf-8") as fh:
        fh.write("\n".join(head + body) + "\n\n")


def _generator_version() -> str:
    m = re.search(r"^GENERATOR_VERSION = (\d+)", (HERE / "generate.py").read_text(), re.M)
    return m.group(1) if m else "?"


# ---- profiles ----------------------------------------------------------------------------


def profile(case: Case, top: int) -> str:
    """Run one case under pyinstrument if installed, else cProfile; return the top of the profile."""
    argv = list(case.argv)
    cli = cli_argv()
    if argv[: len(cli)] == cli:
        target = ["-m", "pipeaudit"] + argv[len(cli):]
    elif argv[:2] == [sys.executable, "-c"]:
        target = ["-c", argv[2]]
    elif argv[:1] == [sys.executable]:
        target = argv[1:]
    else:
        return f"cannot profile {case.name}"
    with tempfile.TemporaryDirectory(prefix="pipeaudit-prof-") as tmp:
        target = [a.replace("{out}", str(Path(tmp) / "out")) for a in target]
        if _has("pyinstrument"):
            if target[0] == "-c":
                script = Path(tmp) / "snippet.py"
                script.write_text(target[1])
                target = [str(script)]
            # The whole call tree down to the frames of at least 2% of the run: the top of the
            # profile without cutting a branch off half way (pyinstrument samples wall time).
            cmd = [sys.executable, "-m", "pyinstrument", "-r", "text",
                   "-p", "processor_options.filter_threshold=0.02"] + target
            proc = subprocess.run(cmd, capture_output=True, text=True, timeout=TIMEOUT, cwd=HERE.parent)
            lines = [re.sub(r"\x1b\[[0-9;]*m", "", ln).rstrip() for ln in proc.stdout.splitlines()]
            while lines and not lines[0].strip():
                lines.pop(0)
            if "To view this report with different options, run:" in lines:
                lines = lines[: lines.index("To view this report with different options, run:")]
            while lines and not lines[-1].strip():
                lines.pop()
            text = "\n".join(lines[:top])
        else:
            stats = Path(tmp) / "prof"
            cmd = [sys.executable, "-m", "cProfile", "-o", str(stats)] + target
            proc = subprocess.run(cmd, capture_output=True, text=True, timeout=TIMEOUT)
            import io
            import pstats

            buf = io.StringIO()
            if stats.exists():
                pstats.Stats(str(stats), stream=buf).sort_stats("cumulative").print_stats(top)
            text = buf.getvalue()
        if proc.returncode not in (0, 1):
            text += f"\n{case.name} exited {proc.returncode}: {proc.stderr.strip()[-500:]}"
    return text


def append_profile(case: Case, text: str, why: str) -> None:
    _ensure_results()
    with open(RESULTS, "a", encoding="utf-8") as fh:
        fh.write(f"### Profile: {case.name} ({case.shape.factors if case.shape else ''}; {why}), "
                 f"{dt.datetime.now().strftime('%Y-%m-%d %H:%M')}, load {load()}\n\n```\n{text}\n```\n\n")


def worst_cases(cases: dict[str, Case]) -> list[tuple[Case, float]]:
    """Per goal (check xlsx, check csv, report), the case furthest past its time goal."""
    worst: dict[str, tuple[Case, float]] = {}
    for c in cases.values():
        if c.kind not in ("check", "report") or c.time_goal is None:
            continue
        t, _, _ = ratios(c, cases)
        if t is None:
            continue
        key = f"{c.kind}-{c.shape.fmt}"
        if key not in worst or t / c.time_goal > worst[key][1] / worst[key][0].time_goal:
            worst[key] = (c, t)
    return list(worst.values())


def _has(module: str) -> bool:
    import importlib.util

    return importlib.util.find_spec(module) is not None


# ---- main --------------------------------------------------------------------------------


def prepare(shape: Shape, rows: int) -> Path:
    """The cached dataset's path, generated by a child process when missing."""
    out = subprocess.run([sys.executable, str(HERE / "generate.py"), "--shape", shape.name, "--rows", str(rows)],
                         check=True, stdout=subprocess.PIPE, text=True).stdout
    return Path(out.split()[0])


def select_shapes(wanted: list[str] | None) -> list[Shape]:
    if not wanted:
        return list(SHAPES.values())
    return [s for s in SHAPES.values() if s.name in wanted or s.fmt in wanted]


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--quick", action="store_true", help="10k xlsx, 100k csv, 1 repeat, no profiles: a smoke run")
    ap.add_argument("--repeats", type=int, help="runs per case (default 3, quick 1)")
    ap.add_argument("--shape", action="append", metavar="NAME",
                    help="only this shape, or every shape of a format (xlsx, csv); repeatable")
    ap.add_argument("--only", action="append", metavar="CASE",
                    help=f"only cases of this kind ({', '.join(KINDS)}) or this name (SHAPE/KIND), "
                         "with their bare read; repeatable")
    ap.add_argument("--profile", metavar="CASE", help="profile one case (SHAPE/KIND or help), append the top")
    ap.add_argument("--no-profile", action="store_true", help="no profiles of the worst cases after a full run")
    ap.add_argument("--top", type=int, default=100, help="lines of each profile to keep at most")
    ap.add_argument("--no-append", action="store_true", help="print the tables without appending to RESULTS.md")
    ap.add_argument("--list", action="store_true", help="print the shapes and case names and exit")
    args = ap.parse_args(argv)

    shapes = select_shapes(args.shape)
    if args.shape and not shapes:
        ap.error(f"unknown shape {args.shape[0]!r}; expected xlsx, csv or one of {', '.join(SHAPES)}")
    if args.list:
        for s in SHAPES.values():
            kinds = [k for k in KINDS[:5] if k != "report" or s.fmt == "xlsx"]
            print(f"{s.name:<15} {s.factors:<45} cases: {', '.join(f'{s.name}/{k}' for k in kinds)}")
        print("help")
        return 0
    sizes = QUICK_SIZES if args.quick else SIZES
    repeats = args.repeats or (1 if args.quick else 3)
    if args.profile:
        shape_name = args.profile.split("/")[0]
        shapes = [SHAPES[shape_name]] if shape_name in SHAPES else []
    only = set(args.only or [])
    if args.profile == "help" or (only and only <= {"help"}):
        shapes = []

    started, t = uptime(), time.perf_counter()
    groups: list[list[Case]] = []
    for shape in shapes:
        ROWS[shape.name] = sizes[shape.fmt]
        PATHS[shape.name] = prepare(shape, ROWS[shape.name])
        groups.append(shape_cases(shape, PATHS[shape.name]))
    print(f"data ready in {time.perf_counter() - t:.1f} s", file=sys.stderr)
    cases = {c.name: c for g in groups for c in g}
    cases["help"] = help_case()

    if args.profile:
        if args.profile not in cases:
            ap.error(f"unknown case {args.profile!r}; see --list")
        case = cases[args.profile]
        text = profile(case, args.top)
        print(text)
        if not args.no_append:
            append_profile(case, text, "asked for with --profile")
        return 0

    if only:
        unknown = [o for o in only if o not in KINDS and o not in cases]
        if unknown:
            ap.error(f"unknown case {unknown[0]!r}; expected a kind ({', '.join(KINDS)}) or SHAPE/KIND (see --list)")
        keep = {n for n, c in cases.items() if c.kind in only or n in only}
        keep |= {cases[n].baseline for n in keep if cases[n].baseline}
        groups = [[c for c in g if c.name in keep] for g in groups]
        groups = [g for g in groups if len(g) > 1 or (g and g[0].kind != "read") or (g and "read" in only)]
        if "help" not in keep:
            del cases["help"]
    names = [c.name for g in groups for c in g] + (["help"] if "help" in cases else [])
    cases = {n: cases[n] for n in names}
    measure(groups, repeats)
    if "help" in cases:
        for i in range(repeats):
            measure_one(cases["help"], f"{i + 1}/{repeats}")
    ran = [s for s in shapes if any(c.shape is s for g in groups for c in g)]
    rows = goals_table(cases, ran) + [""] + output_table(cases, ran) + [""] + detail_table(cases, names)
    print("\n".join(rows))
    if not args.no_append:
        append_results(cases, names, ran, repeats, args.quick, started, time.perf_counter() - t)
        print(f"appended to {RESULTS}", file=sys.stderr)
    if not (args.quick or args.no_profile or args.no_append):
        for case, ratio in worst_cases(cases):
            if ratio <= case.time_goal:
                continue
            print(f"profiling {case.name} ({ratio:.2f}×, goal {case.time_goal}×)", file=sys.stderr)
            append_profile(case, profile(case, args.top),
                           f"furthest past the {case.kind} goal for {case.shape.fmt}: {ratio:.2f}× the bare read")
    return 0


if __name__ == "__main__":
    sys.exit(main())
