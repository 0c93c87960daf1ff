"""Levers of issue #9, measured on the digits at 10% of the labels against the fair label-only student.

    python bench/levers.py runs/demo3 runs/levers

Each lever is a pair of rows with one architecture and one optimizer-step budget: the student distilled
from the MAE teacher of `maekd run` (RUN/seedS/teacher, on all training images, no labels) and the same
student trained on the 144 labels alone. Both rows' learning rates are tuned with `search_lr` (the rule of
`maekd run --tune-seeds`: today x0.5, x1, x2 of a base rate, stepping past a winning edge; the stored results used
the earlier x0.25, x1, x4 grid) on the tuning split of the first seed, then every seed is trained with them and scored once on its held-out images.

- `vit_nano`: a 4-block, 64-wide ViT student (the architecture DMAE and TinyMIM distill into), 440 steps.
- `cnn_long`: `cnn_tiny` with 4x the steps (1760), the teacher read from a 16-view cache (FKD), the long
  "patient" schedule of function matching made cheap.

Prints per seed and mean +- std of kd, scratch and kd - scratch; writes OUT/levers.json.
"""
import sys, time, warnings
from pathlib import Path
import numpy as np
warnings.filterwarnings('ignore')
from maekd.core import write_json
from maekd.data import load_images, split_idxs
from maekd.finetune import finetune
from maekd.distill import distill
from maekd.study.pipeline import search_lr, train_stage
from maekd.study.sweep import heldout_top1

levers = {
    'vit_nano': dict(kd=(distill, dict(student='vit_nano', steps=440, bs=64), 8e-3),
                     scratch=(finetune, dict(student='vit_nano', label_frac=0.1, steps=440, bs=64), 8e-3)),
    'cnn_long': dict(kd=(distill, dict(student='cnn_tiny', steps=1760, bs=64, cache_views=16), 8e-3),
                     scratch=(finetune, dict(student='cnn_tiny', label_frac=0.1, steps=1760, bs=64), 3.2e-2)),
}

def main(run='runs/demo3', out='runs/levers', seeds=(42, 43, 44), only=None):
    run, out = Path(run), Path(out)
    ims, res = load_images('digits', 32), {}
    for name, pair in levers.items():
        if only and name not in only: continue
        res[name], t0 = {}, time.time()
        for row, (fn, kw, base) in pair.items():
            teacher = lambda s: dict(teacher=str(run/f'seed{s}'/'teacher')) if fn is distill else {}
            tuned = search_lr({seeds[0]: (fn, {**kw, **teacher(seeds[0]), 'seed': seeds[0]})}, base, out/name/'tune'/row)
            tops = []
            for s in seeds:
                train_stage(out/name/f'seed{s}'/row, fn, resume=True, quiet=True, **kw, **teacher(s), blr=tuned['lr'], seed=s)
                tops.append(heldout_top1(out/name/f'seed{s}'/row, ims, split_idxs(ims, 0.2, s)[1]))
            res[name][row] = dict(lr=tuned['lr'], tuning=tuned['accuracy'], top1=tops)
        d = np.array(res[name]['kd']['top1']) - np.array(res[name]['scratch']['top1'])
        res[name].update(diff=d.tolist(), minutes=(time.time() - t0) / 60)
        f = lambda v: f'{100 * np.mean(v):.1f} +- {100 * np.std(v, ddof=1):.1f}'
        print(f"{name}: kd {f(res[name]['kd']['top1'])} (lr {res[name]['kd']['lr']:g}), scratch {f(res[name]['scratch']['top1'])} "
              f"(lr {res[name]['scratch']['lr']:g}), kd - scratch {f(d)} per seed {', '.join(f'{100 * v:+.1f}' for v in d)}; "
              f"{res[name]['minutes']:.0f} min", flush=True)
        write_json(res, out/'levers.json')
    return res

if __name__ == '__main__': main(*sys.argv[1:3], only=sys.argv[3].split(',') if len(sys.argv) > 3 else None)
