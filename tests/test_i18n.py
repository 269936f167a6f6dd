"""The text catalogue: every entry complete in both languages, every entry used, lookups strict.

The catalogue replaced per-module word dicts and `lang == "zh"` branches; these tests keep it the one
place for bilingual text: a text missing a language or a placeholder, a key no code reads any more,
a new `lang == "zh"` branch, each fails here rather than in front of a user.
"""

import re
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from pipeaudit import i18n
from pipeaudit.errors import ConfigError
from pipeaudit.i18n import CatalogueError, both, default_lang, in_both, load_catalogue, parse_lang, t

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = ROOT / "pipeaudit"
PLACEHOLDER = re.compile(r"\{([A-Za-z_][A-Za-z0-9_]*)\}")

#: Entries where a language leaves a value out on purpose (the catalogue says why). A new one should
#: be a decision, so it has to be added here too.
ONE_SIDED: dict[str, dict[str, set[str]]] = {
    "skip.field": {"en": {"label"}},  # English names a field by its identifier, English already
    "cli.usage": {"zh": {"message", "where"}},  # click's message is English, printed once
    # history's lines: the span "6 week(s) 周: ..." is bilingual already, printed once
    "history.norms_title": {"zh": {"span"}},
    "history.funnel_title": {"zh": {"span"}},
    "history.no_call_week": {"zh": {"span"}},
    "history.backtest_title": {"zh": {"span"}},
    "history.percentile": {"zh": {"pct"}},  # the heading "p80 分位天数" names the percentile once
    "deals.not_mapped": {"zh": {"why"}},  # the reason is itself "english / 中文", printed once
}


def raw_entries() -> dict[str, dict]:
    raw = yaml.safe_load(i18n.CATALOGUE.read_text("utf-8"))
    return {f"{section}.{name}": entry for section, entries in raw.items() for name, entry in entries.items()}


def printed(text) -> list[set[str]]:
    forms = text.values() if isinstance(text, dict) else [text]
    return [set(PLACEHOLDER.findall(form)) for form in forms]


# ---- the catalogue itself -----------------------------------------------------------------


def test_the_shipped_catalogue_compiles():
    entries = load_catalogue()
    assert len(entries) == len(raw_entries()) > 400


def test_every_entry_has_both_languages_with_the_same_placeholders():
    for key, entry in raw_entries().items():
        assert set(entry) - {"unprinted"} == {"zh", "en"}, key
        plural = any(isinstance(entry[lang], dict) for lang in ("zh", "en"))
        for lang in ("zh", "en"):
            text = entry[lang]
            if isinstance(text, dict):
                assert set(text) == {"one", "other"}, key
            for form in (text.values() if isinstance(text, dict) else [text]):
                assert isinstance(form, str) and form, (key, lang)
        zh = set().union(*printed(entry["zh"])) - ({"n"} if plural else set())
        en = set().union(*printed(entry["en"])) - ({"n"} if plural else set())
        gaps = {lang: names for lang, names in (("zh", en - zh), ("en", zh - en)) if names}
        assert gaps == ONE_SIDED.get(key, {}), key
        assert {k: set(v) for k, v in (entry.get("unprinted") or {}).items()} == ONE_SIDED.get(key, {}), key


def _code_text() -> str:
    return "\n".join(p.read_text("utf-8") for p in PACKAGE.rglob("*.py"))


#: A lookup built from a value: "phase." + p, "digest." + key, "columns.how_" + how.
FAMILY = re.compile(r"""["']([a-z_]+\.[a-z_]*)["']\s*\+""")


def test_every_key_is_used_by_the_code():
    """A key is used when the code spells it, or spells its family ("phase." + ...) and names the
    rest as a value somewhere ("lead" in model.PHASES); a report label when a page uses it."""
    code = _code_text()
    families = set(FAMILY.findall(code))
    quoted = set(re.findall(r"""["']([A-Za-z_][A-Za-z0-9_]*)["']""", code))
    pages = "\n".join(p.read_text("utf-8") for p in (ROOT / "templates").glob("*.j2"))
    pages += "\n".join(p.read_text("utf-8") for p in (PACKAGE / "report").rglob("*.py"))
    #: labels looked up by a prefix and a value: L['sev_' + severity], L[f"kind_{kind}"]
    label_families = tuple(set(re.findall(r"""L(?:\[|\.get\()f?["']([a-z]+_)(?:["']\s*\+|\{)""", pages)))
    assert label_families, "the report's label families were not found: the pattern above needs a look"
    unused = []
    for key in raw_entries():
        if f'"{key}"' in code or f"'{key}'" in code:
            continue
        name = key.removeprefix("report.")
        if name != key and (re.search(rf"""\bL\.{name}\b|["']{name}["']|\b{name}_head\b""", pages)
                            or name.startswith(label_families)):
            continue  # a report label: a page uses it as L.<name>, or by its family (L['sev_' + s])
        if any(key.startswith(f) and key[len(f):] in quoted for f in families):
            continue
        unused.append(key)
    assert not unused, f"catalogue entries no code uses (remove them): {unused}"


