"""int8 with full-range and with 7-bit (reduce_range) weights, on the models of a finished `maekd run` seed.

    python bench/int8_check.py runs/demo/seed42

For every row of the seed it exports the ONNX file once, quantises it both ways (calibrated on 256 training images, as
the report does), and prints held-out top-1 of fp32 (onnxruntime), of each int8 file, the drop, int8 size and batch-1
latency (median of 200 runs, 1 thread), on the CPU running it; writes the table to bench/results/int8_check.md.
On CPUs without VNNI full-range weights can overflow onnxruntime's u8 x s8 kernel; 7-bit weights cannot."""
import sys, tempfile
from pathlib import Path
import torch
from maekd.classifiers import load_classifier
from maekd.data import load_images
from maekd.evaluate import (export_onnx, quantize_int8, onnx_predict, onnx_latency, accuracy_stats, own_inputs, machine_info,
                            machine_line)
from maekd.study.rows import row_names
from maekd.study.verdicts import seed_split


def main(seed_dir):
    seed_dir = Path(seed_dir)
    seed = int(seed_dir.name.removeprefix('seed'))
    ims = load_images('digits', 32)
    tr, va = seed_split(seed_dir, ims, seed)
    calib_idx = tr[torch.randperm(len(tr), generator=torch.Generator().manual_seed(seed))[:256]]
    rows = ['| row | fp32 top-1 | int8 8-bit top-1 (drop) | int8 7-bit top-1 (drop) | int8 MB 8-bit / 7-bit | int8 ms 8-bit / 7-bit |',
            '|---|---|---|---|---|---|']
    with tempfile.TemporaryDirectory() as d:
        for n in row_names:
            if not (seed_dir/n).is_dir(): continue
            model, spec = load_classifier(seed_dir/n)
            x, cal = own_inputs(ims.x[va], spec), own_inputs(ims.x[calib_idx], spec)
            o = export_onnx(model, x, f'{d}/{n}.onnx')
            top = lambda p: accuracy_stats(onnx_predict(p, x), ims.y[va])['top1'] * 100
            fp = top(o['path'])
            res = {rr: quantize_int8(o['path'], f'{d}/{n}.{rr}.onnx', cal, reduce_range=rr) for rr in (False, True)}
            acc = {rr: top(q['path']) for rr, q in res.items()}
            ms = {rr: onnx_latency(q['path'], x[:1], runs=200)['p50'] for rr, q in res.items()}
            mb = {rr: q['size_bytes'] / 2**20 for rr, q in res.items()}
            rows.append(f'| {n} | {fp:.1f} | {acc[False]:.1f} ({fp - acc[False]:+.1f}) | {acc[True]:.1f} ({fp - acc[True]:+.1f}) | '
                        f'{mb[False]:.3f} / {mb[True]:.3f} | {ms[False]:.3f} / {ms[True]:.3f} |')
            print(rows[-1], flush=True)
    text = (f'int8 on the models of `{seed_dir}` ({len(va)} held-out digits), written by `python bench/int8_check.py`. '
            f'{machine_line(machine_info())}\n\n' + '\n'.join(rows) + '\n')
    out = Path(__file__).parent/'results'/'int8_check.md'
    out.write_text(text); print(text)


if __name__ == '__main__': main(sys.argv[1])
