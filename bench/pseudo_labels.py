"""How confident is the photo teacher, and how often right where it is? The share of a seed's tuning split whose top
probability reaches each threshold, and the accuracy there: what FixMatch's pseudo-labels (`distill --method hard
--threshold`) would keep, read on the tuning split (labelled, carved from the training images; never the held-out ones).

    python bench/pseudo_labels.py --data ../shared/data/cifar10_sub --teachers 'runs/self_train/teacher/seed{seed}'

The teachers are those `bench/self_train.py` fine-tunes (the `teacher` row, seeds 0, 1, 2), each read on its own seed's
tuning split; the threshold a semi-supervised arm uses is chosen from this table, before that arm trains."""
from pathlib import Path
import numpy as np
import torch
from maekd.classifiers import load_classifier
from maekd.data import load_images, split_idxs
from maekd.evaluate import machine_info, machine_line, own_inputs
from tables import store, photo_parser

TAUS = (0., .3, .5, .7, .8, .9, .95)


def confidences(teacher, ims, seed) -> tuple:
    "(top probability, whether the top class is right) of `teacher` on each image of seed `seed`'s tuning split."
    model, spec = load_classifier(teacher)
    va = split_idxs(ims, 0.2, seed, True)[1]
    with torch.no_grad(): p = model.eval()(own_inputs(ims.x[va], spec)).softmax(-1)
    conf, pred = p.max(-1)
    return conf.numpy(), (pred == torch.as_tensor(ims.y[va])).numpy()


def main(data, teachers, seeds=(0, 1, 2)):
    ims = load_images(data, 32)
    res = {s: confidences(teachers.format(seed=s), ims, s) for s in seeds}
    lines = ['| threshold | share kept % (mean) | per seed | accuracy of the kept % (mean) | per seed |', '|---|---|---|---|---|']
    nums = {}
    for t in TAUS:
        share = [float((c >= t).mean() * 100) for c, _ in res.values()]
        acc = [float(r[c >= t].mean() * 100) if (c >= t).any() else float('nan') for c, r in res.values()]
        nums[t] = dict(share=share, accuracy=acc)
        lines.append(f"| {t:g} | {np.mean(share):.1f} | {' '.join(f'{x:.1f}' for x in share)} | {np.nanmean(acc):.1f} | "
                     + ' '.join(f'{x:.1f}' for x in acc) + ' |')
    text = (f"The photo teacher's confidence on `{data}` ({len(ims)} images), written by `python bench/pseudo_labels.py`: teachers "
            f"`{teachers}`, seeds {', '.join(map(str, seeds))}, each on its seed's tuning split ({len(res[seeds[0]][0])} photos). "
            f"{machine_line(machine_info())}\n\n" + '\n'.join(lines) + '\n')
    store(Path(__file__).parent/'results'/'pseudo_labels', text, dict(data=str(data), teachers=teachers, seeds=list(seeds), thresholds=nums))


if __name__ == '__main__':
    ap = photo_parser(__doc__)
    ap.add_argument('--teachers', default='runs/self_train/teacher/seed{seed}', help='the teacher folders, {seed} for the seed')
    a = ap.parse_args()
    main(a.data, a.teachers)
