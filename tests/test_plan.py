"""Funnel arithmetic: the seed's worked example exactly, other inputs, and bad arguments."""

import json

import pytest
from typer.testing import CliRunner

from pipeaudit.cli import app
from pipeaudit.errors import ConfigError
from pipeaudit.funnel import DEFAULT_RATIOS, make_plan, parse_mix, parse_ratios, plan_from_config, render_text
from pipeaudit.quotas import read_quotas

runner = CliRunner()
SEED_MIX = "150000x2,100000x3,50000x4"


def test_seed_worked_example_exactly():
    plan = make_plan(800000, mix=SEED_MIX, weeks=50)
    assert plan.funnel == {"contracts": 9, "negotiations": 18, "demos": 36, "first_visits": 108, "leads": 540}
    assert plan.per_week["leads"] == 10.8
    assert plan.per_week["first_visits"] == pytest.approx(2.16)
    assert plan.warnings == [] and plan.extra_contracts == 0


def test_cli_json_has_exactly_the_contract_keys():
    res = runner.invoke(app, ["plan", "--target", "800000", "--mix", SEED_MIX, "--weeks", "50", "--format", "json"])
    assert res.exit_code == 0, res.output
    data = json.loads(res.stdout)
    assert data["target"] == 800000
    assert list(data["funnel"]) == ["contracts", "negotiations", "demos", "first_visits", "leads"]
    assert list(data["funnel"].values()) == [9, 18, 36, 108, 540]
    assert all(isinstance(v, int) for v in data["funnel"].values())
    assert set(data["per_week"]) == set(data["funnel"])
    assert data["per_week"]["leads"] == 10.8


@pytest.mark.parametrize("lang,label", [("zh", "初访"), ("en", "first visits")])
def test_text_table_in_both_languages(lang, label):
    res = runner.invoke(app, ["plan", "--target", "800000", "--mix", SEED_MIX, "--weeks", "50", "--lang", lang])
    assert res.exit_code == 0
    line = next(l for l in res.stdout.splitlines() if l.startswith(label))
    assert line.split()[-2:] == ["108", "2.16"]


def test_avg_deal_rounds_contracts_up():
    plan = make_plan(800000, avg_deal=300000)
    assert plan.funnel["contracts"] == 3  # 2.67 -> 3
    assert plan.funnel["leads"] == 3 * 2 * 2 * 3 * 5
    assert plan.per_week is None


def test_cli_without_weeks_uses_the_seed_year_so_per_week_is_always_numbers():
    # the JSON contract has per_week as an object of numbers; the seed plans over ~50 working weeks
    res = runner.invoke(app, ["plan", "--target", "800000", "--mix", SEED_MIX, "--format", "json"])
    assert res.exit_code == 0, res.output
    data = json.loads(res.stdout)
    assert data["weeks"] == 50
    assert data["per_week"] == {"contracts": 0.18, "negotiations": 0.36, "demos": 0.72, "first_visits": 2.16, "leads": 10.8}
    # plan.weeks in the config still wins over the default, and --weeks over both
    assert plan_from_config(800000, SEED_MIX, None, None, None, {"weeks": 45}).weeks == 45
    assert plan_from_config(800000, SEED_MIX, None, 40, None, {"weeks": 45}).weeks == 40


@pytest.mark.parametrize(
    "args",
    [
        ["--target", "1e308", "--avg-deal", "1e-308"],
        ["--target", "1e300", "--mix", "1x1"],
        ["--target", "800000", "--mix", "1x999999999999999", "--ratios", "1000,1000,1000,1000"],
    ],
)
def test_absurd_sizes_are_a_one_line_input_error_not_a_crash(args):
    res = runner.invoke(app, ["plan", *args])
    assert res.exit_code == 2, res.output
    assert len(res.stderr.strip().splitlines()) == 1 and "Traceback" not in res.stderr


def test_lang_error_is_bilingual():
    res = runner.invoke(app, ["plan", "--target", "100", "--avg-deal", "10", "--lang", "fr"])
    assert res.exit_code == 2 and "zh" in res.stderr and "只能是" in res.stderr


def test_ratios_configurable_by_option_and_config():
    plan = make_plan(100, avg_deal=10, ratios=parse_ratios("3,2,2,4"))
    assert plan.funnel == {"contracts": 10, "negotiations": 30, "demos": 60, "first_visits": 120, "leads": 480}
    from_cfg = plan_from_config(None, None, None, None, None, {"target": 100, "avg_deal": 10, "ratios": [3, 2, 2, 4]})
    assert from_cfg.funnel == plan.funnel
    # the command line wins over the config
    over = plan_from_config(None, None, None, None, "1,1,1,1", {"target": 100, "avg_deal": 10, "ratios": [3, 2, 2, 4]})
    assert over.funnel["leads"] == 10


