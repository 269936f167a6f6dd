"""The shapes of export `make bench` measures: a small matrix, and why it is this one.

Issue 14: the speed of `check` came from doing work once per distinct value, and the one shape the
bench used to generate (Chinese, repeated text, Excel dates) hid what real exports hold: a distinct
deal name, account, contact and free-text next step on every row. So the bench runs a small matrix
of shapes, each a combination of five factors:

    text      repeated (a few hundred values per column) | distinct (a new value on every row in
              deal name, account, decision maker / economic buyer, insider / champion, next step)
    lang      zh (Chinese headers, stages and values)    | en (Salesforce-style headers and values)
    dates     excel (numeric cells with a date format)   | text (ISO text cells); a CSV is text
    findings  few (~0.3 a deal: one deal in ten is messy) | many (~2.8 a deal, ~280,000 on 100k deals,
              as the issue measured; every deal is messy, as the old single shape was)
    format    xlsx with 100,000 deals                     | csv with 1,000,000 deals (--quick: 10k/100k)

The cross product is 2^4 x 2 = 32 files (16 for xlsx, 8 for csv since a CSV has no Excel dates):
at 1-3 minutes a shape with three repeats that is more than an hour on our 2-core box. So the matrix
is a baseline, one factor changed at a time, and the worst combination:

    xlsx-base       repeated, zh, excel dates, few findings: a tidy Chinese CRM workbook
    xlsx-distinct   base with distinct-per-row text: the once-per-distinct-value paths lose
    xlsx-en         base in English: other header aliases, stage ladder, date and word parsing
    xlsx-textdates  base with dates as text cells: date parsing instead of serial numbers
    xlsx-many       base with ~2.8 findings a deal: evaluation and output dominate (this is
                    the old single bench shape, kept so earlier RESULTS.md figures compare)
    xlsx-worst      distinct, zh, excel dates, many findings: the shape of the issue (1.5x)
    csv-base        repeated, zh, few findings, 1M deals
    csv-distinct    csv-base with distinct-per-row text
    csv-many        csv-base with ~2.8 findings a deal: ~2.8 M findings, a ~1 GB JSON
    csv-worst       distinct, zh, many findings, 1M deals: the issue's 3.5x / 2.5x memory shape

English and text dates are one-factor shapes on the workbook only: on a CSV every date is text
anyway, and English changes which words are parsed, not how many distinct values there are (the
distinct and many-findings factors are what scale with rows, so those are crossed with the CSV).
Chinese is the worst language for the worst shape: wider UTF-8, and the text our users export.

benchmarks/generate.py writes the files; benchmarks/bench.py runs every shape. This module has no
numpy or pandas, so that the bench process that starts the measured children stays small.
"""

from __future__ import annotations

from dataclasses import dataclass

#: Deals per file, by format (--quick: QUICK_SIZES).
SIZES = {"xlsx": 100_000, "csv": 1_000_000}
QUICK_SIZES = {"xlsx": 10_000, "csv": 100_000}
#: The deal sheet of a workbook, by language (each workbook opens on a notes sheet before it).
SHEETS = {"zh": "商机列表", "en": "Opportunities"}


# ---- the matrix --------------------------------------------------------------------------


@dataclass(frozen=True)
class Shape:
    name: str
    fmt: str  # xlsx | csv
    text: str = "repeated"  # repeated | distinct
    lang: str = "zh"  # zh | en
    dates: str = "excel"  # excel | text (a csv is always text)
    findings: str = "few"  # few | many
    why: str = ""

    @property
    def key(self) -> str:
        """The factors, as the cache file name has them (a renamed shape keeps its files)."""
        return f"{self.fmt}-{self.text}-{self.lang}-{self.dates if self.fmt == 'xlsx' else 'text'}-{self.findings}"

    @property
    def sheet(self) -> str:
        return SHEETS[self.lang]

    @property
    def factors(self) -> str:
        dates = f"{self.dates} dates" if self.fmt == "xlsx" else "text dates"
        return f"{self.text}, {self.lang}, {dates}, {self.findings} findings"


SHAPES: dict[str, Shape] = {s.name: s for s in [
    Shape("xlsx-base", "xlsx", why="baseline: a tidy Chinese CRM workbook"),
    Shape("xlsx-distinct", "xlsx", text="distinct", why="distinct-per-row text"),
    Shape("xlsx-en", "xlsx", lang="en", why="English headers and values"),
    Shape("xlsx-textdates", "xlsx", dates="text", why="dates as text cells"),
    Shape("xlsx-many", "xlsx", findings="many", why="~2.8 findings a deal (the old bench shape)"),
    Shape("xlsx-worst", "xlsx", text="distinct", findings="many", why="the issue's shape: distinct, many"),
    Shape("csv-base", "csv", why="baseline at 1M deals"),
    Shape("csv-distinct", "csv", text="distinct", why="distinct-per-row text at 1M deals"),
    Shape("csv-many", "csv", findings="many", why="~2.8 M findings"),
    Shape("csv-worst", "csv", text="distinct", findings="many", why="the issue's 1M shape: distinct, many"),
]}
