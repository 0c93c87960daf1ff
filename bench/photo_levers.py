"""Levers of a recipe for photos, each measured against its base by paired seeds, on the tuning split (never the held-out images).

    python bench/photo_levers.py --data ../shared/data/cifar10_sub --seeds 3     # writes bench/results/photo_levers.md
    python bench/photo_levers.py --data ../shared/data/cifar10_sub --seeds 3 --mae 'runs/photos/seed{seed}/mae'   # teacher arms too

Each arm is one row of `maekd run`, trained as `row_call` trains it (the budget the default preset gives that row's
architecture on this data, `budget_steps`: 8.9 passes at batch 32 for a ViT teacher, 19.6 at batch 64 for a student; the
preset's learning rate for the row, untuned here and the same for every arm of a row) on 10% of a seed's training labels
less its tuning split, then scored on that seed's tuning split (`valid='tune'`). Label-only students are the
`student_scratch` row; teachers are the `teacher` row, fine-tuned from the MAE that `--mae` names for the seed (an MAE
pretrained without labels on every training image, e.g. the MAE of a stored `maekd run` seed folder, so the lever is the
fine-tuning alone). An arm differs from its base by one lever; the table gives the paired per-seed gains with their 95%
interval (`maekd.study.gains.paired_gain`). It measures accuracy, not time (time it alone with bench/speed_options.py). Finished
arms are kept in `--out`: run it again to go on."""
from pathlib import Path
import numpy as np
import pandas as pd
from maekd.data import load_images, split_idxs
from maekd.study.pipeline import final_accuracy, train_stage, row_call, _stage_done
from maekd.study.rows import ROWS, presets, budget_steps
from maekd.study.verdicts import late_gain
from tables import spread, per_seed, gain_lines, store, photo_parser

recipe = dict(augment='trivial', mixup=.8, cutmix=1.)              # the MAE fine-tuning recipe's augmentation
ARMS = {                                                      # name -> (the row it trains, the options that differ from the row's)
    'cnn_tiny': ('student_scratch', dict(student='cnn_tiny')),
    'cnn_tiny+trivial': ('student_scratch', dict(student='cnn_tiny', augment='trivial')),
    'cnn_tiny+trivial+mix': ('student_scratch', dict(student='cnn_tiny', **recipe)),
    'resnet20': ('student_scratch', dict(student='resnet20')),
    'resnet20+trivial+mix': ('student_scratch', dict(student='resnet20', **recipe)),
    'teacher': ('teacher', {}),
    'teacher+trivial+mix': ('teacher', recipe),
}
PAIRS = [('cnn_tiny+trivial', 'cnn_tiny', 'TrivialAugment'), ('cnn_tiny+trivial+mix', 'cnn_tiny+trivial', 'mixup/CutMix'),
         ('resnet20', 'cnn_tiny', 'resnet20 over cnn_tiny'), ('resnet20+trivial+mix', 'resnet20', 'the recipe, on resnet20'),
         ('teacher+trivial+mix', 'teacher', 'the MAE recipe (TrivialAugment, mixup/CutMix), on the MAE teacher')]


def arm_call(arm, plan, label_frac, seed, mae):
    "(stage, its options) for one seed of `arm`: the row's call as `maekd run` makes it, the arm's changes, scored on the tuning split."
    row, change = ARMS[arm]
    if row == 'teacher' and not mae: raise SystemExit(f'{arm} fine-tunes an MAE: name one per seed with --mae, e.g. runs/photos/seed{{seed}}/mae')
    fn, kw = row_call(ROWS[row], Path('.'), plan, label_frac, change.get('student', 'cnn_tiny'), 'mae_vit_micro_patch4',
                      mae=Path(mae.format(seed=42 + seed)) if row == 'teacher' else None)
    return fn, {**kw, **change, 'blr': ROWS[row].blr, 'valid': 'tune', 'seed': seed}


def main(data, seeds=3, out='runs/photo_levers', label_frac=.1, arms=None, mae=None):
    out, arms = Path(out), arms or [a for a in ARMS if ARMS[a][0] != 'teacher' or mae]
    ims = load_images(data, 32)
    seeds_ = list(range(seeds))
    plan = budget_steps(presets['default'], len(split_idxs(ims, 0.2, 0)[0]))
    for a in arms:                                            # arm by arm: the cheap arms' table is complete first
        for s in seeds_:
            fn, kw = arm_call(a, plan, label_frac, s, mae)
            train_stage(out/a/f'seed{s}', fn, resume=True, quiet=True, data=data, img_size=32, **kw)
    arms = [a for a in ARMS if a in arms or all(_stage_done(out/a/f'seed{s}') for s in seeds_)]   # and the arms finished before
    acc = {a: [final_accuracy(out/a/f'seed{s}') * 100 for s in seeds_] for a in arms}
    late = {a: float(np.mean([late_gain(pd.read_csv(out/a/f'seed{s}'/'history.csv'), 'accuracy', 'accuracy') for s in seeds_]))
            for a in arms}                                    # what the last quarter of the steps gained: the report's plateau rule
    lines = ['| arm | tuning top-1 % (mean +- std) | per seed | last quarter gained (points, mean) |', '|---|---|---|---|']
    lines += [f'| {a} | {spread(v)} | {per_seed(v)} | {late[a]:+.1f} |' for a, v in acc.items()]
    lines += [''] + gain_lines(acc, PAIRS)
    steps = {r: (plan[f'{ROWS[r].budget}_steps'], plan[f'{ROWS[r].budget}_bs'], ROWS[r].blr) for r in {ARMS[a][0] for a in arms}}
    text = (f"Levers for photos on `{data}` ({len(ims)} images), written by `python bench/photo_levers.py`: rows of `maekd run` "
            f"trained on {label_frac:.0%} of each seed's training labels less its tuning split, with the default preset's budgets "
            f"for the {plan['n_train']} training images and the presets' rates, untuned ("
            + '; '.join(f"{r}: {n} steps at batch {b}, base lr {lr:g}" for r, (n, b, lr) in sorted(steps.items()))
            + (f"; teachers fine-tuned from `{mae}`" if mae and 'teacher' in steps else '')
            + f"), scored on the tuning split of seeds {', '.join(map(str, seeds_))}.\n\n" + '\n'.join(lines) + '\n')
    res = Path(__file__).parent/'results'/'photo_levers'
    store(res, text, dict(data=str(data), steps=plan['student_steps'], bs=plan['student_bs'], budgets=steps, mae=mae, seeds=seeds_,
                          accuracy=acc, last_quarter=late))


if __name__ == '__main__':
    ap = photo_parser(__doc__)
    ap.add_argument('--seeds', type=int, default=3)
    ap.add_argument('--out', default='runs/photo_levers')
    ap.add_argument('--arms', nargs='+', choices=list(ARMS), help='train only these arms (default: all)')
    ap.add_argument('--mae', help="the MAE the teacher arms fine-tune, per seed: a path with {seed} (42 + the bench's seed)")
    a = ap.parse_args()
    main(a.data, a.seeds, a.out, arms=a.arms, mae=a.mae)
