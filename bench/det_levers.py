"""Levers of detection distillation on BCCD, each measured against the label-only student by paired seeds on the
validation split (`ImageSets/Main/val.txt`, 87 photos that neither training nor the stored test scores read).

    python bench/det_levers.py --run runs/bccd            # after `maekd det-run ... --out runs/bccd`; writes bench/results/det_levers.md

The models of the stored run are scored again on the validation photos (the MAE and the scratch teacher, the
label-only student, the student distilled on the class scores); the other KD methods of `det_kd_loss` are trained
from the same seed's teacher, exactly as the run's `student_kd` row (`det_row_call`: the same steps, batch, rate and
labelled photos; one option differs: `--method`, or `--label-share`, which repeats the photos with boxes until they
make half of each epoch). Nothing is tuned: each arm is one run per seed. Finished arms are kept
in `--out`: run it again to go on.
"""
import argparse, json
from pathlib import Path
import pandas as pd
from maekd.det_data import load_det
from maekd.detect import load_detector, det_evaluate, photo_hw
from maekd.study.detrun import DET_ROWS, det_row_call
from maekd.study.pipeline import train_stage
from maekd.study.gains import paired_gain, ci_verdict, gains_text
from maekd.core import md_table, write_json

STORED = ['teacher', 'teacher_scratch', 'student_scratch', 'student_kd']       # rows of the run, scored again
ARMS = {'kd_feature': dict(method='feature'), 'kd_pkd': dict(method='pkd'),      # trained here: `student_kd` with one option changed
        'kd_share': dict(method='logit', label_share=0.5)}
PAIRS = [('teacher', 'teacher_scratch', 'MAE pretraining'), ('student_kd', 'student_scratch', 'KD on the class scores (logit, the run)'),
         ('kd_feature', 'student_scratch', 'KD on the pyramid (feature, FitNets)'), ('kd_pkd', 'student_scratch', 'KD on the pyramid (pkd, Pearson)'),
         ('kd_share', 'student_scratch', 'KD on the class scores, photos with boxes half of each epoch'),
         ('kd_share', 'student_kd', 'photos with boxes half of each epoch (--label-share 0.5), in KD')]


def val_map(folder: Path, ds) -> float:
    "mAP@[.5:.95] (in points) of the detector in `folder` on the validation photos."
    model, spec = load_detector(folder)
    return 100 * det_evaluate(model, ds, ds.parts['val'], spec['stats'])['map']


def train_arm(run: Path, out: Path, cfg: dict, seed: int, arm: str, quiet: bool) -> Path:
    "The `student_kd` row of seed `seed` again with the options of `ARMS[arm]`, into `out/seed{seed}/{arm}`."
    fn, kw = det_row_call(DET_ROWS['student_kd'], run/f'seed{seed}', cfg['budget'], cfg['label_frac'], cfg['student'], cfg['arch'], cfg['method'])
    folder = out/f'seed{seed}'/arm
    train_stage(folder, fn, resume=True, data=cfg['data'], device=cfg['device'], precision='auto', quiet=quiet, valid='none', **{**kw, **ARMS[arm]}, seed=seed)
    return folder


def main():
    p = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    p.add_argument('--run', default='runs/bccd', help='a det-run output folder (its det_run.json and seed folders)')
    p.add_argument('--out', default='runs/det_levers')
    p.add_argument('--md', default='bench/results/det_levers.md')
    p.add_argument('--quiet', action='store_true')
    a = p.parse_args()
    run, out = Path(a.run), Path(a.out)
    cfg = json.loads((run/'det_run.json').read_text())
    ds = load_det(cfg['data'], photo_hw(','.join(map(str, cfg['photo_size']))), cfg['bad_boxes'])
    rows = []
    for s in cfg['seeds']:
        scores = {r: val_map(run/f'seed{s}'/r, ds) for r in STORED}
        scores.update({arm: val_map(train_arm(run, out, cfg, s, arm, a.quiet), ds) for arm in ARMS})
        rows += [dict(seed=s, arm=k, val_map=v) for k, v in scores.items()]
        print(f'seed {s}: ' + ', '.join(f'{k} {v:.1f}' for k, v in scores.items()), flush=True)
    per = pd.DataFrame(rows).pivot(index='seed', columns='arm', values='val_map')[STORED + list(ARMS)]
    gains = []
    for x, b, what in PAIRS:
        g = paired_gain(per[x], per[b])
        gains.append({'lever': what, 'rows': f'{x} - {b}', 'mAP points': f"{g['mean']:+.1f}", '95% CI': f"{g['lo']:+.1f} to {g['hi']:+.1f}",
                      'verdict': ci_verdict(g['lo'], g['hi']), 'per seed': gains_text(g['gains'])})
    means = pd.DataFrame({'arm': per.columns, 'val mAP %': [f'{per[c].mean():.1f}' for c in per.columns],
                          'per seed': [' '.join(f'{v:.1f}' for v in per[c]) for c in per.columns]})
    md = (f"# Detection levers on BCCD's validation photos\n\n`python bench/det_levers.py --run {a.run}`: {len(ds.parts['val'])} validation "
          f"photos (never the test photos), seeds {', '.join(map(str, cfg['seeds']))}; every student arm {cfg['budget']['student_steps']} "
          f"steps at batch {cfg['budget']['bs']}, {cfg['n_low']} photos with boxes, rate {cfg['budget']['student_blr']:g}, untuned.\n\n"
          f"{md_table(means)}\n\n{md_table(pd.DataFrame(gains))}\n")
    Path(a.md).write_text(md)
    write_json(dict(run=a.run, per_seed=rows), Path(a.md).with_suffix('.json'))
    print(md)


if __name__ == '__main__':
    main()
