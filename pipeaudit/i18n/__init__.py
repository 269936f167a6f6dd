"""Every fixed text pipeaudit shows a person, in Chinese and English, looked up in one catalogue.

Why one catalogue: bilingual words used to sit in per-module dicts and branches on the language, each
module filling its placeholders its own way, so a renamed word or a forgotten language passed
unnoticed. Here a text is named by a key ("text.no_findings") and `t(key, lang, **values)` returns it
in one language; `both(key, **values)` gives the one-line "english / 中文" form for messages written
before a language is known (errors, notes that go to every reader), and `in_both(text)` the same for
a message whose values differ by language (a list joined with 、 or with a comma).

The catalogue is catalogue.yaml beside this file: `section: {key: {zh: ..., en: ...}}`, looked up as
"section.key". It is parsed on the first lookup, not at import, so `pipeaudit --help` never pays
for it. Rules of a text:

- A placeholder is `{name}` (a Python identifier). Values are str or int; they are joined in by
  concatenation, never by str.format, so data can never act as a format string. Any other brace
  is an error in the catalogue, as in a rule's message.
- Both languages print the same placeholders. An entry may name, under `unprinted: {en: [...]}`,
  values one language leaves out on purpose (and say why in a comment).
- A language may give plural forms, `{one: ..., other: ...}`; the entry then takes an int `n`,
  which picks `one` when n == 1 and need not be printed.
- An unknown key, a missing value or a value the text has no use for raises at once: a rename in
  the code or the catalogue breaks loudly, in the test suite, not quietly in front of a user.

A whole section of placeholder-free texts can be had at once with `texts(section, lang)`, and a
caller may lay its own words over it: that is how a user's `--templates DIR/report_labels.yaml`
replaces any of the report's labels (section `report`).
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Literal, Mapping, Union

from pipeaudit.errors import ConfigError

Lang = Literal["zh", "en"]
LANGS: tuple[Lang, ...] = ("zh", "en")

CATALOGUE = Path(__file__).resolve().parent / "catalogue.yaml"

_PLACEHOLDER = re.compile(r"\{([A-Za-z_][A-Za-z0-9_]*)\}")
_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_PLURAL_FORMS = ("one", "other")
_ENTRY_KEYS = {"zh", "en", "unprinted"}


# ---- the language of a run ---------------------------------------------------------------


def parse_lang(value: object, option: str = "--lang") -> Lang | None:
    """The one check of a language given by a person (--lang, a config's `lang:`); None stays None.

    `option` names where the value came from in the error, e.g. "--lang" or "pipeaudit.yaml:3: lang".
    """
    if value is None:
        return None
    if isinstance(value, str) and value in LANGS:
        return value  # type: ignore[return-value]
    shown = repr(value) if isinstance(value, (str, int, float)) else f"<{type(value).__name__}>"
    shown = shown if len(shown) <= 60 else shown[:59] + "…"  # a hostile config's value, cut
    raise ConfigError(f"{option} {shown}: " + both("lang.expected"))


def default_lang(configured: str | None = None) -> Lang:
    """The language of a command that has no export to take one from (rules list/show/fields, plan):
    the config's `lang:`, else the locale (LC_ALL, LC_MESSAGES, LANG: the first one set decides;
    zh_CN.UTF-8 and the like mean Chinese), else English."""
    if configured in LANGS:
        return configured  # type: ignore[return-value]
    for name in ("LC_ALL", "LC_MESSAGES", "LANG"):
        value = os.environ.get(name)
        if value:
            return "zh" if value.lower().startswith("zh") else "en"
    return "en"


# ---- the catalogue -----------------------------------------------------------------------


@dataclass(frozen=True)
class _Form:
    """One text split once into literals and placeholder names."""

    parts: tuple[tuple[bool, str], ...]  # (is_placeholder, literal or name)
    names: frozenset[str]

    def fill(self, values: Mapping[str, str | int]) -> str:
        if not self.names:
            return self.parts[0][1] if self.parts else ""
        return "".join(str(values[p]) if is_name else p for is_name, p in self.parts)


_Text = Union[_Form, dict[str, _Form]]  # a plural text: {"one": ..., "other": ...}


@dataclass(frozen=True)
class _Entry:
    texts: dict[str, _Text]  # lang -> text
    params: frozenset[str]  # the values t() must be given, no more, no fewer
    plural: bool


class CatalogueError(Exception):
    """The shipped catalogue is broken: a bug of pipeaudit, never a user's mistake."""


