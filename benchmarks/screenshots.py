"""Look at the demo's reports as a person would: screenshots, printed PDFs, the workbook printed.

Usage: python benchmarks/screenshots.py OUT_DIR [SHOTS_DIR]
Finds every summary.html under OUT_DIR and, for each, the summary plus the rep page with the most
content, and with headless Chromium:
  * takes a PNG at a desktop width (1200) and a phone width (390);
  * prints the page to an A4 PDF (--print-to-pdf, the page's own print CSS), counts its pages
    (pdfinfo) and renders the first two pages to PNG (pdftoppm) to look at;
and converts each report.xlsx to PDF with LibreOffice (soffice --headless --convert-to pdf) and
counts those pages too. Everything goes to SHOTS_DIR (default: screenshots/), with pages.txt
listing every page count. The goals: a rep sheet with up to ten flagged deals on two A4 pages, the
summary on two. None of these tools is needed by `make test`.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

CHROMIUM_NAMES = ("/usr/bin/chromium", "/usr/bin/chromium-browser", "/usr/bin/google-chrome")
WIDTHS = {"desktop": (1200, 2000), "phone": (390, 2400)}
REPS_PER_REPORT = 1
TIMEOUT = 90
PRINT_GOAL = 2  # A4 pages for the summary and for a rep sheet with up to ten flagged deals


def find_chromium() -> str | None:
    env = os.environ.get("CHROMIUM")
    if env and Path(env).is_file():
        return env
    for name in CHROMIUM_NAMES:
        if Path(name).is_file():
            return name
    return None


def pages(out: Path) -> list[Path]:
    """Each report's summary, then its rep page with the most content (the interesting one)."""
    chosen: list[Path] = []
    for summary in sorted(out.rglob("summary.html")):
        chosen.append(summary)
        reps = sorted((summary.parent / "reps").glob("*.html"), key=lambda p: (-p.stat().st_size, p.name))
        chosen.extend(reps[:REPS_PER_REPORT])
    return chosen


def _chromium(chromium: str, page: Path, *args: str) -> subprocess.CompletedProcess | None:
    with tempfile.TemporaryDirectory(prefix="pipeaudit-chromium-") as profile:
        cmd = [
            chromium, "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
            "--disable-background-networking", "--disable-component-update", "--disable-sync",
            "--hide-scrollbars", f"--user-data-dir={profile}", *args, page.resolve().as_uri(),
        ]
        try:
            return subprocess.run(cmd, capture_output=True, text=True, timeout=TIMEOUT)
        except subprocess.TimeoutExpired:
            print(f"  timed out: {page}", file=sys.stderr)
            return None


def shot(chromium: str, page: Path, png: Path, size: tuple[int, int]) -> bool:
    proc = _chromium(chromium, page, f"--window-size={size[0]},{size[1]}", f"--screenshot={png}")
    if proc is None or proc.returncode != 0 or not png.is_file():
        print(f"  chromium failed on {page}: {(proc.stderr.strip().splitlines() if proc else [])[-1:]}", file=sys.stderr)
        return False
    return True


def print_pdf(chromium: str, page: Path, pdf: Path) -> bool:
    proc = _chromium(chromium, page, "--no-pdf-header-footer", "--print-to-pdf-no-header", f"--print-to-pdf={pdf}")
    if proc is None or not pdf.is_file():
        print(f"  printing failed on {page}", file=sys.stderr)
        return False
    return True


def pdf_pages(pdf: Path) -> int | None:
    if not shutil.which("pdfinfo"):
        return None
    info = subprocess.run(["pdfinfo", str(pdf)], capture_output=True, text=True).stdout
    m = re.search(r"^Pages:\s+(\d+)", info, re.M)
    return int(m.group(1)) if m else None


def pdf_pngs(pdf: Path, stem: Path, last: int = 2) -> list[Path]:
    """The first `last` pages as PNG (pdftoppm), to look at the printed layout."""
    if not shutil.which("pdftoppm"):
        return []
    subprocess.run(["pdftoppm", "-png", "-r", "60", "-f", "1", "-l", str(last), str(pdf), str(stem)],
                   capture_output=True, timeout=TIMEOUT)
    return sorted(stem.parent.glob(f"{stem.name}-*.png"))


