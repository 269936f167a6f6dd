"""`make bench`: pipeaudit's commands against the bare pandas read of the same file.

Every measurement is a separate process, started with os.wait4 so that the peak memory we read
(ru_maxrss) is that child's own, not the cumulative maximum RUSAGE_CHILDREN would give. Cases run
interleaved (read, check, read, check, ...) and repeated; the median wall time and the median peak
are reported against the goals of issue 6, and a dated section is appended to RESULTS.md.

    python benchmarks/bench.py                 # 100k xlsx, 1M csv, 3 repeats
    python benchmarks/bench.py --quick         # 10k xlsx, 100k csv, 1 repeat
    python benchmarks/bench.py --only check-xlsx --repeats 5
    python benchmarks/bench.py --profile check-csv
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

HERE = Path(__file__).resolve().parent

RESULTS = HERE / "RESULTS.md"
AS_OF = "2026-11-23"
DEAL_SHEET = "商机列表"
TIMEOUT = 900


@dataclass
class Case:
    name: str
    what: str
    argv: list[str]  # may hold {out}: replaced by a fresh temp path per run
    baseline: str | None = None  # name of the case this one is compared to
    time_goal: float | None = None  # ratio to the baseline, or seconds when there is no baseline
    mem_goal: float | None = None  # ratio of peak memory to the baseline's
    walls: list[float] = field(default_factory=list)
    peaks: list[float] = field(default_factory=list)  # MiB
    cpus: list[float] = field(default_factory=list)  # user + system seconds: steadier than wall on a busy box
    error: str | None = None


@dataclass
class Sizes:
    xlsx_rows: int
    csv_rows: int


def cli_argv() -> list[str]:
    """The installed console script when present (what users run), else `python -m pipeaudit`."""
    script = Path(sys.executable).with_name("pipeaudit")
    return [str(script)] if script.exists() else [sys.executable, "-m", "pipeaudit"]


def make_cases(xlsx: Path, csv: Path) -> dict[str, Case]:
    py, cli = sys.executable, cli_argv()
    read_xlsx = f"import pandas; pandas.read_excel({str(xlsx)!r}, engine='calamine', sheet_name={DEAL_SHEET!r})"
    # The generated CSV has a title line above the header, as real exports do; the bare read skips it.
    read_csv = f"import pandas; pandas.read_csv({str(csv)!r}, skiprows=1)"
    check = ["check", "--format", "json", "--output", "{out}", "--fail-on", "never", "--as-of", AS_OF]
    cases = [
        Case("read-xlsx", f"pandas.read_excel(calamine) {xlsx.name}", [py, "-c", read_xlsx]),
        Case("check-xlsx", f"check --format json {xlsx.name}", cli + check + [str(xlsx)], "read-xlsx", 1.0, 2.0),
        Case("report-xlsx", f"report --format html,xlsx {xlsx.name}",
             cli + ["report", str(xlsx), "--format", "html,xlsx", "--out", "{out}", "--as-of", AS_OF],
             "read-xlsx", 3.0, 2.0),
        Case("read-csv", f"pandas.read_csv {csv.name}", [py, "-c", read_csv]),
        Case("check-csv", f"check --format json {csv.name}", cli + check + [str(csv)], "read-csv", 1.5, 2.0),
        Case("help", "pipeaudit --help", cli + ["--help"], None, 0.3),
    ]
    return {c.name: c for c in cases}


def _over(value: float, goal: float) -> str:
    """How far past its goal a figure is: '4% over goal' when close, '6.6× the goal' when far."""
    share = value / goal
    return f"{(share - 1) * 100:.0f}% over goal" if share < 2 else f"{share:.1f}× the goal"


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

    Linux keeps ru_maxrss across fork+exec, so a child forked from this (pandas-sized) process
    would start from our peak: the child is started by GNU time (a tiny C process) when present,
    and os.wait4 gives that one child's rusage either way.
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


def measure(cases: dict[str, Case], names: list[str], repeats: int) -> None:
    """Interleave the cases so that drift (thermal, page cache) hits every case alike."""
    for name in names:  # warm the page cache and the import caches once, unmeasured (reads suffice)
        if cases[name].baseline is None:
            run_once(cases[name].argv)
    for i in range(repeats):
        for name in names:
            case = cases[name]
            if case.error:
                continue
            wall, peak, code, last, cpu = run_once(case.argv)
            ok_codes = (0,) if name == "help" or name.startswith("read") else (0, 1)
            if code not in ok_codes:
                case.error = f"exit {code}: {last}" if last else f"exit {code}"
                print(f"  {name}: failed ({case.error})", file=sys.stderr)
                continue
            case.walls.append(wall)
            case.peaks.append(peak)
            case.cpus.append(cpu)
            print(f"  [{i + 1}/{repeats}] {name:<12} {wall:7.2f} s {cpu:7.2f} cpu-s {peak:8.0f} MiB", file=sys.stderr)


def _fmt(x: float | None, spec: str) -> str:
    return "—" if x is None else format(x, spec)


def table(cases: dict[str, Case], names: list[str]) -> list[str]:
    rows = [
        "| case | what | wall (median s) | CPU (median s) | peak RSS (MiB) | time ratio | CPU ratio | goal "
        "| memory ratio | goal | verdict (on wall time) |",
        "|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---|",
    ]
    for name in names:
        c = cases[name]
        if c.error or not c.walls:
            rows.append(f"| {name} | {c.what} | failed | | | | | | | | {(c.error or 'not run').replace('|', '/')} |")
            continue
        wall, peak, cpu = statistics.median(c.walls), statistics.median(c.peaks), statistics.median(c.cpus)
        base = cases.get(c.baseline) if c.baseline else None
        t_ratio = m_ratio = c_ratio = None
        verdict = []
        if base and base.walls and not base.error:
            t_ratio = wall / statistics.median(base.walls)
            m_ratio = peak / statistics.median(base.peaks)
            c_ratio = cpu / max(statistics.median(base.cpus), 1e-9)
            if c.time_goal is not None:
                verdict.append("time ok" if t_ratio <= c.time_goal else f"time {_over(t_ratio, c.time_goal)}")
            if c.mem_goal is not None:
                verdict.append("memory ok" if m_ratio <= c.mem_goal else f"memory {_over(m_ratio, c.mem_goal)}")
        elif c.baseline is None and c.time_goal is not None:
            verdict.append("ok" if wall <= c.time_goal else _over(wall, c.time_goal))
        t_goal = (f"≤ {c.time_goal}×" if c.baseline else f"≤ {c.time_goal} s") if c.time_goal else ""
        m_goal = f"≤ {c.mem_goal}×" if c.mem_goal else ""
        rows.append(
            f"| {name} | {c.what} | {wall:.2f} | {cpu:.2f} | {peak:.0f} | {_fmt(t_ratio, '.2f')} | "
            f"{_fmt(c_ratio, '.2f')} | {t_goal} | "
            f"{_fmt(m_ratio, '.2f')} | {m_goal} | {', '.join(verdict) or 'baseline'} |"
        )
    return rows


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

    try:
        pd_version = version("pandas")
    except PackageNotFoundError:
        pd_version = "?"
    load = ", ".join(f"{x:.1f}" for x in os.getloadavg())
    return (f"{platform.machine()}, {cpu}, {os.cpu_count()} cores, Python {platform.python_version()}, "
            f"pandas {pd_version}; load average at the end {load}")


def append_results(rows: list[str], sizes: Sizes, repeats: int, quick: bool, names: list[str],
                   cases: dict[str, Case], xlsx_name: str, csv_name: str) -> None:
    failed = [n for n in names if cases[n].error or not cases[n].walls]
    head = [
        f"## {dt.datetime.now().strftime('%Y-%m-%d %H:%M')}{' (quick)' if quick else ''}",
        "",
        f"Machine: {machine()}.  ",
        f"Data: {sizes.xlsx_rows:,}-deal .xlsx, {sizes.csv_rows:,}-deal .csv ({xlsx_name}, {csv_name}, from benchmarks/generate.py); "
        f"median of {repeats} interleaved run(s), each a separate process; peak = the child's own ru_maxrss.",
        "",
    ]
    tail = [""]
    if failed:
        tail = ["", f"Failed or not yet implemented at the time: {', '.join(failed)}.", ""]
    text = "\n".join(head + rows + tail) + "\n"
    if not RESULTS.exists():
        RESULTS.write_text("# Benchmark results\n\nAppended by `make bench` (benchmarks/bench.py); newest last.\n\n")
    with open(RESULTS, "a", encoding="utf-8") as fh:
        fh.write(text)


def profile(case: Case, top: int) -> int:
    """Run one case under pyinstrument if installed, else cProfile, and print the top of it."""
    argv = list(case.argv)
    cli = cli_argv()
    if argv[: len(cli)] == cli:
        target = ["-m", "pipeaudit"] + argv[len(cli):]
    elif argv[:2] == [sys.executable, "-c"]:
        target = ["-c", argv[2]]
    else:
        print(f"cannot profile {case.name}", file=sys.stderr)
        return 2
    with tempfile.TemporaryDirectory(prefix="pipeaudit-prof-") as tmp:
        target = [a.replace("{out}", str(Path(tmp) / "out")) for a in target]
        if shutil.which("pyinstrument", path=str(Path(sys.executable).parent)) or _has("pyinstrument"):
            if target[0] == "-c":
                script = Path(tmp) / "snippet.py"
                script.write_text(target[1])
                target = [str(script)]
            cmd = [sys.executable, "-m", "pyinstrument", "-r", "text"] + target
            proc = subprocess.run(cmd, capture_output=True, text=True, timeout=TIMEOUT)
            print("\n".join(proc.stdout.splitlines()[: top * 2]))
        else:
            stats = Path(tmp) / "prof"
            cmd = [sys.executable, "-m", "cProfile", "-o", str(stats)] + target
            proc = subprocess.run(cmd, capture_output=True, text=True, timeout=TIMEOUT)
            import pstats

            if stats.exists():
                pstats.Stats(str(stats)).sort_stats("cumulative").print_stats(top)
        if proc.returncode not in (0, 1):
            print(f"{case.name} exited {proc.returncode}: {proc.stderr.strip()[-500:]}", file=sys.stderr)
    return 0


def prepare(rows: int, fmt: str) -> Path:
    """The cached dataset's path, generated by a child process when missing."""
    out = subprocess.run([sys.executable, str(HERE / "generate.py"), "--rows", str(rows), "--format", fmt],
                         check=True, stdout=subprocess.PIPE, text=True).stdout
    return Path(out.split()[0])


