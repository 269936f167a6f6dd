"""Render the demo's HTML reports to PNG with headless Chromium, to look at them as a browser does.

Usage: python benchmarks/screenshots.py OUT_DIR [SHOTS_DIR]
Finds every summary.html under OUT_DIR and, for each, the summary plus up to two rep pages, at a
desktop width (1200) and a phone width (390). PNGs go to SHOTS_DIR (default: screenshots/).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

CHROMIUM_NAMES = ("/usr/bin/chromium", "/usr/bin/chromium-browser", "/usr/bin/google-chrome")
WIDTHS = {"desktop": (1200, 2000), "phone": (390, 2400)}
REPS_PER_REPORT = 2
TIMEOUT = 60


def find_chromium() -> str | None:
    env = os.environ.get("CHROMIUM")
    if env and Path(env).is_file():
        return env
    for name in CHROMIUM_NAMES:
        if Path(name).is_file():
            return name
    return None


def pages(out: Path) -> list[Path]:
    """Each report's summary, then its rep pages with the most content first (the interesting ones)."""
    chosen: list[Path] = []
    for summary in sorted(out.rglob("summary.html")):
        chosen.append(summary)
        reps = sorted((summary.parent / "reps").glob("*.html"), key=lambda p: (-p.stat().st_size, p.name))
        chosen.extend(reps[:REPS_PER_REPORT])
    return chosen


def shot(chromium: str, page: Path, png: Path, size: tuple[int, int]) -> bool:
    with tempfile.TemporaryDirectory(prefix="pipeaudit-chromium-") as profile:
        cmd = [
            chromium, "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
            "--disable-background-networking", "--disable-component-update", "--disable-sync",
            "--hide-scrollbars", f"--user-data-dir={profile}", f"--window-size={size[0]},{size[1]}",
            f"--screenshot={png}", page.resolve().as_uri(),
        ]
        try:
            proc = subprocess.run(cmd, capture_output=True, text=True, timeout=TIMEOUT)
        except subprocess.TimeoutExpired:
            print(f"  timed out: {page}", file=sys.stderr)
            return False
    if proc.returncode != 0 or not png.is_file():
        print(f"  chromium failed on {page}: {proc.stderr.strip().splitlines()[-1:]}", file=sys.stderr)
        return False
    return True


def main(argv: list[str]) -> int:
    if not argv or argv[0] in ("-h", "--help"):
        print(__doc__.strip())
        return 0 if argv else 2
    out = Path(argv[0])
    dest = Path(argv[1]) if len(argv) > 1 else Path("screenshots")
    chromium = find_chromium()
    if chromium is None:
        print("screenshots: Chromium not found. Install it with: sudo apt-get install -y chromium fonts-noto-cjk"
              " (fonts-noto-cjk so that Chinese text renders)", file=sys.stderr)
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
    made = 0
    for page in found:
        rel = page.relative_to(out).with_suffix("")
        stem = "__".join(rel.parts)
        for label, size in WIDTHS.items():
            png = dest / f"{stem}.{label}.png"
            if shot(chromium, page, png, size):
                made += 1
                print(png)
    print(f"screenshots: {made} PNG files in {dest}/")
    return 0 if made else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