def test_every_value_of_a_family_has_its_text():
    from pipeaudit.engine.columns import META_KINDS
    from pipeaudit.engine.schema import STATUSES
    from pipeaudit.forecast import CATEGORIES
    from pipeaudit.funnel import STEPS
    from pipeaudit.model import PHASES, SEVERITIES

    keys = set(raw_entries())
    for prefix, values in (("phase.", PHASES), ("step.", STEPS), ("severity.", SEVERITIES), ("status.", STATUSES),
                           ("forecast.", CATEGORIES), ("meta_column.", META_KINDS)):
        assert {prefix + v for v in values} <= keys, prefix


def test_every_entry_fills_in_both_languages():
    for key, entry in load_catalogue().items():
        values = {name: (2 if name == "n" else f"<{name}>") for name in entry.params}
        for lang in i18n.LANGS:
            text = t(key, lang, **values)
            assert text.strip(), (key, lang)
            assert not PLACEHOLDER.search(text), (key, lang, text)  # every {placeholder} filled


def test_no_language_branch_chooses_a_string():
    """Words come from the catalogue: `lang == "zh"` may remain only with a `# i18n:` comment saying why."""
    branch = re.compile(r"""[!=]=\s*["'](zh|en)["']|\bzh\s*=\s*lang\b|\bif zh\b""")
    hits = []
    for path in sorted(PACKAGE.rglob("*.py")):
        where = path.relative_to(ROOT).as_posix()
        for number, line in enumerate(path.read_text("utf-8").splitlines(), 1):
            if branch.search(line) and "# i18n:" not in line:
                hits.append(f"{where}:{number}: {line.strip()}")
    assert not hits, hits


# ---- lookups ------------------------------------------------------------------------------


def test_t_fills_placeholders_by_concatenation():
    assert t("words.did_you_mean", "zh", choice="owner") == " — 是不是 'owner'？"
    assert t("words.did_you_mean", "en", choice="{choice}") == " — did you mean '{choice}'?"  # data is never a format string
    assert t("words.did_you_mean", "en", choice="{0.__class__}") == " — did you mean '{0.__class__}'?"


def test_a_rename_breaks_loudly():
    with pytest.raises(LookupError):
        t("words.no_such_key", "en")
    with pytest.raises(TypeError, match="missing"):
        t("words.did_you_mean", "en")
    with pytest.raises(TypeError, match="not used"):
        t("words.did_you_mean", "en", choice="a", line=2)
    with pytest.raises(TypeError, match="not used"):
        t("words.no_owner", "en", n=1)
    with pytest.raises(TypeError, match="str or int"):
        t("words.did_you_mean", "en", choice=1.5)
    with pytest.raises(TypeError, match="str or int"):
        t("words.did_you_mean", "en", choice=True)
    with pytest.raises(ValueError):
        t("words.no_owner", "fr")


def test_filler_fills_as_t_does_and_checks_the_same():
    row = i18n.filler("text.row", "zh")
    assert row(row=12) == t("text.row", "zh", row="12") == t("text.row", "zh", row=12)
    assert i18n.filler("duplicate.more", "en")(more=3) == t("duplicate.more", "en", more=3)
    with pytest.raises(LookupError):
        i18n.filler("text.no_such_key", "en")
    with pytest.raises(ValueError):
        i18n.filler("text.row", "fr")
    with pytest.raises(TypeError, match="not used"):
        row(row=1, line=2)
    with pytest.raises(TypeError, match="str or int"):
        row(row=1.5)
    with pytest.raises(TypeError, match="plural"):
        i18n.filler("text.rep_deals", "en")


