"""Find and load rule packs: the built-ins, the config's rule_files, then each --rules path."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Iterator

from pipeaudit.engine.schema import Pack, Rule, parse_pack
from pipeaudit.errors import ConfigError, RuleError
from pipeaudit.i18n import both, in_both, t
from pipeaudit.yamlsafe import clipped_repr, did_you_mean

if TYPE_CHECKING:
    from pipeaudit.config import Config


@dataclass
class RuleSet:
    """The rules of a run, in load order, with the packs they came from."""

    rules: list[Rule] = field(default_factory=list)
    packs: list[Pack] = field(default_factory=list)

    def __iter__(self) -> Iterator[Rule]:
        return iter(self.rules)

    def __len__(self) -> int:
        return len(self.rules)

    @property
    def names(self) -> list[str]:
        return [r.name for r in self.rules]

    @property
    def pack_names(self) -> list[str]:
        """The packs' names in load order, each once."""
        return list(dict.fromkeys(p.name for p in self.packs))

    def get(self, name_or_code: str) -> Rule | None:
        for r in self.rules:
            if r.name == name_or_code or (r.code and r.code.casefold() == name_or_code.casefold()):
                return r
        return None

    def match(self, word: str) -> list[Rule]:
        """The rules one --select/--ignore word names, the first of these that matches anything:
        a rule name or an exact code (one rule), a pack name (its rules), a code prefix (every
        rule whose code starts with it: PA1 → PA101…PA111). Codes and packs ignore case."""
        word = word.strip()
        if not word:
            return []
        rule = self.get(word)
        if rule is not None:
            return [rule]
        folded = word.casefold()
        in_pack = [r for r in self.rules if r.pack.casefold() == folded]
        if in_pack:
            return in_pack
        return [r for r in self.rules if r.code and r.code.casefold().startswith(folded)]

    def resolve(self, names: list[str], option: str) -> set[str]:
        """Rule names for the words a user gave (see match); a word matching nothing → ConfigError with a hint."""
        out: set[str] = set()
        for n in names:
            found = self.match(n)
            if not found:
                raise ConfigError(self._no_match(n, option))
            out.update(r.name for r in found)
        return out

    def _no_match(self, word: str, option: str) -> str:
        codes = [r.code for r in self.rules if r.code]
        packs = self.pack_names
        return f"{option} {clipped_repr(word)}: " + in_both(lambda lang: t(
            "rules.no_match", lang, packs=", ".join(packs) or t("words.none", lang),
            hint=did_you_mean(word, [*self.names, *codes, *packs], lang) or did_you_mean(word.upper(), codes, lang),
        ))



def supersede_problems(rules: list[Rule], also: list[Rule] = ()) -> list[RuleError]:
    """Every `supersedes:` of `rules` that names no loaded rule (nor one of `also`: the built-in
    rules, when a pack is validated alone), and every cycle (a supersedes b supersedes a): with a
    cycle no finding of the loop could be kept, so it is refused at load."""
    names = {**{r.name: r for r in also}, **{r.name: r for r in rules}}
    problems: list[RuleError] = []
    for r in rules:
        for other in r.supersedes:
            if other not in names:
                problems.append(RuleError(
                    f"{r.source}:{r.line}: rule '{r.name}': supersedes '{other}', which is no loaded rule"
                    f"{did_you_mean(other, names)}"))
    graph = {r.name: [o for o in r.supersedes if o in names] for r in names.values()}
    state: dict[str, int] = {}  # 1 on the current path, 2 done

    def visit(name: str, path: list[str]) -> None:
        state[name] = 1
        for nxt in graph[name]:
            if state.get(nxt) == 1:
                loop = path[path.index(nxt):] + [nxt] if nxt in path else [name, nxt]
                r = names[name]
                problems.append(RuleError(f"{r.source}:{r.line}: rule '{name}': supersedes forms a cycle"
                                          f" ({' -> '.join(loop)})"))
            elif nxt not in state:
                visit(nxt, path + [nxt])
        state[name] = 2

    for name in graph:
        if name not in state:
            visit(name, [name])
    return problems


_PACK_CACHE: dict[tuple, Pack] = {}


def cached_pack(path: Path) -> Pack:
    """parse_pack, remembered while the file's bytes are unchanged (rules are not mutated after parsing)."""
    import hashlib

    try:
        if path.stat().st_size > 5 * 1024 * 1024:
            return parse_pack(path)  # the loader refuses it with a clear reason
        key = (str(path.resolve()), hashlib.sha256(path.read_bytes()).hexdigest())
    except OSError:
        return parse_pack(path)
    if key not in _PACK_CACHE:
        if len(_PACK_CACHE) > 64:
            _PACK_CACHE.clear()
        _PACK_CACHE[key] = parse_pack(path)
    return _PACK_CACHE[key]


