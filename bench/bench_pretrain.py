"""One MAE pretraining epoch through maekd's fastai Learner against a bare PyTorch loop.

Same model (same initial weights), same DataLoader and batch augmentation, same optimizer (AdamW, betas
(0.9, 0.95), weight decay 0.05 except biases, norms and tokens) and the same per-iteration warmup +
cosine schedule; both run the validation pass too. Runs are interleaved and the script prints the
ratio of each pair and the median (target <= 1.05).

    python bench/bench_pretrain.py [--rounds 5] [--arch mae_vit_micro_patch4]
"""
import argparse, math, statistics, time, warnings
import torch
warnings.filterwarnings('ignore')
from fastai.torch_core import set_seed
from maekd.data import load_digits_images, split_idxs, image_dls
from maekd.mae_train import mae_learner
from maekd.recipe import warmup_cosine, no_decay_params


def bare_epoch(model, dls, lr, n_total, warmup_pct=0.1, mask_ratio=0.75):
    "One epoch of a plain PyTorch loop with the MAE recipe, plus validation."
    nd = {id(p) for p in no_decay_params(model)}
    groups = [{'params': [p for p in model.parameters() if p.requires_grad and id(p) not in nd], 'weight_decay': 0.05},
              {'params': [p for p in model.parameters() if p.requires_grad and id(p) in nd], 'weight_decay': 0.}]
    opt = torch.optim.AdamW(groups, lr=lr, betas=(0.9, 0.95), eps=1e-8)
    w = int(warmup_pct * n_total)
    sched = torch.optim.lr_scheduler.LambdaLR(opt, lambda i: i / w if i < w else 0.5 * (1 + math.cos(math.pi * (i - w) / (n_total - w))))
    model.train()
    for xb, in dls.train:
        loss = model(xb, mask_ratio)[0]
        opt.zero_grad(); loss.backward(); opt.step(); sched.step()
    model.eval()
    with torch.no_grad():
        for xb, *_ in dls.valid: model(xb, mask_ratio)


def main(rounds=5, arch='mae_vit_micro_patch4', bs=64):
    ims = load_digits_images(32)
    tr, va = split_idxs(ims)
    set_seed(0)
    dls = image_dls(ims, tr, va, bs=bs)
    learn = mae_learner(dls, arch, blr=1.5e-3)
    init = {k: v.clone() for k, v in learn.model.state_dict().items()}
    print(f'{arch}, batch {bs}, {len(dls.train)} train + {len(dls.valid)} valid batches, {torch.get_num_threads()} threads')
    ratios = []
    for r in range(rounds):
        def run_learner():
            learn.model.load_state_dict(init); learn.opt = None
            t = time.perf_counter()
            with learn.no_bar(), learn.no_logging(): learn.fit(1, cbs=warmup_cosine(learn.lr))
            return time.perf_counter() - t
        def run_bare():
            learn.model.load_state_dict(init)
            t = time.perf_counter()
            bare_epoch(learn.model, dls, learn.lr, len(dls.train))
            return time.perf_counter() - t
        if r % 2: t_bare, t_learn = run_bare(), run_learner()     # alternate the order each round
        else: t_learn, t_bare = run_learner(), run_bare()
        ratios.append(t_learn / t_bare)
        print(f'round {r}: Learner {t_learn:6.2f}s   bare loop {t_bare:6.2f}s   ratio {ratios[-1]:.3f}')
    print(f'median epoch-time ratio Learner / bare PyTorch: {statistics.median(ratios):.3f} (target <= 1.05)')


if __name__ == '__main__':
    ap = argparse.ArgumentParser()
    ap.add_argument('--rounds', type=int, default=5)
    ap.add_argument('--arch', default='mae_vit_micro_patch4')
    a = ap.parse_args()
    main(a.rounds, a.arch)
