"""Property: the command-line contract holds for every input surface at once.

Export cells (CSV in several encodings and delimiters, sometimes an .xlsx), a config file, a rule
pack and the options of every command are drawn together; the only assertion is the contract:
exit 0, 1 or 2 (never 3, never a traceback), at most one line on stderr (exactly one, starting
"pipeaudit: ", on exit 2), within a time bound. Nothing else is checked: other tests say what the
right answer is; this one says no input may break the promise.

`make test` runs a fixed (derandomized) set of examples in well under 20 s; `make fuzz`
(HYPOTHESIS_PROFILE=explore) draws new ones, more of them, and also values whose handling lives
elsewhere and is being fixed there (dates outside pandas' range, the --history store).
"""

from __future__ import annotations

import io
import os
import signal
import sys
import tempfile
from contextlib import contextmanager
from pathlib import Path

import pytest
import yaml
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from pipeaudit.deals.columns import ALIASES
from pipeaudit.model import FIELDS

EXPLORE = os.environ.get("HYPOTHESIS_PROFILE") == "explore"
TIME_BOUND = 60  # seconds one invocation may take, hostile input or not (a hang fails)
SETTINGS = settings(
    max_examples=1000 if EXPLORE else 90,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large, HealthCheck.filter_too_much],
)

HOSTILE = ["<img src=x onerror=alert(1)>", '=HYPERLINK("http://x","y")', "\x1b]52;c;eA==\x07", "\u202eevil",
           "a\u2028b", "\x00", "\r\n", "{{ 7*7 }}", "{stage}", "../../etc/passwd", "CON", "COM¹", "王" * 120,
           "😀" * 40, "合计", "总计：1,000", "-", "@SUM(A1)", "\t", '"', "''", "\\"]
ODD_CELLS = ["", " ", "1e400", "-1e308", "99999999999999999999999", "NaN", "inf", "-0", "2026-02-30",
             "31/12/2026", "12/31/2026", "2026/11/23 10:00", "TRUE", "是", "否", "50%", "150%", "15万", "1,234.5",
             "A", "B", "C", "X", "E确认商机", "D进程确定", "C方案论证", "B商务谈判", "A销售成交", "赢单", "输单",
             "Closed Won", "Prospecting", "张总", "王伟", "李芳"]
OUT_OF_RANGE = ["9999-12-31", "0001-01-01", "1677-09-21", "2262-04-12"]  # handled in deals/values (elsewhere)
CHARS = st.characters(codec="utf-8", exclude_categories=("Cs",))
TEXT = st.text(CHARS, max_size=24)
DATES = st.dates(min_value=__import__("datetime").date(1700, 1, 1),
                 max_value=__import__("datetime").date(2200, 12, 31)).map(str)
CELL = st.one_of(TEXT, st.sampled_from(ODD_CELLS + HOSTILE + (OUT_OF_RANGE if EXPLORE else [])), DATES,
                 st.integers(-(10**25), 10**25).map(str), st.floats(allow_nan=True).map(repr))
HEADER_POOL = sorted({*(a[0] for a in ALIASES.values()), *(f.zh for f in FIELDS.values()), "预计成交金额(万元)",
                      "Amount (USD)", "", " ", "备注", *HOSTILE[:6]})
CORE = ["商机编号", "商机名称", "负责人", "销售阶段", "预计成交金额(万元)"]
RULE_NAMES = ["no-insider", "missing-decision-maker", "a-deal-overdue", "stale-by-stage", "PA001", "nope"]
AS_OF = st.sampled_from(["2026-11-23", "2026-11-23", "2026-11-23", "1900-01-01", "2199-12-31", "20261123",
                         "2026-13-01", ""])


@st.composite
def exports(draw) -> tuple[str, object]:
    """(file name, bytes) of a delimited export, or ("export.xlsx", rows) for a workbook."""
    header = draw(st.lists(st.sampled_from(HEADER_POOL), max_size=8))
    if draw(st.integers(0, 4)):  # mostly a usable export
        header = CORE + header
    rows = draw(st.lists(st.lists(CELL, max_size=len(header) + 1), max_size=12))
    kind = draw(st.sampled_from(["utf-8", "utf-8-sig", "gb18030", "utf-16", "mixed", "bytes", "xlsx"]))
    if kind == "xlsx":
        return "export.xlsx", [header, *rows]
    delim = draw(st.sampled_from([",", ";", "\t", "|"]))
    name = "export" + draw(st.sampled_from([".csv", ".tsv", ".txt"]))
    lines = [delim.join(_quoted(c, delim) for c in row) for row in [header, *rows]]
    if kind == "bytes":
        return name, draw(st.binary(max_size=400))
    if kind == "mixed":
        data = [line.encode("gb18030", errors="replace") if i == len(lines) // 2 else line.encode("utf-8")
                for i, line in enumerate(lines)]
        return name, b"\n".join(data) + b"\n"
    return name, ("\r\n".join(lines) + "\r\n").encode(kind, errors="replace")


