"""Guards no test exercised (a deliberately broken copy of each passed the suite): the total-row
labels kept twice (Python and Arrow), a config ladder tying a built-in one, a suppression whose
`until` is the as-of day, fractional funnel ratios, and every alias of the header table.
"""

from __future__ import annotations

import re
import unicodedata
from pathlib import Path

import pandas as pd
import pytest

from pipeaudit.config import Config, CustomLadder
from pipeaudit.deals.columns import ALIASES, map_columns
from pipeaudit.deals.stages import LADDERS, detect_ladder
from pipeaudit.model import FIELDS
from pipeaudit.read import header


# ---- total-row labels: one list in two regex dialects --------------------------------------------


def _labels(pattern: str) -> list[str]:
    """The alternatives of the first group of a total-label pattern, spaces written one way."""
    group = next(g for g in re.findall(r"\(([^()]*)\)", pattern) if "|" in g)  # not "(?i)"
    return sorted(alt.replace("\\s*", " *") for alt in group.split("|"))


def test_python_and_arrow_total_labels_are_the_same_list() -> None:
    assert _labels(header.TOTAL_LABEL.pattern) == _labels(header.ARROW_TOTAL_LABEL)


def _spellings() -> list[str]:
    """Each label as an export writes it: plain, upper case, padded, with a colon and an amount, with a count."""
    out = []
    for alt in _labels(header.TOTAL_LABEL.pattern):
        word = re.sub(r"-\?", "-", alt).replace(" *", " ").replace("s?", "s").replace("?", "")
        for form in (word, word.upper(), f"  {word}\u3000", f"{word}：1,234", f"{word} (52 records)"):
            out.append(form)
        out.append(word.replace(" ", ""))
    return out


@pytest.mark.parametrize("cell", _spellings())
def test_every_total_label_is_found_by_both_engines(cell: str) -> None:
    """Object columns (workbooks) go through TOTAL_LABEL, Arrow strings (CSV) through ARROW_TOTAL_LABEL."""
    values = ["Deal one", cell, "Total Solutions Ltd"]
    as_object = header._total_label_mask(pd.Series(values, dtype=object)).tolist()
    as_arrow = header._total_label_mask(pd.Series(values, dtype="string[pyarrow]")).tolist()
    assert as_object == as_arrow == [False, True, False], cell


def test_first_letter_prefilters_cover_every_label() -> None:
    for alt in _labels(header.TOTAL_LABEL.pattern):
        first = alt[0]
        for ch in {first, first.upper(), first.lower()}:
            assert ch in header._TOTAL_FIRST and ch in header._ARROW_TOTAL_FIRST, alt


def test_total_label_fast_path_agrees_with_its_reference() -> None:
    """total_label_hits (numpy's first-character cut) finds the positions the cell-by-cell reference does,
    over every label spelling and cells that start alike, are not str, or that numpy cuts oddly."""
    import datetime as dt

    import numpy as np

    cells: list[object] = _spellings() + [
        "", " ", "\u3000合计", "\u00a0Total", "\tsum", "\nTotal", "\x00合计", "合", "Tot", "totals:", "ſum",
        "\U0001d413otal", "\ud800Total", "Sum of it all", "Grand", "总计（万元）", "汇总表", "Total Solutions Ltd",
        None, float("nan"), 0.0, 12, True, dt.date(2026, 1, 1), dt.datetime(2026, 1, 1, 9), dt.time(9), "合计",
    ]
    values = np.array(cells, dtype=object)
    expected = header.total_label_hits_reference(values)
    assert expected  # the examples do hold labels
    assert header.total_label_hits(values) == expected
    for k in range(len(values)):  # each cell alone, as every position of a short column
        one = values[k : k + 1]
        assert header.total_label_hits(one) == header.total_label_hits_reference(one), values[k]
    odd = np.array(["Total", b"\xff", "Sum"], dtype=object)  # numpy cannot make text of the bytes: plain way
    assert header.total_label_hits(odd) == header.total_label_hits_reference(odd) == [0, 2]
    assert header.total_label_hits(np.array([], dtype=object)) == []


# ---- a config ladder tying a built-in one ------------------------------------------------------------


def test_a_config_ladder_wins_a_tie_with_a_built_in_one() -> None:
    edcba = LADDERS["edcba"]
    mine = CustomLadder("mine", tuple(edcba.open), ("lead", "discovery", "solution", "negotiation", "closing"),
                        tuple(edcba.won), tuple(edcba.lost))
    values = pd.Series([edcba.open[0], edcba.open[2], edcba.open[2], edcba.won[0]], dtype=object)
    assert detect_ladder(values, None).name == "edcba"
    assert detect_ladder(values, Config(ladders={"mine": mine})).name == "mine"  # same score: config first


