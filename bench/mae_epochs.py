"""Does the photo teacher follow its MAE? MAE pretraining of 30, 60, 120 and 240 epochs, each fine-tuned into the
`teacher` row of `maekd run` and scored on the tuning split (never the held-out images).

    python bench/mae_epochs.py --data ../shared/data/cifar10_sub                       # writes bench/results/mae_epochs.md
    python bench/mae_epochs.py --data ../shared/data/cifar10_sub --ft-seeds            # the MAEs alone (no teacher yet)
    python bench/mae_epochs.py --data ../shared/data/cifar10_sub --epochs 60 86:1x64   # a 1-block, 64-wide decoder at equal minutes

Each MAE is the `mae` stage of `maekd run` (default preset: `mae_vit_micro_patch4`, batch 64, base lr 1.5e-3, mask 0.75,
warmup 10% then cosine, every training image, no labels, no validation) with only its epochs changed, one per MAE seed
(`--mae-seeds`, the seeds of `maekd run`'s seed folders). Each is fine-tuned once per fine-tuning seed (`--ft-seeds`: the
labels drawn, 10% of the training images less the seed's tuning split, and the fine-tuning's randomness) exactly as
`bench/kd_source.py` fine-tunes its teachers: the default preset's teacher budget and rate, untuned, the same for every
MAE. So the MAEs differ by their epochs alone, and a gain is paired on (MAE seed, fine-tuning seed).
A finished stage found in `--out` is kept (a folder copied there from a run made by the same call counts: the 60-epoch
MAE of a `maekd run` seed folder is that run's `mae` stage). Run it again to go on. The cost of the MAEs is given at the rate
`bench/profile_seed.py` measured for the 60-epoch MAE with the machine to itself (`profile_seed.json`): the runs here may
share the machine with other work, so their own clocks (`timing.json`, in the JSON) are not quoted as cost. An arm
EPOCHS:DECODER (e.g. 86:1x64) pretrains with `maekd pretrain --decoder DECODER`; its minutes scale that rate by the decoder's
median step against the preset's, as `bench/mae_decoder.py` measured them (`mae_decoder.json`).
`--students 60 240` also distills the `student_kd` row of `maekd run` (its budget and rate, untuned) from each teacher of those
arms, scored on the same tuning split: does the student follow its teacher? Where an arm's pairs span several MAE seeds, its gain
is also given within each MAE seed and over the MAE seeds' mean gains: the pairs of one MAE seed share its pretraining, so only
the last interval holds the pretraining's spread."""
import json, statistics
from pathlib import Path
from maekd.data import load_images, split_idxs
from maekd.evaluate import machine_info, machine_line
from maekd.pretrain import pretrain, decoder_options
from maekd.study.pipeline import final_accuracy, train_stage, row_call, _stage_done
from maekd.study.rows import ROWS, presets, budget_steps
from tables import spread, gain_line, store, photo_parser

RESULTS = Path(__file__).parent/'results'
ARCH, BASE = 'mae_vit_micro_patch4', '60'         # the default preset's MAE; gains are against its arm


def split_arm(arm:str) -> tuple:
    "EPOCHS or EPOCHS:DECODER as (epochs, decoder or None)."
    e, _, d = str(arm).partition(':')
    return int(e), d or None

def arm_name(arm) -> str:
    "How the page names an arm."
    e, dec = split_arm(arm)
    return f'{e} epochs' + (f', decoder {dec}' if dec else '')

def step_ratio(decoder) -> float:
    "A decoder's median MAE step over the preset's, from `mae_decoder.json` (1 for the preset's)."
    if decoder is None: return 1.
    med = {k: statistics.median(v['step_s']) for k, v in json.loads((RESULTS/'mae_decoder.json').read_text()).items()}
    o = decoder_options(decoder, ARCH)
    return med[f"decoder {o['decoder_depth']} x {o['decoder_embed_dim']}"] / next(v for k, v in med.items() if k.endswith('(preset)'))

def mae_dir(out, e, s): return Path(out)/('e' + str(e).replace(':', '-'))/f'mae{s}'
def teacher_dir(out, e, s, f): return mae_dir(out, e, s)/f'teacher{f}'
def student_dir(out, e, s, f): return mae_dir(out, e, s)/f'student_kd{f}'
def seconds(folder): return json.loads((Path(folder)/'timing.json').read_text())['train_s']


