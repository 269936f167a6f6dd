"""The one direction of data flow, wired: read → normalise → evaluate → AuditResult.

Commands call these functions; renderers receive their result and nothing else.
"""

from __future__ import annotations

from pipeaudit.config import Config, load_config
from pipeaudit.model import Deals
from pipeaudit.options import ReadOptions


def load_settings(opts: ReadOptions) -> Config:
    """The config named by --config, else the nearest one found upwards."""
    return load_config(opts.config)


def load_deals(opts: ReadOptions, cfg: Config) -> Deals:
    """Read the export and turn it into typed Deals, honouring config `columns:` and --map."""
    from pipeaudit.deals.build import build_deals
    from pipeaudit.deals.columns import make_header_scorer
    from pipeaudit.read import read_table

    maps = {**cfg.columns, **opts.maps}
    raw = read_table(opts.path, sheet=opts.sheet, header_score=make_header_scorer(maps))
    return build_deals(raw, cfg, maps)
