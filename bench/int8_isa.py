"""int8 on CPUs this machine is not: a run's ONNX and int8 files scored natively and under QEMU's user-mode emulator.

    python bench/int8_isa.py runs/digits/seed42                 # every row of a finished `maekd run` seed, on an emulated Haswell
    python bench/int8_isa.py runs/digits/seed42 --full-range    # also int8 with 8-bit weights (the kernels that saturate)

onnxruntime picks its int8 kernels by the CPU it runs on: with VNNI it adds u8 x s8 products in 32 bits; on an AVX2-only
CPU (no AVX-512, no VNNI) `vpmaddubsw` adds pairs of them in 16 bits and saturates. `qemu-x86_64 -cpu Haswell` runs a
process on an emulated AVX2 CPU (QEMU's TCG emulates no AVX-512 at all), so onnxruntime takes the AVX2 path there. Only
onnxruntime and numpy run under the emulator (`--score`, a worker): the native process loads the run, writes each row's
held-out inputs (normalised as the report normalises them) beside the files the report wrote (`SEED/onnx/NAME.onnx`,
`NAME.int8.onnx`), scores fp32 and int8 natively, then the int8 files under each emulated CPU, with one thread and no
spinning. The drop is fp32 top-1 (native) minus int8 top-1 on that CPU; the table goes to bench/results/int8_isa.md."""
import argparse, json, os, shutil, subprocess, sys, tempfile, time
from pathlib import Path
import numpy as np

QEMU = 'qemu-x86_64'


def session(path):
    "An onnxruntime session on one thread that does not spin (spinning threads cost minutes under the emulator)."
    import onnxruntime as ort
    so = ort.SessionOptions()
    so.intra_op_num_threads, so.inter_op_num_threads = 1, 1
    so.add_session_config_entry('session.intra_op.allow_spinning', '0')
    return ort.InferenceSession(str(path), so, providers=['CPUExecutionProvider'])


def score_files(jobs, bs=64):
    "Top-1 predictions of each `(onnx file, inputs .npy)` of `jobs`, batch by batch on this CPU: a list of int arrays."
    preds = []
    for onnx_file, inputs in jobs:
        sess, x = session(onnx_file), np.load(inputs)
        name = sess.get_inputs()[0].name
        preds.append(np.concatenate([sess.run(None, {name: x[i:i+bs]})[0].argmax(1) for i in range(0, len(x), bs)]))
    return preds


def emulated(jobs, cpu='Haswell', timeout=3600):
    "`score_files(jobs)` run under `qemu-x86_64 -cpu CPU` in a process that imports only numpy and onnxruntime."
    if not shutil.which(QEMU): raise FileNotFoundError(f'{QEMU} not found: apt-get install qemu-user')
    with tempfile.TemporaryDirectory() as d:
        job = Path(d)/'job.json'
        job.write_text(json.dumps(dict(jobs=[[str(a), str(b)] for a, b in jobs], out=d)))
        env = {**os.environ, 'OMP_NUM_THREADS': '1'}
        p = subprocess.run([QEMU, '-cpu', cpu, sys.executable, __file__, '--score', str(job)], capture_output=True, text=True,
                           env=env, timeout=timeout)
        if p.returncode: raise RuntimeError(f'the emulated scorer failed ({p.returncode}): ' + p.stderr[-2000:])
        return [np.load(f'{d}/pred{i}.npy') for i in range(len(jobs))]


def _worker(job_file):
    "Under the emulator: score the job's files and write each prediction to `out/predI.npy`."
    job = json.loads(Path(job_file).read_text())
    for i, p in enumerate(score_files(job['jobs'])): np.save(f"{job['out']}/pred{i}.npy", p)


