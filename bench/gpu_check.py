"""The GPU check: one script for a lent GPU, under 8 minutes. It runs the CUDA tests (tests/test_cuda.py), then times
MAE pretraining and online distillation through maekd's own Learners in fp32 (TF32), bf16 and fp16, eager and with
torch.compile, and prints the table and writes it to bench/results/gpu_check.md.

    python bench/gpu_check.py                       # on a machine with a CUDA GPU
    python bench/gpu_check.py --smoke --device cpu  # the same code path, tiny and fp32 only (what CI can run)

Images per second are the median over timed batches after warm-up, synchronised with the GPU; the batches are random
uint8 images held on the device, so the numbers are the models' and the training loop's, not a disk's."""
import argparse, platform, statistics, subprocess, sys, time
from pathlib import Path
import torch
from fastai.callback.core import Callback, CancelFitException
from maekd.data import ImageSet, image_dls
from maekd.runs import set_precision, resolve_device
from maekd.mae_train import mae_learner
from maekd.classifiers import vit_classifier, vit_spec, create_student
from maekd.mae_model import create_mae
from maekd.kd import distill_learner

ROOT = Path(__file__).resolve().parents[1]


class BatchTimer(Callback):
    "Seconds per training batch (device synchronised), after `warmup` batches; stops after `warmup + n` batches."
    order = 100
    def __init__(self, warmup:int, n:int, sync): self.warmup, self.n, self.sync, self.ts = warmup, n, sync, []
    def before_batch(self):
        if self.training: self.sync(); self.t = time.perf_counter()
    def after_batch(self):
        if not self.training: return
        self.sync(); self.ts.append(time.perf_counter() - self.t)
        if len(self.ts) >= self.warmup + self.n: raise CancelFitException


def synthetic(n:int, size:int, classes:int=10) -> ImageSet:
    g = torch.Generator().manual_seed(0)
    return ImageSet(torch.randint(0, 256, (n, 3, size, size), dtype=torch.uint8, generator=g),
                    torch.randint(0, classes, (n,), generator=g), [str(i) for i in range(classes)], name='synthetic')


def rate(make_learner, precision:str, compiled:bool, bs:int, warmup:int, n:int, dev) -> float:
    "Median images per second of `make_learner()` trained in `precision`, eager or compiled."
    learn = make_learner()
    set_precision(learn, precision)
    if compiled: learn.model = torch.compile(learn.model)
    sync = torch.cuda.synchronize if dev.type == 'cuda' else (lambda: None)
    timer = BatchTimer(warmup, n, sync)
    with learn.no_bar(), learn.no_logging(): learn.fit(100, cbs=timer)
    return bs / statistics.median(timer.ts[warmup:])


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument('--device', default=None, help='default: CUDA when available')
    p.add_argument('--smoke', action='store_true', help='tiny models, few batches, fp32 only: checks the code path')
    p.add_argument('--no-tests', action='store_true', help='skip tests/test_cuda.py')
    a = p.parse_args()
    dev = resolve_device(a.device)
    if dev.type != 'cuda' and not a.smoke:
        print('gpu_check: no CUDA GPU here; nothing measured (use --smoke --device cpu to check the code path)'); return 2
    lines = ['# GPU check\n', f'- device: {torch.cuda.get_device_name(dev) if dev.type == "cuda" else platform.processor() or "cpu"}',
             f'- torch {torch.__version__}, CUDA {torch.version.cuda}, python {platform.python_version()}']
    if not a.no_tests:
        r = subprocess.run([sys.executable, '-m', 'pytest', str(ROOT/'tests'/'test_cuda.py'), '-q', '-p', 'no:cacheprovider'],
                           capture_output=True, text=True)
        lines.append(f"- tests/test_cuda.py: {r.stdout.strip().splitlines()[-1] if r.stdout.strip() else 'no output'}")
    size, bs, arch, warmup, n = (32, 16, 'mae_vit_nano_patch4', 2, 3) if a.smoke else (224, 128, 'mae_vit_base_patch16', 10, 30)
    ims = synthetic(max(4 * bs, 64) if a.smoke else 16 * bs, size)
    tr, va = torch.arange(len(ims) - bs), torch.arange(len(ims) - bs, len(ims))
    def mae(): return mae_learner(image_dls(ims, tr, va, bs=bs, device=dev), arch, img_size=size)
    t_cfg = create_mae(arch, img_size=size).config
    def kd():
        dls = image_dls(ims, tr, va, bs=bs, labels=False, device=dev)
        teacher = vit_classifier(**vit_spec(t_cfg, 10, 0.))
        return distill_learner(dls, create_student('cnn_tiny' if a.smoke else 'resnet18', 10, 3, size), teacher)
    precisions = ['fp32'] if dev.type != 'cuda' else ['fp32', 'bf16', 'fp16']
    rows = ['| run | precision | eager img/s | compiled img/s | compiled / eager |', '|---|---|---|---|---|']
    for name, make in ((f'MAE pretraining ({arch}, {size} px, batch {bs})', mae), (f'online KD (ViT teacher -> student, batch {bs})', kd)):
        for prec in precisions:
            eager = rate(make, prec, False, bs, warmup, n, dev)
            comp = rate(make, prec, True, bs, warmup, n, dev) if not a.smoke else float('nan')
            rows.append(f'| {name} | {prec} | {eager:.0f} | {comp:.0f} | {comp / eager:.2f} |')
            print(rows[-1], flush=True)
    text = '\n'.join(lines + ['', *rows]) + '\n'
    print(text)
    if not a.smoke: (ROOT/'bench'/'results'/'gpu_check.md').write_text(text)
    return 0


if __name__ == '__main__': sys.exit(main())