def test_cumulative_ratio_form_equals_step_form():
    assert parse_ratios("x2,x4,x12,x60") == DEFAULT_RATIOS
    assert make_plan(800000, mix=SEED_MIX, ratios=parse_ratios("x2,x4,x12,x60")).funnel["leads"] == 540


def test_mix_below_target_is_topped_up_with_a_warning():
    plan = make_plan(900000, mix=SEED_MIX)
    # the mix's average contract is 800000/9; 100000 more needs 2 extra contracts
    assert plan.extra_contracts == 2 and plan.funnel["contracts"] == 11
    assert plan.warnings and "100000" in plan.warnings[0]
    assert "100000" in render_text(plan, "en")


def test_mix_above_target_is_taken_as_given():
    assert make_plan(500000, mix=SEED_MIX).funnel["contracts"] == 9


@pytest.mark.parametrize(
    "kwargs",
    [
        dict(target=None, avg_deal=10),
        dict(target=100),  # neither mix nor avg-deal
        dict(target=100, avg_deal=10, mix="10x1"),  # both
        dict(target=-5, avg_deal=10),
        dict(target=100, avg_deal=0),
        dict(target=100, mix="10y2"),
        dict(target=100, mix="10x0"),
        dict(target=100, mix="10x1.5"),
        dict(target=100, avg_deal=10, weeks=0),
        dict(target=float("nan"), avg_deal=10),
    ],
)
def test_bad_arguments_are_config_errors(kwargs):
    target = kwargs.pop("target")
    with pytest.raises(ConfigError):
        make_plan(target, **kwargs)


@pytest.mark.parametrize(
    "ratios", ["2,2,3", "2,2,3,5,1", "2,0,3,5", "a,2,3,5", "x2,4,x12,x60", "x4,x2,x12,x60", "0.5,2,3,5", "2,2,3,0.9"]
)
def test_bad_ratios(ratios):
    with pytest.raises(ConfigError):
        parse_ratios(ratios)


def test_bad_args_exit_2_with_one_line():
    res = runner.invoke(app, ["plan", "--target", "800000", "--ratios", "2,2", "--avg-deal", "5"])
    assert res.exit_code == 2
    assert len(res.stderr.strip().splitlines()) == 1
    res = runner.invoke(app, ["plan", "--mix", SEED_MIX])
    assert res.exit_code == 2 and "--target" in res.stderr


def test_parse_mix_accepts_config_lists():
    assert parse_mix(["150000x2", {"size": 5, "count": 1}]) == [(150000.0, 2), (5.0, 1)]


def test_quota_csv_zh_headers_gb18030_and_wan(tmp_path):
    f = tmp_path / "q.csv"
    f.write_bytes("配额表\n销售,目标(万元)\n张三,80\n李四,\"1,20\"\n合计,200\n".encode("gb18030"))
    assert read_quotas(f) == {"张三": 800000.0, "李四": 1200000.0}


def test_quota_xlsx_en_headers(tmp_path):
    from openpyxl import Workbook

    wb = Workbook()
    ws = wb.active
    ws.append(["Owner", "Quota"])
    ws.append(["Ann", 500000])
    ws.append(["Bob", 250000.5])
    f = tmp_path / "q.xlsx"
    wb.save(f)
    assert read_quotas(f) == {"Ann": 500000.0, "Bob": 250000.5}


@pytest.mark.parametrize(
    "text", ["name,amount\nA,1\n", "rep,target\nA,lots\n", "rep,target\nA,-1\n", "rep,target\n,5\n", "rep,target\n"]
)
def test_bad_quota_files(tmp_path, text):
    f = tmp_path / "q.csv"
    f.write_text(text, encoding="utf-8")
    with pytest.raises(ConfigError):
        read_quotas(f)


def test_a_hostile_quota_workbook_is_refused_by_the_readers_guards(tmp_path):
    """Quota sheets go through the export reader: a zip bomb is a one-line refusal, not a crash."""
    from test_hostile_workbooks import write_streamed

    head = ('<?xml version="1.0"?><worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
            '<sheetData><row r="1"><c r="A1" t="inlineStr"><is><t>销售</t></is></c>'
            '<c r="B1" t="inlineStr"><is><t>目标</t></is></c></row>')
    bomb = write_streamed(tmp_path / "quotas.xlsx", head, b" ", 256 << 20, "</sheetData></worksheet>")
    with pytest.raises(ConfigError, match="--quotas .*zip bomb"):
        read_quotas(bomb)


def test_a_quota_workbook_with_a_title_row_and_a_total(tmp_path):
    from openpyxl import Workbook

    wb = Workbook()
    ws = wb.active
    ws.append(["2027 年销售任务（单位：万元）"])
    ws.append(["销售", "目标(万元)"])
    ws.append(["张伟", 80])
    ws.append(["李娜", "1.5"])
    ws.append(["合计", 81.5])
    path = tmp_path / "quotas.xlsx"
    wb.save(path)
    assert read_quotas(path) == {"张伟": 800000.0, "李娜": 15000.0}
