"""Self-training the photo teacher on the unlabelled photos (`distill --student teacher`), against a teacher given the same
extra steps on its labels, scored on the tuning split (never the held-out images).

    python bench/self_train.py --data ../shared/data/cifar10_sub --mae runs/profile/seed42/mae     # writes bench/results/self_train.md

Each seed fine-tunes the `teacher` row of `maekd run` from the MAE `--mae` names (as `bench/kd_source.py` does: the same
call, so its teacher folders may be copied into `--out`/teacher) on 10% of its training labels less its tuning split.
Then, with `extra` = half the teacher's steps, at the teacher's batch size:
- `teacher self-trained`: a copy of the teacher trained for `extra` steps on every training image (the tuning split left
  out) against the frozen teacher's soft targets (temperature 1, the labels of the same 10% blended in with alpha 0.5):
  the teacher scores each batch's crop as it comes, the copy trains on a TrivialAugment view of it with its drop path
  (Noisy Student's noise, `--student-augment trivial`); base lr 4e-3 (5e-4 at batch 32), untuned;
- `teacher semi-supervised`: the same, with Semi-ViT's recipe (`--method hard --threshold 0.7 --teacher-ema 0.99`): the
  teacher's confident top classes as pseudo-labels (0.7 is Semi-ViT's threshold; `bench/results/pseudo_labels.md` gives
  what it keeps of the tuning split, 48%, and how often those are right, 51%), the teacher following the copy as its
  average over about the last 100 steps; untuned;
- `teacher semi-supervised 0.9`: the same at threshold 0.9, which keeps 15% of the tuning split, right 67% of the time;
- `teacher longer`: the same fine-tuning as the teacher from the MAE with `extra` more steps (the row's recipe and rate):
  the baseline with the same extra steps on the labels alone;
- optionally (`--students`) the `student_kd` row distilled from each, to see whether a student follows its teacher.
Finished arms are kept in `--out`: run it again to go on."""
import json
from pathlib import Path
import numpy as np
from maekd.data import load_images, split_idxs
from maekd.distill import distill
from maekd.evaluate import machine_info, machine_line
from maekd.study.pipeline import final_accuracy, train_stage, row_call, _stage_done
from maekd.study.rows import ROWS, presets, budget_steps
from tables import spread, per_seed, gain_lines, store, lever_parser

ARCH = 'mae_vit_micro_patch4'
SELF = dict(student='teacher', temperature=1., alpha=.5, label_frac=.1, student_augment='trivial', blr=4e-3)   # untuned
SEMI = dict(SELF, method='hard', threshold=.7, teacher_ema=.99)                                                 # untuned
SEMI9 = dict(SEMI, threshold=.9)                                                                                # fewer, surer
PAIRS = [('teacher self-trained', 'teacher longer', 'self-training on the unlabelled photos against the same steps on the labels'),
         ('teacher self-trained', 'teacher', 'self-training (with its extra steps) over the teacher'),
         ('teacher longer', 'teacher', 'the extra steps on the labels over the teacher'),
         ('teacher semi-supervised', 'teacher longer', 'Semi-ViT\'s recipe against the same steps on the labels'),
         ('teacher semi-supervised', 'teacher self-trained', 'an EMA teacher and confident pseudo-labels over soft targets of a frozen one'),
         ('teacher semi-supervised', 'teacher', 'Semi-ViT\'s recipe (with its extra steps) over the teacher'),
         ('teacher semi-supervised 0.9', 'teacher longer', 'Semi-ViT\'s recipe at threshold 0.9 against the same steps on the labels'),
         ('teacher semi-supervised 0.9', 'teacher semi-supervised', 'threshold 0.9 over 0.7'),
         ('kd from self-trained', 'kd from teacher', 'the student of the self-trained teacher over the teacher\'s student'),
         ('kd from self-trained', 'kd from longer', 'the student of the self-trained teacher over that of the longer one')]


