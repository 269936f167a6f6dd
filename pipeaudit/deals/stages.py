"""Stages: which order an export's open stages follow, and each deal's status and place in it.

Won, lost and on-hold words are known in both languages whatever the ladder (pipeaudit/ladders.py).
The order of the open stages comes from, in turn: the config (`ladder:`), a known ladder that
covers at least half of the distinct open values (two of them when there are two or more), the
deals' probability column, numbered prefixes ("1 - Prospect", "03 立项"). A status column
(商机状态, Status, is_closed/is_won) decides open/won/lost over the stage when the export has one.
What no order places is counted once per distinct value (Deals.unknown_stages).
"""

from __future__ import annotations

import dataclasses
import hashlib
import re

import numpy as np
import pandas as pd

from pipeaudit.config import Config
from pipeaudit import ladders
from pipeaudit.ladders import (  # noqa: F401 - re-exported: the stage API lives here
    CLOSED_KEYS,
    HOLD_WORDS,
    LADDERS,
    LOST_WORDS,
    OPEN_WORDS,
    STATUS_KEYS,
    WON_WORDS,
    Ladder,
    stage_key,
    stage_keys,
)
from pipeaudit.errors import ConfigError
from pipeaudit.i18n import in_both, t
from pipeaudit.model import StageOrder


def all_ladders(cfg: Config | None = None) -> dict[str, Ladder]:
    """Config ladders first (they win ties), then the built-in ones."""
    return ladders.all_ladders(cfg.ladders if cfg else None)


def _forced(cfg: Config | None) -> Ladder | None:
    if cfg is None or not cfg.ladder:
        return None
    ladders = all_ladders(cfg)
    if cfg.ladder not in ladders:
        from pipeaudit.yamlsafe import did_you_mean

        raise ConfigError(in_both(lambda lang: t(
            "deals.no_such_ladder", lang, ladder=cfg.ladder, known=", ".join(ladders),
            hint=did_you_mean(cfg.ladder, ladders, lang))))
    return ladders[cfg.ladder]


def _distinct(values: pd.Series) -> pd.Series:
    """Deal counts of the distinct non-blank values, most frequent first (at most 1000 kept:
    the frequent spellings decide; it bounds the cost on a junk column)."""
    v = values.dropna()
    if len(v) and v.dtype == object:
        v = v[v.astype(str).str.strip() != ""]
    return v.value_counts().head(1000)


def _closed_word(forms: tuple[str, ...], extra: dict[str, tuple[str, int]] | None = None) -> str | None:
    for k in forms:
        hit = (extra or {}).get(k) or CLOSED_KEYS.get(k)
        if hit:
            return hit[0]
    return None


def _coverage(ladder: Ladder, counts: pd.Series, forms: list[tuple[str, ...]]) -> tuple[int, int, int]:
    """(distinct open values the ladder places, their deals, distinct open values) for one ladder."""
    opens, own_closed = ladder.own_keys()
    hits = deals = total = 0
    for f, n in zip(forms, counts.to_numpy()):
        if any(k in opens for k in f):
            hits, deals, total = hits + 1, deals + int(n), total + 1
        elif not any(k in own_closed for k in f) and _closed_word(f) is None:
            total += 1
    return hits, deals, total


def detect_ladder(values: pd.Series, cfg: Config | None, counts: pd.Series | None = None) -> Ladder | None:
    """cfg.ladder if set, else the known ladder covering the most distinct open stage values, if it
    covers at least half of them (and two, when there are two or more); ties go to config ladders,
    then to the catalogue's order."""
    forced = _forced(cfg)
    if forced is not None:
        return forced
    counts = _distinct(values) if counts is None else counts
    if counts.empty:
        return None
    forms = [stage_keys(v) for v in counts.index]
    best, best_score = None, (0, 0)
    for ladder in all_ladders(cfg).values():
        hits, deals, total = _coverage(ladder, counts, forms)
        if hits == 0 or hits < min(2, total) or hits * 2 < total:
            continue
        if (hits, deals) > best_score:
            best, best_score = ladder, (hits, deals)
    return best


