"""Time per distillation epoch relative to training the student alone.

Teacher: the micro ViT of the default pipeline (6 blocks, 128 wide, 32x32 digits, 4x4 patches). Student:
cnn_tiny. Four ways to train the student for one epoch over the same images with the same batch
augmentation, interleaved over several rounds:

- alone: cross-entropy on the labels, no teacher;
- online: KDCallback runs the teacher on every batch;
- masked: the teacher sees 50% of its patch tokens (MaskedKD), and the FLOPs it saves;
- cache: teacher outputs for 8 fixed views per image read from a TeacherCache (its one-off build time is
  printed separately).

Each learner first runs one untimed epoch, so the numbers are steady-state epochs (the teacher's logits
on the fixed validation images are computed once per run and reused).

    python bench/bench_distill.py [--rounds 5]
"""
import argparse, statistics, time, warnings
import torch
warnings.filterwarnings('ignore')
from fastai.torch_core import set_seed
from fastai.data.load import DataLoader
from fastai.data.core import DataLoaders
from maekd.data import load_digits_images, split_idxs, image_dls
from maekd.classifiers import vit_classifier, create_student
from maekd.finetune import classifier_learner
from maekd.cache import TeacherCache, CachedViews, IndexedItems
from maekd.kd import distill_learner, teacher_flops_saved, MaskedTeacher, CachedTeacher


def epoch_time(learn):
    t = time.perf_counter()
    with learn.no_bar(), learn.no_logging(): learn.fit(1)
    return time.perf_counter() - t


def main(rounds=5, bs=64, views=8):
    ims = load_digits_images(32)
    tr, va = split_idxs(ims)
    set_seed(0)
    teacher = vit_classifier(10, in_chans=1).eval()
    dls_lab = image_dls(ims, tr, va, bs=bs, labels=True)
    dls = image_dls(ims, tr, va, bs=bs, stats=dls_lab.stats)
    t = time.perf_counter()
    cache = TeacherCache.build(teacher, ims.x[tr], tr, dls.train.after_batch, K=views)
    t_build = time.perf_counter() - t
    train = DataLoader(IndexedItems(ims.x[tr], tr), bs=bs, shuffle=True, drop_last=True, num_workers=0,
                       after_batch=CachedViews(cache, dls.train.after_batch))
    dls_c = DataLoaders(train, dls.valid); dls_c.n_inp = 1
    mk = {'alone': lambda: classifier_learner(dls_lab, create_student('cnn_tiny', 10, 1)),
          'online': lambda: distill_learner(dls, create_student('cnn_tiny', 10, 1), teacher),
          'masked': lambda: distill_learner(dls, create_student('cnn_tiny', 10, 1), teacher, source=MaskedTeacher(0.5)),
          'cache': lambda: distill_learner(dls_c, create_student('cnn_tiny', 10, 1), teacher, source=CachedTeacher())}
    print(f'{len(tr)} images, batch {bs}, {torch.get_num_threads()} threads; cache build ({views} views): {t_build:.1f}s')
    learners = {k: f() for k, f in mk.items()}
    for l in learners.values(): epoch_time(l)           # warm-up epoch (KDCallback computes the validation teacher logits)
    times = {k: [] for k in mk}
    for r in range(rounds):
        for k, l in learners.items(): times[k].append(epoch_time(l))
        print(f'round {r}: ' + '  '.join(f'{k} {v[-1]:.2f}s' for k, v in times.items()))
    for k in ('online', 'masked', 'cache'):
        ratios = [a / b for a, b in zip(times[k], times['alone'])]
        print(f'{k:>6}: median epoch time {statistics.median(times[k]):.2f}s = {statistics.median(ratios):.2f}x the student alone')
    print(f'masked teacher (50% of tokens hidden) saves {teacher_flops_saved(teacher, ims.x[:1].float(), 0.5):.1%} of the teacher FLOPs (target >= 40%)')
    print('targets: cache <= 1.15x')


if __name__ == '__main__':
    ap = argparse.ArgumentParser()
    ap.add_argument('--rounds', type=int, default=5)
    a = ap.parse_args()
    main(a.rounds)
