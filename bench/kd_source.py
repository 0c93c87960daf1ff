"""Where a distilled photo student gets its teacher's logits, measured for accuracy and time: the teacher run on every
batch (what `maekd run` does), a cache of 8 fixed views per image (FKD, `--cache-views 8`) or a teacher that sees half
of its tokens (MaskedKD, `--teacher-mask 0.5`); and patience (Beyer et al. 2022: distillation pays with long schedules on
consistent views): the cached student with four times the student steps, against the label-only student given the same.

    python bench/kd_source.py --data ../shared/data/cifar10_sub --mae runs/profile/seed42/mae   # writes bench/results/kd_source.md

Each seed fine-tunes the `teacher` row of `maekd run` from the MAE that `--mae` names (a path with {seed} for one MAE
per seed, 42 + the bench's seed; without it, every seed's teacher starts from the same MAE and the seeds vary the labels,
the fine-tuning and the students only) on 10% of its training labels less its tuning split, then trains the
`student_kd` row three ways from that teacher (and the label-only `student_scratch` row beside them), with the default
preset's budgets and rates, untuned and the same for every arm; each is scored on the seed's tuning split (never the
held-out images). Time is each stage's training seconds (`timing.json`: building a cache is inside it), one stage at a
time on this machine. Finished arms are kept in `--out`: run it again to go on."""
import json
from pathlib import Path
import numpy as np
from maekd.data import load_images, split_idxs
from maekd.evaluate import machine_info, machine_line
from maekd.study.pipeline import final_accuracy, train_stage, row_call
from maekd.study.rows import ROWS, presets, budget_steps
from tables import spread, per_seed, gain_lines, store, lever_parser

ARMS = {   # name -> (row of `maekd run`, the options that differ from it)
    'teacher': ('teacher', {}),
    'student_scratch': ('student_scratch', {}),
    'kd online': ('student_kd', {}),
    'kd cache 8 views': ('student_kd', dict(cache_views=8)),
    'kd masked teacher 0.5': ('student_kd', dict(teacher_mask=.5)),
    'student_scratch x4 steps': ('student_scratch', dict(steps_x=4)),
    'kd cache 8 views x4 steps': ('student_kd', dict(cache_views=8, steps_x=4)),
}
PAIRS = [('kd online', 'student_scratch', 'distillation (online teacher)'),
         ('kd cache 8 views', 'kd online', 'a cache of 8 fixed views instead of the online teacher'),
         ('kd masked teacher 0.5', 'kd online', 'a teacher seeing half its tokens instead of all'),
         ('kd cache 8 views', 'student_scratch', 'distillation from the cache'),
         ('kd cache 8 views x4 steps', 'student_scratch x4 steps', 'patient distillation against the same steps on the labels'),
         ('kd cache 8 views x4 steps', 'kd cache 8 views', 'four times the steps, distilled from the cache'),
         ('student_scratch x4 steps', 'student_scratch', 'four times the steps, on the labels')]


def arm_call(arm, out, plan, seed, mae, label_frac=.1):
    "(stage, options) of one seed of `arm`: the row as `maekd run` trains it, the arm's change, scored on the tuning split."
    row, change = ARMS[arm]
    change = dict(change); x = change.pop('steps_x', 1)            # a multiple of the row's steps
    fn, kw = row_call(ROWS[row], out/f'seed{seed}', plan, label_frac, 'cnn_tiny', 'mae_vit_micro_patch4', mae=Path(mae.format(seed=42 + seed)))
    if ROWS[row].stage == 'distill': kw['teacher'] = str(out/'teacher'/f'seed{seed}')
    return fn, {**kw, **change, 'steps': kw['steps'] * x, 'blr': ROWS[row].blr, 'valid': 'tune', 'seed': seed}


def main(data, mae, seeds=3, out='runs/kd_source', preset='default'):
    out, seeds_ = Path(out), list(range(seeds))
    ims = load_images(data, 32)
    plan = budget_steps(presets[preset], len(split_idxs(ims, 0.2, 0)[0]))
    for s in seeds_:                                # seed by seed: a seed's arms share its teacher
        for a in ARMS:
            fn, kw = arm_call(a, out, plan, s, mae)
            train_stage(out/a/f'seed{s}', fn, resume=True, quiet=True, data=data, img_size=32, **kw)
    acc = {a: [final_accuracy(out/a/f'seed{s}') * 100 for s in seeds_] for a in ARMS}
    secs = {a: [json.loads((out/a/f'seed{s}'/'timing.json').read_text())['train_s'] for s in seeds_] for a in ARMS}
    lines = ['| arm | tuning top-1 % (mean +- std) | per seed | training s (median) | per seed | vs kd online |', '|---|---|---|---|---|---|']
    base = np.median(secs['kd online'])
    lines += [f"| {a} | {spread(v)} | {per_seed(v)} | {np.median(secs[a]):.0f} | "
              f"{' '.join(f'{x:.0f}' for x in secs[a])} | {np.median(secs[a]) / base:.2f}x |" for a, v in acc.items()]
    lines += [''] + gain_lines(acc, PAIRS)
    text = (f"Teacher sources for distillation on `{data}` ({len(ims)} images), written by `python bench/kd_source.py`: the `teacher` "
            f"row fine-tuned from `{mae}` ({plan['teacher_steps']} steps at batch {plan['teacher_bs']}), students "
            f"{plan['student_steps']} steps at batch {plan['student_bs']} (the default preset's budgets for {plan['n_train']} training images, "
            f"the rows' rates, untuned), 10% of each seed's training labels less its tuning split, scored on the tuning split of seeds "
            f"{', '.join(map(str, seeds_))}. {machine_line(machine_info())}\n\n" + '\n'.join(lines) + '\n')
    res = Path(__file__).parent/'results'/'kd_source' if preset == 'default' else out/'kd_source'
    store(res, text, dict(data=str(data), mae=mae, seeds=seeds_, accuracy=acc, train_s=secs,
                          budgets={k: plan[k] for k in ('teacher_steps', 'teacher_bs', 'student_steps', 'student_bs')}))


if __name__ == '__main__':
    ap = lever_parser(__doc__, 'runs/kd_source', 'the MAE the teachers fine-tune: a folder, or a path with {seed} (42 + the seed)')
    ap.add_argument('--preset', default='default', help='quick: a smoke test of the bench itself (results not stored)')
    a = ap.parse_args()
    main(a.data, a.mae, a.seeds, a.out, a.preset)
