"""Headers → canonical fields, in passes from surest to least sure, each saying how it decided.

1. config/--map overrides; 2. exact aliases; 3. CRM API field names (StageName, dealstage,
expected_close_date); 4. aliases ignoring spaces and punctuation; 5. the header's words
(deals/words.py: `opp_name`, `RepName`); 6. the column's values (deals/profile.py: unique ids,
names repeated across rows, won/lost words), for fields still unclaimed.

Never by substring: "Quote Amount" must not become `amount`, "Created By" must not become
`created`. One header maps to one field and one field takes one header. When two headers fit a
field equally well by their words or values, neither is taken and `undecided` says why.
No pandas here unless values are profiled: the reader calls the header scorer on candidate rows.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from pipeaudit.deals.aliases import ALIASES, API_NAMES, UNITS
from pipeaudit.errors import ConfigError
from pipeaudit.i18n import both, in_both, t
from pipeaudit.model import FIELDS, ColumnInfo

__all__ = [
    "ALIASES", "API_NAMES", "UNITS", "ColumnMap", "header_unit", "make_header_scorer", "map_columns",
    "normalise_header",
]

_SPACE = re.compile(r"\s+")
_UNIT_TAIL = re.compile(r"\s*[(\[【]\s*(?:单位\s*[:：]?\s*)?([^()\[\]【】]{1,8}?)\s*[)\]】]\s*$")
_LOOSE_DROP = re.compile(r"[\s_\-./:：·,()\[\]【】#*]+")


def _base(text: object) -> str:
    if text is None:
        return ""
    s = unicodedata.normalize("NFKC", str(text)).casefold()
    s = _SPACE.sub(" ", s).strip().strip("*").strip()
    return s.rstrip(":：").strip()


def header_unit(text: object) -> tuple[str, float | None]:
    """Split a trailing unit such as (万元) off a header: (rest, multiplier) or (text, None)."""
    s = _base(text)
    m = _UNIT_TAIL.search(s)
    if m:
        unit = m.group(1).strip()
        if unit in UNITS and m.start() > 0:
            return s[: m.start()].strip(), UNITS[unit]
    return s, None


def normalise_header(text: object) -> str:
    """Trim, casefold, full→half width, collapse spaces, and drop a unit suffix, for matching."""
    return header_unit(text)[0]


def _loose(norm: str) -> str:
    return _LOOSE_DROP.sub("", norm)


def _alias_tables() -> tuple[dict[str, tuple[str, int]], dict[str, tuple[str, int]]]:
    """(exact alias -> (field, rank), loose alias -> (field, rank)); rank 0 = most specific alias.

    Ranks let "Opportunity Owner" beat a plain "Owner" when an export carries both.
    """
    exact: dict[str, tuple[str, int]] = {}
    loose: dict[str, tuple[str, int]] = {}
    for name, spec in FIELDS.items():
        for rank, alias in enumerate((*ALIASES.get(name, ()), name, spec.zh, spec.en)):
            norm = normalise_header(alias)
            exact.setdefault(norm, (name, rank))
            loose.setdefault(_loose(norm), (name, rank))
    return exact, loose


_EXACT, _LOOSE = _alias_tables()
#: an API name, case-folded -> (field, confidence, "Salesforce StageName"). Matched as written
#: (any case): `created_at` is a warehouse's word pair, not 销售易's createdAt.
_API: dict[str, tuple[str, float, str]] = {}
for _name, _hit in API_NAMES.items():
    _API.setdefault(normalise_header(_name), _hit)

#: Word matches that never count towards choosing a header row: a data cell such as "Closed Won"
#: or "Open" reads as is_won/deal_status by its words, and one word ("Opportunity", "Closing") is
#: too little to tell a header from a value.
_NOT_FOR_SCORING = {"is_closed", "is_won", "deal_status"}


def _field_of(norm: str) -> str | None:
    if not norm:
        return None
    hit = _EXACT.get(norm) or _LOOSE.get(_loose(norm))
    if hit:
        return hit[0]
    api = _api_name(norm)
    return api[0] if api else None


_SYNC_PREFIX = re.compile(r"^(?:property_|properties[._]|props?[._])")


def _api_name(norm: str) -> tuple[str, float, str] | None:
    """An API name as written, or behind the prefix a sync tool adds (Fivetran's property_dealname,
    a flattened properties.dealstage)."""
    hit = _API.get(norm)
    if hit is None and _SYNC_PREFIX.match(norm):
        hit = _API.get(_SYNC_PREFIX.sub("", norm))
    return hit


def make_header_scorer(overrides: dict[str, str]) -> Callable[[Sequence[object]], int]:
    """How many distinct fields a candidate header row's cells name (aliases, API names, override
    headers, and confident word matches such as `opp_name`)."""
    from pipeaudit.deals.words import match_words

    extra = {normalise_header(h): f for f, h in (overrides or {}).items()}

    def score(cells: Sequence[object]) -> int:
        found: set[str] = set()
        for cell in cells:
            if cell is None or isinstance(cell, (int, float)) and not isinstance(cell, bool):
                continue  # numbers are data, not headers
            norm = normalise_header(cell)
            if not norm or len(norm) > 60:
                continue
            hit = extra.get(norm) or _field_of(norm)
            if hit is None:
                words = match_words(str(cell))
                if (words and words[0].confidence >= 0.8 and words[0].field not in _NOT_FOR_SCORING
                        and len(words[0].words) >= 2):
                    hit = words[0].field
            if hit:
                found.add(hit)
        return len(found)

    return score


@dataclass
class ColumnMap:
    """Which column each field comes from, how that was decided, and what was left over."""

    fields: dict[str, int] = field(default_factory=dict)  # field -> column index
    headers: dict[str, str] = field(default_factory=dict)  # field -> header text
    units: dict[str, float] = field(default_factory=dict)  # amount field -> multiplier from its header
    unmapped: list[str] = field(default_factory=list)  # headers no field took
    duplicates: list[str] = field(default_factory=list)  # headers naming a field already taken
    info: dict[str, ColumnInfo] = field(default_factory=dict)  # field -> how it was found
    undecided: list[tuple[str, str]] = field(default_factory=list)  # (header or field, why not mapped)
    why: dict[str, str] = field(default_factory=dict)  # unmapped header -> why it was left


def map_columns(headers: list[str], overrides: dict[str, str], cells=None) -> ColumnMap:
    """Assign headers to fields (see the module doc for the passes). With `cells` (the raw table's
    columns, same order as headers), fields still unclaimed are looked for in the values."""
    cm = ColumnMap()
    norms = [header_unit(h) for h in headers]
    taken: set[int] = set()

    for name, wanted in (overrides or {}).items():
        if name not in FIELDS:
            raise ConfigError("columns: " + both("deals.unknown_field", field=str(name)))
        target = normalise_header(wanted)
        idx = next(
            (i for i, h in enumerate(headers) if i not in taken and str(h).strip() == str(wanted).strip()),
            None,
        )
        if idx is None:
            idx = next((i for i, (n, _) in enumerate(norms) if i not in taken and n == target), None)
        if idx is None:
            other = next((f for f, i in cm.fields.items() if norms[i][0] == target), None)
            if other is not None:
                raise ConfigError(both("deals.mapped_twice", column=str(wanted), first=other, second=name))
            from pipeaudit.yamlsafe import did_you_mean

            shown = [str(h) for h in headers if str(h).strip()]
            raise ConfigError(in_both(lambda lang: t(
                "deals.no_such_column", lang, column=str(wanted), field=name, hint=did_you_mean(str(wanted), shown, lang)
            )) + f" ({both('deals.headers')}: {', '.join(shown[:30])})")
        _take(cm, name, idx, headers, norms, "config", 1.0, "")
        taken.add(idx)

    def exact(norm: str):
        hit = _EXACT.get(norm)
        return (hit[0], -hit[1], 1.0, "") if hit else None

    def api(norm: str):
        hit = _api_name(norm)
        return (hit[0], hit[1], hit[1], hit[2]) if hit else None

    def loose(norm: str):
        hit = _LOOSE.get(_loose(norm))
        return (hit[0], -hit[1], 0.95, "") if hit else None

    dup_of: dict[str, str] = {}  # duplicate header -> the field it repeats
    for lookup, how in ((exact, "alias"), (api, "api"), (loose, "alias")):
        best: dict[str, tuple[float, int, float, str]] = {}  # field -> (preference, column, confidence, detail)
        for i, (norm, _) in enumerate(norms):
            if i in taken or not norm:
                continue
            hit = lookup(norm)
            if hit is None:
                continue
            name, pref, conf, detail = hit
            if name in cm.fields:
                dup = i
            elif name not in best or pref > best[name][0]:
                dup = best[name][1] if name in best else None
                best[name] = (pref, i, conf, detail)
            else:
                dup = i
            if dup is not None:
                cm.duplicates.append(str(headers[dup]))
                dup_of[str(headers[dup])] = name
                taken.add(dup)
        for name, (_, i, conf, detail) in sorted(best.items(), key=lambda kv: kv[1][1]):
            _take(cm, name, i, headers, norms, how, conf, detail)
            taken.add(i)
    for header, name in dup_of.items():
        cm.why[header] = _already(name, cm)

    _by_words(cm, headers, norms, taken)
    if cells is not None:
        from pipeaudit.deals.profile import map_by_values

        for name, i, conf, detail in map_by_values(set(cm.fields), cm.undecided, headers, cells, taken):
            _take(cm, name, i, headers, norms, "values", conf, detail)
            taken.add(i)

    used = set(cm.fields.values())
    cm.unmapped = [str(h) for i, h in enumerate(headers) if i not in used and norms[i][0]]  # blank headers name nothing
    for h in list(cm.why):
        if h not in cm.unmapped:
            del cm.why[h]
    return cm


def _already(name: str, cm: ColumnMap, reads_as: bool = False) -> str:
    """Why a header was left: its field came from another header (and this one reads as it too)."""
    return both("deals.reads_as_taken" if reads_as else "deals.taken", field=name, header=str(cm.headers[name]))


def _by_words(cm: ColumnMap, headers: list[str], norms, taken: set[int]) -> None:
    """Pass 5: headers matched by their words; a tie between two headers (or two fields) decides nothing."""
    from pipeaudit.deals.words import match_words

    candidates: list[tuple[float, int, str, str]] = []  # (confidence, column, field, words)
    for i, h in enumerate(headers):
        if i in taken or not norms[i][0]:
            continue
        found = match_words(str(h))
        if not found:
            continue
        top = found[0].confidence
        tied = [m for m in found if m.confidence == top]
        if len(tied) > 1:
            fields = " / ".join(m.field for m in tied)
            cm.undecided.append((str(h), both("deals.words_tie", fields=fields)))
            continue
        for m in found:
            candidates.append((m.confidence, i, m.field, m.detail))
    candidates.sort(key=lambda c: (-c[0], c[1]))
    blocked: set[str] = set()
    for conf, i, name, detail in candidates:
        if i in taken or name in blocked:
            continue
        if name in cm.fields:
            cm.why.setdefault(str(headers[i]), _already(name, cm, reads_as=True))
            continue
        rivals = [c for c in candidates if c[2] == name and c[0] == conf and c[1] != i and c[1] not in taken]
        if rivals:
            names = ", ".join(f"'{headers[j]}'" for j in sorted({i, *(c[1] for c in rivals)}))
            cm.undecided.append((name, both("deals.all_read_as", columns=names, field=name) + f"; --map {name}=HEADER"))
            blocked.add(name)
            continue
        _take(cm, name, i, headers, norms, "words", conf, detail)
        taken.add(i)


def _take(cm: ColumnMap, name: str, idx: int, headers: list[str], norms: list[tuple[str, float | None]],
          how: str = "alias", confidence: float = 1.0, detail: str = "") -> None:
    cm.fields[name] = idx
    cm.headers[name] = str(headers[idx])
    cm.info[name] = ColumnInfo(name, str(headers[idx]), how, round(float(confidence), 2), detail)
    if FIELDS[name].kind == "amount":
        cm.units[name] = norms[idx][1] or 1.0
