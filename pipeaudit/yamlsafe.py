"""Safe YAML loading that remembers line numbers, so config and rule errors can point at a line.

Only PyYAML's safe loading is used: no tags, no object construction, nothing evaluated. The
libyaml (C) parser does the scanning and parsing when PyYAML was built with it, several times
faster; the constructors (line numbers, duplicate keys refused, plain keys) are the same Python
code either way, and the pure-Python SafeLoader remains the fallback.
"""

from __future__ import annotations

import difflib
from pathlib import Path
from typing import Any, Iterable

import yaml

from pipeaudit.errors import PipeauditError

MAX_YAML_BYTES = 5 * 1024 * 1024


class LineDict(dict):
    """A dict that knows the line of each key (1-based) and its own."""

    line: int = 0
    key_lines: dict[Any, int]


class LineList(list):
    line: int = 0
    item_lines: list[int]


class _Loader(getattr(yaml, "CSafeLoader", yaml.SafeLoader)):  # type: ignore[misc]
    """SafeLoader's constructor and resolver; libyaml's parser when available."""


class _PureLoader(yaml.SafeLoader):
    """The pure-Python loader, for the fallback (and to compare with in tests)."""


def _construct_mapping(loader: Any, node: yaml.MappingNode) -> LineDict:
    loader.flatten_mapping(node)
    result = LineDict()
    result.line = node.start_mark.line + 1
    result.key_lines = {}
    for key_node, value_node in node.value:
        key = loader.construct_object(key_node, deep=True)
        try:
            hash(key)
        except TypeError:
            raise yaml.constructor.ConstructorError(
                None, None, "a mapping key must be a plain value", key_node.start_mark
            ) from None
        if key in result:
            raise yaml.constructor.ConstructorError(
                None, None, f"duplicate key {key!r}", key_node.start_mark
            )
        result[key] = loader.construct_object(value_node, deep=True)
        result.key_lines[key] = key_node.start_mark.line + 1
    return result


def _construct_sequence(loader: Any, node: yaml.SequenceNode) -> LineList:
    result = LineList(loader.construct_object(child, deep=True) for child in node.value)
    result.line = node.start_mark.line + 1
    result.item_lines = [child.start_mark.line + 1 for child in node.value]
    return result


for _cls in (_Loader, _PureLoader):
    _cls.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_mapping)
    _cls.add_constructor(yaml.resolver.BaseResolver.DEFAULT_SEQUENCE_TAG, _construct_sequence)


def load_yaml(path: Path, error: type[PipeauditError]) -> Any:
    """Parse a YAML file safely; syntax errors become `error` naming the file and line."""
    try:
        size = path.stat().st_size
        if size > MAX_YAML_BYTES:
            raise error(f"{path}: {size} bytes is too large for a YAML file (limit {MAX_YAML_BYTES})")
        text = path.read_text(encoding="utf-8-sig")
    except FileNotFoundError:
        raise error(f"{path}: no such file") from None
    except IsADirectoryError:
        raise error(f"{path}: is a folder, expected a YAML file") from None
    except UnicodeDecodeError:
        raise error(f"{path}: not UTF-8 text") from None
    except OSError as exc:
        raise error(f"{path}: cannot read ({exc.strerror})") from None
    return parse_yaml(text, str(path), error)


def parse_yaml(text: str, name: str, error: type[PipeauditError], loader: type = _Loader) -> Any:
    try:
        return yaml.load(text, Loader=loader)  # noqa: S506 - both loaders are SafeLoader's construction
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        where = f"{name}:{mark.line + 1}" if mark else name
        problem = exc.problem or exc.context or "invalid YAML"
        raise error(f"{where}: YAML syntax error: {problem}") from None
    except yaml.YAMLError as exc:
        raise error(f"{name}: YAML syntax error: {exc}") from None
    except RecursionError:
        raise error(f"{name}: YAML nested too deeply") from None


def line_of(container: Any, key: Any = None) -> int:
    """The line of `key` in a LineDict (or of the container itself); 0 when unknown."""
    if key is not None and isinstance(container, LineDict):
        return container.key_lines.get(key, container.line)
    if key is not None and isinstance(container, LineList) and isinstance(key, int):
        if 0 <= key < len(container.item_lines):
            return container.item_lines[key]
    return getattr(container, "line", 0)


def did_you_mean(word: str, choices: Iterable[str]) -> str:
    """' — did you mean 'x'?' when a close match exists, else ''."""
    match = difflib.get_close_matches(str(word), list(choices), n=1, cutoff=0.6)
    return f" — did you mean '{match[0]}'?" if match else ""
