"""Values outside the machine's ranges in the OUTPUT: amounts past int64 (and past 2**53, where a
float stops holding every whole number) reach every format and the report without an exit 3.
(Reading out-of-range dates and amounts is tested with the reader; this is what the writers do.)
"""

from __future__ import annotations

import json
import zipfile
from pathlib import Path

import pytest
from typer.testing import CliRunner

from pipeaudit.cli import app

AS_OF = ["--as-of", "2026-11-23"]
EXPORT = (
    "商机编号,商机名称,负责人,销售阶段,预计成交金额,决策人,预计成交日期\n"
    "OPP-1,甲,王伟,C方案论证,99999999999999999999999,,2026-12-01\n"  # past int64
    "OPP-2,乙,王伟,C方案论证,1e300,,2026-12-01\n"  # a float that is whole, far past int64
    "OPP-3,丙,李芳,B商务谈判,9223372036854775808,,2026-12-01\n"  # 2**63 exactly
    "OPP-4,丁,李芳,B商务谈判,-1e308,,2026-12-01\n"
    "OPP-5,戊,张三,B商务谈判,9007199254740993,,2026-12-01\n"  # 2**53 + 1
)


@pytest.fixture
def export(tmp_path: Path, monkeypatch) -> Path:
    monkeypatch.chdir(tmp_path)
    path = tmp_path / "big.csv"
    path.write_text(EXPORT, encoding="utf-8")
    return path


def _run(*args: str):
    res = CliRunner().invoke(app, list(args))
    assert res.exception is None or isinstance(res.exception, SystemExit), res.exception
    assert res.exit_code in (0, 1), res.output
    return res


@pytest.mark.parametrize("fmt", ["text", "json", "csv", "junit", "github"])
def test_every_check_format_takes_amounts_past_int64(export: Path, fmt: str) -> None:
    res = _run("check", str(export), *AS_OF, "--format", fmt)
    if fmt == "json":
        data = json.loads(res.stdout)
        owners = data["summary"]["by_owner"]
        # past int64 no amount can mean money: each is kept as an unreadable value and reported
        unreadable = {f["deal_id"] for f in data["findings"] if f["rule"] == "invalid-value"}
        assert unreadable == {"OPP-1", "OPP-2", "OPP-3", "OPP-4"}
        assert owners["王伟"]["open_amount"] == 0
        assert isinstance(owners["张三"]["open_amount"], float)  # past 2**53: not a made-up exact int
        assert data["summary"]["deals"] == 5


def test_report_takes_amounts_past_int64(export: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    _run("report", str(export), *AS_OF, "--format", "html,md,xlsx", "--out", str(out))
    assert (out / "summary.html").is_file() and (out / "summary.md").is_file()
    with zipfile.ZipFile(out / "report.xlsx") as book:
        assert book.testzip() is None


def test_summary_numbers_stay_in_range() -> None:
    from pipeaudit.findings import _number

    assert _number(150000.0) == 150000 and isinstance(_number(150000.0), int)
    assert _number(12.345) == 12.35
    for big in (1e300, 2.0**63, 2.0**53 + 2, -1e308):
        assert isinstance(_number(big), float) and _number(big) == big
    assert _number(float("inf")) == 0 and _number(float("nan")) == 0


def test_json_dumps_writes_ints_past_int64() -> None:
    import numpy as np

    from pipeaudit.formats.json import dumps

    data = json.loads(dumps({"a": 10**30, "b": [-(2**63) - 1, {"c": np.uint64(2**64 - 1)}], "d": 2**63 - 1}))
    assert data == {"a": 1e30, "b": [float(-(2**63) - 1), {"c": float(2**64 - 1)}], "d": 2**63 - 1}