def _has(module: str) -> bool:
    import importlib.util

    return importlib.util.find_spec(module) is not None


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--quick", action="store_true", help="10k xlsx, 100k csv, 1 repeat: a smoke run")
    ap.add_argument("--repeats", type=int, help="runs per case (default 3, quick 1)")
    ap.add_argument("--only", action="append", metavar="NAME",
                    help="only this case (and its baseline); repeatable: "
                         "read-xlsx check-xlsx report-xlsx read-csv check-csv help")
    ap.add_argument("--profile", metavar="NAME", help="profile one case and print the top of the profile")
    ap.add_argument("--top", type=int, default=35, help="lines of profile to print")
    ap.add_argument("--no-append", action="store_true", help="print the table without appending to RESULTS.md")
    args = ap.parse_args(argv)

    sizes = Sizes(10_000, 100_000) if args.quick else Sizes(100_000, 1_000_000)
    repeats = args.repeats or (1 if args.quick else 3)
    t = time.perf_counter()
    # Generated in a child so that this process stays small (see run_once).
    xlsx, csv = (prepare(sizes.xlsx_rows, "xlsx"), prepare(sizes.csv_rows, "csv"))
    print(f"data ready in {time.perf_counter() - t:.1f} s: {xlsx.name}, {csv.name}", file=sys.stderr)
    cases = make_cases(xlsx, csv)

    if args.profile:
        if args.profile not in cases:
            ap.error(f"unknown case {args.profile!r}; expected one of {', '.join(cases)}")
        return profile(cases[args.profile], args.top)

    names = list(cases)
    if args.only:
        unknown = [n for n in args.only if n not in cases]
        if unknown:
            ap.error(f"unknown case {unknown[0]!r}; expected one of {', '.join(cases)}")
        wanted = set(args.only) | {cases[n].baseline for n in args.only if cases[n].baseline}
        names = [n for n in names if n in wanted]
    measure(cases, names, repeats)
    rows = table(cases, names)
    print("\n".join(rows))
    if not args.no_append:
        append_results(rows, sizes, repeats, args.quick, names, cases, xlsx.name, csv.name)
        print(f"appended to {RESULTS}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