def test_plural_forms_follow_n(tmp_path, monkeypatch):
    path = tmp_path / "catalogue.yaml"
    path.write_text('a:\n  errors: {zh: "{n} 个错误", en: {one: "{n} error", other: "{n} errors"}}\n'
                    '  done: {zh: "完成", en: {one: "one done", other: "all done"}}\n', "utf-8")
    monkeypatch.setattr(i18n, "_RAW", i18n.read_catalogue(path))
    monkeypatch.setattr(i18n, "_COMPILED", {})
    assert t("a.errors", "en", n=1) == "1 error"
    assert t("a.errors", "en", n=0) == "0 errors"
    assert t("a.errors", "zh", n=1) == "1 个错误"
    assert t("a.done", "en", n=3) == "all done"  # n picks the form and need not be printed
    with pytest.raises(TypeError):
        t("a.errors", "en", n="1")
    with pytest.raises(TypeError, match="missing"):
        t("a.done", "en")


def test_both_is_english_then_chinese_on_one_line():
    assert both("lang.expected") == "expected zh or en / 只能是 zh 或 en"
    assert in_both(lambda lang: t("list.items", lang).join(["a", "b"])) == "a, b / a、b"


def test_texts_gives_a_section_without_placeholders_and_takes_overrides():
    words = i18n.texts("words", "en")
    assert words["no_owner"] == "(no owner)" and "did_you_mean" not in words
    mine = i18n.texts("words", "zh", overrides={"no_owner": "未分配", "team": "华东一组"})
    assert mine["no_owner"] == "未分配" and mine["team"] == "华东一组" and mine["yes"] == "是"


# ---- a broken catalogue ----------------------------------------------------------------------


@pytest.mark.parametrize(
    "body, problem",
    [
        ('a:\n  b: {zh: "中文"}\n', "expected"),
        ('a:\n  b: {zh: "{x} 中文", en: "english"}\n', "does not print"),
        ('a:\n  b: {zh: "中文 {", en: "english {"}\n', "brace"),
        ('a:\n  b: {zh: "一", en: "one"}\n  b: {zh: "二", en: "two"}\n', "duplicate"),
        ('a:\n  yes: {zh: "是", en: "yes"}\n', "plain name"),
        ('a:\n  b: {zh: "一", en: {one: "one"}}\n', "plural"),
        ('a:\n  b: {zh: "", en: "one"}\n', "expected a text"),
        ('a:\n  b: {zh: "{x}", en: "x", unprinted: {en: x}}\n', "unprinted"),
    ],
)
def test_a_broken_catalogue_is_refused(tmp_path, body, problem):
    path = tmp_path / "catalogue.yaml"
    path.write_text(body, encoding="utf-8")
    with pytest.raises(CatalogueError, match=problem):
        load_catalogue(path)


def test_a_value_left_out_on_purpose_is_still_required(tmp_path):
    path = tmp_path / "catalogue.yaml"
    path.write_text('a:\n  b: {zh: "{label}（{name}）", en: "{name}", unprinted: {en: [label]}}\n', "utf-8")
    entry = load_catalogue(path)["a.b"]
    assert entry.params == {"label", "name"}


# ---- the language of a run ---------------------------------------------------------------------


def test_parse_lang_is_the_one_check():
    assert parse_lang(None) is None
    assert parse_lang("zh") == "zh" and parse_lang("en") == "en"
    with pytest.raises(ConfigError, match=r"--lang 'fr': expected zh or en / 只能是 zh 或 en"):
        parse_lang("fr")
    with pytest.raises(ConfigError, match="^x.yaml:3: lang 1:"):
        parse_lang(1, option="x.yaml:3: lang")
    with pytest.raises(ConfigError) as caught:
        parse_lang("z" * 10_000)
    assert len(str(caught.value)) < 200


def test_config_lang_goes_through_parse_lang(tmp_path):
    from pipeaudit.config import load_config

    cfg = tmp_path / "pipeaudit.yaml"
    cfg.write_text("date_order: dmy\nlang: ZH\n", encoding="utf-8")
    with pytest.raises(ConfigError, match=r"pipeaudit.yaml:2: lang 'ZH': expected zh or en / 只能是 zh 或 en"):
        load_config(cfg)
    cfg.write_text("lang: en\n", encoding="utf-8")
    assert load_config(cfg).lang == "en"


