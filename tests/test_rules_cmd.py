"""`pipeaudit rules list | show | validate` through the real CLI: output and exit codes."""

from pathlib import Path

from typer.testing import CliRunner

from pipeaudit.cli import app

ROOT = Path(__file__).resolve().parent.parent
runner = CliRunner()

PACK = """\
pack: mine
rules:
  - name: no-owner
    severity: info
    applies_to: {status: any}
    where: {blank: owner}
    message: {zh: 没有负责人, en: No owner}
    questions: [{zh: "这是谁的单子？", en: "Whose deal is this?"}]
    why: {zh: 没人负责的单子没人推。, en: A deal nobody owns is a deal nobody pushes.}
    ref: 过堂
    examples:
      flagged: [{deal: x, owner: ""}]
      clean: [{deal: x, owner: 张三}]
"""


def invoke(*args):
    return runner.invoke(app, list(args), env={"NO_COLOR": "1"})


def test_list_shows_every_builtin_rule(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)  # no stray config
    r = invoke("rules", "list", "--lang", "en")
    assert r.exit_code == 0, r.output
    for name in ("missing-decision-maker", "no-insider", "price-before-confirmation", "a-deal-overdue",
                 "invalid-value", "unknown-stage", "stale-by-stage", "vague-next-step"):
        assert name in r.output
    line = next(l for l in r.output.splitlines() if l.startswith("no-insider "))
    assert line.split()[:4] == ["no-insider", "PA102", "method", "error"] and "discovery" in line


