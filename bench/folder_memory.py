"""Peak memory of pretraining on an image folder, against the size of its decoded images.

    python bench/folder_memory.py [--n 20000] [--dir /tmp/maekd-jpegs]

Writes N JPEGs (128 px, 10 class folders; kept in --dir for later runs), then runs, each as its own process:
1. `maekd pretrain --img-size 96 --arch mae_vit_tiny_patch16 --epochs 1 --bs 128` on a cold cache (decodes the folder);
2. the same command again (the folder is read from the cache: no decoding);
3. the same again with glibc's `MALLOC_MMAP_THRESHOLD_=131072`, which returns every freed block over 128 KiB to the
   system at once: less resident memory held between training steps, paid for in page faults (slower); and with blocks
   over 4 MiB returned at once and the heap trimmed when 64 MiB are free at its top, a milder setting;
4. the same command on a folder of SMALL = 2,000 of those JPEGs (warm cache): what the libraries and the model's training
   need beside next to no images, so that the difference between the two peaks is what the images themselves add;
and, for scale, a process that only imports maekd: its peak once imported (its exit briefly needs more) and its resident
pages by kind of mapping (/proc/self/smaps): the CUDA libraries a CUDA build of torch maps even without a GPU, triton
(which torchvision loads through torch._dynamo), other files, anonymous memory; and the bytes the model keeps for its
backward pass in one training step at that batch size (torch.autograd.graph.saved_tensors_hooks, each storage once).
It prints each run's wall time and peak resident memory (ru_maxrss of the child: anonymous and file-backed pages), the
decoded uint8 size N x 3 x 96 x 96 and the margin over it, and writes results/folder_memory.json and .md
(`--table` writes the .md again from the stored .json)."""
import argparse, json, os, re, shutil, subprocess, sys, tempfile, time
from pathlib import Path
import numpy as np
from PIL import Image


ARCH, IMG, BS = 'mae_vit_tiny_patch16', 96, 128     # the pretraining every run measures
ARGS = ['--img-size', str(IMG), '--arch', ARCH, '--epochs', '1', '--bs', str(BS)]


def make_jpegs(root:Path, n:int, size:int=128):
    "N smooth synthetic JPEGs (gradients and a disc whose place depends on the class) in 10 class folders."
    if root.exists() and sum(1 for _ in root.rglob('*.jpg')) == n: return
    shutil.rmtree(root, ignore_errors=True)
    rng, yy, xx = np.random.default_rng(0), *np.mgrid[0:size, 0:size]
    for i in range(n):
        c = i % 10
        d = root/f'class{c}'; d.mkdir(parents=True, exist_ok=True)
        cx, cy, r = 20 + 9 * c, rng.integers(20, size - 20), rng.integers(8, 30)
        base = np.stack([xx * rng.uniform(0.5, 2), yy * rng.uniform(0.5, 2), (xx + yy) * rng.uniform(0.2, 1)], -1)
        img = np.where(((xx - cx) ** 2 + (yy - cy) ** 2 < r * r)[..., None], 255 - base % 255, base % 255).astype(np.uint8)
        Image.fromarray(img).save(d/f'{i}.jpg', quality=90)


def kind(path:str) -> str:
    "The kind of a mapped path: CUDA libraries, triton, other files or anonymous memory."
    if '/nvidia/' in path or 'libtorch_cuda' in path: return 'CUDA libraries'
    if 'triton' in path: return 'triton'
    return 'other files' if path.startswith('/') else 'anonymous'


