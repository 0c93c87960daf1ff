"""Levers of a recipe for photos, each measured against its base by paired seeds, on the tuning split (never the held-out images).

    python bench/photo_levers.py --data ../shared/data/cifar10_sub --seeds 3     # writes bench/results/photo_levers.md

Each arm is one label-only student (`finetune --student ...`, the `student_scratch` row of `maekd run`) trained on 10% of a
seed's training labels less its tuning split, with the budget the default preset gives every student on this data
(`budget_steps`: 19.6 passes over the training images at batch 64) and the preset's learning rate for that row (untuned
here, the same for every arm), then scored on the seed's tuning split (`valid='tune'`). An arm differs from its base by
one lever; the table gives the paired per-seed gains with their 95% interval (`maekd.gains.paired_gain`). It measures accuracy, not time
(time it alone with bench/speed_options.py). Finished arms are kept in `--out`: run it again to go on."""
import argparse, json
from pathlib import Path
import numpy as np
from maekd.data import load_images, split_idxs
from maekd.finetune import finetune
from maekd.pipeline import ROWS, presets, budget_steps, final_accuracy, train_stage
from maekd.gains import paired_gain, says

ARMS = {                                                      # name -> the finetune options that differ from the defaults
    'cnn_tiny': dict(student='cnn_tiny'),
    'cnn_tiny+trivial': dict(student='cnn_tiny', augment='trivial'),
    'cnn_tiny+trivial+mix': dict(student='cnn_tiny', augment='trivial', mixup=.8, cutmix=1.),
    'resnet20': dict(student='resnet20'),
    'resnet20+trivial+mix': dict(student='resnet20', augment='trivial', mixup=.8, cutmix=1.),
}
PAIRS = [('cnn_tiny+trivial', 'cnn_tiny', 'TrivialAugment'), ('cnn_tiny+trivial+mix', 'cnn_tiny+trivial', 'mixup/CutMix'),
         ('resnet20', 'cnn_tiny', 'resnet20 over cnn_tiny'), ('resnet20+trivial+mix', 'resnet20', 'the recipe, on resnet20')]


def main(data, seeds=3, out='runs/photo_levers', label_frac=.1, arms=None):
    out, arms = Path(out), arms or list(ARMS)
    ims = load_images(data, 32)
    seeds_ = list(range(seeds))
    p = budget_steps(presets['default'], len(split_idxs(ims, 0.2, 0)[0]))
    kw = dict(data=data, img_size=32, label_frac=label_frac, steps=p['student_steps'], bs=p['student_bs'], lr=ROWS['student_scratch'].lr,
              valid='tune')
    for a in arms:                                            # arm by arm: the cheap arms' table is complete first
        for s in seeds_: train_stage(out/a/f'seed{s}', finetune, resume=True, quiet=True, **kw, **ARMS[a], seed=s)
    acc = {a: [final_accuracy(out/a/f'seed{s}') * 100 for s in seeds_] for a in arms}
    lines = ['| arm | tuning top-1 % (mean +- std) | per seed |', '|---|---|---|']
    lines += [f'| {a} | {np.mean(v):.1f} +- {np.std(v, ddof=1):.1f} | {" ".join(f"{x:.1f}" for x in v)} |' for a, v in acc.items()]
    lines += ['', '| lever | gain (points) | 95% CI | says | per seed |', '|---|---|---|---|---|']
    for a, b, what in PAIRS:
        if a not in acc or b not in acc: continue
        g = paired_gain(acc[a], acc[b])
        lines.append(f"| {what} ({a} vs {b}) | {g['mean']:+.1f} | {g['lo']:+.1f} to {g['hi']:+.1f} | {says(g['lo'], g['hi'])} | "
                     + ' '.join(f'{x:+.1f}' for x in g['gains']) + ' |')
    text = (f"Levers for photos on `{data}` ({len(ims)} images), written by `python bench/photo_levers.py`: label-only students on "
            f"{label_frac:.0%} of each seed's training labels less its tuning split, {kw['steps']} steps at batch {kw['bs']} "
            f"(the default preset's 19.6 passes over the {p['n_train']} training images), base lr {kw['lr']:g} (the preset's "
            f"student_scratch rate, untuned), scored on the tuning split of seeds {', '.join(map(str, seeds_))}.\n\n" + '\n'.join(lines) + '\n')
    res = Path(__file__).parent/'results'/'photo_levers'
    res.with_suffix('.md').write_text(text)
    res.with_suffix('.json').write_text(json.dumps(dict(data=str(data), steps=kw['steps'], bs=kw['bs'], lr=kw['lr'], seeds=seeds_,
                                                        accuracy=acc), indent=1))
    print(text)


if __name__ == '__main__':
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument('--data', required=True, help='a folder of class folders (e.g. ../shared/data/cifar10_sub)')
    ap.add_argument('--seeds', type=int, default=3)
    ap.add_argument('--out', default='runs/photo_levers')
    ap.add_argument('--arms', nargs='+', choices=list(ARMS), help='train only these arms (default: all)')
    a = ap.parse_args()
    main(a.data, a.seeds, a.out, arms=a.arms)
