"""Do `--channels-last` and `--compile` pay on this machine? Training throughput with each against without, and the loss curve.

    python bench/speed_options.py [--device cpu] [--rounds 5] [--smoke]

Trains through maekd's own Learners on the digits (32 px; fp32 on a CPU, the resolved `auto` precision on a GPU): the
`cnn_tiny` student and a timm `resnet18` on the labels (classifier_learner, as `maekd finetune --student`), and MAE
pretraining of `mae_vit_micro_patch4` (mae_learner, as `maekd pretrain`), each eager, in channels-last memory layout, and
compiled in place (`model.compile()`, as the stages do). Per run: images per second as the median over timed batches after
warm-up, then the median over `--rounds` fresh learners (the three options take turns in each round); its ratio to
eager measured in the same round (median, and the lowest and highest of the rounds); the seconds of the first batch of
the first round (where compiling happens: inductor's on-disk cache is a fresh folder, so this is the compile a user
pays once per process and image size; later rounds reuse the in-process cache); and the largest difference of the per-step training loss from eager's, every run
started from the same seed (a small number: the same training; but a compiled model draws its random numbers, such as
the MAE's masks, from inductor's own generator, so there the curve differs by more than rounding). Prints the table and
writes bench/results/speed_options.md (not with --smoke)."""
import argparse, os, platform, statistics, sys, tempfile
from pathlib import Path
os.environ.setdefault('TORCHINDUCTOR_CACHE_DIR', tempfile.mkdtemp(prefix='inductor-'))   # cold: no graph compiled by an earlier run
import torch
from fastai.callback.channelslast import ChannelsLast
from fastai.torch_core import set_seed
from maekd.data import load_images, split_idxs, image_dls
from maekd.runs import resolve_device, resolve_precision, set_precision
from maekd.classifiers import create_student
from maekd.finetune import classifier_learner
from maekd.mae_train import mae_learner
from maekd.evaluate import machine_info, machine_line
from gpu_check import BatchTimer

ROOT = Path(__file__).resolve().parents[1]


class LossTimer(BatchTimer):
    "`BatchTimer` that also keeps the training loss of every batch."
    def before_fit(self): self.losses = []
    def after_batch(self):
        if self.training: self.losses.append(self.learn.loss.item())
        super().after_batch()


def measure(make, option:str, precision:str, warmup:int, n:int, dev) -> tuple:
    "(images/s, first-batch seconds, per-step losses) of a fresh `make()` learner trained with `option`."
    set_seed(0)
    learn = make()
    set_precision(learn, precision)
    if option == 'compile': learn.model.compile()
    sync = torch.cuda.synchronize if dev.type == 'cuda' else (lambda: None)
    timer = LossTimer(warmup, n, sync)
    with learn.no_bar(), learn.no_logging(): learn.fit(100, cbs=[timer, *([ChannelsLast()] if option == 'channels_last' else [])])
    return learn.dls.train.bs / statistics.median(timer.ts[warmup:]), timer.ts[0], timer.losses


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument('--device', default=None, help='default: CUDA when available')
    p.add_argument('--rounds', type=int, default=5, help='fresh learners per run; the median is kept')
    p.add_argument('--smoke', action='store_true', help='few batches, one round: checks the code path, writes nothing')
    a = p.parse_args()
    dev = resolve_device(a.device)
    prec = resolve_precision('auto', dev)
    warmup, n, rounds = (1, 2, 1) if a.smoke else (5, 30, a.rounds)
    ims = load_images('digits', 32)
    tr, va = split_idxs(ims, 0.2, 42)
    cls = lambda arch: lambda: classifier_learner(image_dls(ims, tr, va, bs=64, labels=True, device=dev), create_student(arch, 10, ims.n_chans, 32), blr=1e-3)
    mae = lambda: mae_learner(image_dls(ims, tr, va, bs=64, device=dev), 'mae_vit_micro_patch4', img_size=32)
    rows = ['| model (batch 64) | option | img/s | x eager | x eager, rounds | first batch s (first round) | largest loss difference from eager |',
            '|---|---|---|---|---|---|---|']
    for name, make in (('cnn_tiny student', cls('cnn_tiny')), ('resnet18 student', cls('resnet18')), ('MAE mae_vit_micro_patch4', mae)):
        opts = ('eager', 'channels_last', 'compile')
        runs = [{o: measure(make, o, prec, warmup, n, dev) for o in opts} for _ in range(rounds)]   # the options take turns
        res = {o: [r[o] for r in runs] for o in opts}
        for o, rs in res.items():
            ratios = [r[0] / e[0] for r, e in zip(rs, res['eager'])]
            diff = max(abs(x - y) for x, y in zip(rs[0][2], res['eager'][0][2]))
            rows.append(f"| {name} | {o} | {statistics.median(r[0] for r in rs):.0f} | {statistics.median(ratios):.2f} | "
                        f"{min(ratios):.2f}-{max(ratios):.2f} | "
                        f"{rs[0][1]:.2f} | {diff:.1e} |")
            print(rows[-1], flush=True)
    head = ['# --channels-last and --compile against eager\n',
            f'- {machine_line(machine_info()).rstrip(".") if dev.type == "cpu" else torch.cuda.get_device_name(dev)}; {dev}, {prec}; '
            f'torch {torch.__version__}, python {platform.python_version()}',
            f'- median over {rounds} round(s) of {n} timed batches after {warmup} warm-up batch(es); written by `python bench/speed_options.py`', '']
    text = '\n'.join(head + rows) + '\n'
    print(text)
    if not a.smoke: (ROOT/'bench'/'results'/'speed_options.md').write_text(text)
    return 0


if __name__ == '__main__': sys.exit(main())