def train(data, out, epochs, mae_seeds, ft_seeds, plan, students=()):
    "Pretrain each MAE, fine-tune each into a teacher scored on its fine-tuning seed's tuning split, distill the `students` arms."
    common = dict(resume=True, quiet=True, data=data, img_size=32, device='cpu')
    for s in mae_seeds:
        for e in epochs:
            n, dec = split_arm(e)
            train_stage(mae_dir(out, e, s), pretrain, **common, valid='none', epochs=n, decoder=dec, arch=ARCH, seed=s)
    for f in ft_seeds:                                 # a fine-tuning seed at a time: a run cut short leaves whole pairs
        for s in mae_seeds:
            for e in epochs:
                fn, kw = row_call(ROWS['teacher'], Path('.'), plan, .1, 'cnn_tiny', ARCH, mae=mae_dir(out, e, s))
                train_stage(teacher_dir(out, e, s, f), fn, **common, **kw, blr=ROWS['teacher'].blr, valid='tune', seed=f)
    fn, kw = row_call(ROWS['student_kd'], Path('.'), plan, .1, 'cnn_tiny', ARCH)
    for f in ft_seeds:
        for s in mae_seeds:
            for e in students:
                train_stage(student_dir(out, e, s, f), fn, **common, **{**kw, 'teacher': str(teacher_dir(out, e, s, f))},
                            blr=ROWS['student_kd'].blr, valid='tune', seed=f)


def scores(where, out, epochs, pairs) -> dict:
    "{arm: {(MAE seed, fine-tuning seed): tuning top-1 %}} of the finished stages `where(out, arm, *pair)` names."
    return {e: {p: final_accuracy(where(out, e, *p)) * 100 for p in pairs if _stage_done(where(out, e, *p))} for e in epochs}

def acc_row(e, a, *cells) -> str:
    "A markdown row of arm `e`: its name, the `cells` given, the count, mean +- std and each pair's top-1 of `a`."
    return (f"| {' | '.join([arm_name(e), *cells, str(len(a)), spread(list(a.values()))])} | "
            + ' '.join(f'{p[0]}/{p[1]}: {x:.1f}' for p, x in a.items()) + ' |')

def gain_rows(acc, what='MAE epochs') -> list:
    "Markdown rows: each arm's paired gain against the `BASE` arm's, on the pairs both finished."
    lines = [f'| against {BASE} {what} | gain (points) | 95% CI | says | per pair |', '|---|---|---|---|---|']
    for e, a in acc.items():
        both = [p for p in a if p in acc.get(BASE, {})]
        if e == BASE or len(both) < 2: continue
        lines += [pairs_line(f'{arm_name(e)} ({len(both)} pairs)', a, acc[BASE], both)] + by_mae_seed(arm_name(e), a, acc[BASE], both)
    return lines

def pairs_line(what, a, b, pairs) -> str:
    "The gain line of arm `a` over arm `b` (pair -> top-1) on `pairs`."
    return gain_line(what, [a[p] for p in pairs], [b[p] for p in pairs])

def by_mae_seed(name, a, b, both) -> list:
    "Where `both` pairs span MAE seeds: the gain within each MAE seed, then over the MAE seeds' mean gains (the pretraining's spread)."
    maes = sorted({s for s, _ in both})
    if len(maes) < 2: return []
    of = {s: [p for p in both if p[0] == s] for s in maes}
    mean = lambda acc, s: statistics.fmean(acc[p] for p in of[s])
    return ([pairs_line(f'{name}, MAE seed {s} ({len(of[s])} pairs)', a, b, of[s]) for s in maes]
            + [gain_line(f'{name}, over MAE seeds ({len(maes)} means)', [mean(a, s) for s in maes], [mean(b, s) for s in maes])])

