"""Rule texts filled for each finding: one placeholder filler and one value formatter.

Every message and question of every rule, for a deal, a rep or the whole export, is filled here,
so a value prints the same everywhere: dates ISO, amounts with thousands separators, probabilities
as a percentage, phases by name, yes/no in words. Placeholders come from (in this order) the values
a check computed, the rule's params, the age of the rule's date, and the deal's own columns.

Work is done once per distinct value: a column is factorized, its distinct values formatted, and
each distinct combination of placeholder values joined once, so a rule hitting a million deals
builds a handful of strings. Data never reaches a format string.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from pipeaudit.arrowtext import arrow_text
from pipeaudit.engine.columns import days_from, Env, KIND_OF, text_codes, TEXT_KINDS
from pipeaudit.engine.parsing import ParseContext
from pipeaudit.i18n import t
from pipeaudit.model import PHASES
from pipeaudit.yamlsafe import clip, did_you_mean

if TYPE_CHECKING:
    import numpy as np
    import pandas as pd


@dataclass(frozen=True)
class Template:
    """A message split once into literal text and placeholders; filled by concatenation, never str.format."""

    text: str
    parts: tuple[tuple[bool, str], ...]  # (is_placeholder, literal-or-name)

    @property
    def names(self) -> set[str]:
        return {p for is_ph, p in self.parts if is_ph}


def parse_template(text: Any, ctx: ParseContext, container: Any, key: Any, allowed: set[str]) -> Template:
    if not isinstance(text, str) or not text.strip():
        raise ctx.fail(container, key, f"'{clip(key)}' must be non-empty text")
    parts: list[tuple[bool, str]] = []
    pos = 0
    for m in re.finditer(r"\{([^{}]*)\}", text):
        if m.start() > pos:
            parts.append((False, text[pos:m.start()]))
        name = m.group(1).strip()
        if name not in allowed:
            raise ctx.fail(container, key, f"unknown placeholder '{{{name}}}'{did_you_mean(name, allowed)}")
        parts.append((True, name))
        pos = m.end()
    if pos < len(text):
        parts.append((False, text[pos:]))
    for is_ph, lit in parts:
        if not is_ph and ("{" in lit or "}" in lit):
            raise ctx.fail(container, key, "unbalanced '{' or '}' in the text")
    return Template(text, tuple(parts))

_DASH = "—"


def _format_values(s: "pd.Series", name: str, kind: str, lang: str):
    """Display text of the values in `s` as an Arrow string array: dates ISO, amounts with separators."""
    import numpy as np
    import pandas as pd
    import pyarrow as pa

    if name == "phase":
        labels = np.array([_DASH, *(t("phase." + p, lang) for p in PHASES)], dtype=object)
        codes = s.astype("Float64").fillna(0).to_numpy(dtype=np.int64).clip(0, len(PHASES))
        return pa.array(labels[codes], type=pa.string())
    if kind == "date":
        ts = pa.array(pd.to_datetime(s, errors="coerce").to_numpy(dtype="datetime64[ns]"), from_pandas=True)
        return ts.cast(pa.date32()).cast(pa.string())  # ISO YYYY-MM-DD, in C
    if kind in ("amount", "probability", "count"):
        num = pd.to_numeric(s, errors="coerce").astype(float)
        if kind == "probability":
            num = (num * 100).round(0)
            fmt = lambda v: f"{v:.0f}%"  # noqa: E731
        elif kind == "count":
            fmt = lambda v: f"{v:.0f}"  # noqa: E731
        else:
            fmt = lambda v: f"{v:,.0f}" if v == int(v) else f"{v:,.2f}"  # noqa: E731
        # Our own format string on a float, once per distinct value: never on data text.
        codes, uniques = pd.factorize(num, use_na_sentinel=True)
        table = np.array([*(fmt(float(v)) for v in uniques), None], dtype=object)
        return pa.array(table[codes], type=pa.string())
    if kind == "bool":
        words = (t("words.yes", lang), t("words.no", lang))
        b = s.astype("boolean")
        arr = np.where(b.to_numpy(dtype=bool, na_value=False), words[0], words[1]).astype(object)
        arr[b.isna().to_numpy()] = None
        return pa.array(arr, type=pa.string())
    return arrow_text(s.to_numpy(dtype=object, na_value=None), pa.string())


def formatted_labels(env: Env, name: str, lang: str) -> tuple["np.ndarray", Any]:
    """(codes per deal, display texts as an Arrow string array): texts[codes] is the column as
    shown in messages, "—" when blank.

    The column is factorized and only its distinct values are formatted, once per run.
    """
    import numpy as np
    import pandas as pd
    import pyarrow.compute as pc

    key = ("labels", name, lang)
    if key in env.cache:
        return env.cache[key]
    n = len(env.frame)
    if name not in env.frame.columns:
        out = (np.zeros(n, dtype=np.int64), np.array([_DASH], dtype=object))
    else:
        codes, uniques = _column_codes(env, name)
        # The distinct values plus one missing value, in the column's own dtype, formatted as a column.
        distinct = pd.Series(uniques).reindex(range(len(uniques) + 1))
        texts = pc.fill_null(_format_values(distinct, name, KIND_OF.get(name, "text"), lang), _DASH)
        # kept as Arrow text: fill joins it in Arrow, so a column of a million names never
        # becomes a million Python strings
        out = (np.where(codes < 0, len(uniques), codes), texts)
    env.cache[key] = out
    return out


def _column_codes(env: Env, name: str):
    """(codes, distinct values) of a Deals column, code -1 = missing, once per run.

    Text columns come from the engine's text codes (shared objects, no hashing of strings); other
    columns from pd.factorize. Distinct values may repeat a text, which formatting tolerates.
    """
    key = ("codes", name)
    if key not in env.cache:
        import pandas as pd

        found = text_codes(env, name) if KIND_OF.get(name, "text") in TEXT_KINDS else None
        if found is not None:
            codes, distinct = found
            env.cache[key] = (codes, pd.Index(distinct, dtype=object))
        else:
            env.cache[key] = pd.factorize(env.frame[name], use_na_sentinel=True)
    return env.cache[key]


def param_text(value: Any) -> str:
    """A rule param as text in a message: 20.0 as 20, a list as 'a, b'."""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, list):
        return ", ".join(map(str, value))
    return str(value)


def _coded(values, texts_of) -> tuple["np.ndarray", "np.ndarray"]:
    """(codes, texts) for per-hit values: factorized, then `texts_of` turns the distinct values
    (plus one missing value at the end) into an Arrow string array."""
    import numpy as np
    import pandas as pd
    import pyarrow.compute as pc

    codes, uniques = pd.factorize(values, use_na_sentinel=True)
    distinct = np.empty(len(uniques) + 1, dtype=object if getattr(values, "dtype", None) == object else float)
    distinct[:-1] = np.asarray(uniques)
    distinct[-1] = None if distinct.dtype == object else np.nan
    texts = pc.fill_null(texts_of(distinct), _DASH).to_numpy(zero_copy_only=False)
    return np.where(codes < 0, len(uniques), codes), texts


def fill(template: Template, env: Env, n: int, pos: "np.ndarray | None", extras: dict, lang: str, age_field: str | None = None):
    """The filled template per hit as (codes, texts): texts[codes] is the text of each hit.

    `n` hits; `age_field` is the date {age_days} and friends count from; `pos` gives each hit's deal (a row of env.frame), or is None for hits about a rep or
    the whole export, whose deal placeholders show as "—". Each placeholder becomes (codes per
    hit, texts); the distinct combinations of codes are joined once (pyarrow, element-wise), so
    each distinct text is one str. Data never reaches a format string.
    """
    import numpy as np
    import pandas as pd
    import pyarrow as pa
    import pyarrow.compute as pc

    parts: list[Any] = []  # literal str, or (codes per hit, texts)
    for is_ph, part in template.parts:
        if not is_ph:
            parts.append(part)
        elif part in extras:
            values = np.asarray(extras[part], dtype=object)
            parts.append(_coded(values, lambda u: arrow_text(u, pa.string())))
        elif part in env.params:
            parts.append(param_text(env.params[part]))
        elif pos is None:  # a rep or the whole export: no deal to read
            parts.append(_DASH)
        elif part in ("age_days", "age_weeks", "until_days", "until_weeks"):
            days = days_from(env, age_field)[pos]

            def whole_text(u, part=part):
                if part.startswith("until"):
                    u = -u
                if part.endswith("weeks"):
                    u = u / 7
                whole = pa.array(np.floor(u), from_pandas=True).cast(pa.int64())
                return pc.cast(whole, pa.string())

            parts.append(_coded(days, whole_text))
        else:
            codes, texts = formatted_labels(env, part, lang)
            parts.append((codes[pos], texts))
    coded = [p for p in parts if not isinstance(p, str)]
    if not coded:  # only literals: one text for all hits
        return np.zeros(n, dtype=np.int32), np.array(["".join(parts)], dtype=object)
    # One code per distinct combination of placeholder values (pairwise, so keys never overflow).
    key = coded[0][0].astype(np.int64)
    for codes, texts in coded[1:]:
        key, distinct = pd.factorize(key * len(texts) + codes)
        key = key.astype(np.int64)
    combo, firsts = pd.factorize(key)
    first = np.empty(len(firsts), dtype=np.int64)
    first[combo[::-1]] = np.arange(n - 1, -1, -1)  # the first hit with each combination
    columns = []
    for p in parts:
        if isinstance(p, str):
            columns.append(p)
        elif isinstance(p[1], pa.Array):  # a column's labels (formatted_labels)
            columns.append(p[1].take(pa.array(p[0][first])))
        else:
            columns.append(arrow_text(p[1][p[0][first]], pa.string()))
    if len(columns) == 1:
        joined = columns[0]
    else:
        joined = pc.binary_join_element_wise(*columns, "")
    return combo.astype(np.int32), joined.to_numpy(zero_copy_only=False)


def combine_texts(filled: list[tuple["np.ndarray", "np.ndarray"]]) -> tuple["np.ndarray", "np.ndarray"]:
    """Several filled texts per hit (each as fill's (codes, texts)) as one tuple of texts per hit.

    Returned the same way, (codes, tuples): one tuple object per distinct combination, so the
    questions of a rule hitting a million deals are a handful of tuples, not a million.
    """
    import numpy as np
    import pandas as pd

    key = filled[0][0].astype(np.int64)
    for codes, texts in filled[1:]:
        key, _ = pd.factorize(key * len(texts) + codes)
        key = key.astype(np.int64)
    combo, firsts = pd.factorize(key)
    n = len(combo)
    first = np.empty(len(firsts), dtype=np.int64)
    first[combo[::-1]] = np.arange(n - 1, -1, -1)  # the first hit with each combination
    tuples = np.empty(len(firsts), dtype=object)
    for k, at in enumerate(first.tolist()):
        tuples[k] = tuple(texts[codes[at]] for codes, texts in filled)
    return combo.astype(np.int32), tuples
