"""DIR/index.json: which file in a report folder is whose, and the numbers each rep's digest shows.

`pipeaudit send` must deliver each rep their own sheet and nothing else. Guessing owners back from
file names cannot work (names are sanitised, clipped and de-duplicated), so `write_report` writes
this small index beside the pages: the as-of date, each rep's owner name, file stem and sheet
title, their counts and their top flagged deals with the first question to ask.

Before any page is written the index is replaced by a marker saying the report is incomplete, and
it is written in full after every page: a run killed halfway leaves the marker (never a missing
file, never last week's index beside this week's pages), and `send` refuses to guess.
The reader trusts nothing in it: size, types and lengths are bounded, and a stem that could name
a file outside the folder is refused.
"""

from __future__ import annotations

import json
import math
import re
from datetime import date, datetime
from pathlib import Path
from typing import Any

from pipeaudit.errors import InputError

INDEX_NAME = "index.json"
INDEX_FORMAT = "pipeaudit-report-index"
INDEX_VERSION = 1
TOP_DEALS = 5  # flagged deals per rep in the digest
HELP_DEALS = 10  # A/B deals with errors in the manager's digest
MAX_INDEX_BYTES = 16 * 1024 * 1024
MAX_REPS = 10_000
MAX_TEXT = 500  # characters kept of any text from the data

_STEM_BAD = re.compile(r'[\\/:*?"<>|%\x00-\x1f\x7f]')


def _plain(value: Any) -> Any:
    """JSON-safe: dates as YYYY-MM-DD, NaN as null, long text clipped."""
    if value is None:
        return None
    if isinstance(value, datetime):
        return value.date().isoformat()
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, bool):
        return value
    if isinstance(value, (int, float)):
        return None if isinstance(value, float) and not math.isfinite(value) else value
    if hasattr(value, "item"):  # a numpy scalar
        return _plain(value.item())
    return str(value)[:MAX_TEXT]


def _deal(d: dict) -> dict:
    findings = d.get("findings") or []
    question = next((q for f in findings for q in f.get("questions") or () if q), None)
    return {
        "deal_id": _plain(d.get("deal_id")), "deal": _plain(d.get("deal")), "account": _plain(d.get("account")),
        "stage": _plain(d.get("stage")), "deal_class": _plain(d.get("deal_class")),
        "amount": _plain(d.get("amount")), "close_date": _plain(d.get("close_date")),
        "severity": findings[0]["severity"] if findings else None,
        "rules": [str(f["rule"]) for f in findings][:10],
        "message": _plain(findings[0]["message"]) if findings else None,
        "question": _plain(question),
    }


def build_index(model: dict, formats: list[str]) -> dict:
    """The index of a report built from `model` (report.context.build_model, stems assigned)."""
    from pipeaudit.report.naming import sheet_names

    L = model["L"]
    titles = {}
    if "xlsx" in formats:  # the same call as report.xlsx makes, so the titles are the workbook's
        titles = sheet_names([r["owner"] for r in model["reps"]], reserved={L["summary_sheet"][:31]},
                             blank=L["no_owner"])
    reps = []
    for r in model["reps"]:
        flagged = r["flagged"]
        reps.append({
            "owner": str(r["owner"]), "display": str(r["display"]), "stem": r["stem"], "sheet": titles.get(r["owner"]),
            "open_deals": int(r["open_deals"]), "open_amount": _plain(r["open_amount"]),
            "error": int(r["error"]), "warning": int(r["warning"]), "info": int(r["info"]),
            "flagged": len(flagged),
            "at_risk": sum(1 for d in flagged if d["findings"] and d["findings"][0]["severity"] == "error"),
            "top": [_deal(d) for d in flagged[:TOP_DEALS]],
        })
    help_deals = [{"owner": str(d["owner"]), **_deal(d)} for d in model["help_deals"][:HELP_DEALS]]
    return {
        "format": INDEX_FORMAT, "version": INDEX_VERSION, "complete": True,
        "as_of": _plain(model["as_of"]), "lang": model["lang"], "source": _plain(model["source"]),
        "formats": [f for f in formats if f in ("html", "md", "xlsx")],
        "totals": {k: _plain(v) for k, v in model["totals"].items()},
        "reps": reps, "help": help_deals,
    }


def mark_incomplete(out: Path) -> None:
    """Replace any previous index with the incomplete-report marker (see the module docstring)."""
    from pipeaudit.outputs import atomic_write
    from pipeaudit.report.naming import inside

    marker = {"format": INDEX_FORMAT, "version": INDEX_VERSION, "complete": False}
    atomic_write(inside(out, INDEX_NAME), json.dumps(marker) + "\n")


def write_index(model: dict, out: Path, formats: list[str]) -> Path:
    from pipeaudit.outputs import atomic_write
    from pipeaudit.report.naming import inside

    path = inside(out, INDEX_NAME)
    atomic_write(path, json.dumps(build_index(model, formats), ensure_ascii=False, indent=1) + "\n")
    return path


# ---- reading ------------------------------------------------------------------------


