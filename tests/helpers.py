"Shared helpers for the CLI tests: run `maekd` in-process or as a real process, make image folders."
import os, subprocess, sys
import numpy as np
from PIL import Image
from maekd.cli import main


def run_main(argv, capsys):
    "Run `maekd ARGV` in this process: (exit code, stdout, stderr)."
    try: code = main([str(a) for a in argv])
    except SystemExit as e: code = e.code
    out = capsys.readouterr()
    return code, out.out, out.err


def run_cli(*args, timeout=600):
    "Run `maekd ARGS` as a separate process."
    return subprocess.run([sys.executable, '-m', 'maekd.cli', *map(str, args)], capture_output=True, text=True, timeout=timeout)


def make_folder(root, classes=('a', 'b'), n=6, size=20, corrupt=0, seed=0):
    "A class-folder image set with `corrupt` unreadable files added."
    rng = np.random.default_rng(seed)
    for c in classes:
        os.makedirs(root / c, exist_ok=True)
        for i in range(n):
            Image.fromarray(rng.integers(0, 255, (size, size, 3), dtype=np.uint8)).save(root / c / f'{i}.png')
    for i in range(corrupt): (root / classes[0] / f'bad{i}.jpg').write_bytes(os.urandom(64))
    return root


def assert_one_line_error(code, err, *needles):
    assert code == 2, (code, err)
    lines = [l for l in err.strip().splitlines() if l.strip()]
    assert len(lines) == 1 and lines[0].startswith('maekd: error:'), err
    assert 'Traceback' not in err
    for n in needles: assert n in lines[0], (n, lines[0])


def first_epoch_only(stage, **kw):
    "Run the training stage `stage(**kw)` stopped after its first epoch, as a killed command leaves it (checkpoint written)."
    from fastai.callback.core import Callback, CancelFitException
    from fastai.learner import Learner
    class StopAfterFirst(Callback):
        order = 99
        def after_epoch(self): raise CancelFitException
    real = Learner.fit
    def one_epoch(self, *a, cbs=None, **k): return real(self, *a, cbs=[*(cbs or []), StopAfterFirst()], **k)
    Learner.fit = one_epoch
    try: stage(**kw)
    finally: Learner.fit = real


def assert_force_starts_over(run, data, out, **kw):
    "`run(data, out=out, **kw)` (a `*-run` harness) twice: refused without `force`; with it, every stage trains again."
    import json, pytest
    run(str(data), out=str(out), **kw)
    cfg = out / 'seed42' / 'teacher' / 'config.json'
    cfg.write_text(json.dumps(dict(json.loads(cfg.read_text()), stale=True)))    # marks the old teacher
    with pytest.raises(FileExistsError): run(str(data), out=str(out), **kw)      # never without --force
    run(str(data), out=str(out), **kw, force=True)
    assert 'stale' not in json.loads(cfg.read_text())