@pytest.mark.parametrize(
    "env, configured, expected",
    [
        ({}, None, "en"),
        ({}, "zh", "zh"),
        ({"LANG": "zh_CN.UTF-8"}, None, "zh"),
        ({"LANG": "zh_CN.UTF-8"}, "en", "en"),
        ({"LC_ALL": "zh_TW.UTF-8", "LANG": "en_US.UTF-8"}, None, "zh"),
        ({"LC_ALL": "C", "LANG": "zh_CN.UTF-8"}, None, "en"),
        ({"LC_MESSAGES": "zh_CN", "LANG": "C.UTF-8"}, None, "zh"),
        ({"LANG": "C.UTF-8"}, None, "en"),
    ],
)
def test_default_lang_config_then_locale_then_english(monkeypatch, env, configured, expected):
    for name in ("LC_ALL", "LC_MESSAGES", "LANG"):
        monkeypatch.delenv(name, raising=False)
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    assert default_lang(configured) == expected


def test_rules_list_follows_config_then_locale(tmp_path, monkeypatch):
    from typer.testing import CliRunner

    from pipeaudit.cli import app

    monkeypatch.chdir(tmp_path)  # no pipeaudit.yaml found upwards
    for name in ("LC_ALL", "LC_MESSAGES", "LANG"):
        monkeypatch.delenv(name, raising=False)
    runner = CliRunner()

    def heading(*args, env=None):
        out = runner.invoke(app, ["rules", "list", *args], env=env)
        assert out.exit_code == 0, out.output
        return out.output.split()[0]

    assert heading() == "rule"
    assert heading(env={"LANG": "zh_CN.UTF-8"}) == "规则"
    assert heading("--lang", "en", env={"LANG": "zh_CN.UTF-8"}) == "rule"
    (tmp_path / "pipeaudit.yaml").write_text("lang: en\n", encoding="utf-8")
    assert heading(env={"LANG": "zh_CN.UTF-8"}) == "rule"
    (tmp_path / "pipeaudit.yaml").write_text("lang: zh\n", encoding="utf-8")
    assert heading() == "规则"
    shown = runner.invoke(app, ["rules", "show", "no-insider"], env={"LANG": "zh_CN.UTF-8"})
    assert "为什么重要" in shown.output


def test_plan_follows_config_then_locale(tmp_path, monkeypatch):
    from typer.testing import CliRunner

    from pipeaudit.cli import app

    monkeypatch.chdir(tmp_path)
    for name in ("LC_ALL", "LC_MESSAGES", "LANG"):
        monkeypatch.delenv(name, raising=False)
    runner = CliRunner()

    def title(*args, env=None):
        out = runner.invoke(app, ["plan", "--target", "800000", "--avg-deal", "100000", *args], env=env)
        assert out.exit_code == 0, out.output
        return out.output.split()[0]

    assert title() == "target"
    assert title(env={"LANG": "zh_CN.UTF-8"}) == "目标"
    assert title("--lang", "en", env={"LANG": "zh_CN.UTF-8"}) == "target"
    (tmp_path / "pipeaudit.yaml").write_text("lang: zh\n", encoding="utf-8")
    assert title() == "目标"


@pytest.mark.parametrize("command", [["check", "x.csv"], ["hook", "x.csv"], ["plan", "--target", "1", "--avg-deal", "1"],
                                     ["rules", "list"],
                                     ["rules", "show", "no-insider"], ["rules", "fields"]])
def test_every_lang_option_says_the_same(command):
    from typer.testing import CliRunner

    from pipeaudit.cli import app

    out = CliRunner().invoke(app, [*command, "--lang", "fr"])
    assert out.exit_code == 2
    assert "--lang 'fr': expected zh or en / 只能是 zh 或 en" in out.output


def test_help_does_not_read_the_catalogue():
    code = (
        "import sys\n"
        "from pipeaudit.cli import app\n"
        "try:\n"
        "    app(['check', '--help'], prog_name='pipeaudit')\n"
        "except SystemExit:\n"
        "    pass\n"
        "import pipeaudit.i18n as i18n\n"
        "print('READ' if i18n._RAW is not None else 'UNREAD', 'yaml' in sys.modules)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    assert out.stdout.split()[-2:] == ["UNREAD", "False"], out.stdout[-300:]
