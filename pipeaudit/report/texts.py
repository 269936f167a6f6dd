"""The report's fixed words and the 过堂 checklist, in the page's language.

The words are the catalogue's `report` section (pipeaudit.i18n); the checklist is
stage_questions.yaml beside the templates. A user's `--templates DIR` may hold a
report_labels.yaml that replaces any of the words (a partial file keeps the others) and a
stage_questions.yaml that replaces the checklist.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from pipeaudit.errors import ConfigError
from pipeaudit.i18n import texts
from pipeaudit.resources import data_dir
from pipeaudit.yamlsafe import clipped_repr, load_yaml

LABELS_FILE = "report_labels.yaml"
QUESTIONS_FILE = "stage_questions.yaml"
EDCBA = ("E", "D", "C", "B", "A")  # phase 1..5 -> EDCBA stage letter


@dataclass(frozen=True)
class Texts:
    labels: dict[str, str]
    stage_names: dict[str, str]  # "E" -> localized stage name
    stage_questions: dict[str, list[str]]  # "E" -> questions
    standing: list[str]


def _find(name: str, templates: Path | None) -> Path:
    if templates is not None:
        from pipeaudit.report.environment import user_file

        found = user_file(Path(templates), name)  # regular files inside the folder only
        if found is not None:
            return found
    return data_dir("templates") / name


def _pick(value: object, lang: str, where: str) -> str:
    if isinstance(value, dict) and isinstance(value.get(lang), str):
        return value[lang]
    if isinstance(value, str):
        return value
    raise ConfigError(f"{where}: expected {{zh: ..., en: ...}} with a '{lang}' text")


def _user_labels(lang: str, templates: Path | None) -> dict[str, str]:
    """The words of a user's report_labels.yaml in `lang`; {} without one."""
    if templates is None:
        return {}
    from pipeaudit.report.environment import user_file

    path = user_file(Path(templates), LABELS_FILE)  # regular files inside the folder only
    if path is None:
        return {}
    raw = load_yaml(path, ConfigError)
    if raw is None:
        return {}
    if not isinstance(raw, dict):
        raise ConfigError(f"{path}: expected a mapping of label -> {{zh, en}}")
    return {str(k): _pick(v, lang, f"{path}: label {clipped_repr(k)}") for k, v in raw.items()}


def load_texts(lang: str, templates: Path | None = None) -> Texts:
    """Labels and questions in `lang` ('zh' or 'en')."""
    labels = texts("report", lang, overrides=_user_labels(lang, templates))
    qpath = _find(QUESTIONS_FILE, templates)
    raw = load_yaml(qpath, ConfigError)
    stages = raw.get("stages") if isinstance(raw, dict) else None
    if not isinstance(stages, dict):
        raise ConfigError(f"{qpath}: expected a 'stages:' mapping with E, D, C, B and A")
    names: dict[str, str] = {}
    questions: dict[str, list[str]] = {}
    for letter in EDCBA:
        block = stages.get(letter)
        if not isinstance(block, dict) or not isinstance(block.get("questions"), list):
            raise ConfigError(f"{qpath}: stage {letter} needs a name and a list of questions")
        names[letter] = _pick(block.get("name", letter), lang, f"{qpath}: stage {letter} name")
        questions[letter] = [_pick(q, lang, f"{qpath}: stage {letter} question") for q in block["questions"]]
    standing_raw = raw.get("standing", [])
    if not isinstance(standing_raw, list):
        raise ConfigError(f"{qpath}: 'standing:' must be a list of questions")
    standing = [_pick(q, lang, f"{qpath}: standing question") for q in standing_raw]
    return Texts(labels, names, questions, standing)
