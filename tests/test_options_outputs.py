"""Command-line option parsing and safe output writing."""

import os

import pytest

from pipeaudit.errors import ConfigError
from pipeaudit.options import parse_date, parse_maps, split_names
from pipeaudit.outputs import atomic_write, atomic_writer, neutralize_formula


def test_split_names_accepts_repeats_and_commas():
    assert split_names(["a,b", " c ", ",,"]) == ["a", "b", "c"]
    assert split_names(None) == []


def test_parse_maps():
    assert parse_maps(["owner=销售代表", "amount = 金额(万元)"]) == {"owner": "销售代表", "amount": "金额(万元)"}
    with pytest.raises(ConfigError, match="did you mean 'owner'"):
        parse_maps(["ownr=X"])
    with pytest.raises(ConfigError, match="expected field=Header"):
        parse_maps(["owner"])


def test_parse_date():
    assert str(parse_date("2026-11-23", "--as-of")) == "2026-11-23"
    assert str(parse_date(" 2026-11-23 ", "--as-of")) == "2026-11-23"
    with pytest.raises(ConfigError, match="--as-of '23/11/2026'"):
        parse_date("23/11/2026", "--as-of")


@pytest.mark.parametrize("text", ["20261123", "2026-W48-1", "2026-11-23T00:00", "2026-11", "2026-02-30", "２０２６-11-23"])
def test_parse_date_takes_only_yyyy_mm_dd(text):
    with pytest.raises(ConfigError, match="YYYY-MM-DD / 日期格式"):
        parse_date(text, "--as-of")


def test_option_errors_are_bilingual():
    with pytest.raises(ConfigError, match="字段=表头"):
        parse_maps(["owner"])
    with pytest.raises(ConfigError, match="未知字段"):
        parse_maps(["ownr=X"])


@pytest.mark.parametrize("text", ["=1+1", "+1", "-2", "@SUM(A1)", "\t=x"])
def test_formulas_are_neutralised(text):
    assert neutralize_formula(text) == "'" + text


@pytest.mark.parametrize("value", ["plain", "中文", 12, 1.5, None, "a=b"])
def test_other_values_pass(value):
    assert neutralize_formula(value) == value


def test_atomic_write_replaces_and_leaves_no_temp(tmp_path):
    target = tmp_path / "out" / "x.json"
    atomic_write(target, "new")
    assert target.read_text() == "new"
    assert os.listdir(target.parent) == ["x.json"]


def test_failed_write_keeps_the_old_file(tmp_path):
    target = tmp_path / "x.txt"
    target.write_text("old")
    with pytest.raises(RuntimeError):
        with atomic_writer(target) as fh:
            fh.write("half")
            raise RuntimeError("killed midway")
    assert target.read_text() == "old"
    assert os.listdir(tmp_path) == ["x.txt"]