def known_stage_share(distinct: pd.Series) -> float:
    """Share of distinct values that are won/lost/hold words or open stages of a catalogue ladder
    (for telling a stage column by its values)."""
    if distinct.empty:
        return 0.0
    opens: set[str] = set()
    for ladder in LADDERS.values():
        opens |= ladder.own_keys()[0]
    known = [_closed_word(stage_keys(v)) is not None or any(k in opens for k in stage_keys(v)) for v in distinct]
    closed = any(_closed_word(stage_keys(v)) for v in distinct)
    share = sum(known) / len(distinct)
    return share if closed or share >= 0.5 else 0.0


# ---------------------------------------------------------------------------- orders not from a ladder

_NUMBER = re.compile(r"^\s*(?:stage\s*|第\s*)?(\d{1,3})\s*(?:阶段)?(?:[.\-_、)）:：]|\s|$)", re.IGNORECASE)


def _spread(n: int) -> tuple[int, ...]:
    """Phases for n ordered stages, spread evenly over the five (as for a config ladder without phases)."""
    return tuple(min(4, (i * 5) // n) + 1 for i in range(n))


def _inferred(how: str, spellings: list[list[str]]) -> Ladder:
    """A ladder from ordered groups of the export's own spellings (one group per rank)."""
    ordered = tuple(g[0] for g in spellings)
    aliases = {g[0]: tuple(g[1:]) for g in spellings if len(g) > 1}
    digest = hashlib.sha1("\x1f".join("\x1e".join(g) for g in spellings).encode()).hexdigest()[:8]
    return Ladder(f"inferred-{how}-{digest}", f"inferred from {how}", ordered, _spread(len(ordered)), (), (), aliases)


def _open_values(counts: pd.Series, forms: list[tuple[str, ...]]) -> list[str]:
    return [str(v) for v, f in zip(counts.index, forms) if _closed_word(f) is None]


def _placed(ladder: Ladder, values: pd.Series, counts: pd.Series | None = None) -> int:
    """Distinct open stage values the ladder places (`counts`: _distinct(values), when known)."""
    counts = _distinct(values) if counts is None else counts
    return _coverage(ladder, counts, [stage_keys(v) for v in counts.index])[0]


def order_by_probability(values: pd.Series, probability: pd.Series,
                         counts: pd.Series | None = None) -> Ladder | None:
    """Open stages ordered by their deals' median probability, when at least half of the distinct
    open values have one and the medians differ."""
    counts = _distinct(values) if counts is None else counts
    forms = [stage_keys(v) for v in counts.index]
    opens = _open_values(counts, forms)
    if not opens:
        return None
    # One median per stage, whatever its spelling ("Lead", "LEAD", "lead" are one stage).
    key_of = {str(v): stage_keys(v)[0] for v in counts.index}
    # each deal's key, looked up once per distinct value (and per missing cell, as str() names it)
    cells = values.astype(object)
    codes, uniques = pd.factorize(cells, use_na_sentinel=True)
    keys = np.array([*(key_of.get(str(v)) for v in uniques), None], dtype=object)[codes]
    missing = codes < 0
    if pd.api.types.infer_dtype(uniques, skipna=False) not in ("string", "empty"):
        missing[:] = True  # 1 and 1.0 are one value but two texts: look each cell up
    if missing.any():
        keys[missing] = [key_of.get(str(v)) for v in cells.to_numpy(dtype=object)[missing]]
    df = pd.DataFrame({"key": pd.Series(keys, index=values.index, dtype=object),
                       "p": pd.to_numeric(probability, errors="coerce")})
    med = df.dropna().groupby("key", sort=False)["p"].median()
    placed = [(float(med[key_of[v]]), v) for v in opens if key_of[v] in med.index]
    if len(placed) * 2 < len(opens) or (len({key_of[v] for v in opens}) > 1 and len({p for p, _ in placed}) < 2):
        return None
    groups: dict[float, list[str]] = {}
    for p, v in sorted(placed, key=lambda t: t[0]):  # counts order: the commonest spelling names the stage
        groups.setdefault(p, []).append(v)
    return _inferred("probability", list(groups.values()))


def order_by_numbers(values: pd.Series, counts: pd.Series | None = None) -> Ladder | None:
    """Open stages ordered by a leading number ("1 - Prospect", "03 立项", "Stage 2: Demo", "4")."""
    counts = _distinct(values) if counts is None else counts
    forms = [stage_keys(v) for v in counts.index]
    opens = _open_values(counts, forms)
    numbered: dict[int, list[str]] = {}
    for v in opens:
        m = _NUMBER.match(v)
        if m:
            numbered.setdefault(int(m.group(1)), []).append(v)
    placed = sum(len(g) for g in numbered.values())
    if not opens or placed * 2 < len(opens) or len(numbered) < min(2, len(opens)):
        return None
    return _inferred("numbered", [numbered[k] for k in sorted(numbered)])


# ---------------------------------------------------------------------------- status columns


def status_from_columns(n: int, deal_status: pd.Series | None = None, is_closed: pd.Series | None = None,
                        is_won: pd.Series | None = None) -> tuple[np.ndarray | None, str | None, list[str]]:
    """Per deal "open" | "won" | "lost" | "hold" | None (the columns say nothing) from a status
    column or is_closed/is_won flags; (statuses, which field decided, status values not understood)."""
    out = np.full(n, None, dtype=object)
    used: str | None = None
    unread: list[str] = []
    if is_closed is not None or is_won is not None:
        closed = is_closed.to_numpy(dtype=object, na_value=None) if is_closed is not None else np.full(n, None)
        won = is_won.to_numpy(dtype=object, na_value=None) if is_won is not None else np.full(n, None)
        for i in range(n):
            if won[i] is True:
                out[i] = "won"
            elif closed[i] is True:
                out[i] = "lost" if won[i] is False or is_won is not None else None
            elif closed[i] is False:
                out[i] = "open"
        used = "is_closed/is_won" if is_closed is not None and is_won is not None else (
            "is_closed" if is_closed is not None else "is_won")
    if deal_status is not None:
        codes, uniques = pd.factorize(deal_status, use_na_sentinel=True)
        mapped = np.array([*(STATUS_KEYS.get(stage_key(u)) for u in uniques), None], dtype=object)
        unread = [str(u) for u in uniques if STATUS_KEYS.get(stage_key(u)) is None and str(u).strip()]
        from_status = mapped[codes]
        if (from_status != None).any():  # noqa: E711 - elementwise
            out = np.where(from_status != None, from_status, out)  # noqa: E711
            used = "deal_status" if used is None else f"deal_status, {used}"
    if used is None or (out == None).all():  # noqa: E711
        return None, None, unread
    return out, used, unread


# ---------------------------------------------------------------------------- per deal


def classify_stages(values: pd.Series, ladder: Ladder | None) -> pd.DataFrame:
    """status, stage_rank, phase, stage_known, on_hold per deal (see model.META_COLUMNS)."""
    codes, uniques = pd.factorize(values, use_na_sentinel=True)
    table = ladder.keys() if ladder else dict(CLOSED_KEYS)
    n = len(uniques)
    status = np.full(n + 1, "open", dtype=object)
    rank = np.full(n + 1, -1, dtype=np.int64)
    known = np.ones(n + 1, dtype=bool)
    hold = np.zeros(n + 1, dtype=bool)
    for i, v in enumerate(uniques):
        if v is None or (isinstance(v, float) and v != v) or not str(v).strip():
            continue
        forms = stage_keys(v)
        hit = next((table[k] for k in forms if k in table), None)
        if hit is None:
            hit = next((CLOSED_KEYS[k] for k in forms if k in CLOSED_KEYS), None)
        if hit is None:
            known[i] = False
        elif hit[0] == "hold":
            hold[i] = True
        else:
            status[i], rank[i] = hit
    row_rank = rank[codes]
    has = row_rank >= 0
    phases = np.array(ladder.phases if ladder else (), dtype=np.int64)
    row_phase = np.zeros(len(codes), dtype=np.int64)
    if has.any():
        row_phase[has] = phases[row_rank[has]]
    return pd.DataFrame(
        {
            "status": pd.Series(status[codes], index=values.index, dtype=object),
            "stage_rank": pd.Series(pd.arrays.IntegerArray(row_rank, ~has), index=values.index),
            "phase": pd.Series(pd.arrays.IntegerArray(row_phase, ~has), index=values.index),
            "stage_known": pd.Series(known[codes], index=values.index, dtype=bool),
            "on_hold": pd.Series(hold[codes], index=values.index, dtype=bool),
        },
        index=values.index,
    )


def place_stages(values: pd.Series, cfg: Config | None, probability: pd.Series | None = None,
                 statuses: tuple[np.ndarray | None, str | None] = (None, None)):
    """(meta frame, StageOrder, Ladder or None, unknown stage value -> open deals) for a stage column.

    `statuses` (from status_from_columns) override the stage's open/won/lost where they say something.
    """
    forced = _forced(cfg)
    counts = _distinct(values)  # once: every step below looks at the distinct values
    ladder = forced or detect_ladder(values, cfg, counts)
    how = "config" if forced is not None else "ladder" if ladder is not None else "none"
    if forced is None:
        # A known ladder placing every open value stands; otherwise what the export itself says
        # (its probability column, its numbered stages) wins when it places more of them.
        best = _placed(ladder, values, counts) if ladder is not None else 0
        for name, found in (("probability", order_by_probability(values, probability, counts)
                             if probability is not None else None), ("numbered", order_by_numbers(values, counts))):
            if found is not None and _placed(found, values, counts) > best:
                ladder, how, best = found, name, _placed(found, values, counts)
    meta = classify_stages(values, ladder)
    status_col, status_from = statuses
    disagree = 0
    if status_col is not None:
        says = status_col != None  # noqa: E711
        by_stage = meta["status"].to_numpy(dtype=object)
        named = (values.notna().to_numpy() & meta["stage_known"].to_numpy(dtype=bool))
        told = np.where(np.isin(status_col, ["hold"]), "open", status_col)
        disagree = int((says & named & (by_stage != told)).sum())
        closed = says & np.isin(status_col, ["won", "lost"])
        st = meta["status"].to_numpy(dtype=object).copy()
        st[closed] = status_col[closed]
        reopen = says & np.isin(status_col, ["open", "hold"])
        st[reopen] = "open"
        meta["status"] = pd.Series(st, index=meta.index, dtype=object)
        hold = meta["on_hold"].to_numpy(dtype=bool).copy()
        hold[closed] = False  # "open" leaves a stage's on-hold as it is; a hold status sets it
        hold[says & (status_col == "hold")] = True
        meta["on_hold"] = pd.Series(hold, index=meta.index, dtype=bool)
        for col in ("stage_rank", "phase"):  # a closed deal has no place among the open stages
            meta[col] = meta[col].mask(pd.Series(closed, index=meta.index))
    is_open = (meta["status"] == "open").to_numpy() & ~meta["on_hold"].to_numpy(dtype=bool)
    unknown_mask = is_open & ~meta["stage_known"].to_numpy(dtype=bool)
    unknown = values[unknown_mask].astype(str).value_counts()
    unknown_stages = {str(k): int(v) for k, v in unknown.items()}
    order = _describe(values, meta, ladder, how, status_from, counts)
    if disagree:
        order = dataclasses.replace(order, status_disagrees=disagree)
    return meta, order, ladder, unknown_stages


def _describe(values: pd.Series, meta: pd.DataFrame, ladder: Ladder | None, how: str,
              status_from: str | None, counts: pd.Series | None = None) -> StageOrder:
    counts = _distinct(values) if counts is None else counts
    forms = [stage_keys(v) for v in counts.index]
    seen = {str(v): f for v, f in zip(counts.index, forms)}
    own = {k: v for k, v in (ladder.keys() if ladder else {}).items() if v[0] != "open"}
    kinds = {k: _closed_word(f, own) for k, f in seen.items()}
    won = tuple(v for v, k in kinds.items() if k == "won")
    lost = tuple(v for v, k in kinds.items() if k == "lost")
    hold = tuple(v for v, k in kinds.items() if k == "hold")
    opens = [v for v, k in kinds.items() if k is None]
    placed = 0
    if ladder is not None:
        keys = ladder.own_keys()[0]
        placed = sum(1 for v in opens if any(k in keys for k in seen[v]))
    builtin = ladder is not None and not ladder.name.startswith("inferred-")
    return StageOrder(
        how=how,
        name=ladder.name if builtin else None,
        label=ladder.label if ladder is not None else "",
        open=tuple(ladder.open) if ladder is not None else (),
        won=won, lost=lost, on_hold=hold,
        covered=placed, distinct=len(opens),
        status_from=status_from,
    )
