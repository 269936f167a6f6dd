"""Find and load rule packs: the built-ins, the config's rule_files, then each --rules path."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Iterator

from pipeaudit.engine.schema import Pack, Rule, parse_pack
from pipeaudit.errors import ConfigError, RuleError
from pipeaudit.yamlsafe import did_you_mean, shown

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

    def get(self, name_or_code: str) -> Rule | None:
        for r in self.rules:
            if r.name == name_or_code or (r.code and r.code.casefold() == name_or_code.casefold()):
                return r
        return None

    def resolve(self, names: list[str], option: str) -> set[str]:
        """Rule names for names or codes given by a user; unknown → ConfigError with a hint."""
        out = set()
        choices = [*self.names, *(r.code for r in self.rules if r.code)]
        for n in names:
            rule = self.get(n)
            if rule is None:
                raise ConfigError(f"{option} {shown(n)}: no such rule{did_you_mean(n, choices)} (see `pipeaudit rules list`)")
            out.add(rule.name)
        return out

    def filtered(self, keep) -> "RuleSet":
        return RuleSet([r for r in self.rules if keep(r)], self.packs)


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


def _is_builtin(name: str) -> bool:
    from pipeaudit.resources import data_dir

    return any(r.name == name or r.code == name for f in pack_files(data_dir("rules")) for r in cached_pack(f).rules)


def pack_files(path: Path) -> list[Path]:
    path = Path(path)
    if path.is_dir():
        return sorted(p for p in path.iterdir() if p.suffix in (".yaml", ".yml") and p.is_file())
    if not path.exists():
        raise RuleError(f"{path}: no such rule file or folder")
    return [path]


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
            if r.name in seen:
                first = seen[r.name]
                raise RuleError(f"{f}:{r.line}: rule '{r.name}': duplicate rule name (also in {first.source}:{first.line})")
            if r.code and r.code in codes:
                first = codes[r.code]
                raise RuleError(f"{f}:{r.line}: rule '{r.name}': code {r.code} is already used by '{first.name}' ({first.source}:{first.line})")
            seen[r.name] = r
            if r.code:
                codes[r.code] = r
        rs.packs.append(pack)
        rs.rules.extend(pack.rules)
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