def test_list_in_chinese_with_extra_pack(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    pack = tmp_path / "mine.yaml"
    pack.write_text(PACK, encoding="utf-8")
    r = invoke("rules", "list", "--rules", str(pack), "--no-default-rules", "--lang", "zh")
    assert r.exit_code == 0, r.output
    assert "no-owner" in r.output and "全部商机" in r.output and "no-insider" not in r.output


def test_show_explains_a_rule(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    r = invoke("rules", "show", "a-deal-overdue", "--lang", "en")
    assert r.exit_code == 0, r.output
    out = r.output
    assert "Why it matters" in out and "4 weeks" in out
    assert "Can it still sign within two weeks?" in out
    assert "weeks: 4" in out
    assert "class_since: 2026-10-01" in out and "A-class since 2026-10-01: 53 days" in out
    r = invoke("rules", "show", "PA101", "--lang", "zh")
    assert r.exit_code == 0 and "missing-decision-maker" in r.output and "过堂要问" in r.output


def test_show_unknown_rule_is_exit_2_with_hint(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    r = invoke("rules", "show", "no-insidr")
    assert r.exit_code == 2
    assert "did you mean 'no-insider'" in r.output


def test_validate_shipped_packs():
    r = invoke("rules", "validate", str(ROOT / "rules"))
    assert r.exit_code == 0, r.output
    assert "rules OK" in r.output


def test_validate_good_and_bad(tmp_path):
    good = tmp_path / "good.yaml"
    good.write_text(PACK, encoding="utf-8")
    r = invoke("rules", "validate", str(good))
    assert r.exit_code == 0 and "1 rules OK" in r.output

    bad = tmp_path / "bad.yaml"
    bad.write_text(PACK.replace("blank: owner", "blank: ownr"), encoding="utf-8")
    r = invoke("rules", "validate", str(bad))
    assert r.exit_code == 2
    assert f"{bad}:6: rule 'no-owner': unknown field 'ownr' — did you mean 'owner'?" in r.output
    assert "Traceback" not in r.output


def test_validate_runs_the_examples(tmp_path):
    wrong = tmp_path / "wrong.yaml"
    wrong.write_text(PACK.replace('clean: [{deal: x, owner: 张三}]', 'clean: [{deal: x, owner: ""}]'), encoding="utf-8")
    r = invoke("rules", "validate", str(wrong))
    assert r.exit_code == 2
    assert "rule 'no-owner': clean example 0: the example is flagged" in r.output


def test_validate_yaml_syntax_error(tmp_path):
    broken = tmp_path / "broken.yaml"
    broken.write_text(PACK.replace("severity: info", "severity: [info"), encoding="utf-8")
    r = invoke("rules", "validate", str(broken))
    assert r.exit_code == 2 and f"{broken}:" in r.output and "YAML syntax error" in r.output


def test_rules_errors_are_bilingual(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    res = invoke("rules", "show", "no-insidr")
    assert res.exit_code == 2 and "没有名为 'no-insidr' 的规则" in res.output and "did you mean 'no-insider'" in res.output
    assert "是不是 'no-insider'" in res.output  # the hint in each half
    res = invoke("rules", "list", "--lang", "fr")
    assert res.exit_code == 2 and "只能是 zh 或 en" in res.output
    (tmp_path / "empty").mkdir()
    res = invoke("rules", "validate", str(tmp_path / "empty"))
    assert res.exit_code == 2 and "没有找到规则" in res.output


def test_validate_says_which_rules_have_no_examples(tmp_path):
    # issue 3: a rule is tested by its own examples; a pack without any is valid but untested
    bare = tmp_path / "bare.yaml"
    bare.write_text(PACK.split("    examples:")[0], encoding="utf-8")
    r = runner.invoke(app, ["rules", "validate", str(bare)], env={"NO_COLOR": "1"})
    assert r.exit_code == 0 and "1 rules OK (0 examples)" in r.stdout
    assert "untested: no-owner" in r.stderr and "没有示例" in r.stderr
    shipped = runner.invoke(app, ["rules", "validate", str(ROOT / "rules")])
    assert shipped.exit_code == 0 and "untested" not in shipped.output  # every built-in rule has examples


def _rule(name: str, where: str = "{blank: owner}", extra: str = "") -> str:
    return (
        f"  - name: {name}\n    severity: info\n    where: {where}\n"
        "    message: {zh: 没有负责人, en: No owner}\n"
        '    questions: [{zh: "这是谁的单子？", en: "Whose deal is this?"}]\n'
        "    why: {zh: 没人负责的单子没人推。, en: A deal nobody owns is a deal nobody pushes.}\n"
        f"    ref: 过堂\n{extra}"
    )


THREE_BROKEN = "pack: mine\nrules:\n" + "".join([
    _rule("bad-field", "{blank: ownr}"),                                  # line 5
    _rule("fine"),                                                        # lines 10-16
    _rule("bad-example", extra="    examples:\n      clean: [{owner: \"\"}]\n"),  # rule at line 17
    _rule("bad-key", extra="    colour: red\n"),                         # key at line 33
])


def test_validate_reports_every_broken_rule_one_line_each(tmp_path):
    pack = tmp_path / "three.yaml"
    pack.write_text(THREE_BROKEN, encoding="utf-8")
    r = invoke("rules", "validate", str(pack))
    assert r.exit_code == 2, r.output
    assert r.stdout.splitlines() == [
        f"{pack}:5: rule 'bad-field': unknown field 'ownr' — did you mean 'owner'?",
        f"{pack}:17: rule 'bad-example': clean example 0: the example is flagged (No owner)",
        f"{pack}:33: rule 'bad-key': unknown key 'colour'",
    ]
    assert r.stderr.strip() == "pipeaudit: 3 problems in 1 file / 1 个文件中有 3 处问题"


def test_check_still_stops_at_the_first_broken_rule(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    pack = tmp_path / "three.yaml"
    pack.write_text(THREE_BROKEN, encoding="utf-8")
    (tmp_path / "deals.csv").write_text("商机名称,负责人\nx,张三\n", encoding="utf-8")
    r = invoke("check", "deals.csv", "--rules", str(pack))
    assert r.exit_code == 2 and r.stdout == ""
    assert r.stderr.strip().splitlines() == [f"pipeaudit: {pack}:5: rule 'bad-field': unknown field 'ownr' — did you mean 'owner'?"]


def test_validate_a_broken_file_stops_only_that_file(tmp_path):
    (tmp_path / "a.yaml").write_text(PACK.replace("severity: info", "severity: [info"), encoding="utf-8")
    (tmp_path / "b.yaml").write_text(THREE_BROKEN, encoding="utf-8")
    (tmp_path / "c.yaml").write_text(PACK.replace("no-owner", "fine"), encoding="utf-8")  # 'fine' is in b too
    r = invoke("rules", "validate", str(tmp_path), str(tmp_path / "missing.yaml"))
    assert r.exit_code == 2
    lines = r.stdout.splitlines()
    assert lines[0] == f"{tmp_path / 'missing.yaml'}: no such rule file or folder / 没有这个规则文件或文件夹"
    assert lines[1].startswith(f"{tmp_path / 'a.yaml'}:5: YAML syntax error")
    assert [l.split(": rule ")[0] for l in lines[2:5]] == [f"{tmp_path / 'b.yaml'}:{n}" for n in (5, 17, 33)]
    assert lines[5].startswith(f"{tmp_path / 'c.yaml'}:3: rule 'fine': duplicate rule name (also in {tmp_path / 'b.yaml'}:10)")
    assert len(lines) == 6 and "6 problems in 4 files" in r.stderr


def test_fields_json_lists_every_field_with_headers_and_readers(tmp_path, monkeypatch):
    import json

    from pipeaudit.engine.columns import META_KINDS
    from pipeaudit.model import DERIVED, FIELDS

    monkeypatch.chdir(tmp_path)
    r = invoke("rules", "fields", "--format", "json")
    assert r.exit_code == 0, r.output
    rows = {f["name"]: f for f in json.loads(r.stdout)["fields"]}
    assert list(rows) == [*FIELDS, *DERIVED, *META_KINDS]
    dm = rows["decision_maker"]
    assert (dm["kind"], dm["source"], dm["zh"], dm["en"]) == ("text", "export", "决策人", "Decision maker")
    assert {"Economic Buyer", "决策人", "拍板人"} <= set(dm["headers"])
    assert "missing-decision-maker" in dm["rules"]
    assert "first-visit-facts-missing" in rows["competitors"]["rules"]  # decision_maker is PA101's alone
    # headers are the ones that really map: "Quote Amount" is quote_amount's, never amount's
    assert "Quote Amount" in rows["quote_amount"]["headers"] and "Quote Amount" not in rows["amount"]["headers"]
    prev = rows["prev_close_date"]
    assert prev["source"] == "baseline" and prev["headers"] == [] and "close-date-slipped" in prev["rules"]
    assert rows["stage_known"]["source"] == "meta" and rows["stage_known"]["rules"] == ["unknown-stage"]


def test_fields_text_follows_lang_and_the_loaded_rules(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    r = invoke("rules", "fields", "--lang", "en")
    assert r.exit_code == 0, r.output
    lines = r.stdout.splitlines()
    i = next(i for i, l in enumerate(lines) if l.split()[:1] == ["decision_maker"])
    assert lines[i].split() == ["decision_maker", "text", "Decision", "maker"]
    assert lines[i + 1].strip().startswith("headers: Decision Maker, Economic Buyer, EB, 决策人")
    rules_line = next(l for l in lines[i + 1:] if l.strip().startswith("rules: "))
    assert rules_line.strip().startswith("rules: missing-decision-maker (PA101)")

    pack = tmp_path / "mine.yaml"
    pack.write_text(PACK, encoding="utf-8")
    r = invoke("rules", "fields", "--rules", str(pack), "--no-default-rules", "--lang", "zh")
    assert r.exit_code == 0, r.output
    lines = r.stdout.splitlines()
    i = next(i for i, l in enumerate(lines) if l.split()[:1] == ["owner"])
    assert lines[i].split() == ["owner", "text", "负责人"] and "表头：" in lines[i + 1]
    assert next(l for l in lines[i + 1:] if "规则：" in l).split() == ["规则：no-owner"]
    assert "missing-decision-maker" not in r.stdout
    assert r.stdout.rstrip().endswith("1 条已加载规则读取其中 1 个")


def test_fields_and_operators_refuse_an_unknown_format(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    for cmd in ("fields", "operators"):
        r = invoke("rules", cmd, "--format", "jsn")
        assert r.exit_code == 2 and r.stdout == ""
        assert r.stderr.strip() == ("pipeaudit: --format 'jsn': expected text or json — did you mean 'json'?"
                                     " / 格式应为 text 或 json — 是不是 'json'？")


def test_operators_lists_each_with_doc_example_and_the_phases():
    import json

    from pipeaudit.engine.conditions import OPERATORS
    from pipeaudit.model import PHASES

    r = invoke("rules", "operators", "--format", "json")
    assert r.exit_code == 0, r.output
    doc = json.loads(r.stdout)
    assert [o["name"] for o in doc["operators"]] == list(OPERATORS)
    assert all(o["doc"] and o["example"].startswith("{" + o["name"] + ":") for o in doc["operators"])
    assert [(p["phase"], p["name"]) for p in doc["phases"]] == list(enumerate(PHASES, 1))
    assert doc["phases"][2] == {"phase": 3, "name": "solution", "zh": "方案/演示", "en": "solution / demo"}

    text = invoke("rules", "operators").stdout.splitlines()
    i = next(i for i, l in enumerate(text) if l.split()[:1] == ["age_days"])
    assert text[i + 1].strip() == "where: {age_days: {field: last_activity, gt: 14}}"
    assert "  3  solution     solution / demo / 方案/演示" in text
    assert text[-1].startswith(f"{len(OPERATORS)} operators, 5 phases")