def table(out, epochs, mae_seeds, ft_seeds) -> tuple:
    "The markdown lines and the numbers of every finished teacher (and student): accuracy by epochs, paired gains against `BASE` epochs."
    pairs = [(s, f) for s in mae_seeds for f in ft_seeds]
    acc, st = scores(teacher_dir, out, epochs, pairs), scores(student_dir, out, epochs, pairs)
    mins = {e: [seconds(mae_dir(out, e, s)) / 60 for s in mae_seeds if _stage_done(mae_dir(out, e, s))] for e in epochs}
    prof = json.loads((RESULTS/'profile_seed.json').read_text())['stages']['mae']
    rate = prof['seconds'] / prof['counts']['epochs'] / 60                # minutes per MAE epoch, measured alone
    cost = lambda e: split_arm(e)[0] * rate * step_ratio(split_arm(e)[1])
    lines = ['| MAE | MAE minutes (at the profiled rate) | teachers | tuning top-1 % (mean +- std) | per (MAE seed, fine-tuning seed) |',
             '|---|---|---|---|---|']
    lines += [acc_row(e, a, f'{cost(e):.1f}') for e, a in acc.items() if a]
    lines += [''] + gain_rows(acc)
    st = {e: a for e, a in st.items() if a}
    if st:
        lines += ['', '| `student_kd` distilled from the teacher of | students | tuning top-1 % (mean +- std) | per (MAE seed, fine-tuning seed) |',
                  '|---|---|---|---|'] + [acc_row(e, a) for e, a in st.items()]
        lines += [''] + gain_rows(st, 'MAE epochs (students)')
    keyed = lambda acc: {e: {f'{s}/{f}': x for (s, f), x in a.items()} for e, a in acc.items()}
    return lines, dict(accuracy=keyed(acc), student_accuracy=keyed(st), mae_minutes_clock=mins, minutes_per_epoch=rate)


def main(data, out='runs/mae_epochs', epochs=(30, 60, 120, 240), mae_seeds=(42, 43), ft_seeds=(0, 1), render=False, students=()):
    ims = load_images(data, 32)
    plan = budget_steps(presets['default'], len(split_idxs(ims, 0.2, 0)[0]))
    if not render: train(data, out, epochs, mae_seeds, ft_seeds, plan, students)
    lines, nums = table(out, epochs, mae_seeds, ft_seeds)
    text = (f"MAE epochs against the fine-tuned photo teacher on `{data}` ({len(ims)} images), written by `python bench/mae_epochs.py`: "
            f"MAEs of the default preset ({ARCH}, batch 64, every training image) differing only in epochs (and in the decoder where an arm names one), MAE seeds "
            f"{', '.join(map(str, mae_seeds))}; each fine-tuned into the `teacher` row ({plan['teacher_steps']} steps at batch "
            f"{plan['teacher_bs']}, base lr {ROWS['teacher'].blr:g}, untuned) on 10% of the labels of fine-tuning seeds "
            f"{', '.join(map(str, ft_seeds))} less their tuning split, scored on that split"
            + (f"; the teachers of {', '.join(map(arm_name, students))} also distilled into the `student_kd` row ({plan['student_steps']} steps "
               f"at batch {plan['student_bs']}, base lr {ROWS['student_kd'].blr:g}, untuned), scored on the same split" if students else '')
            + f". {machine_line(machine_info())}\n\n"
            + '\n'.join(lines) + '\n')
    res = RESULTS/'mae_epochs'
    store(res, text, dict(data=str(data), epochs=list(epochs), mae_seeds=list(mae_seeds), ft_seeds=list(ft_seeds), students=list(students), **nums))


if __name__ == '__main__':
    ap = photo_parser(__doc__)
    ap.add_argument('--out', default='runs/mae_epochs')
    ap.add_argument('--epochs', nargs='+', default=['30', '60', '120', '240'], help='arms: EPOCHS or EPOCHS:DECODER (e.g. 86:1x64)')
    ap.add_argument('--mae-seeds', type=int, nargs='+', default=[42, 43])
    ap.add_argument('--ft-seeds', type=int, nargs='*', default=[0, 1], help='none: pretrain the MAEs only')
    ap.add_argument('--students', nargs='*', default=[], help='arms whose teachers are also distilled into student_kd (e.g. 60 240)')
    ap.add_argument('--render', action='store_true', help='write the page from the finished teachers, training nothing')
    a = ap.parse_args()
    main(a.data, a.out, a.epochs, a.mae_seeds, a.ft_seeds, a.render, a.students)