def workbook_pdf(xlsx: Path, dest: Path, name: str) -> Path | None:
    """report.xlsx printed by LibreOffice, as it would be printed from Excel (its print setup)."""
    soffice = shutil.which("soffice") or shutil.which("libreoffice")
    if soffice is None:
        print("  LibreOffice not found (apt-get install -y libreoffice-calc-nogui): workbook not printed",
              file=sys.stderr)
        return None
    with tempfile.TemporaryDirectory(prefix="pipeaudit-soffice-") as tmp:
        profile = Path(tmp) / "profile"
        proc = subprocess.run([soffice, f"-env:UserInstallation={profile.as_uri()}", "--headless", "--convert-to",
                               "pdf", "--outdir", tmp, str(xlsx)], capture_output=True, text=True, timeout=300)
        made = Path(tmp) / (xlsx.stem + ".pdf")
        if proc.returncode != 0 or not made.is_file():
            print(f"  LibreOffice failed on {xlsx}: {proc.stderr.strip()[-200:]}", file=sys.stderr)
            return None
        target = dest / f"{name}.pdf"
        shutil.move(str(made), target)
        return target


def main(argv: list[str]) -> int:
    if not argv or argv[0] in ("-h", "--help"):
        print(__doc__.strip())
        return 0 if argv else 2
    out = Path(argv[0])
    dest = Path(argv[1]) if len(argv) > 1 else Path("screenshots")
    chromium = find_chromium()
    if chromium is None:
        print("screenshots: Chromium not found. Install it with: sudo apt-get install -y chromium fonts-noto-cjk"
              " poppler-utils libreoffice-calc-nogui (fonts-noto-cjk so that Chinese text renders)", file=sys.stderr)
        return 2
    if not out.is_dir():
        print(f"screenshots: {out} is not a folder; run `make demo` first", file=sys.stderr)
        return 2
    found = pages(out)
    if not found:
        print(f"screenshots: no summary.html under {out}; run `make demo` first", file=sys.stderr)
        return 2
    if shutil.which("fc-list") and "CJK" not in subprocess.run(["fc-list"], capture_output=True, text=True).stdout:
        print("screenshots: no CJK font found; Chinese may render as boxes (apt-get install -y fonts-noto-cjk)",
              file=sys.stderr)
    dest.mkdir(parents=True, exist_ok=True)
    made, counts = 0, []
    for page in found:
        stem = "__".join(page.relative_to(out).with_suffix("").parts)
        for label, size in WIDTHS.items():
            png = dest / f"{stem}.{label}.png"
            if shot(chromium, page, png, size):
                made += 1
                print(png)
        pdf = dest / f"{stem}.print.pdf"
        if print_pdf(chromium, page, pdf):
            n = pdf_pages(pdf)
            pngs = pdf_pngs(pdf, dest / f"{stem}.print")
            made += len(pngs)
            flag = "" if n is None or n <= PRINT_GOAL else f"  (over the goal of {PRINT_GOAL})"
            counts.append(f"{pdf.name}: {n} A4 page(s){flag}")
            print(f"{pdf}: {n} page(s){flag}")
    for xlsx in sorted(out.rglob("report.xlsx")):
        name = "__".join(xlsx.relative_to(out).with_suffix("").parts) + ".xlsx"
        pdf = workbook_pdf(xlsx, dest, name)
        if pdf is not None:
            n = pdf_pages(pdf)
            made += len(pdf_pngs(pdf, dest / f"{name}.print"))
            counts.append(f"{pdf.name}: {n} page(s) from LibreOffice")
            print(f"{pdf}: {n} page(s) (LibreOffice)")
    (dest / "pages.txt").write_text("\n".join(counts) + "\n", encoding="utf-8")
    print(f"screenshots: {made} PNG files in {dest}/, page counts in {dest / 'pages.txt'}")
    return 0 if made else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