def _quoted(cell: str, delim: str) -> str:
    if any(ch in cell for ch in (delim, '"', "\n", "\r")):
        return '"' + cell.replace('"', '""') + '"'
    return cell


def _write_export(folder: Path, name: str, content: object) -> Path:
    path = folder / name
    if isinstance(content, bytes):
        path.write_bytes(content)
        return path
    from openpyxl import Workbook
    from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

    book = Workbook()
    sheet = book.active
    for row in content:
        sheet.append([ILLEGAL_CHARACTERS_RE.sub("", c) for c in row])
    book.save(path)
    return path


@st.composite
def configs(draw) -> str | None:
    if draw(st.integers(0, 2)) == 0:
        return None
    ladder = draw(st.sampled_from(["mine", "edcba", HOSTILE[0], "x" * 80]))
    stages = draw(st.lists(st.one_of(TEXT, st.sampled_from(ODD_CELLS + HOSTILE)), min_size=1, max_size=5))
    choices = {
        "lang": st.sampled_from(["zh", "en", "zh", "en", "fr"]),
        "date_order": st.sampled_from(["mdy", "dmy", "mdy", "dmy", "ymd"]),
        "fail_on": st.sampled_from(["error", "warning", "info", "never", "loud"]),
        "select": st.lists(st.sampled_from(RULE_NAMES), max_size=3),
        "ignore": st.sampled_from(RULE_NAMES),
        "rules": st.fixed_dictionaries({draw(st.sampled_from(RULE_NAMES)): st.dictionaries(
            st.sampled_from(["weeks", "days", "severity", "enabled", "bogus"]),
            st.one_of(st.integers(-5, 10**6), st.floats(), st.sampled_from(["error", "warning", True, "x", [], None])),
            max_size=2)}),
        "ladders": st.just({ladder: {"open": stages, "won": ["赢单", HOSTILE[1]], "lost": ["输单"]}}),
        "ladder": st.sampled_from([ladder, "edcba", "nope"]),
        "suppress": st.lists(st.fixed_dictionaries({
            "deal": st.sampled_from(["OPP-1", HOSTILE[3], ""]), "rule": st.sampled_from(RULE_NAMES),
            "reason": TEXT, "until": st.one_of(DATES, st.sampled_from(["2026-11-23", "soon"]))}), max_size=2),
        "quotas": st.dictionaries(st.sampled_from(["王伟", "李芳", HOSTILE[0]]),
                                  st.one_of(st.integers(-1, 10**12), st.floats()), max_size=2),
        "plan": st.fixed_dictionaries({}, optional={"ratios": st.sampled_from(["2,2,3,5", "1.5,1.5,2.5,1.1", "x"]),
                                                    "weeks": st.floats(-1, 60), "avg_deal": st.floats(-1, 1e9)}),
        "columns": st.dictionaries(st.sampled_from(["owner", "stage", "amount", "nope"]), st.sampled_from(HEADER_POOL),
                                   max_size=2),
    }
    keys = draw(st.lists(st.sampled_from(sorted(choices)), max_size=5, unique=True))
    doc = {k: draw(choices[k]) for k in keys}
    text = yaml.safe_dump(doc, allow_unicode=draw(st.booleans())) if doc else ""
    mutation = draw(st.sampled_from(["none"] * 6 + ["truncate", "bomb", "deep", "bigint"]))
    if mutation == "truncate":
        text = text[: draw(st.integers(0, len(text)))]
    elif mutation == "bomb":
        text += "b0: &b0 [x,x,x,x,x,x,x,x,x]\n" + "".join(
            f"b{i}: &b{i} [{','.join([f'*b{i - 1}'] * 9)}]\n" for i in range(1, 8))
    elif mutation == "deep":
        text += "select: " + "[" * 300 + "]" * 300 + "\n"
    elif mutation == "bigint":
        text += "quotas: {王伟: " + "9" * draw(st.integers(20, 5000)) + "}\n"
    return text


