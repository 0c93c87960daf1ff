"""What the MAE decoder costs in a pretraining step of the photo teacher, and what a lighter one would save.

    python bench/mae_decoder.py     # writes bench/results/mae_decoder.md

One training step (forward, loss, backward, AdamW) of `mae_vit_micro_patch4` at batch 64 on 32x32 images, 75% masked,
with its own decoder (2 blocks of width 96) and lighter ones (the MAE paper fine-tunes as well from a 1-block decoder).
The arms take turns step by step, so that the machine's drift falls on all of them alike; the table gives the median of
the steps after a warm-up, and the ratio to the preset's decoder measured in the same run. It measures time only:
whether a lighter decoder teaches as well at equal MAE minutes is a pretraining run of its own."""
import argparse, json, time
from pathlib import Path
import numpy as np
import torch
from maekd.mae_model import create_mae
from maekd.evaluate import machine_info, machine_line

ARMS = {'decoder 2 x 96 (preset)': dict(), 'decoder 1 x 96': dict(decoder_depth=1), 'decoder 1 x 64': dict(decoder_depth=1, decoder_embed_dim=64)}


def step_fn(kw, bs=64, seed=0):
    "A closure that runs one MAE training step of the arm with decoder options `kw`; and its parameter count."
    torch.manual_seed(seed)
    model = create_mae('mae_vit_micro_patch4', img_size=32, in_chans=3, norm_pix_loss=True, **kw)
    opt = torch.optim.AdamW(model.parameters(), lr=1e-3, betas=(0.9, 0.95), weight_decay=0.05)
    x = torch.randn(bs, 3, 32, 32)
    def step():
        loss = model(x, 0.75)[0]
        opt.zero_grad(); loss.backward(); opt.step()
    return step, sum(p.numel() for p in model.parameters())


def main(steps=60, warmup=10):
    fns = {a: step_fn(kw) for a, kw in ARMS.items()}
    times = {a: [] for a in ARMS}
    for i in range(warmup + steps):
        for a, (fn, _) in fns.items():
            t = time.perf_counter(); fn(); dt = time.perf_counter() - t
            if i >= warmup: times[a].append(dt)
    base = np.median(times[next(iter(ARMS))])
    lines = ['| decoder | params | ms per step (median) | p10 | p90 | vs preset |', '|---|---|---|---|---|---|']
    for a, ts in times.items():
        ms = np.array(ts) * 1e3
        lines.append(f'| {a} | {fns[a][1]} | {np.median(ms):.1f} | {np.percentile(ms, 10):.1f} | {np.percentile(ms, 90):.1f} | {np.median(ts) / base:.2f}x |')
    text = (f'MAE pretraining step of `mae_vit_micro_patch4` (batch 64, 32x32, mask 0.75, fp32), {steps} steps per arm after {warmup} '
            f'of warm-up, arms in turn; written by `python bench/mae_decoder.py`. {machine_line(machine_info())}\n\n' + '\n'.join(lines) + '\n')
    res = Path(__file__).parent/'results'/'mae_decoder'
    res.with_suffix('.md').write_text(text)
    res.with_suffix('.json').write_text(json.dumps({a: dict(params=fns[a][1], step_s=ts) for a, ts in times.items()}, indent=1))
    print(text)


if __name__ == '__main__':
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument('--steps', type=int, default=60)
    a = ap.parse_args()
    main(a.steps)