def test_a_config_ladder_with_a_built_in_name_replaces_it() -> None:
    mine = CustomLadder("edcba", ("线索", "方案"), ("lead", "solution"), ("签了",), ("黄了",))
    values = pd.Series(["线索", "方案", "签了"], dtype=object)
    ladder = detect_ladder(values, Config(ladders={"edcba": mine}))
    assert ladder.name == "edcba" and tuple(ladder.open) == ("线索", "方案")


# ---- a suppression on its last day -------------------------------------------------------------------


EXPORT = "商机编号,商机名称,负责人,销售阶段,预计金额(万元),决策人\nSJ-1,华光ERP,张三,C方案论证,15,\n"


@pytest.mark.parametrize("until, muted", [("2026-11-23", True), ("2026-11-24", True), ("2026-11-22", False)])
def test_a_suppression_holds_through_its_until_day(tmp_path: Path, monkeypatch, until: str, muted: bool) -> None:
    import json

    from typer.testing import CliRunner

    from pipeaudit.cli import app

    monkeypatch.chdir(tmp_path)
    (tmp_path / "deals.csv").write_text(EXPORT, encoding="utf-8")
    (tmp_path / "pipeaudit.yaml").write_text(
        f"suppress:\n  - {{deal: SJ-1, rule: missing-decision-maker, reason: 客户保密, until: {until}}}\n",
        encoding="utf-8",
    )
    res = CliRunner().invoke(app, ["check", "deals.csv", "--as-of", "2026-11-23", "--format", "json",
                                   "--select", "missing-decision-maker"])
    data = json.loads(res.stdout)
    assert bool(data["muted"]) == muted and (len(data["findings"]) == 0) == muted
    expired = [n for n in data["notes"] if "expired" in n]
    assert bool(expired) != muted


# ---- fractional funnel ratios ------------------------------------------------------------------------


@pytest.mark.parametrize(
    "contracts, ratios, expected",
    [
        (1, (1.2, 1.2, 1.2, 1.2), [1, 2, 3, 4, 5]),  # each step rounds up from the rounded step below
        (3, (1.5, 1.5, 2.5, 1.1), [3, 5, 8, 20, 22]),
        (2, (1.01, 1.01, 1.01, 1.01), [2, 3, 4, 5, 6]),
        (9, (2.0, 2.0, 2.0, 2.0), [9, 18, 36, 72, 144]),  # exact products stay exact
        (7, (1.0, 1.0, 1.0, 1.0), [7, 7, 7, 7, 7]),
        (10, (2.25, 1.75, 3.5, 4.9), [10, 23, 41, 144, 706]),
    ],
)
def test_every_funnel_step_rounds_up(contracts: int, ratios: tuple, expected: list) -> None:
    from pipeaudit.funnel import STEPS, funnel_from_contracts

    funnel = funnel_from_contracts(contracts, ratios)
    assert [funnel[s] for s in STEPS] == expected


def test_fractional_ratios_from_the_command_line_round_up() -> None:
    from pipeaudit.funnel import make_plan, parse_ratios

    plan = make_plan(250, avg_deal=100, ratios=parse_ratios("1.5,1.5,2.5,1.1"))
    assert list(plan.funnel.values()) == [3, 5, 8, 20, 22]  # 2.5 contracts is 3, and so on up


# ---- every alias of the header table ------------------------------------------------------------------


def _every_alias() -> list[tuple[str, str]]:
    """(field, header) for every alias in the table as it is (others extend it), plus each field's
    own name and labels."""
    out = []
    for name, aliases in ALIASES.items():
        for alias in (*aliases, name, FIELDS[name].zh, FIELDS[name].en):
            out.append((name, alias))
    return out


def _full_width(text: str) -> str:
    return "".join(chr(ord(c) + 0xFEE0) if "!" <= c <= "~" else "\u3000" if c == " " else c for c in text)


@pytest.mark.parametrize("name, alias", _every_alias(), ids=lambda v: v if isinstance(v, str) else None)
def test_every_alias_maps_to_its_field(name: str, alias: str) -> None:
    for header_text in (alias, alias.upper(), f"  {alias.lower()} ", _full_width(alias)):
        assert map_columns([header_text], {}).fields == {name: 0}, header_text
    # beside the first alias of every other field, it still finds its own
    others = [ALIASES[f][0] for f in ALIASES if f != name]
    cm = map_columns([*others, alias], {})
    assert cm.fields.get(name) == len(others), (alias, cm.fields)


def test_the_alias_table_is_not_empty_and_covers_every_field() -> None:
    assert set(ALIASES) == set(FIELDS)
    assert len(_every_alias()) >= 3 * len(FIELDS)
    assert all(unicodedata.normalize("NFC", a) == a for _, a in _every_alias())
