"""Where one seed of `maekd run` spends its minutes: seconds per stage and, inside each, steps, data loading, validation,
checkpoints, exports, history and plots.

    python bench/profile_seed.py --data ../shared/data/cifar10_sub --out runs/profile    # writes bench/results/profile_seed.{json,md}

It runs `maekd run` for one seed exactly as the stored photo run did (default preset, 10% of the labels, seed 42,
fp32 on the CPU) and wraps, for the time of the run only, the places of fastai's loop and of maekd's callbacks where
time goes. Nothing it wraps changes what is computed: the weights are those `maekd run` writes.
The parts of a stage (seconds, wall clock):
- steps: fastai's `one_batch` in training (forward, loss, backward, optimizer step and the batch callbacks);
  `teacher` is the part of it spent in the teacher's forward pass (distilled rows), `decoder` the MAE decoder's forward;
- data: the rest of the training loop (`all_batches` less `one_batch`): the loader's batches and their GPU-side transforms;
- valid: validation passes (the final rows of `maekd run` skip them);
- checkpoint: `last.pth` written (model, optimizer, random states); export: the model's weights files;
- history: `history.csv` lines; plot: `loss.png` redrawn;
- other in fit: the rest of `Learner.fit` (callbacks' fit and epoch events, schedulers, loader start per epoch);
- setup: the stage outside `fit` (images read, models built, teachers loaded, the folder prepared).
`--resume` continues an interrupted profile: finished stages keep the profile they were written with."""
import argparse, functools, json, time
from collections import defaultdict
from pathlib import Path
from fastai.learner import Learner
import maekd.runs as runs
import maekd.kd as kd
import maekd.mae_model as mm
import maekd.study.pipeline as pipeline
from maekd.evaluate import machine_info, machine_line

T = defaultdict(lambda: defaultdict(float))      # stage -> part -> seconds
N = defaultdict(lambda: defaultdict(int))        # stage -> counter -> count
now = {'stage': 'outside'}


def timed(obj, name, part, when=lambda self, *a, **k: True, count=None):
    "Wrap `obj.name` so that its seconds add to `part` of the current stage (when `when` says so)."
    fn = getattr(obj, name)
    @functools.wraps(fn)
    def wrapper(*args, **kwargs):
        if not when(*args, **kwargs): return fn(*args, **kwargs)
        t = time.perf_counter()
        try: return fn(*args, **kwargs)
        finally:
            T[now['stage']][part] += time.perf_counter() - t
            if count: N[now['stage']][count] += 1
    setattr(obj, name, wrapper)


def instrument():
    "Wrap the loop's places where time goes, for the time of this process."
    training = lambda self, *a, **k: self.training
    timed(Learner, 'one_batch', 'steps', training, count='steps')
    timed(Learner, 'all_batches', 'loop', training)
    timed(Learner, '_do_epoch_validate', 'valid', count='valid passes')
    timed(Learner, '_do_fit', 'fit', count='fits')
    timed(Learner, '_do_epoch', 'epochs', count='epochs')
    timed(runs.RunCheckpoint, 'after_epoch', 'checkpoint+export+plot')   # the run's files, on one clock
    timed(runs, 'atomic_write', 'checkpoint')          # the module's name for it: last.pth (exports write through core's)
    timed(runs, 'plot_history', 'plot')
    timed(runs.RunHistory, '_write_line', 'history')
    timed(kd.OnlineTeacher, 'logits', 'teacher')
    timed(kd.MaskedTeacher, 'logits', 'teacher')
    timed(mm.MaskedAutoencoder, 'forward_decoder', 'decoder', training)
    timed(pipeline, 'seed_report', 'report')


def time_stages(stage_done):
    "Wrap `train_stage` so that each stage is named, timed, and handed to `stage_done(folder)` when it ends."
    stage = pipeline.train_stage
    def train_stage(folder, fn, **kwargs):
        now['stage'] = Path(folder).name
        t = time.perf_counter()
        try: return stage(folder, fn, **kwargs)
        finally:
            T[now['stage']]['stage'] += time.perf_counter() - t; now['stage'] = 'report'
            stage_done(folder)
    pipeline.train_stage = train_stage


def parts(t:dict) -> dict:
    "A stage's seconds split into parts that add up to its wall time."
    loop, fit, files = t.get('loop', 0.), t.get('fit', 0.), t.get('checkpoint+export+plot', 0.)
    p = {'steps': t.get('steps', 0.), 'data': loop - t.get('steps', 0.), 'valid': t.get('valid', 0.),
         'checkpoint': t.get('checkpoint', 0.), 'export': files - t.get('checkpoint', 0.) - t.get('plot', 0.),
         'history': t.get('history', 0.), 'plot': t.get('plot', 0.)}
    p['other in fit'] = fit - sum(p.values())
    p['setup'] = t.get('stage', 0.) - fit
    return {k: round(v, 2) for k, v in p.items()}