def _builtin_rules() -> list[Rule]:
    from pipeaudit.resources import data_dir

    return [r for f in pack_files(data_dir("rules")) for r in cached_pack(f).rules]


def _is_builtin(name: str) -> bool:
    from pipeaudit.resources import data_dir

    return any(r.name == name or r.code == name for f in pack_files(data_dir("rules")) for r in cached_pack(f).rules)


def pack_files(path: Path) -> list[Path]:
    path = Path(path)
    if path.is_dir():
        return sorted(p for p in path.iterdir() if p.suffix in (".yaml", ".yml") and p.is_file())
    if not path.exists():
        raise RuleError(f"{path}: " + both("rules.no_such_path"))
    return [path]


def _clash(rule: Rule, path: Path, names: dict[str, Rule], codes: dict[str, Rule]) -> RuleError | None:
    """A rule whose name or code an earlier pack already uses; else None (and the rule is remembered)."""
    if rule.name in names:
        first = names[rule.name]
        return RuleError(f"{path}:{rule.line}: rule '{rule.name}': duplicate rule name (also in {first.source}:{first.line})")
    if rule.code and rule.code in codes:
        first = codes[rule.code]
        return RuleError(f"{path}:{rule.line}: rule '{rule.name}': code {rule.code} is already used by '{first.name}' ({first.source}:{first.line})")
    names[rule.name] = rule
    if rule.code:
        codes[rule.code] = rule
    return None


def collect_rules(paths: list[Path]) -> tuple[RuleSet, list[RuleError], list[Path]]:
    """For `rules validate`: the valid rules under `paths`, EVERY problem found (not only the
    first), and the files read in order.

    A broken rule is reported and left out, the others still checked; a pack that cannot be read
    as a pack (YAML syntax, its keys) is one problem and the other files still load; a missing path
    too. Nothing is cached: a pack with problems is never used to audit.
    """
    rs = RuleSet()
    problems: list[RuleError] = []
    read: list[Path] = []
    names: dict[str, Rule] = {}
    codes: dict[str, Rule] = {}
    done: set[Path] = set()
    for p in paths:
        try:
            files = pack_files(p)
        except RuleError as exc:
            problems.append(exc)
            continue
        for f in files:
            key = f.resolve()
            if key in done:
                continue
            done.add(key)
            read.append(f)
            found: list[RuleError] = []
            try:
                pack = parse_pack(f, problems=found)
            except RuleError as exc:
                problems.append(exc)
                continue
            problems.extend(found)
            kept = []
            for r in pack.rules:
                clash = _clash(r, f, names, codes)
                if clash is not None:
                    problems.append(clash)
                else:
                    kept.append(r)
            pack.rules = kept
            rs.packs.append(pack)
            rs.rules.extend(kept)
    problems.extend(supersede_problems(rs.rules, also=_builtin_rules()))
    return rs, problems, read


def load_rules(paths: list[Path], *, default_rules: bool = True, cfg: "Config | None" = None) -> RuleSet:
    """Every pack, validated; duplicate names across packs are an error; config overrides applied."""
    from pipeaudit.resources import data_dir

    files: list[Path] = []
    if default_rules:
        files += pack_files(data_dir("rules"))
    if cfg is not None:
        for p in cfg.rule_files:
            files += pack_files(p)
    for p in paths:
        files += pack_files(p)
    rs = RuleSet()
    seen: dict[str, Rule] = {}
    codes: dict[str, Rule] = {}
    done: set[Path] = set()
    for f in files:
        key = f.resolve()
        if key in done:
            continue
        done.add(key)
        pack = cached_pack(f)
        for r in pack.rules:
            clash = _clash(r, f, seen, codes)
            if clash is not None:
                raise clash
        rs.packs.append(pack)
        rs.rules.extend(pack.rules)
    found = supersede_problems(rs.rules)
    if found:
        raise found[0]
    if cfg is not None and cfg.rules:
        where = str(cfg.source or "config")
        by_name = {r.name: i for i, r in enumerate(rs.rules)}
        for name, overrides in cfg.rules.items():
            rule = rs.get(name)
            if rule is None and not default_rules and _is_builtin(name):
                continue  # tuning for a built-in rule this run does not load
            if rule is None:
                raise ConfigError(f"{where}: rules.{name}: no such rule{did_you_mean(name, by_name)}")
            rs.rules[by_name[rule.name]] = rule.with_overrides(overrides, where)
    return rs
