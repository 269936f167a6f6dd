"""The `matches_any` operator: does a text hold one of a list of phrases or small patterns?

A vague next step is rarely a single word: "sync soon", "waiting on legal", "touch base after the
holidays", "ping them", 跟进中, 等客户回复. `contains_any` catches exact words; this operator
catches phrases at word boundaries and patterns with a tiny, safe wildcard form:

    *   up to 40 characters of anything      "touch base after *", "等*回复"
    #   a number (1 to 6 digits)             "#/#", "#月#日"
    ?   exactly one character

Everything else is literal. Nobody writes a regular expression: each entry is escaped and turned
into one here, matched by RE2 (pyarrow), whose run time is linear in the text, so no entry and no
cell can make matching blow up. Long lists are matched in batches of alternatives, never one giant
expression. Text is compared after NFKC (full-width letters become half-width), lower case and
single spaces; a Latin letter or digit at either end of an entry must not touch another one in the
text ("ping them" does not match "mapping them"). Work is done once per distinct value.
"""

from __future__ import annotations

import re
from typing import Any

from pipeaudit.arrowtext import arrow_of
from pipeaudit.engine.columns import TEXT_KINDS, Env, ParamRef, factorized, false_mask
from pipeaudit.engine.parsing import Node, Operator, field_arg, mapping_arg, text_list_arg
from pipeaudit.errors import RuleError
from pipeaudit.i18n import Lang, both, in_both, t

MAX_ENTRY_CHARS = 100
MAX_STARS = 3
MAX_ENTRIES = 2000
STAR_SPAN = 40
_BATCH_ALTERNATIVES = 100
_BATCH_CHARS = 4000
_ALNUM = re.compile(r"[a-z0-9#]")
_WORD_BEFORE = "(?:^|[^a-z0-9])"
_WORD_AFTER = "(?:[^a-z0-9]|$)"


def _normalise(text: str) -> str:
    import unicodedata

    return " ".join(unicodedata.normalize("NFKC", text).lower().split())


def entry_problem(text: str, kind: str, lang: Lang = "en") -> str | None:
    """Why a phrase or pattern cannot be used (in `lang`: a rule pack's errors are English), or None."""
    norm = _normalise(text)
    if not norm:
        return t("phrases.empty", lang, kind=kind)
    if len(norm) > MAX_ENTRY_CHARS:
        return t("phrases.too_long", lang, kind=kind, limit=MAX_ENTRY_CHARS)
    if kind == "pattern":
        if norm.count("*") > MAX_STARS:
            return t("phrases.too_many_stars", lang, limit=MAX_STARS)
        literal = re.sub(r"[*#? ]", "", norm)
        if not literal:
            return t("phrases.no_literal", lang)
    return None


def _regex(text: str, kind: str) -> str:
    """One entry as an RE2 expression over normalised text."""
    norm = _normalise(text)
    if kind == "phrase":
        body = re.escape(norm)
    else:
        parts = []
        for ch in norm:
            if ch == "*":
                parts.append(f".{{0,{STAR_SPAN}}}")
            elif ch == "#":
                parts.append("[0-9]{1,6}")
            elif ch == "?":
                parts.append(".")
            else:
                parts.append(re.escape(ch))
        body = "".join(parts)
    head = _WORD_BEFORE if _ALNUM.match(norm[0]) else ""
    tail = _WORD_AFTER if _ALNUM.match(norm[-1]) else ""
    return f"{head}{body}{tail}"


def compile_batches(phrases: list[str], patterns: list[str]) -> list[str]:
    """The entries as a few alternations, each at most _BATCH_ALTERNATIVES entries / _BATCH_CHARS chars."""
    batches: list[str] = []
    current: list[str] = []
    size = 0
    for kind, entries in (("phrase", phrases), ("pattern", patterns)):
        if len(entries) > MAX_ENTRIES:
            raise RuleError("matches_any: " + both("phrases.too_many", kind=kind, limit=MAX_ENTRIES))
        for text in entries:
            if entry_problem(str(text), kind):
                raise RuleError(f"matches_any: {kind} {str(text)[:60]!r}: " + in_both(
                    lambda lang: t("phrases.unusable", lang, problem=entry_problem(str(text), kind, lang) or "")
                ))
            rx = _regex(str(text), kind)
            if current and (len(current) >= _BATCH_ALTERNATIVES or size + len(rx) > _BATCH_CHARS):
                batches.append("|".join(current))
                current, size = [], 0
            current.append(f"(?:{rx})")
            size += len(rx) + 5
    if current:
        batches.append("|".join(current))
    return batches


def _p_matches(arg: Any, container: Any, ctx: Any, op: str) -> Node:
    spec = mapping_arg(arg, ctx, container, op, op, {"field"}, {"phrases", "patterns"})
    if "phrases" not in spec and "patterns" not in spec:
        raise ctx.fail(container, op, f"'{op}' needs 'phrases' and/or 'patterns'")
    name = field_arg(spec["field"], ctx, spec, "field", TEXT_KINDS)
    args = {}
    for key, kind in (("phrases", "phrase"), ("patterns", "pattern")):
        if key not in spec:
            continue
        value = text_list_arg(spec[key], ctx, spec, key)
        entries = ctx.params[value.name] if isinstance(value, ParamRef) else value
        if len(entries) > MAX_ENTRIES:
            raise ctx.fail(spec, key, f"'{key}' lists more than {MAX_ENTRIES} entries")
        for entry in entries:
            problem = entry_problem(str(entry), kind)
            if problem:
                raise ctx.fail(spec, key, f"{kind} {str(entry)[:60]!r}: {problem}")
        args[key] = value
    return Node(op, (name,), args)


def op_matches_any(node: Node, env: Env):
    import numpy as np
    import pyarrow.compute as pc

    name = node.fields[0]
    if not env.has(name):
        return false_mask(env)
    phrases = [str(v) for v in env.value(node.args["phrases"])] if "phrases" in node.args else []
    patterns = [str(v) for v in env.value(node.args["patterns"])] if "patterns" in node.args else []
    key = ("matches_any", name, tuple(phrases), tuple(patterns))
    if key in env.cache:
        return env.cache[key]
    codes, text = _normalised(env, name)
    hit = np.zeros(len(text), dtype=bool)
    for rx in compile_batches(phrases, patterns):
        hit |= pc.fill_null(pc.match_substring_regex(text, rx), False).to_numpy(zero_copy_only=False)
    out = np.append(hit, False)[codes]  # code -1 (blank) is never a match
    env.cache[key] = out
    return out


def _normalised(env: Env, name: str):
    """(codes, the distinct values NFKC, lower case, single spaces, as Arrow text), once per run."""
    key = ("matches_any_text", name)
    if key not in env.cache:
        import pyarrow as pa
        import pyarrow.compute as pc

        codes, uniques = factorized(env, name)
        text = arrow_of(uniques.array).cast(pa.large_string())  # Arrow-backed str: no Python string made
        text = pc.utf8_normalize(text, "NFKC")
        text = pc.utf8_trim_whitespace(pc.replace_substring_regex(pc.utf8_lower(text), r"\s+", " "))
        env.cache[key] = (codes, text)
    return env.cache[key]


MATCHES_ANY = Operator(
    "matches_any", _p_matches, op_matches_any,
    "the text holds one of `phrases` (at word edges) or `patterns` (* up to 40 characters, # a number, ? one character)",
    example='{matches_any: {field: next_step, phrases: [sync soon, 跟进中], patterns: ["touch base after *", "等*回复"]}}',
)
