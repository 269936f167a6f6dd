"""A wheel built from the repository carries the rule packs and templates and works outside it."""

import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def wheel(tmp_path_factory):
    pytest.importorskip("setuptools")
    dist = tmp_path_factory.mktemp("dist")
    build = subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-q", "-w", str(dist), str(ROOT)],
        capture_output=True, text=True, timeout=300,
    )
    assert build.returncode == 0, build.stderr[-2000:]
    (whl,) = dist.glob("pipeaudit-*.whl")
    return whl


def test_wheel_ships_rules_and_templates(wheel):
    names = zipfile.ZipFile(wheel).namelist()
    packs = list((ROOT / "rules").glob("*.yaml"))
    assert packs, "the repository ships no rule pack"
    for pack in packs:
        assert f"pipeaudit/_data/rules/{pack.name}" in names
    for tpl in (ROOT / "templates").iterdir():
        if tpl.is_file():
            assert f"pipeaudit/_data/templates/{tpl.name}" in names
    assert "pipeaudit/i18n/catalogue.yaml" in names


def test_installed_wheel_finds_its_own_data(wheel, tmp_path):
    site = tmp_path / "site"
    zipfile.ZipFile(wheel).extractall(site)
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    code = (
        "import sys; sys.path.insert(0, sys.argv[1])\n"
        "from pipeaudit.resources import data_dir\n"
        "print(data_dir('rules')); print(data_dir('templates'))\n"
        "import pipeaudit.i18n as i18n\n"
        "assert i18n.CATALOGUE.is_relative_to(sys.argv[1]), i18n.CATALOGUE\n"
        "assert i18n.t('severity.error', 'zh') == '错误'\n"
    )
    out = subprocess.run([sys.executable, "-c", code, str(site)], capture_output=True, text=True, cwd=elsewhere, timeout=60)
    assert out.returncode == 0, out.stderr
    rules_dir, templates_dir = (Path(line) for line in out.stdout.split())
    assert rules_dir == site / "pipeaudit" / "_data" / "rules"
    assert templates_dir == site / "pipeaudit" / "_data" / "templates"