def seed_files(seed_dir:Path, tmp:Path, full_range:bool=False) -> tuple:
    "(held-out labels, {row: inputs .npy}, {(row, weights): int8 file}) of a `maekd run` seed; inputs normalised as each row's."
    import torch
    from maekd.classifiers import load_classifier
    from maekd.data import load_images
    from maekd.evaluate import own_inputs, quantize_int8
    from maekd.study.rows import row_names
    from maekd.study.verdicts import seed_split
    cfg = json.loads((seed_dir/'mae'/'config.json').read_text())
    ims = load_images(cfg['data'], cfg['img_size'])
    tr, va = seed_split(seed_dir, ims, cfg['seed'])
    calib = ims.x[tr[torch.randperm(len(tr), generator=torch.Generator().manual_seed(cfg['seed']))[:256]]]   # as score_models draws them
    inputs, files = {}, {}
    for n in (n for n in row_names if (seed_dir/'onnx'/f'{n}.int8.onnx').exists()):
        spec = load_classifier(seed_dir/n)[1]
        inputs[n] = tmp/f'{n}.npy'
        np.save(inputs[n], own_inputs(ims.x[va], spec).numpy().astype(np.float32))
        files[n, '7-bit'] = seed_dir/'onnx'/f'{n}.int8.onnx'                    # the report's own int8 file
        if full_range:                                                          # the same recipe with 8-bit weights
            files[n, '8-bit'] = quantize_int8(seed_dir/'onnx'/f'{n}.onnx', tmp/f'{n}.full.onnx', own_inputs(calib, spec),
                                              reduce_range=False)['path']
    return ims.y[va].numpy(), inputs, files


def top1(pred, y): return float((pred == y).mean() * 100)


def main(seed_dir, cpus=('Haswell',), full_range=False, out=None):
    seed_dir = Path(seed_dir)
    from maekd.evaluate import machine_info, machine_line
    with tempfile.TemporaryDirectory() as d:
        tmp = Path(d)
        y, inputs, files = seed_files(seed_dir, tmp, full_range)
        fp32 = dict(zip(inputs, score_files([(seed_dir/'onnx'/f'{n}.onnx', inputs[n]) for n in inputs])))
        native = dict(zip(files, score_files([(f, inputs[n]) for (n, _), f in files.items()])))
        emu, secs = {}, {}
        for cpu in cpus:
            t = time.time()
            emu[cpu] = dict(zip(files, emulated([(f, inputs[n]) for (n, _), f in files.items()], cpu)))
            secs[cpu] = time.time() - t
            print(f'{cpu}: {secs[cpu]:.0f} s under the emulator', flush=True)
    head = ['row', 'int8 weights', 'fp32 top-1 (native)', 'int8 top-1 native (drop)'] + [f'int8 top-1 {c} (drop)' for c in cpus]
    rows, recs = ['| ' + ' | '.join(head) + ' |', '|' + '---|' * len(head)], []
    for (n, k) in files:
        fp = top1(fp32[n], y)
        cells = {'native': top1(native[n, k], y), **{c: top1(emu[c][n, k], y) for c in cpus}}
        recs.append(dict(row=n, weights=k, fp32=fp, **cells))
        rows.append(f"| {n} | {k} | {fp:.1f} | " + ' | '.join(f'{v:.1f} ({fp - v:+.1f})' for v in cells.values()) + ' |')
    worst = {c: max(r['fp32'] - r[c] for r in recs if r['weights'] == '7-bit') for c in ['native', *cpus]}
    text = (f"int8 of `{seed_dir}` ({len(y)} held-out images), written by `python bench/int8_isa.py`: fp32 and int8 scored "
            f"natively, int8 under `qemu-x86_64 -cpu CPU` ({', '.join(f'{c}: {secs[c]:.0f} s' for c in cpus)}; one thread, no "
            f"spinning). Drop = fp32 top-1 minus int8 top-1, in points. Native: {machine_line(machine_info())}\n\n"
            + '\n'.join(rows) + '\n\nLargest drop of the default (7-bit) int8 files: '
            + ', '.join(f'{c} {v:+.1f}' for c, v in worst.items()) + '.\n')
    out = Path(out or Path(__file__).parent/'results'/'int8_isa')
    out.with_suffix('.md').write_text(text)
    out.with_suffix('.json').write_text(json.dumps(dict(seed_dir=str(seed_dir), n=len(y), cpus=list(cpus), seconds=secs,
                                                        rows=recs, worst=worst), indent=1))
    print(text)
    return recs


if __name__ == '__main__':
    if sys.argv[1:2] == ['--score']: _worker(sys.argv[2]); sys.exit()
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument('seed_dir', help='a seed folder of a finished maekd run (with onnx/)')
    ap.add_argument('--cpus', nargs='+', default=['Haswell'], help='QEMU CPU models to emulate (qemu-x86_64 -cpu help)')
    ap.add_argument('--full-range', action='store_true', help='also quantise with 8-bit weights (reduce_range=False)')
    ap.add_argument('--out', help='stem of the .md and .json tables (default bench/results/int8_isa)')
    a = ap.parse_args()
    main(a.seed_dir, a.cpus, a.full_range, a.out)