def import_breakdown() -> dict:
    "Seconds and peak GiB resident once maekd is imported (what `maekd pretrain` imports), and where it resides by kind of mapping."
    t = time.time()
    import importlib, torch
    for m in ('maekd.pretrain', 'maekd.cli'): importlib.import_module(m)
    secs, hwm = time.time() - t, int(re.search(r'VmHWM:\s+(\d+)', Path('/proc/self/status').read_text()).group(1)) / 2**20
    rss, cur = {}, 'anonymous'
    for l in Path('/proc/self/smaps').read_text().splitlines():
        if re.match(r'[0-9a-f]+-[0-9a-f]+ ', l): cur = kind(l.split()[5] if len(l.split()) > 5 else '')
        elif l.startswith('Rss:'): rss[cur] = rss.get(cur, 0) + int(l.split()[1]) / 2**20
    return dict(torch=torch.__version__, seconds=round(secs, 1), peak_gib=round(hwm, 3), gib={k: round(v, 3) for k, v in sorted(rss.items())})


def saved_activations(bs:int=BS, img_size:int=IMG) -> float:
    "GiB the MAE keeps for backward in one fp32 training step of `bs` RGB images (each storage counted once)."
    import torch
    from maekd.mae_model import create_mae
    model, seen = create_mae(ARCH, img_size=img_size, in_chans=3), {}
    def pack(t): seen[t.untyped_storage().data_ptr()] = t.untyped_storage().nbytes(); return t
    with torch.autograd.graph.saved_tensors_hooks(pack, lambda t: t): model(torch.randn(bs, 3, img_size, img_size), 0.75)
    return round(sum(seen.values()) / 2**30, 3)


SMALL = 2000     # JPEGs in the folder that shows what training needs beside the images

WRAP = ('import resource, subprocess, sys; p = subprocess.run(sys.argv[1:], capture_output=True, text=True); '
        'sys.stderr.write(p.stderr); print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss); sys.exit(p.returncode)')

def run(args:list, env:dict) -> tuple:
    "Wall seconds and peak resident bytes of `maekd ARGS` in a fresh process (measured by a wrapper of its own)."
    t = time.time()
    p = subprocess.run([sys.executable, '-c', WRAP, sys.executable, '-m', 'maekd.cli', *args], env=env, capture_output=True, text=True)
    if p.returncode: sys.exit(f'maekd failed:\n{p.stderr[-2000:]}')
    return time.time() - t, int(p.stdout.split()[-1]) * 1024


