"""`maekd run --mae`: a run whose MAE rows start from an MAE the user already has, kept as it is or pretrained further.

    python bench/mae_start.py            # about 25 minutes on a 2-core CPU; writes bench/results/mae_start.{json,md}

The MAE given stands in for released weights: `maekd pretrain` for `--given-epochs` (5) epochs on the digits, read
back from its reference-format `mae.pth` (the format facebookresearch/mae writes). Then two runs of the default preset
on the digits, one seed each, identical but for `--pretrain-epochs`: 0 (the MAE as it is) and `--more` (55: with the
5 given, the default's 60). The table gives each run's rows as its report scored them on the held-out images, and the
sentence each report wrote about where its MAE came from. One seed each: it shows what the option does to the rows, it
is no verdict (a verdict needs paired seeds and an interval). Finished stages are kept in `--out`: run it again to go on.
"""
import argparse, json, subprocess, sys
from pathlib import Path
import pandas as pd

ROOT = Path(__file__).resolve().parents[1]


def maekd(*args):
    "Run the maekd command line in a child process (its own memory), failing loudly."
    subprocess.run([sys.executable, '-m', 'maekd.cli', *map(str, args)], check=True)


def origin(report: Path) -> str:
    "The sentence of a run's report that says where its MAE came from."
    words = ' '.join(report.read_text().split())
    return next(s.strip() + '.' for s in words.split('. ') if s.strip().startswith('The MAE '))


if __name__ == '__main__':
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument('--out', default='runs/mae_start'); p.add_argument('--seed', type=int, default=42)
    p.add_argument('--given-epochs', type=int, default=5); p.add_argument('--more', type=int, default=55)
    a = p.parse_args(); out = Path(a.out)
    given = out / 'given'
    if not (given / 'mae.pth').exists(): maekd('pretrain', '--out', given, '--epochs', a.given_epochs, '--seed', a.seed, '--quiet', '--force')
    runs = {0: out / 'kept', a.more: out / 'continued'}
    for n, run in runs.items():
        maekd('run', '--mae', given / 'mae.pth', '--pretrain-epochs', n, '--seed', a.seed, '--out', run, '--quiet', '--device', 'cpu',
              *(['--resume'] if (run / 'run.json').exists() else []))
    rows = []
    for n, run in runs.items():
        per = pd.read_csv(run / 'report_seeds.csv').set_index('model')
        rows.append(dict(pretrain_epochs=n, origin=origin(run / 'report.md'), **{m: round(100 * per.loc[m, 'top1'], 1) for m in
                         ('teacher', 'teacher_scratch', 'student_kd', 'student_scratch')}))
    res = dict(seed=a.seed, given_epochs=a.given_epochs, rows=rows)
    (ROOT / 'bench/results/mae_start.json').write_text(json.dumps(res, indent=2) + '\n')
    cols = ['pretrain_epochs', 'teacher', 'teacher_scratch', 'student_kd', 'student_scratch']
    md = ['| --pretrain-epochs | teacher | teacher_scratch | student_kd | student_scratch |', '|---|---|---|---|---|']
    md += ['| ' + ' | '.join(str(r[c]) for c in cols) + ' |' for r in rows]
    md += [''] + [f"- `--pretrain-epochs {r['pretrain_epochs']}`: {r['origin']}" for r in rows]
    head = (f"`maekd run --mae MAE --seed {a.seed}` on the digits (default preset, one seed, top-1 % on the held-out images), "
            f"MAE = `maekd pretrain --epochs {a.given_epochs}` read from its reference-format `mae.pth`:\n\n")
    (ROOT / 'bench/results/mae_start.md').write_text(head + '\n'.join(md) + '\n')
    print(head + '\n'.join(md))