def _condition(depth: int):
    fields = st.sampled_from([*FIELDS, *FIELDS, "phase", "nope", HOSTILE[0]])
    number = st.one_of(st.integers(-1000, 10**6), st.integers(-1000, 10**6), st.floats(-1e6, 1e6),
                       st.sampled_from([10**40, float("inf"), float("nan"), 1e308, "{n}", "{missing}", "x"]))
    leaf = st.one_of(
        st.builds(lambda f: {"blank": f}, fields),
        st.builds(lambda f: {"present": f}, fields),
        st.builds(lambda f, v: {"gt": {"field": f, "value": v}}, fields, number),
        st.builds(lambda f, v: {"equals": {"field": f, "value": v}}, fields, st.one_of(TEXT, number)),
        st.builds(lambda f, w: {"contains_any": {"field": f, "words": w}}, fields,
                  st.lists(st.one_of(TEXT, st.sampled_from(HOSTILE)), max_size=4)),
        st.builds(lambda f, v: {"age_days": {"field": f, "gt": v}}, fields, number),
        st.builds(lambda v: {"stage": {"at_least": v}}, st.sampled_from(["lead", "solution", "nope"])),
        st.builds(lambda v: {"class": v}, st.sampled_from(["A", ["A", "B"], [], 3])),
    )
    if depth <= 0:
        return leaf
    kids = _condition(depth - 1)
    return st.one_of(leaf, st.builds(lambda c: {"not": c}, kids),
                     st.builds(lambda cs: {"all": cs}, st.lists(kids, max_size=3)),
                     st.builds(lambda cs: {"any": cs}, st.lists(kids, max_size=3)))


@st.composite
def packs(draw) -> str | None:
    if draw(st.integers(0, 2)) == 0:
        return None
    texts = st.one_of(TEXT, st.sampled_from(HOSTILE + ["{owner} {stage} {deal}", "{n} 天", "{nope}", "{"]))
    rule = {
        "name": draw(st.sampled_from(["my-rule"] * 4 + ["no-insider", "Bad Name", HOSTILE[0]])),
        "severity": draw(st.sampled_from(["error", "warning", "info", "error", "fatal"])),
        "params": draw(st.sampled_from([None, None, {"n": 3}, {"n": 10**30}, {"n": float("inf")}, {"n": "x"}])),
        "where": draw(_condition(3)),
        "message": {"zh": draw(texts), "en": draw(texts)},
        "questions": [{"zh": draw(texts), "en": draw(texts)}],
        "why": {"zh": draw(texts), "en": draw(texts)},
        "ref": draw(st.sampled_from(["X1", "X1", "X1", ""])),
    }
    if draw(st.booleans()):
        rule["examples"] = {"flagged": [{"owner": draw(TEXT), "stage": draw(st.sampled_from(ODD_CELLS))}]}
    if rule["params"] is None:
        del rule["params"]
    doc = {"pack": draw(st.sampled_from(["mine", "mine", "mine", "Bad Pack"])), "rules": [rule]}
    return yaml.safe_dump(doc, allow_unicode=draw(st.booleans()))