def arms(plan, mae, out, s, students):
    "{arm: (stage, options)} for seed `s`, in the order they train (a student after its teacher)."
    t_fn, t_kw = row_call(ROWS['teacher'], Path('.'), plan, .1, 'cnn_tiny', ARCH, mae=Path(mae))
    t_kw = {**t_kw, 'blr': ROWS['teacher'].blr}
    extra = plan['teacher_steps'] // 2
    on_teacher = lambda opts: (distill, dict(teacher=str(out/'teacher'/f'seed{s}'), steps=extra, bs=plan['teacher_bs'], **opts))
    res = {'teacher': (t_fn, t_kw), 'teacher self-trained': on_teacher(SELF),
           'teacher longer': (t_fn, {**t_kw, 'steps': plan['teacher_steps'] + extra}),
           'teacher semi-supervised': on_teacher(SEMI), 'teacher semi-supervised 0.9': on_teacher(SEMI9)}
    if students:
        s_fn, s_kw = row_call(ROWS['student_kd'], Path('.'), plan, .1, 'cnn_tiny', ARCH)
        for name, t in (('kd from teacher', 'teacher'), ('kd from self-trained', 'teacher self-trained'), ('kd from longer', 'teacher longer')):
            res[name] = (s_fn, {**s_kw, 'teacher': str(out/t/f'seed{s}'), 'blr': ROWS['student_kd'].blr})
    return res


def main(data, mae, seeds=3, out='runs/self_train', students=False, render=False):
    out, seeds_ = Path(out), list(range(seeds))
    ims = load_images(data, 32)
    plan = budget_steps(presets['default'], len(split_idxs(ims, 0.2, 0)[0]))
    for s in seeds_ * (not render):                    # seed by seed: a seed's arms share its teacher
        for a, (fn, kw) in arms(plan, mae, out, s, students).items():
            train_stage(out/a/f'seed{s}', fn, resume=True, quiet=True, data=data, img_size=32, device='cpu', **kw, valid='tune', seed=s)
    seeds_ = [s for s in seeds_ if all(_stage_done(out/a/f'seed{s}') for a in list(arms(plan, mae, out, s, False)))]   # teachers done
    names = [a for a in arms(plan, mae, out, 0, True) if all(_stage_done(out/a/f'seed{s}') for s in seeds_)]
    acc = {a: [final_accuracy(out/a/f'seed{s}') * 100 for s in seeds_] for a in names}
    secs = {a: [json.loads((out/a/f'seed{s}'/'timing.json').read_text())['train_s'] for s in seeds_] for a in names}
    lines = ['| arm | tuning top-1 % (mean +- std) | per seed | training s (median) |', '|---|---|---|---|']
    lines += [f"| {a} | {spread(v)} | {per_seed(v)} | {np.median(secs[a]):.0f} |" for a, v in acc.items()]
    lines += [''] + gain_lines(acc, PAIRS)
    extra = plan['teacher_steps'] // 2
    text = (f"Self-training the photo teacher on `{data}` ({len(ims)} images), written by `python bench/self_train.py`: the `teacher` row "
            f"fine-tuned from `{mae}` ({plan['teacher_steps']} steps at batch {plan['teacher_bs']}, base lr {ROWS['teacher'].blr:g}) on 10% "
            f"of each seed's training labels less its tuning split; then {extra} more steps at batch {plan['teacher_bs']}, either "
            f"self-training on every training image ({', '.join(f'{k} {v}' for k, v in SELF.items())}; untuned), the same with "
            f"Semi-ViT's recipe ({', '.join(f'{k} {v}' for k, v in SEMI.items() if k not in SELF or SELF[k] != v)}; untuned; and at threshold {SEMI9['threshold']}), or the same "
            f"fine-tuning from the MAE with {plan['teacher_steps'] + extra} steps in all; scored on the tuning split of seeds "
            f"{', '.join(map(str, seeds_))}. {machine_line(machine_info())}\n\n" + '\n'.join(lines) + '\n')
    res = Path(__file__).parent/'results'/'self_train'
    store(res, text, dict(data=str(data), mae=mae, seeds=seeds_, extra_steps=extra, self_train=SELF, semi=SEMI, semi9=SEMI9, accuracy=acc, train_s=secs))


if __name__ == '__main__':
    ap = lever_parser(__doc__, 'runs/self_train', 'the MAE the teachers fine-tune (e.g. runs/profile/seed42/mae)')
    ap.add_argument('--students', action='store_true', help='also distill the student_kd row from each teacher arm')
    ap.add_argument('--render', action='store_true', help='write the page from the finished seeds, training nothing')
    a = ap.parse_args()
    main(a.data, a.mae, a.seeds, a.out, a.students, a.render)
