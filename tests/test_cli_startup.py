"""`--help` and `--version` stay instant: they must not import pandas or other heavy modules."""

import subprocess
import sys

import pytest

from pipeaudit import __version__

HEAVY = ("pandas", "numpy", "openpyxl", "jinja2", "python_calamine", "pyarrow")


@pytest.mark.parametrize(
    "args",
    [["--help"], ["--version"], ["check", "--help"], ["report", "--help"], ["send", "--help"], ["rules", "fields", "--help"],
     ["rules", "operators"]],
)
def test_no_heavy_imports(args):
    code = (
        "import sys\n"
        "from pipeaudit.cli import app\n"
        "try:\n"
        f"    app({args!r}, prog_name='pipeaudit')\n"
        "except SystemExit as e:\n"
        "    assert e.code in (0, None), e.code\n"
        f"heavy = [m for m in {HEAVY!r} if m in sys.modules]\n"
        "print('HEAVY=' + ','.join(heavy))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    assert "HEAVY=\n" in out.stdout, out.stdout[-500:]


def test_version():
    out = subprocess.run([sys.executable, "-m", "pipeaudit", "--version"], capture_output=True, text=True, timeout=60)
    assert out.returncode == 0
    assert out.stdout.strip() == f"pipeaudit {__version__}"


def test_usage_error_is_exit_2():
    out = subprocess.run([sys.executable, "-m", "pipeaudit", "check"], capture_output=True, text=True, timeout=60)
    assert out.returncode == 2
    assert "Traceback" not in out.stderr