def _split(text: object, where: str) -> _Form:
    """Literals and {placeholders}, once, so filling is a join (the rule templates split the same way)."""
    if not isinstance(text, str) or not text:
        raise CatalogueError(f"{where}: expected a text, got {text!r}")
    parts: list[tuple[bool, str]] = []
    pos = 0
    for m in _PLACEHOLDER.finditer(text):
        if m.start() > pos:
            parts.append((False, text[pos:m.start()]))
        parts.append((True, m.group(1)))
        pos = m.end()
    if pos < len(text):
        parts.append((False, text[pos:]))
    if any(not is_name and ("{" in p or "}" in p) for is_name, p in parts):
        raise CatalogueError(f"{where}: a brace that is not a {{placeholder}}: {text!r}")
    return _Form(tuple(parts), frozenset(p for is_name, p in parts if is_name))


def _compile(key: str, raw: object) -> _Entry:
    """Split an entry's texts and check that both languages take the same values."""
    if not isinstance(raw, dict) or not {"zh", "en"} <= set(raw) or not set(raw) <= _ENTRY_KEYS:
        raise CatalogueError(f"{key}: expected {{zh: ..., en: ...}} (and optionally unprinted:)")
    unprinted = raw.get("unprinted") or {}
    if (
        not isinstance(unprinted, dict) or not set(unprinted) <= set(LANGS)
        or not all(isinstance(v, list) and all(isinstance(n, str) for n in v) for v in unprinted.values())
    ):
        raise CatalogueError(f"{key}: 'unprinted' maps a language to a list of the values it leaves out")
    texts: dict[str, _Text] = {}
    printed: dict[str, list[frozenset[str]]] = {}
    for lang in LANGS:
        value = raw[lang]
        if isinstance(value, dict):
            if set(value) != set(_PLURAL_FORMS):
                raise CatalogueError(f"{key}.{lang}: plural forms are exactly 'one' and 'other'")
            forms = {form: _split(value[form], f"{key}.{lang}.{form}") for form in _PLURAL_FORMS}
            texts[lang] = forms
            printed[lang] = [f.names for f in forms.values()]
        else:
            form = _split(value, f"{key}.{lang}")
            texts[lang] = form
            printed[lang] = [form.names]
    plural = any(isinstance(v, dict) for v in texts.values())
    params = frozenset().union(*(names for lang in LANGS for names in printed[lang]))
    params |= {"n"} if plural else set()
    for lang in LANGS:
        left_out = set(unprinted.get(lang) or ()) | ({"n"} if plural else set())
        for names in printed[lang]:
            if names | left_out != params:
                missing = sorted(params - names - left_out)
                raise CatalogueError(
                    f"{key}.{lang}: does not print {', '.join('{' + m + '}' for m in missing)}"
                    " (print it, or list it under unprinted: with the reason)"
                )
    return _Entry(texts, params, plural)


def _yaml_loader() -> type:
    """PyYAML's safe loader (libyaml's when built with it) that refuses a key given twice."""
    import yaml

    base: Any = getattr(yaml, "CSafeLoader", yaml.SafeLoader)

    class Loader(base):  # type: ignore[misc, valid-type]
        pass

    def mapping(loader: Any, node: Any) -> dict:
        out: dict = {}
        for key_node, value_node in node.value:
            key = loader.construct_object(key_node, deep=True)
            if key in out:
                raise CatalogueError(f"line {key_node.start_mark.line + 1}: duplicate key {key!r}")
            out[key] = loader.construct_object(value_node, deep=True)
        return out

    Loader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, mapping)
    return Loader


def read_catalogue(path: Path = CATALOGUE) -> dict[str, object]:
    """A catalogue file as "section.key" -> its raw {zh, en} mapping. Duplicate keys are refused.

    Read with its own small loader rather than pipeaudit.yamlsafe's: the catalogue is pipeaudit's own
    file, and yamlsafe's errors are themselves catalogue texts."""
    import yaml

    try:
        raw = yaml.load(path.read_text("utf-8"), Loader=_yaml_loader())  # noqa: S506 - SafeLoader's construction
    except CatalogueError as exc:
        raise CatalogueError(f"{path}: {exc}") from None
    except (OSError, yaml.YAMLError) as exc:
        raise CatalogueError(f"{path}: {exc}") from None
    if not isinstance(raw, dict):
        raise CatalogueError(f"{path}: expected sections of keys")
    out: dict[str, object] = {}
    for section, entries in raw.items():
        if not isinstance(entries, dict):
            raise CatalogueError(f"{path}: section {section!r} must map keys to texts")
        for name, entry in entries.items():
            # a bare yes/no/on/off is a YAML boolean, not the word
            if not all(isinstance(k, str) and _NAME.fullmatch(k) for k in (section, name)):
                raise CatalogueError(f"{path}: {section!r}.{name!r}: a key is a plain name (quote yes/no/on/off)")
            out[f"{section}.{name}"] = entry
    return out


