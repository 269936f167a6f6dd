"""Property: a randomly mutated rule pack is either still valid (exit 0) or refused (exit 2) with
one line per problem, each naming the file — never an internal error (exit 3) or a traceback.

Mutations work on the parsed pack (delete, duplicate-rename, retype, replace values, deep inside
the `where` conditions and examples) and on the raw text (truncation, a duplicated key line, a
byte flip). The validator runs in-process for speed, exactly as the CLI's `_run` calls it; a few
fixed mutations also go through the real CLI in a subprocess.
"""

from __future__ import annotations

import copy
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pipeaudit.errors import PipeauditError
from pipeaudit.resources import data_dir

from pipeaudit.commands import rules as rules_cmd  # noqa: E402

PACKS = sorted(p for p in data_dir("rules").glob("*.yaml"))
SETTINGS = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture,
                                                                           HealthCheck.too_slow])
ODD_VALUES = [None, "", 0, -1, 3.5, True, [], {}, "x" * 300, ["a", {"b": 1}], {"blank": "no_such_field"},
              "{stage", "{__class__}", "{0}", "{stage.__class__.__mro__}", "2026-13-45", "!!python/object:os.system"]


def _paths(node, prefix=()):
    """Every (path, value) in a nested structure of dicts and lists."""
    yield prefix, node
    if isinstance(node, dict):
        for k, v in node.items():
            yield from _paths(v, prefix + (k,))
    elif isinstance(node, list):
        for i, v in enumerate(node):
            yield from _paths(v, prefix + (i,))


def _parent(doc, path):
    node = doc
    for key in path[:-1]:
        node = node[key]
    return node


@st.composite
def mutated_pack(draw) -> str:
    pack_path = draw(st.sampled_from(PACKS))
    text = pack_path.read_text(encoding="utf-8")
    doc = yaml.safe_load(text)
    kind = draw(st.sampled_from(["delete", "retype", "rename", "duplicate-rule", "truncate", "dup-line", "flip"]))
    if kind in ("truncate", "dup-line", "flip"):
        if kind == "truncate":
            return text[: draw(st.integers(0, len(text)))]
        lines = text.splitlines(keepends=True)
        i = draw(st.integers(0, len(lines) - 1))
        if kind == "dup-line":
            return "".join(lines[: i + 1] + [lines[i]] + lines[i + 1:])
        pos = draw(st.integers(0, max(len(text) - 1, 0)))
        return text[:pos] + draw(st.sampled_from([":", "-", "{", "[", "'", '"', "\t", "&a", "*a", "%", "!", "|", "\u3000"])) + text[pos + 1:]
    doc = copy.deepcopy(doc)
    for _ in range(draw(st.integers(1, 3))):
        paths = [p for p, _ in _paths(doc) if p]
        if not paths:
            break
        path = draw(st.sampled_from(paths))
        parent, key = _parent(doc, path), path[-1]
        if kind == "delete":
            del parent[key]
        elif kind == "retype":
            parent[key] = copy.deepcopy(draw(st.sampled_from(ODD_VALUES)))
        elif kind == "rename" and isinstance(parent, dict):
            new = draw(st.sampled_from([str(key)[:-1], str(key) + "s", str(key).upper(), "when", "severity ", 1]))
            parent[new] = parent.pop(key)
        elif kind == "duplicate-rule" and isinstance(doc.get("rules"), list) and doc["rules"]:
            doc["rules"].append(copy.deepcopy(draw(st.sampled_from(doc["rules"]))))
    return yaml.safe_dump(doc, allow_unicode=True, sort_keys=False)


def validate(path: Path, capsys) -> tuple[int, str]:
    """Exit code and the problems (one per line) as the CLI would give them; anything else
    propagates (a bug)."""
    try:
        code = rules_cmd.run_validate([path]) or 0
    except PipeauditError as exc:
        return 2, str(exc)
    return code, capsys.readouterr().out if code else ""


def test_shipped_packs_validate(capsys) -> None:
    assert PACKS, "no rule packs found"
    for pack in PACKS:
        assert validate(pack, capsys)[0] == 0, pack


@SETTINGS
@given(text=mutated_pack())
def test_mutated_rule_packs_are_valid_or_refused_in_one_line(tmp_path_factory, text: str, capsys) -> None:
    path = tmp_path_factory.mktemp("rules") / "mutant.yaml"
    path.write_text(text, encoding="utf-8")
    capsys.readouterr()
    code, message = validate(path, capsys)  # an unexpected exception fails the test with its traceback
    if code == 2:
        assert message.strip(), "empty error message"
        assert "Traceback" not in message
        for line in message.strip().split("\n"):
            assert line.startswith(f"{path}:"), message  # each problem is one line naming the file
    else:
        assert code == 0


@pytest.mark.parametrize(
    "mutation",
    [
        lambda t: t[: len(t) // 3],
        lambda t: t.replace("severity: error", "severity: [error]", 1),
        lambda t: t.replace("where:", "wher:", 1),
        lambda t: t.replace("rules:", "rules: 5\nx:", 1),
        lambda t: "\x00" + t,
        lambda t: "!!python/object/apply:os.system ['echo pwned']\n" + t,
    ],
    ids=["truncated", "severity-list", "typo-key", "rules-not-list", "nul", "python-tag"],
)
def test_cli_rules_validate_exit_code(tmp_path: Path, mutation) -> None:
    src = data_dir("rules") / "method.yaml"
    path = tmp_path / "mutant.yaml"
    path.write_text(mutation(src.read_text(encoding="utf-8")), encoding="utf-8")
    proc = subprocess.run([sys.executable, "-m", "pipeaudit", "rules", "validate", str(path)],
                          capture_output=True, text=True, timeout=60)
    assert "Traceback" not in proc.stderr
    assert proc.returncode == 2, (proc.returncode, proc.stderr)
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("pipeaudit: "), proc.stderr
    problems = proc.stdout.splitlines()  # none when the file holds no rule at all: then stderr says so
    assert all(line.startswith(f"{path}:") for line in problems), proc.stdout
    assert "mutant.yaml" in (problems[0] if problems else lines[0])
    assert "pwned" not in proc.stdout
