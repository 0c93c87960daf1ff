"""Render nbs/index.ipynb into README.md without Quarto (which cannot be installed offline).

Markdown cells are copied, code cells become python blocks followed by their text output; cells marked
`#| hide` are left out. In nbs/index.ipynb itself (the docs site's home page renders it too) the lines between
`<!-- include results/FILE.md -->` and `<!-- /include -->` are that file of `nbs/`, and the lines between
`<!-- table FUNCTION results/FILE.csv -->` and `<!-- /table -->` are `maekd.core.md_table` of
`maekd.study.verdicts.FUNCTION` applied to that stored file: this script writes them, so the results tables are
stored reports of real runs, never pasted by hand.
`python .ci/readme.py --check` exits 1 when nbs/index.ipynb or README.md is out of date (or a stored report changed);
`python .ci/readme.py --store RUN_DIR [SWEEP_DIR]` stores the report (and label curve) of a finished run on the digits;
`python .ci/readme.py --store-photos RUN_DIR` stores a run on photos into `nbs/results/photos/` beside it;
`python .ci/readme.py --store-camvid RUN_DIR` stores a `maekd seg-run` into `nbs/results/camvid/` and its picture;
`python .ci/readme.py --store-bccd RUN_DIR` stores a `maekd det-run` into `nbs/results/bccd/` and its picture.
"""
import importlib, json, re, shutil, sys
from pathlib import Path
import pandas as pd
from maekd.study import verdicts
from maekd.core import md_table
from maekd.study.sweep import save_label_curve

root = Path(__file__).resolve().parents[1]
MARKS = re.compile(r'<!-- /?(?:table|include)\b[^>]*-->\n\n?')      # the markers, left out of README.md
FILLED = re.compile(r'(<!-- (table|include) (?:([\w.]+) )?(\S+) -->\n).*?(<!-- /\2 -->)', re.S)


def table(fn, csv):
    "The markdown of `maekd.study.verdicts.fn` (or `maekd.study.MODULE.fn` for `MODULE.fn`) on the stored per-seed rows `csv` (relative to nbs/)."
    mod = importlib.import_module(f"maekd.study.{fn.rsplit('.', 1)[0]}") if '.' in fn else verdicts
    return md_table(getattr(mod, fn.rsplit('.', 1)[-1])(pd.read_csv(root / 'nbs' / csv))).strip()


def filled(m):
    "What goes between a marker and its end: the stored file it names (relative to nbs/), or the table drawn from it."
    body = table(m.group(3), m.group(4)) if m.group(2) == 'table' else (root / 'nbs' / m.group(4)).read_text().strip()
    return f'{m.group(1)}\n{body}\n\n{m.group(5)}'


def fill(nb):
    "`nb` with every marked block of its markdown cells drawn again from the stored files."
    for c in nb['cells']:
        if c['cell_type'] == 'markdown': c['source'] = FILLED.sub(filled, ''.join(c['source'])).splitlines(keepends=True)
    return nb


def render(nb):
    out = []
    for c in nb['cells']:
        src = ''.join(c['source'])
        if c['cell_type'] == 'markdown': out.append(MARKS.sub('', src).replace('](images/', '](nbs/images/')); continue
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
    return (f"From `maekd sweep --n-seeds {len(seeds)}` ({cfg['preset']} preset, seeds {', '.join(map(str, seeds))}, labels {fracs}) "
            f"on {machine(sweep)}: every row at its preset rate, `{cfg['student']}` students, `{cfg['arch']}` teachers.\n")


def summary(run):
    "One line on where a stored run came from: its command, seeds, machine and training time, all read from its files."
    cfg, per = json.loads((run / 'run.json').read_text()), pd.read_csv(run / 'report_seeds.csv')
    cpu, seeds = machine(run), cfg['seeds']
    mae = sum(json.loads((run / f'seed{s}' / 'mae' / 'timing.json').read_text())['train_s'] for s in seeds)
    total = (per['train_s'].sum() + mae) / 60
    tune = next((cfg[k] for k in ('tune_seeds', 'tune_lr') if k in cfg), 0)    # 'tune_lr': runs before maekd 0.1
    tuned = f" --tune-seeds {tune}" if tune else ''
    data = f" --data {cfg['data']}" if cfg.get('data', 'digits') != 'digits' else ''
    return (f"From `maekd run{data} --n-seeds {len(seeds)}{tuned}` ({cfg['preset']} preset, seeds {', '.join(map(str, seeds))}) on {cpu} "
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
    if first.exists(): shutil.copy(first, res / 'teacher_history.csv')    # the first seed's teacher learning curve, for 02b_finetune


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
    for flag, name, cfg in (('--store-camvid', 'camvid', 'seg_run.json'), ('--store-bccd', 'bccd', 'det_run.json')):
        if flag in sys.argv:
            run, res = Path(sys.argv[sys.argv.index(flag) + 1]), root / 'nbs' / 'results' / name
            res.mkdir(parents=True, exist_ok=True)
            for f in ('report.md', 'verdicts.md', 'report_seeds.csv', 'gains.csv', 'curves.csv', cfg): shutil.copy(run / f, res / f)
            shutil.copy(run / 'examples.png', root / 'nbs' / 'images' / f'{name}_examples.png'); sys.exit(0)
    index = root / 'nbs' / 'index.ipynb'
    nb = fill(json.loads(index.read_text()))
    nb_text = json.dumps(nb, indent=1, ensure_ascii=False) + '\n'
    md = '<!-- generated from nbs/index.ipynb by .ci/readme.py: do not edit -->\n\n' + render(nb)
    readme = root / 'README.md'
    if '--check' in sys.argv:
        stale = [f.name for f, text in ((index, nb_text), (readme, md)) if not f.exists() or f.read_text() != text]
        if stale: print(f"{' and '.join(stale)} out of date: run `python .ci/readme.py`")
        sys.exit(1 if stale else 0)
    index.write_text(nb_text)
    readme.write_text(md)
