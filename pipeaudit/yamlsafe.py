"""Safe YAML loading that remembers line numbers, so config and rule errors can point at a line.

The one loader for every YAML file pipeaudit reads (config, rule packs, the report's labels and
questions). Only PyYAML's safe loading is used: no tags, no object construction, nothing
evaluated. The libyaml (C) parser does the scanning and parsing when PyYAML was built with it,
several times faster; the constructors (line numbers, duplicate keys refused, plain keys) are the
same Python code either way, and the pure-Python SafeLoader remains the fallback.

Before anything is constructed, the parsed node graph is measured (`_check_graph`): a few hundred
bytes of anchors and aliases can stand for billions of values ("billion laughs", also through
merge keys `<<`), so aliases are counted, the document's size *as expanded* is bounded, nesting
depth is bounded, a recursive alias is refused, and so is an integer of more digits than any
honest setting needs. Error messages show values cut to a few dozen characters (`clipped_repr`, `clip`).
"""

from __future__ import annotations

import difflib
import reprlib
from pathlib import Path
from typing import Any, Iterable

import yaml

from pipeaudit.errors import PipeauditError
from pipeaudit.i18n import Lang, both, t

MAX_YAML_BYTES = 5 * 1024 * 1024
MAX_ALIASES = 1_000  # alias references (*name) in one document
MAX_NODES = 200_000  # values in the document as expanded (every alias counted at its full size)
MAX_DEPTH = 64  # nesting of lists and mappings
MAX_INT_DIGITS = 30  # digits of an integer literal (amounts in the trillions have 13)
SHOWN_CHARS = 60  # how much of an offending value an error message shows
_HINT_MAX_CHARS = 64  # did_you_mean does not compare longer words


def clip(text: object, limit: int = SHOWN_CHARS) -> str:
    """`text` cut to `limit` characters (with an ellipsis), for error messages."""
    text = str(text)
    return text if len(text) <= limit else text[: limit - 1] + "…"


_REPR = reprlib.Repr()
_REPR.maxstring = _REPR.maxother = SHOWN_CHARS
_REPR.maxlist = _REPR.maxtuple = _REPR.maxdict = _REPR.maxset = 4
_REPR.maxlevel = 2


def clipped_repr(value: object) -> str:
    """repr(value) for an error message, bounded however large the value is."""
    try:
        return clip(_REPR.repr(value))
    except (ValueError, RecursionError):  # an int past Python's digit limit, a recursive value
        return f"<{type(value).__name__}>"


class LineDict(dict):
    """A dict that knows the line of each key (1-based) and its own."""

    line: int = 0
    key_lines: dict[Any, int]


class LineList(list):
    line: int = 0
    item_lines: list[int]


class _Loader(getattr(yaml, "CSafeLoader", yaml.SafeLoader)):  # type: ignore[misc]
    """SafeLoader's constructor and resolver; libyaml's parser when available."""

    def get_single_node(self) -> Any:
        node = super().get_single_node()
        _check_graph(node)  # before a single value is constructed
        return node


class _PureLoader(yaml.SafeLoader):
    """The pure-Python loader, for the fallback (and to compare with in tests)."""

    def get_single_node(self) -> Any:
        node = super().get_single_node()
        _check_graph(node)
        return node


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
                None, None, f"duplicate key {clipped_repr(key)}", key_node.start_mark
            )
        result[key] = loader.construct_object(value_node, deep=True)
        result.key_lines[key] = key_node.start_mark.line + 1
    return result


def _construct_sequence(loader: Any, node: yaml.SequenceNode) -> LineList:
    result = LineList(loader.construct_object(child, deep=True) for child in node.value)
    result.line = node.start_mark.line + 1
    result.item_lines = [child.start_mark.line + 1 for child in node.value]
    return result


class _GraphError(yaml.MarkedYAMLError):
    """The node graph is too large, too deep, recursive or holds an oversized integer."""