def table(prof:dict) -> str:
    "The profile as a markdown table: a line per stage, seconds per part, and the shares of the whole seed."
    cols = ['steps', 'data', 'valid', 'checkpoint', 'export', 'history', 'plot', 'other in fit', 'setup']
    head = '| stage | seconds | ' + ' | '.join(cols) + ' | of which teacher | of which decoder (fwd) | steps | epochs | steps/epoch |'
    lines = [head, '|' + '---|' * (head.count('|') - 1)]
    tot = defaultdict(float)
    for name, s in prof['stages'].items():
        p, n = s['parts'], s['counts']
        for c in cols + ['seconds', 'teacher', 'decoder']: tot[c] += p.get(c, s.get(c, 0.))
        spe = n.get('steps', 0) / max(n.get('epochs', 1), 1)
        lines.append(f"| {name} | {s['seconds']:.1f} | " + ' | '.join(f'{p[c]:.1f}' for c in cols) +
                     f" | {s['teacher']:.1f} | {s['decoder']:.1f} | {n.get('steps', 0)} | {n.get('epochs', 0)} | {spe:.1f} |")
    lines.append('| **seed** | ' + f"{tot['seconds']:.1f} | " + ' | '.join(f'{tot[c]:.1f}' for c in cols) +
                 f" | {tot['teacher']:.1f} | {tot['decoder']:.1f} | | | |")
    lines.append('| share % | 100 | ' + ' | '.join(f"{100 * tot[c] / tot['seconds']:.1f}" for c in cols) +
                 f" | {100 * tot['teacher'] / tot['seconds']:.1f} | {100 * tot['decoder'] / tot['seconds']:.1f} | | | |")
    return '\n'.join(lines)


def compare(before:dict, after:dict) -> str:
    "Stage by stage, the seconds of the stages profiled in both, and what the per-epoch files cost in each."
    files = lambda p: p['checkpoint'] + p['export'] + p['history'] + p['plot']
    lines = ['| stage | seconds before | seconds after | saved | checkpoint, export, history, plot before | after | steps before | after |',
             '|---|---|---|---|---|---|---|---|']
    for st, a in after['stages'].items():
        b = before['stages'].get(st)
        if b: lines.append(f"| {st} | {b['seconds']:.1f} | {a['seconds']:.1f} | {b['seconds'] - a['seconds']:.1f} | "
                           f"{files(b['parts']):.1f} | {files(a['parts']):.1f} | {b['parts']['steps']:.1f} | {a['parts']['steps']:.1f} |")
    return '\n'.join(lines)


def save(prof:dict, res:Path, name:str):
    "Write the profile's JSON and its markdown page."
    res.mkdir(parents=True, exist_ok=True)
    (res/f'{name}.json').write_text(json.dumps(prof, indent=1))
    rep = prof.get('report_seconds')
    md = [f"# Where one photo seed's minutes go ({prof['label']})", '',
          f"`{prof['command']}`. {prof['cpu']}", '',
          table(prof), '', f"Report of the seed (latency, ONNX, int8 of every row): {rep:.1f} s." if rep else '',
          '', 'Seconds, wall clock; the parts of a stage add up to its seconds (bench/profile_seed.py says what each is).']
    if prof['label'] != 'before' and (res/'profile_seed.json').exists():
        md += ['', 'Against the profile before (`profile_seed.md`), the stages retrained here:', '',
               compare(json.loads((res/'profile_seed.json').read_text()), prof)]
    (res/f'{name}.md').write_text('\n'.join(md) + '\n')


def main(data, out, seed=42, resume=False, name='profile_seed', label='before', preset='default', report=True, render=False):
    if render: return save(json.loads((Path(__file__).parent/'results'/f'{name}.json').read_text()), Path(__file__).parent/'results', name)
    res = Path(__file__).parent/'results'
    old = json.loads((res/f'{name}.json').read_text()) if resume and (res/f'{name}.json').exists() else {}
    instrument()
    cmd = f'maekd run --data {data} --preset {preset} --seed {seed} --n-seeds 1 --device cpu --out {out}'
    prof = dict(label=label, command=cmd, cpu=machine_line(machine_info()), stages=old.get('stages', {}))
    def stage_done(folder):          # a stage has just ended: store what it took
        for st, t in list(T.items()):
            if st in ('outside', 'report') or 'stage' not in t or 'fit' not in t: continue
            prof['stages'][st] = dict(seconds=round(t['stage'], 2), parts=parts(t), teacher=round(t.get('teacher', 0.), 2),
                                      decoder=round(t.get('decoder', 0.), 2), counts=dict(N[st]))
        if prof['stages']: save(prof, res, name)       # a stage skipped as done (under --resume) adds nothing
    time_stages(stage_done)
    if not report: pipeline.seed_report = pipeline.run_report = lambda *a, **k: None   # the stages alone
    t0 = time.perf_counter()
    pipeline.run(data=data, out=out, seed=seed, n_seeds=1, device='cpu', quiet=True, resume=resume, preset=preset)
    prof['report_seconds'] = round(T['report'].get('report', 0.), 2)
    prof['wall_seconds'] = round(time.perf_counter() - t0, 1)
    save(prof, res, name)
    print((res/f'{name}.md').read_text())


if __name__ == '__main__':
    p = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    p.add_argument('--data', default='../shared/data/cifar10_sub')
    p.add_argument('--out', default='runs/profile')
    p.add_argument('--seed', type=int, default=42)
    p.add_argument('--resume', action='store_true')
    p.add_argument('--name', default='profile_seed', help='file name in bench/results (profile_seed: before; e.g. profile_seed_after)')
    p.add_argument('--label', default='before')
    p.add_argument('--no-report', action='store_true', help='time the stages alone (e.g. rows retrained under --resume after their folders were removed)')
    p.add_argument('--render', action='store_true', help='write the markdown page again from the stored JSON, running nothing')
    p.add_argument('--preset', default='default', help='quick: a smoke test of the profiler itself')
    a = p.parse_args()
    main(a.data, a.out, a.seed, a.resume, a.name, a.label, a.preset, not a.no_report, a.render)