@st.composite
def invocations(draw) -> tuple[list[str], dict]:
    """(argv with {dir} for the example's folder, files to write there)."""
    folder = Path("{dir}")
    name, content = draw(exports())
    files = {name: content}
    export = folder / name
    config, pack = draw(configs()), draw(packs())
    extra: list[str] = []
    if config is not None:
        files["cfg.yaml"] = config.encode("utf-8")
        extra += ["--config", str(folder / "cfg.yaml")]
    pack_args: list[str] = []
    if pack is not None:
        files["mine.yaml"] = pack.encode("utf-8")
        pack_args = ["--rules", str(folder / "mine.yaml")]
    command = draw(st.sampled_from(["check"] * 5 + ["report"] * 2 + ["columns", "rules list", "rules show",
                                                                   "rules validate", "plan"]))
    if command == "check":
        argv = ["check", str(export), *extra, *pack_args, "--as-of", draw(AS_OF)]
        argv += draw(st.sampled_from([[], ["--format", "json"], ["--format", "csv"], ["--format", "junit"],
                                      ["--format", "github"], [], ["--format", "yaml"]]))
        argv += draw(st.sampled_from([[], [], ["--fail-on", "warning"], ["--fail-on", "never"], ["--fail-on", "x"]]))
        argv += draw(st.sampled_from([[], ["-o", str(folder / "out.txt")], ["-o", "-"], ["-o", str(folder)],
                                      ["-o", str(folder / "missing" / "x.json")]]))
        argv += draw(st.sampled_from([[], ["--select", draw(st.sampled_from(RULE_NAMES))], ["--rep", draw(st.sampled_from(["王伟", "李芳", HOSTILE[0]]))],
                                      ["--lang", draw(st.sampled_from(["zh", "en", "de"]))], ["--sheet", "0"],
                                      ["--map", f"owner={draw(st.sampled_from(HEADER_POOL))}"], ["--map", "nope"],
                                      ["--baseline", str(export)]]))
        if EXPLORE and draw(st.booleans()):
            argv += ["--history", str(folder / "h.sqlite")]
    elif command == "report":
        argv = ["report", str(export), *extra, *pack_args, "--as-of", draw(AS_OF), "--out", str(folder / "rep"),
                "--format", draw(st.sampled_from(["html", "md", "xlsx", "html,md,xlsx", "pdf"]))]
    elif command == "columns":
        argv = ["columns", str(export), *extra, *pack_args]
    elif command == "rules list":
        argv = ["rules", "list", *extra, *pack_args, "--lang", draw(st.sampled_from(["zh", "en"]))]
    elif command == "rules show":
        argv = ["rules", "show", draw(st.sampled_from(RULE_NAMES + ["my-rule", HOSTILE[2]])), *extra, *pack_args]
    elif command == "rules validate" and pack_args:
        argv = ["rules", "validate", pack_args[1]]
    elif command == "rules validate":
        argv = ["rules", "validate", str(folder / "none.yaml")] if draw(st.booleans()) else ["rules", "list", *extra]
    else:
        argv = ["plan", *extra, "--target", draw(st.sampled_from(["800000", "0", "-1", "1e400", "abc"]))]
        argv += draw(st.sampled_from([["--avg-deal", "100000"], ["--mix", "150000x2,100000x3"], ["--mix", "x"], []]))
        argv += draw(st.sampled_from([[], ["--ratios", "1.5,1.5,2.5,1.1"], ["--ratios", "0,0"], ["--weeks", "0"]]))
    return argv, files


class TookTooLong(Exception):
    pass


@contextmanager
def _bounded(seconds: int):
    def alarm(signum, frame):
        raise TookTooLong(f"more than {seconds} s")

    old = signal.signal(signal.SIGALRM, alarm)
    signal.alarm(seconds)
    try:
        yield
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, old)


def _run_main(argv: list[str], folder: Path) -> tuple[int, str, str]:
    """The console script in this process: (exit code, stdout, stderr)."""
    from pipeaudit.cli import main

    out, err = io.BytesIO(), io.BytesIO()
    saved = sys.stdout, sys.stderr, sys.argv, os.getcwd()
    stdout = sys.stdout = io.TextIOWrapper(out, encoding="utf-8", write_through=True)
    stderr = sys.stderr = io.TextIOWrapper(err, encoding="utf-8", write_through=True)
    sys.argv = ["pipeaudit", *argv]
    os.chdir(folder)  # no config file of the repository is found
    try:
        with _bounded(TIME_BOUND):
            try:
                main()
                code = 0
            except SystemExit as exc:
                code = exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
        stdout.flush()
        stderr.flush()
        return code, out.getvalue().decode("utf-8", "replace"), err.getvalue().decode("utf-8", "replace")
    finally:
        sys.stdout, sys.stderr, sys.argv, cwd = saved
        os.chdir(cwd)


@pytest.fixture(autouse=True)
def _no_debug(monkeypatch):
    monkeypatch.delenv("PIPEAUDIT_DEBUG", raising=False)
    monkeypatch.setenv("NO_COLOR", "1")


@SETTINGS
@given(case=invocations())
def test_the_contract_holds_for_every_input_surface(case) -> None:
    argv, files = case
    with tempfile.TemporaryDirectory(prefix="pipeaudit-contract-") as tmp:
        folder = Path(tmp)
        for name, content in files.items():
            _write_export(folder, name, content)
        argv = [a.replace("{dir}", tmp) for a in argv]
        code, _out, err = _run_main(argv, folder)
    event(f"{argv[0]} exit {code}")  # (make fuzz: pytest --hypothesis-show-statistics shows the spread)
    assert code in (0, 1, 2), f"exit {code}: {err[-1500:]}"
    lines = err.splitlines()
    assert len(lines) <= 1, f"{len(lines)} lines on stderr: {err[-1500:]}"
    if code == 2:
        assert len(lines) == 1 and lines[0].startswith("pipeaudit: "), err[-1500:]