def write_table(rec:dict, res_dir:Path):
    "Write `folder_memory.md` from a record of `main` (also `--table`: again from the stored `folder_memory.json`)."
    res = rec['runs']
    rows = '\n'.join(f"| {k} | {v['seconds']:.0f} | {v['decoded_gib']:.2f} | {v['peak_gib']:.2f} | {v['peak_gib'] - v['decoded_gib']:+.2f} |"
                     for k, v in res.items())
    (res_dir/'folder_memory.md').write_text(
        f"{rec['n']} JPEGs (128 px, 10 classes), `maekd pretrain {' '.join(ARGS)} --device cpu`, "
        f"each run a fresh process; decoded uint8 images {rec['decoded_gib']:.3f} GiB, target peak <= {rec['budget_gib']:.3f} GiB "
        f"(decoded + 1.5 GiB). Written by `python bench/folder_memory.py`.\n\n"
        f"| run | wall s | decoded images GiB | peak resident GiB | over the decoded images GiB |\n|---|---|---|---|---|\n{rows}\n\n"
        f"Cache folders of the {rec['n']:,} JPEGs after their four runs: {rec['cache_folders']}. The model keeps {rec['saved_activations_gib']:.2f} GiB for backward in one training "
        f"step (batch {BS}, fp32). Importing maekd, resident GiB by mapping: "
        + ', '.join(f'{k} {v:.2f}' for k, v in rec['import_gib'].items()) + f" (torch {rec['torch']}).\n")


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument('--n', type=int, default=20000)
    ap.add_argument('--dir', default=str(Path(tempfile.gettempdir())/'maekd-jpegs'))
    a = ap.parse_args()
    root = Path(a.dir)/f'n{a.n}'
    t = time.time(); make_jpegs(root, a.n); print(f'{a.n} JPEGs in {root} ({time.time() - t:.0f} s to make or find)')
    cache = Path(tempfile.mkdtemp(prefix='maekd-cache-'))
    env = {**os.environ, 'MAEKD_CACHE': str(cache)}
    cmd = ['pretrain', '--data', str(root), *ARGS, '--quiet', '--device', 'cpu']
    out = Path(tempfile.mkdtemp(prefix='maekd-out-'))
    gib = lambda n: n * 3 * IMG * IMG / 2**30                       # decoded uint8 images of n JPEGs
    res = {}
    trade = {'MALLOC_MMAP_THRESHOLD_': '131072'}      # glibc: blocks over 128 KiB mapped and unmapped each time, none kept
    mid = {'MALLOC_MMAP_THRESHOLD_': '4194304', 'MALLOC_TRIM_THRESHOLD_': '67108864'}   # only blocks over 4 MiB; trim the heap over 64 MiB
    small = Path(a.dir)/f'n{SMALL}'; make_jpegs(small, SMALL)
    few = [*cmd[:2], str(small), *cmd[3:]]
    runs = (('cold cache (decodes)', a.n, cmd, {}), ('warm cache (no decoding)', a.n, cmd, {}),
            ('warm cache, MALLOC_MMAP_THRESHOLD_=131072', a.n, cmd, trade),
            ('warm cache, MALLOC_MMAP_THRESHOLD_=4194304 MALLOC_TRIM_THRESHOLD_=67108864', a.n, cmd, mid), (None, SMALL, few, {}),
            (f'{SMALL:,} of these JPEGs, warm cache', SMALL, few, {}))
    for i, (name, n, args, extra) in enumerate(runs):
        secs, peak = run([*args, '--out', str(out/f'run{i}')], {**env, **extra})
        if name is None: continue                                  # only decodes the small folder for the next row
        res[name] = dict(seconds=round(secs, 1), peak_gib=round(peak / 2**30, 3), decoded_gib=round(gib(n), 3))
        print(f'{name}: {secs:.0f} s, peak resident {peak / 2**30:.2f} GiB = decoded images {gib(n):.2f} GiB '
              f'+ {peak / 2**30 - gib(n):.2f} GiB', flush=True)
    br = json.loads(subprocess.run([sys.executable, __file__, '--import-breakdown'], capture_output=True, text=True, check=True).stdout)
    res['import maekd only (torch, fastai, timm; no data)'] = dict(seconds=br['seconds'], peak_gib=br['peak_gib'], decoded_gib=0)
    print(f"importing maekd alone: {br['seconds']:.0f} s, peak resident {br['peak_gib']:.2f} GiB; by mapping: {br['gib']}")
    act = float(subprocess.run([sys.executable, __file__, '--saved-activations'], capture_output=True, text=True, check=True).stdout)
    print(f'saved for backward in one training step at bs {BS}: {act:.2f} GiB')
    n_caches = len([p for p in cache.iterdir() if p.is_dir() and p.name.startswith(f'n{a.n}-')])
    print(f'cache folders of the {a.n} JPEGs after their four runs: {n_caches} (one decode); cache size {sum(f.stat().st_size for f in cache.rglob("*")) / 2**30:.2f} GiB')
    rec = dict(n=a.n, torch=br['torch'], decoded_gib=round(gib(a.n), 3), runs=res, import_gib=br['gib'], saved_activations_gib=act, cache_folders=n_caches, budget_gib=round(gib(a.n) + 1.5, 3))
    print(json.dumps(rec))
    res_dir = Path(__file__).parent/'results'; res_dir.mkdir(exist_ok=True)
    (res_dir/'folder_memory.json').write_text(json.dumps(rec, indent=2) + '\n')
    write_table(rec, res_dir)
    shutil.rmtree(cache); shutil.rmtree(out)


if __name__ == '__main__':
    if '--import-breakdown' in sys.argv: print(json.dumps(import_breakdown()))
    elif '--saved-activations' in sys.argv: print(saved_activations())
    elif '--table' in sys.argv:
        res_dir = Path(__file__).parent/'results'; write_table(json.loads((res_dir/'folder_memory.json').read_text()), res_dir)
    else: main()
