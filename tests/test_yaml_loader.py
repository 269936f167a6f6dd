"""yamlsafe parses with libyaml's C parser when PyYAML has it; it must behave as the pure-Python
safe loader does: same values, same line numbers (in data and in errors), same refusals."""

from __future__ import annotations

import re

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from pipeaudit import yamlsafe
from pipeaudit.errors import ConfigError

LOADERS = [yamlsafe._Loader, yamlsafe._PureLoader]


def load(text: str, loader: type) -> object:
    return yamlsafe.parse_yaml(text, "f.yaml", ConfigError, loader=loader)


def lines(value: object) -> object:
    """Every line number a loaded value carries, nested like the value."""
    if isinstance(value, yamlsafe.LineDict):
        return (value.line, value.key_lines, {k: lines(v) for k, v in value.items()})
    if isinstance(value, yamlsafe.LineList):
        return (value.line, value.item_lines, [lines(v) for v in value])
    return None


def test_the_c_parser_is_used_when_pyyaml_has_it() -> None:
    if not yaml.__with_libyaml__:
        pytest.skip("PyYAML built without libyaml: the pure-Python loader is the one in use")
    assert issubclass(yamlsafe._Loader, yaml.CSafeLoader)


@pytest.mark.parametrize(
    "text, line, words",
    [
        ("a: 1\nb: [1, 2\n", 3, ""),
        ("a: 1\n  b: 2\n", 2, "mapping values are not allowed"),
        ("a: 1\na: 2\n", 2, "duplicate key 'a'"),
        ("x: !!python/object/apply:os.system ['echo hi']\n", 1, "could not determine a constructor"),
        ("x: !foo bar\n", 1, "could not determine a constructor"),
        ('k: "unterminated\n', 2, "unexpected end of stream"),
        ("a:\n\tb: 1\n", 2, "cannot start any token"),
        ("? [1, 2]\n: x\n", 1, "a mapping key must be a plain value"),
        ("a: 1\n---\nb: 2\n", 2, "another document"),
    ],
)
@pytest.mark.parametrize("loader", LOADERS, ids=["c", "pure"])
def test_errors_name_the_same_line(text: str, line: int, words: str, loader: type) -> None:
    with pytest.raises(ConfigError) as exc:
        load(text, loader)
    msg = str(exc.value)
    assert re.match(rf"f\.yaml:{line}: YAML syntax error: ", msg), msg
    assert words in msg and "\n" not in msg


@pytest.mark.parametrize("loader", LOADERS, ids=["c", "pure"])
def test_deep_nesting_is_refused(loader: type) -> None:
    with pytest.raises(ConfigError, match="f.yaml"):
        load("[" * 5000 + "]" * 5000, loader)


KEYS = st.text(alphabet="abcxyz_销售阶段", min_size=1, max_size=6)
TEXT = st.text(st.characters(blacklist_categories=("Cc", "Cs", "Zl", "Zp")), max_size=12)
SCALARS = st.one_of(st.integers(-(10**yamlsafe.MAX_INT_DIGITS) + 1, 10**yamlsafe.MAX_INT_DIGITS - 1), st.booleans(), st.none(), TEXT, st.floats(allow_nan=False))
TREES = st.recursive(SCALARS, lambda kids: st.lists(kids, max_size=4) | st.dictionaries(KEYS, kids, max_size=4), max_leaves=25)


@settings(max_examples=200, deadline=None)
@given(tree=st.dictionaries(KEYS, TREES, min_size=1, max_size=5), flow=st.booleans())
def test_both_loaders_agree(tree: dict, flow: bool) -> None:
    text = yaml.safe_dump(tree, allow_unicode=True, default_flow_style=flow, sort_keys=False)
    c, pure = (load(text, loader) for loader in LOADERS)
    assert c == pure
    assert lines(c) == lines(pure)
