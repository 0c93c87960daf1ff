"""Train-step throughput of maekd's MaskedAutoencoder against a plain PyTorch MAE (bench/ref_mae.py).

Same config (ViT-Tiny-like encoder, 32x32 images, 4x4 patches, batch 64, CPU), same weights, forward +
backward + AdamW step. Runs are interleaved, the order alternating each round (maekd then plain, plain then
maekd, ...), so that drift on the machine hits both; the script prints each pair's ratio and the median.

    python bench/bench_mae.py [--rounds 7] [--steps 10]
"""
import argparse, statistics, sys, time
from pathlib import Path
import torch
sys.path.insert(0, str(Path(__file__).parent))
from ref_mae import RefMAE
from maekd.mae_model import mae_vit_tiny_patch4


def step_time(model, opt, imgs, steps):
    "Seconds per train step, after one warm-up step."
    def step():
        loss = model(imgs)[0]
        opt.zero_grad(); loss.backward(); opt.step()
    step()
    t = time.perf_counter()
    for _ in range(steps): step()
    return (time.perf_counter() - t) / steps


def main(rounds=7, steps=10, bs=64):
    torch.manual_seed(0)
    ours = mae_vit_tiny_patch4(norm_pix_loss=True)
    ref = RefMAE(norm_pix_loss=True)
    ref.load_state_dict(ours.state_dict(), strict=True)
    imgs = torch.randn(bs, 3, 32, 32)
    opts = [torch.optim.AdamW(m.parameters(), lr=1e-4, betas=(0.9, 0.95)) for m in (ours, ref)]
    print(f'torch {torch.__version__}, {torch.get_num_threads()} threads, batch {bs}, {steps} steps per run')
    ratios = []
    for r in range(rounds):
        if r % 2: t_ref, t_ours = step_time(ref, opts[1], imgs, steps), step_time(ours, opts[0], imgs, steps)
        else: t_ours, t_ref = step_time(ours, opts[0], imgs, steps), step_time(ref, opts[1], imgs, steps)
        ratios.append(t_ref / t_ours)
        print(f'round {r}: maekd {bs/t_ours:7.1f} img/s   plain {bs/t_ref:7.1f} img/s   ratio {ratios[-1]:.3f}')
    print(f'median throughput ratio maekd / plain PyTorch: {statistics.median(ratios):.3f} (target >= 1.0)')


if __name__ == '__main__':
    ap = argparse.ArgumentParser()
    ap.add_argument('--rounds', type=int, default=7)
    ap.add_argument('--steps', type=int, default=10)
    a = ap.parse_args()
    main(a.rounds, a.steps)
