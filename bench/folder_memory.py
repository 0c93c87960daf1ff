"""Peak memory of pretraining on an image folder, against the size of its decoded images.

    python bench/folder_memory.py [--n 20000] [--dir /tmp/maekd-jpegs]

Writes N JPEGs (128 px, 10 class folders; kept in --dir for later runs), then runs, each as its own process:
1. `maekd pretrain --img-size 96 --arch mae_vit_tiny_patch16 --epochs 1 --bs 128` on a cold cache (decodes the folder);
2. the same command again (the folder is read from the cache: no decoding);
3. the same again with glibc's `MALLOC_MMAP_THRESHOLD_=131072`, which returns every freed block over 128 KiB to the
   system at once: less resident memory held between training steps, paid for in page faults (slower);
and, for scale, a process that only imports maekd, with its resident pages by kind of mapping (/proc/self/smaps): the CUDA
libraries a CUDA build of torch maps even without a GPU, triton (which torchvision loads through torch._dynamo), other
files, anonymous memory. It prints each run's wall time and peak resident memory (ru_maxrss of the child: anonymous and file-backed pages),
the decoded uint8 size N x 3 x 96 x 96, and the margin over it."""
import argparse, json, os, re, shutil, subprocess, sys, tempfile, time
from pathlib import Path
import numpy as np
from PIL import Image


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
    "GiB resident in this process after importing maekd (what `maekd pretrain` imports), by kind of mapping."
    import importlib, torch
    for m in ('maekd.pretrain', 'maekd.cli'): importlib.import_module(m)
    rss, cur = {}, 'anonymous'
    for l in Path('/proc/self/smaps').read_text().splitlines():
        if re.match(r'[0-9a-f]+-[0-9a-f]+ ', l): cur = kind(l.split()[5] if len(l.split()) > 5 else '')
        elif l.startswith('Rss:'): rss[cur] = rss.get(cur, 0) + int(l.split()[1]) / 2**20
    return dict(torch=torch.__version__, gib={k: round(v, 3) for k, v in sorted(rss.items())})


WRAP = ('import resource, subprocess, sys; p = subprocess.run(sys.argv[1:], capture_output=True, text=True); '
        'sys.stderr.write(p.stderr); print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss); sys.exit(p.returncode)')

def run(args:list, env:dict) -> tuple:
    "Wall seconds and peak resident bytes of `maekd ARGS` in a fresh process (measured by a wrapper of its own)."
    t = time.time()
    p = subprocess.run([sys.executable, '-c', WRAP, sys.executable, '-m', 'maekd.cli', *args], env=env, capture_output=True, text=True)
    if p.returncode: sys.exit(f'maekd failed:\n{p.stderr[-2000:]}')
    return time.time() - t, int(p.stdout.split()[-1]) * 1024, p.stderr


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument('--n', type=int, default=20000)
    ap.add_argument('--dir', default=str(Path(tempfile.gettempdir())/'maekd-jpegs'))
    a = ap.parse_args()
    root = Path(a.dir)/f'n{a.n}'
    t = time.time(); make_jpegs(root, a.n); print(f'{a.n} JPEGs in {root} ({time.time() - t:.0f} s to make or find)')
    cache = Path(tempfile.mkdtemp(prefix='maekd-cache-'))
    env = {**os.environ, 'MAEKD_CACHE': str(cache)}
    cmd = ['pretrain', '--data', str(root), '--img-size', '96', '--arch', 'mae_vit_tiny_patch16', '--epochs', '1', '--bs', '128',
           '--quiet', '--device', 'cpu']
    out = Path(tempfile.mkdtemp(prefix='maekd-out-'))
    decoded = a.n * 3 * 96 * 96
    res = {}
    trade = {'MALLOC_MMAP_THRESHOLD_': '131072'}      # glibc: blocks over 128 KiB mapped and unmapped each time, none kept
    for i, (name, extra) in enumerate((('cold cache (decodes)', {}), ('warm cache (no decoding)', {}),
                                       ('warm cache, MALLOC_MMAP_THRESHOLD_=131072', trade))):
        secs, peak, _ = run([*cmd, '--out', str(out/f'run{i}')], {**env, **extra})
        res[name] = dict(seconds=round(secs, 1), peak_gib=round(peak / 2**30, 3))
        print(f'{name}: {secs:.0f} s, peak resident {peak / 2**30:.2f} GiB = decoded images {decoded / 2**30:.2f} GiB '
              f'+ {(peak - decoded) / 2**30:.2f} GiB', flush=True)
    t = time.time()
    r = subprocess.run([sys.executable, '-c', WRAP, sys.executable, '-c', 'import maekd.pretrain, maekd.cli'], capture_output=True, text=True)
    imp = int(r.stdout.split()[-1]) * 1024
    res['import maekd only (torch, fastai, timm; no data)'] = dict(seconds=round(time.time() - t, 1), peak_gib=round(imp / 2**30, 3))
    br = json.loads(subprocess.run([sys.executable, __file__, '--import-breakdown'], capture_output=True, text=True, check=True).stdout)
    print(f'importing maekd alone: peak resident {imp / 2**30:.2f} GiB; by mapping: {br}')
    n_caches = len([p for p in cache.iterdir() if p.is_dir()])
    print(f'cache folders after both runs: {n_caches} (one decode); cache size {sum(f.stat().st_size for f in cache.rglob("*")) / 2**30:.2f} GiB')
    rec = dict(n=a.n, decoded_gib=round(decoded / 2**30, 3), runs=res, import_gib=br['gib'], cache_folders=n_caches, budget_gib=round(decoded / 2**30 + 1.5, 3))
    print(json.dumps(rec))
    res_dir = Path(__file__).parent/'results'; res_dir.mkdir(exist_ok=True)
    (res_dir/'folder_memory.json').write_text(json.dumps(rec, indent=2) + '\n')
    over = lambda k, v: '' if k.startswith('import') else f"{v['peak_gib'] - rec['decoded_gib']:+.2f}"    # no images in that process
    rows = '\n'.join(f"| {k} | {v['seconds']:.0f} | {v['peak_gib']:.2f} | {over(k, v)} |" for k, v in res.items())
    (res_dir/'folder_memory.md').write_text(
        f"{a.n} JPEGs (128 px, 10 classes), `maekd pretrain --img-size 96 --arch mae_vit_tiny_patch16 --epochs 1 --bs 128 --device cpu`, "
        f"each run a fresh process; decoded uint8 images {rec['decoded_gib']:.2f} GiB, target peak <= {rec['budget_gib']:.2f} GiB "
        f"(decoded + 1.5 GiB). Written by `python bench/folder_memory.py`.\n\n"
        f"| run | wall s | peak resident GiB | over the decoded images GiB |\n|---|---|---|---|\n{rows}\n\n"
        f"Cache folders after both runs: {n_caches}. Importing maekd, resident GiB by mapping: "
        + ', '.join(f'{k} {v:.2f}' for k, v in br['gib'].items()) + f" (torch {br['torch']}).\n")
    shutil.rmtree(cache); shutil.rmtree(out)


if __name__ == '__main__':
    if '--import-breakdown' in sys.argv: print(json.dumps(import_breakdown()))
    else: main()
