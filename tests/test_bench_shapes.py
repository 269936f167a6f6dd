"""The bench's export shapes (benchmarks/matrix.py, benchmarks/generate.py), generated tiny.

Every shape at 200 deals: each file reads back with the properties its shape promises (distinct
text is distinct, Excel dates are date cells, text dates are text, Chinese shapes have Chinese
headers), the same bytes on every run, and the findings level shows in what pipeaudit finds. The
bench itself (`make bench`) is not run here.
"""

from __future__ import annotations

import hashlib
import re
import sys
from datetime import date, datetime
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from python_calamine import CalamineWorkbook

BENCH = Path(__file__).resolve().parent.parent / "benchmarks"
sys.path.insert(0, str(BENCH))

import generate  # noqa: E402
from matrix import SHAPES  # noqa: E402

ROWS = 200
CJK = re.compile(r"[\u4e00-\u9fff]")
ISO = re.compile(r"^\d{4}-\d{2}-\d{2}$")


def _table(shape, path: Path) -> tuple[list[str], pd.DataFrame]:
    """Headers and data rows as the file holds them: calamine's Python values for a workbook (dates as
    date objects, text as str), strings for a CSV; '' for a blank cell. The total line is dropped."""
    if shape.fmt == "xlsx":
        wb = CalamineWorkbook.from_path(str(path))
        assert wb.sheet_names == [generate.VOCAB[shape.lang]["notes_sheet"], shape.sheet]
        rows = wb.get_sheet_by_name(shape.sheet).to_python()
        assert rows[0][0] == generate.VOCAB[shape.lang]["title"]
        heads, data = [str(h) for h in rows[1]], rows[2:-1]
        assert rows[-1][0] == generate.VOCAB[shape.lang]["total"]
        return heads, pd.DataFrame(data, columns=heads, dtype=object)
    frame = pd.read_csv(path, skiprows=1, dtype=str, keep_default_na=False, encoding="utf-8-sig")
    assert frame.iloc[-1, 0] == generate.VOCAB[shape.lang]["total"]
    return list(frame.columns), frame.iloc[:-1]


@pytest.fixture(scope="module")
def files(tmp_path_factory) -> dict[str, Path]:
    folder = tmp_path_factory.mktemp("shapes")
    return {name: generate.dataset(shape, ROWS, data_dir=folder) for name, shape in SHAPES.items()}


@pytest.mark.parametrize("name", list(SHAPES))
def test_shape_reads_back_as_promised(name, files):
    shape = SHAPES[name]
    heads, frame = _table(shape, files[name])
    assert heads == generate.headers(shape.lang)
    assert len(frame) == ROWS
    if shape.lang == "zh":
        assert all(CJK.search(h) for h in heads), heads
    else:
        assert all(h.isascii() for h in heads), heads
    col = dict(zip(generate.KEYS, heads))

    for key in generate.DISTINCT_KEYS:
        values = [v for v in frame[col[key]] if v != ""]
        assert len(values) > ROWS // 2
        if shape.text == "distinct":
            assert len(set(values)) == len(values), f"{key}: {len(values) - len(set(values))} repeated"
        elif key != "deal":  # a deal name is account + product: 960 names, few repeats in 200 deals
            assert len(set(values)) < len(values) * 0.8, f"{key}: repeated text should repeat"
    assert frame[col["id"]].is_unique
    assert all(d.startswith(a) for d, a in zip(frame[col["deal"]], frame[col["account"]]))

    for key in generate.DATE_KEYS:
        values = [v for v in frame[col[key]] if v != ""]
        words = set(generate.VOCAB[shape.lang]["unreadable"].values())
        if shape.fmt == "xlsx" and shape.dates == "excel":
            kinds = {type(v) for v in values if v not in words}
            assert kinds <= {date, datetime} and kinds, f"{key}: {kinds}"
        else:
            assert all(isinstance(v, str) and (ISO.match(v) or v in words) for v in values), key

    blank_dm = (frame[col["decision_maker"]] == "").mean()
    assert (blank_dm < 0.1) if shape.findings == "few" else (blank_dm > 0.15), blank_dm


def test_same_bytes_every_run(files, tmp_path):
    for name in ("xlsx-worst", "csv-worst", "xlsx-en"):
        again = generate.write_shape(SHAPES[name], ROWS, tmp_path / files[name].name)
        assert hashlib.sha256(again.read_bytes()).digest() == hashlib.sha256(files[name].read_bytes()).digest(), name


def test_cache_key_is_the_factors():
    keys = [s.key for s in SHAPES.values()]
    assert len(set(keys)) == len(keys)
    path = generate.dataset_path(SHAPES["xlsx-worst"], 100_000)
    assert path.name == f"deals_xlsx-distinct-zh-excel-many_100000_s{generate.SEED}_v{generate.GENERATOR_VERSION}.xlsx"


def test_distinct_values_stay_distinct_at_full_size():
    """The pools print no two combinations alike, and the spread is a bijection at a million rows."""
    assert generate.pool_collisions("zh") == generate.pool_collisions("en") == 0
    k = generate.spread(np.random.default_rng(1), 1_000_000, 1_350_000)
    assert len(np.unique(k)) == 1_000_000 and k.min() >= 0 and k.max() < 1_350_000
    rng = np.random.default_rng(2)
    for lang in ("zh", "en"):
        for values in (generate.distinct_accounts(rng, 50_000, lang),
                       generate.distinct_contacts(rng, 50_000, lang, generate.VOCAB[lang]["roles"])):
            assert len(set(values.tolist())) == 50_000
    with pytest.raises(ValueError):
        generate.spread(np.random.default_rng(1), 10, 9)


def test_findings_level_shows_in_the_audit(files):
    """few: about 0.3 findings a deal; many: about 2 (2.8 before rules that say the same thing on a
    deal were folded by `supersedes:`; the issue's shape had 276,000 on 100k deals)."""
    from pipeaudit.config import Config
    from pipeaudit.options import AuditOptions
    from pipeaudit.pipeline import run_audit

    per_deal = {}
    for name in ("xlsx-base", "xlsx-worst", "csv-worst", "xlsx-en"):
        result = run_audit(AuditOptions(path=files[name], as_of=date(2026, 11, 23)), Config())
        per_deal[name] = len(result.findings) / ROWS
    assert per_deal["xlsx-base"] < 0.6 and per_deal["xlsx-en"] < 0.6, per_deal
    assert 1.5 < per_deal["xlsx-worst"] < 3.6 and 1.5 < per_deal["csv-worst"] < 3.6, per_deal
