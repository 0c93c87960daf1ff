"""Tune one row of a finished `maekd run` with the run's own rule (`pipeline.search_lr`: a x2 grid around the preset rate, the
mean accuracy on the tuning splits of the run's first two seeds, stepping past an edge that wins), for a row added after the
presets were tuned.

    python bench/tune_row.py runs/demo student_self_kd

Prints the accuracy at each rate and writes RUN/tune_ROW.json."""
import json, sys
from pathlib import Path
from maekd.study.pipeline import row_call, search_lr, recipe_keys
from maekd.study.rows import ROWS, presets


def main(run, row):
    run = Path(run)
    cfg = json.loads((run/'run.json').read_text())
    seeds = cfg['seeds'][:2]
    plan = {**presets[cfg['preset']], **{k: cfg[k] for k in cfg if k.endswith(('_steps', '_bs', '_epochs', '_passes'))},  # the budgets the run used
         **{k: cfg[k] for k in recipe_keys if k in cfg}}                                                               # and its recipe
    common = dict(data=cfg['data'], img_size=cfg['img_size'], precision=cfg.get('precision', 'fp32'), device=cfg.get('device'))
    calls = {s: row_call(ROWS[row], run/f'seed{s}', plan, cfg['label_frac'], cfg['student'], cfg['arch']) for s in seeds}
    base = ROWS[row].blr
    res = search_lr({s: (fn, {**kw, **common, 'seed': s}) for s, (fn, kw) in calls.items()}, base, run/'tune'/row, quiet=False)
    (run/f'tune_{row}.json').write_text(json.dumps(dict(row=row, seeds=seeds, base_lr=base, **res), indent=2) + '\n')
    print(res)


if __name__ == '__main__': main(*sys.argv[1:3])
