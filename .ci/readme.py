"""Render nbs/index.ipynb into README.md without Quarto (which cannot be installed offline).

Markdown cells are copied, code cells become python blocks followed by their text output; cells marked
`#| hide` are left out. A line `<!-- include results/FILE.md -->` in a markdown cell is replaced by that
file of `nbs/`, and a line `<!-- table FUNCTION results/FILE.csv -->` by `maekd.core.md_table` of `maekd.verdicts.FUNCTION` applied to
that stored file: the results tables are stored reports of real runs, never pasted by hand.
`python .ci/readme.py --check` exits 1 when README.md is out of date (or a stored report changed);
`python .ci/readme.py --store RUN_DIR [SWEEP_DIR]` stores the report (and label curve) of a finished run on the digits;
`python .ci/readme.py --store-photos RUN_DIR` stores a run on photos into `nbs/results/photos/` beside it.
"""
import json, re, shutil, sys
from pathlib import Path
import pandas as pd
from maekd import verdicts
from maekd.core import md_table
from maekd.sweep import save_label_curve

root = Path(__file__).resolve().parents[1]
INCLUDE = re.compile(r'<!-- include (\S+) -->')
TABLE = re.compile(r'<!-- table (\w+) (\S+) -->')


def table(fn, csv):
    "The markdown of `maekd.verdicts.fn` on the stored per-seed rows `csv` (relative to nbs/)."
    return md_table(getattr(verdicts, fn)(pd.read_csv(root / 'nbs' / csv))).strip()


def include(md):
    "Markdown with every include line replaced by the file it names (relative to nbs/), every table line by its table."
    md = TABLE.sub(lambda m: table(m.group(1), m.group(2)), md)
    return INCLUDE.sub(lambda m: (root / 'nbs' / m.group(1)).read_text().strip(), md)


def render(nb):
    out = []
    for c in nb['cells']:
        src = ''.join(c['source'])
        if c['cell_type'] == 'markdown': out.append(include(src).replace('](images/', '](nbs/images/')); continue
        if '#| hide' in src: continue
        out.append('```python\n' + '\n'.join(l for l in src.splitlines() if not l.startswith('#|')) + '\n```')
        for o in c.get('outputs', []):
            txt = ''.join(o.get('text', '') or o.get('data', {}).get('text/plain', ''))
            if txt.strip(): out.append('    ' + txt.rstrip().replace('\n', '\n    '))
    return '\n\n'.join(out) + '\n'


def machine(run):
    "The CPU a run recorded (`machine.json`), else this machine's (older runs and sweeps record none)."
    if (run / 'machine.json').exists(): return json.loads((run / 'machine.json').read_text())['cpu']
    return next((l.split(':', 1)[1].strip() for l in Path('/proc/cpuinfo').read_text().splitlines() if l.startswith('model name')), 'a CPU')


def sweep_summary(sweep):
    "One line on where a stored label curve came from: its command, seeds, machine and models, read from its files."
    cfg = json.loads((sweep / 'sweep.json').read_text())
    seeds, fracs = cfg['seeds'], ', '.join(f'{f:.0%}' for f in cfg['label_fracs'])
    return (f"From `maekd sweep --seeds {len(seeds)}` ({cfg['preset']} preset, seeds {', '.join(map(str, seeds))}, labels {fracs}) "
            f"on {machine(sweep)}: every row at its preset rate, `{cfg['student']}` students, `{cfg['arch']}` teachers.\n")


def summary(run):
    "One line on where a stored run came from: its command, seeds, machine and training time, all read from its files."
    cfg, per = json.loads((run / 'run.json').read_text()), pd.read_csv(run / 'report_seeds.csv')
    cpu, seeds = machine(run), cfg['seeds']
    mae = sum(json.loads((run / f'seed{s}' / 'mae' / 'timing.json').read_text())['train_s'] for s in seeds)
    total = (per['train_s'].sum() + mae) / 60
    tuned = f" --tune-lr {cfg['tune_lr']}" if cfg.get('tune_lr') else ''
    data = f" --data {cfg['data']}" if cfg.get('data', 'digits') != 'digits' else ''
    return (f"From `maekd run{data} --seeds {len(seeds)}{tuned}` ({cfg['preset']} preset, seeds {', '.join(map(str, seeds))}) on {cpu} "
            f"({cfg.get('device', 'cpu')}, {cfg.get('precision', 'fp32')}): {total:.0f} minutes of training for the {len(seeds)} seeds, "
            f"{total / len(seeds):.1f} a seed, of which MAE pretraining {mae / 60 / len(seeds):.1f}; rows: `teacher` = the MAE ViT "
            f"fine-tuned on {cfg['label_frac']:.0%} of the labels, `student_*` = the `{cfg['student']}` student.\n")


def store_run(run, res, png):
    "Copy a run's report (links to its seed folders dropped), per-seed rows, plateaus, config and summary into `res`, its plot to `png`."
    run = Path(run)
    res.mkdir(exist_ok=True)
    (res / 'report.md').write_text(re.sub(r'\[([\w.-]+)\]\(seed\d+/[\w.-]+/\)', r'\1', (run / 'report.md').read_text()))
    for f in ('report.json', 'report_seeds.csv', 'run.json', 'plateau.csv'):     # the per-seed rows the verdicts come from
        if (run / f).exists(): shutil.copy(run / f, res / f)
    shutil.copy(run / 'pareto.png', png)
    (res / 'run_summary.md').write_text(summary(run))
    if (run / 'tune.json').exists(): shutil.copy(run / 'tune.json', res / 'tune_default.json')   # where the rates came from
    first = run / f"seed{json.loads((run / 'run.json').read_text())['seeds'][0]}" / 'teacher' / 'history.csv'
    if first.exists(): shutil.copy(first, res / 'teacher_history.csv')    # the first seed's teacher learning curve, for 04_finetune


def store(run, sweep=None):
    "Store a run on the digits into nbs/results (and a sweep's label curve, drawn again by the package from its rows)."
    res, img = root / 'nbs' / 'results', root / 'nbs' / 'images'
    store_run(run, res, img / 'pareto.png')
    if sweep:
        save_label_curve(pd.read_csv(Path(sweep) / 'label_curve_seeds.csv'), res, img / 'label_curve.png')
        (res / 'label_curve_summary.md').write_text(sweep_summary(Path(sweep)))


if __name__ == '__main__':
    if '--store' in sys.argv:
        store(*sys.argv[sys.argv.index('--store') + 1:]); sys.exit(0)
    if '--store-photos' in sys.argv:
        run = sys.argv[sys.argv.index('--store-photos') + 1]
        store_run(run, root / 'nbs' / 'results' / 'photos', root / 'nbs' / 'images' / 'pareto_photos.png'); sys.exit(0)
    nb = json.loads((root / 'nbs' / 'index.ipynb').read_text())
    md = '<!-- generated from nbs/index.ipynb by .ci/readme.py: do not edit -->\n\n' + render(nb)
    readme = root / 'README.md'
    if '--check' in sys.argv:
        ok = readme.exists() and readme.read_text() == md
        if not ok: print('README.md is out of date: run `python .ci/readme.py`')
        sys.exit(0 if ok else 1)
    readme.write_text(md)