def _bad(path: Path, why: str) -> InputError:
    return InputError(f"{path}: not a usable report index ({why}) / 报告索引无效")


def read_index(folder: Path) -> dict:
    """The validated index of the report in `folder`; InputError when missing, too big or malformed."""
    from pipeaudit.report.naming import inside

    folder = Path(folder)
    if not folder.is_dir():
        raise InputError(f"{folder}: no such report folder / 报告文件夹不存在")
    path = folder / INDEX_NAME
    try:
        with path.open("rb") as fh:
            raw = fh.read(MAX_INDEX_BYTES + 1)
    except FileNotFoundError:
        raise InputError(
            f"{path}: missing; write the report first (pipeaudit report ... --out {folder}) / 缺少报告索引，请先生成报告"
        ) from None
    except OSError as exc:
        raise InputError(f"{path}: cannot be read ({exc.strerror or exc})") from None
    if len(raw) > MAX_INDEX_BYTES:
        raise _bad(path, f"larger than {MAX_INDEX_BYTES // (1024 * 1024)} MB")
    try:
        data = json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, ValueError) as exc:
        raise _bad(path, f"invalid JSON: {str(exc)[:100]}") from None
    if not isinstance(data, dict) or data.get("format") != INDEX_FORMAT:
        raise _bad(path, "not written by pipeaudit report")
    version = data.get("version")
    if not isinstance(version, int) or version > INDEX_VERSION:
        raise _bad(path, f"version {str(version)[:20]}, this pipeaudit reads {INDEX_VERSION}; upgrade pipeaudit")
    if data.get("complete") is not True:
        raise InputError(f"{folder}: the report was not written to the end (interrupted, or still being written);"
                         " write it again / 报告未完整生成，请重新生成")
    try:
        as_of = date.fromisoformat(str(data.get("as_of")))
    except ValueError:
        raise _bad(path, "as_of is not a date") from None
    lang = data.get("lang") if data.get("lang") in ("zh", "en") else "zh"
    formats = [f for f in _list(data.get("formats"), 3) if f in ("html", "md", "xlsx")]
    reps_raw = data.get("reps")
    if not isinstance(reps_raw, list) or len(reps_raw) > MAX_REPS:
        raise _bad(path, f"'reps' must be a list of at most {MAX_REPS}")
    reps, stems = [], set()
    for i, r in enumerate(reps_raw):
        if not isinstance(r, dict):
            raise _bad(path, f"reps[{i}] is not an object")
        stem = r.get("stem")
        if (not isinstance(stem, str) or not stem or len(stem) > 120 or _STEM_BAD.search(stem)
                or ".." in stem or stem.startswith((".", " ")) or stem.casefold() in stems):
            raise _bad(path, f"reps[{i}].stem is not a safe file name")
        for ext in formats:  # a stem must name a page inside reps/, whatever the file system does
            if ext != "xlsx":
                try:
                    inside(folder, "reps", f"{stem}.{ext}")
                except Exception:
                    raise _bad(path, f"reps[{i}].stem points outside the folder") from None
        stems.add(stem.casefold())
        sheet = r.get("sheet")
        reps.append({
            "owner": _text(r.get("owner")) or "", "display": _text(r.get("display")) or _text(r.get("owner")) or "",
            "stem": stem, "sheet": sheet[:31] if isinstance(sheet, str) and sheet else None,
            **{k: _count(r.get(k)) for k in ("open_deals", "error", "warning", "info", "flagged", "at_risk")},
            "open_amount": _number(r.get("open_amount")),
            "top": [_deal_in(d) for d in _list(r.get("top"), 20) if isinstance(d, dict)],
        })
    totals = data.get("totals") if isinstance(data.get("totals"), dict) else {}
    return {
        "as_of": as_of, "lang": lang, "source": _text(data.get("source")) or "", "formats": formats,
        "totals": {k: _number(totals.get(k)) for k in ("open_deals", "open_amount", "error", "warning", "info", "a", "b")},
        "reps": reps,
        "help": [{"owner": _text(d.get("owner")) or "", **_deal_in(d)} for d in _list(data.get("help"), 50)
                 if isinstance(d, dict)],
        "folder": folder,
    }


def _list(value: Any, limit: int) -> list:
    return value[:limit] if isinstance(value, list) else []


def _text(value: Any) -> str | None:
    if value is None or isinstance(value, (dict, list)):
        return None
    return str(value)[:MAX_TEXT]


def _number(value: Any) -> float | int | None:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return None
    return value if math.isfinite(value) else None


def _count(value: Any) -> int:
    return value if isinstance(value, int) and not isinstance(value, bool) and value >= 0 else 0


def _deal_in(d: dict) -> dict:
    out = {k: _text(d.get(k)) for k in ("deal_id", "deal", "account", "stage", "deal_class", "close_date",
                                        "severity", "message", "question")}
    out["amount"] = _number(d.get("amount"))
    out["rules"] = [str(x)[:100] for x in _list(d.get("rules"), 10)]
    return out
