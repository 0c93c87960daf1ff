import sys
from pathlib import Path
ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / 'bench'))

import contextlib, io, shutil
import pytest


@pytest.fixture(scope='session')
def quick_run_once(tmp_path_factory):
    "One `maekd run --preset quick --quiet` on the digits, trained once for the whole session: (exit code, stderr, folder)."
    from maekd.cli import main
    out, err = tmp_path_factory.mktemp('quick') / 'demo', io.StringIO()
    with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(err):
        try: code = main(['run', '--preset', 'quick', '--out', str(out), '--quiet'])
        except SystemExit as e: code = e.code
    return code or 0, err.getvalue(), out


@pytest.fixture
def quick_run(quick_run_once, tmp_path):
    "This test's own copy of the session's quick run (tests change it): (exit code, stderr, folder)."
    code, err, src = quick_run_once
    if code == 0: shutil.copytree(src, tmp_path / 'demo')
    return code, err, tmp_path / 'demo'