def load_catalogue(path: Path = CATALOGUE) -> dict[str, _Entry]:
    """Every entry of a catalogue file, checked and compiled (the tests check the shipped one so)."""
    return {key: _compile(key, raw) for key, raw in read_catalogue(path).items()}


_RAW: dict[str, object] | None = None
_COMPILED: dict[str, _Entry] = {}


def _raw() -> dict[str, object]:
    """The shipped catalogue's raw entries, read once per process, on first use (never at import)."""
    global _RAW
    if _RAW is None:
        _RAW = read_catalogue()
    return _RAW


def _entry(key: str) -> _Entry:
    """Entry `key`, compiled when first looked up: a run uses a few dozen of some hundreds."""
    entry = _COMPILED.get(key)
    if entry is None:
        raw = _raw()
        if key not in raw:
            raise LookupError(f"i18n: no text {key!r} in the catalogue")
        entry = _COMPILED[key] = _compile(key, raw[key])
    return entry


def keys() -> list[str]:
    """Every key of the shipped catalogue, in file order."""
    return list(_raw())


# ---- looking texts up ----------------------------------------------------------------------


def _check_values(key: str, entry: _Entry, values: Mapping[str, object]) -> None:
    """The values a text is filled with: exactly its placeholders, each a str or an int."""
    if values.keys() != entry.params:
        missing, extra = sorted(entry.params - values.keys()), sorted(values.keys() - entry.params)
        raise TypeError(f"i18n: {key} takes {sorted(entry.params)}; missing {missing}, not used {extra}")
    for name, value in values.items():
        if not isinstance(value, (str, int)) or isinstance(value, bool):
            raise TypeError(f"i18n: {key}: value {name} must be str or int, not {type(value).__name__}")


def _checked_lang(lang: str) -> None:
    if lang not in LANGS:
        raise ValueError(f"i18n: language {lang!r} is not one of {', '.join(LANGS)}")


def t(key: str, lang: Lang, /, **values: str | int) -> str:
    """The text `key` in `lang`, its placeholders filled with `values` (str or int)."""
    entry = _entry(key)
    _checked_lang(lang)
    _check_values(key, entry, values)
    text = entry.texts[lang]
    if isinstance(text, dict):
        n = values["n"]
        if not isinstance(n, int):
            raise TypeError(f"i18n: {key}: n picks the plural form and must be an int")
        text = text["one" if n == 1 else "other"]
    return text.fill(values)


def filler(key: str, lang: Lang, /) -> Callable[..., str]:
    """t(key, lang, **values) as a function, for one text filled many times over (a check's text
    for a million findings): the key and language are looked up and checked once, each call checks
    its values as t() does and joins. Plural texts go through t(), which picks the form."""
    entry = _entry(key)
    _checked_lang(lang)
    text = entry.texts[lang]
    if isinstance(text, dict):
        raise TypeError(f"i18n: {key} has plural forms: fill it with t()")

    def fill(**values: str | int) -> str:
        _check_values(key, entry, values)
        return text.fill(values)

    return fill


def both(key: str, /, **values: str | int) -> str:
    """'english / 中文' on one line: for errors and notes written before a language is known."""
    return f"{t(key, 'en', **values)} / {t(key, 'zh', **values)}"


def in_both(text: Callable[[Lang], str]) -> str:
    """'english / 中文' of a message built once per language, when its values differ by language
    (a list joined with ", " or "、", a hint in each language): `in_both(lambda lang: t(...))`."""
    return f"{text('en')} / {text('zh')}"


def texts(section: str, lang: Lang, overrides: Mapping[str, str] | None = None) -> dict[str, str]:
    """Every placeholder-free text of `section` in `lang`, by the key's last part, with `overrides`
    (a caller's own words, e.g. a user's labels file, already in `lang`) laid over them: names the
    section has are replaced, new names added."""
    prefix = section + "."
    out = {key[len(prefix):]: t(key, lang) for key in keys() if key.startswith(prefix) and not _entry(key).params}
    out.update(overrides or {})
    return out