def _children(node: yaml.Node) -> list:
    if isinstance(node, yaml.SequenceNode):
        return node.value
    if isinstance(node, yaml.MappingNode):
        return [n for pair in node.value for n in pair]
    return []


_INT_TAG = "tag:yaml.org,2002:int"


def _check_graph(root: yaml.Node | None) -> None:
    """Measure the composed graph before anything is built from it (see the module docstring).

    Iterative, so a deep document cannot exhaust the stack here; a node reached a second time is
    an alias, counted at its expanded size, which is what a consumer walking the loaded value pays.
    """
    if root is None:
        return
    sizes: dict[int, int] = {}
    in_progress: set[int] = set()
    aliases = 0
    stack: list[tuple[yaml.Node, int, bool]] = [(root, 1, False)]
    while stack:
        node, depth, leaving = stack.pop()
        key = id(node)
        if leaving:
            in_progress.discard(key)
            size = 1 + sum(sizes[id(child)] for child in _children(node))
            if size > MAX_NODES:
                raise _GraphError(
                    problem=f"more than {MAX_NODES:,} values once its aliases are expanded", problem_mark=node.start_mark
                )
            sizes[key] = size
            continue
        if key in sizes:
            aliases += 1
            if aliases > MAX_ALIASES:
                raise _GraphError(problem=f"more than {MAX_ALIASES:,} aliases", problem_mark=node.start_mark)
            continue
        if key in in_progress:
            raise _GraphError(problem="an alias refers to a value that contains it", problem_mark=node.start_mark)
        if depth > MAX_DEPTH:
            raise _GraphError(problem=f"nested more than {MAX_DEPTH} levels deep", problem_mark=node.start_mark)
        if isinstance(node, yaml.ScalarNode):
            if node.tag == _INT_TAG and sum(ch.isalnum() for ch in node.value) > MAX_INT_DIGITS:
                raise _GraphError(
                    problem=f"integer {clip(node.value, 24)} has more than {MAX_INT_DIGITS} digits",
                    problem_mark=node.start_mark,
                )
            sizes[key] = 1
            continue
        in_progress.add(key)
        stack.append((node, depth, True))
        stack.extend((child, depth + 1, False) for child in _children(node))


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
    except _GraphError as exc:
        mark = exc.problem_mark
        where = f"{name}:{mark.line + 1}" if mark else name
        raise error(f"{where}: " + both("yaml.refused", problem=str(exc.problem))) from None
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        where = f"{name}:{mark.line + 1}" if mark else name
        problem = exc.problem or exc.context or "invalid YAML"
        raise error(f"{where}: YAML syntax error: {clip(problem, 200)}") from None
    except yaml.YAMLError as exc:
        raise error(f"{name}: YAML syntax error: {clip(exc, 200)}") from None
    except RecursionError:
        raise error(f"{name}: YAML nested too deeply") from None
    except ValueError as exc:  # a value the constructors cannot build (e.g. past Python's int limit)
        raise error(f"{name}: YAML value refused: {clip(exc, 200)}") from None


def line_of(container: Any, key: Any = None) -> int:
    """The line of `key` in a LineDict (or of the container itself); 0 when unknown."""
    if key is not None and isinstance(container, LineDict):
        return container.key_lines.get(key, container.line)
    if key is not None and isinstance(container, LineList) and isinstance(key, int):
        if 0 <= key < len(container.item_lines):
            return container.item_lines[key]
    return getattr(container, "line", 0)


def did_you_mean(word: object, choices: Iterable[str], lang: Lang = "en") -> str:
    """' — did you mean 'x'?' (in `lang`) when a close match exists, else ''. English by default:
    rule-pack and config errors are written in English; a bilingual message asks for each language.

    Only for a word: anything that is not a short string (a huge value from a hostile file) gets no
    hint rather than a fuzzy match over megabytes."""
    if not isinstance(word, str) or len(word) > _HINT_MAX_CHARS:
        return ""
    match = difflib.get_close_matches(word, [str(c) for c in choices], n=1, cutoff=0.6)
    return t("words.did_you_mean", lang, choice=match[0]) if match else ""
