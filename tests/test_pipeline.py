"`maekd run --preset quick`: every stage and the report, on the digits and on an image folder."
import json
import pandas as pd
import torch
from safetensors.torch import load_file
from helpers import run_main, make_folder, assert_one_line_error

STAGES = ['mae', 'teacher', 'teacher_scratch', 'student_kd', 'student_kd_labels', 'student_kd_scratch_teacher',
          'student_scratch', 'student_self_kd', 'student_all_labels']


def check_report(out, n_valid, seed=42):
    rows = json.loads((out / 'report.json').read_text())
    assert [r['model'] for r in rows] == STAGES[1:]
    for r in rows:
        assert {'model', 'top1', 'top1_std', 'seeds', 'params', 'flops', 'size_mb', 'latency_ms',
                'images_seen', 'labels_used', 'steps', 'train_s'} <= set(r)
        assert 0 <= r['top1'] <= 1 and r['params'] > 0 and r['flops'] > 0 and r['latency_ms'] > 0
    assert (out / 'pareto.png').stat().st_size > 10_000
    md = (out / 'report.md').read_text()
    assert all(f'[{s}](seed{seed}/{s}/)' in md for s in STAGES[1:]) and f'{n_valid} held-out images per seed' in md
    assert any(l.startswith('verdict: distillation') for l in md.splitlines())
    for s in STAGES: assert (out / f'seed{seed}' / s / 'history.csv').is_file() and (out / f'seed{seed}' / s / 'loss.png').is_file()
    kd = next(r for r in rows if r['model'] == 'student_kd')
    assert kd['onnx_max_diff'] <= 1e-4 and kd['int8_mb'] < kd['onnx_mb']
    return rows


def test_quick_run_on_digits(tmp_path, capsys, quick_run):
    code, err, _ = quick_run                                  # `maekd run --preset quick --out demo --quiet`, trained once a session
    assert code == 0, err
    rows = check_report(tmp_path / 'demo', 359)
    t, s = rows[0], next(r for r in rows if r['model'] == 'student_kd')
    assert t['params'] / s['params'] > 10                    # the student is the small one
    # resuming a finished run skips every stage and rewrites only the report
    code, out, err = run_main(['run', '--preset', 'quick', '--out', tmp_path / 'demo', '--resume'], capsys)
    assert code == 0 and out.count('done already, skipped') == len(STAGES)


def test_quick_run_on_a_folder(tmp_path, capsys):
    data = tmp_path / 'imgs'
    make_folder(data / 'train', classes=('cat', 'dog', 'owl'), n=12, size=24)
    make_folder(data / 'val', classes=('cat', 'dog', 'owl'), n=4, size=24, seed=1)
    code, out, err = run_main(['run', '--preset', 'quick', '--data', data, '--img-size', '16', '--out', tmp_path / 'r', '--quiet'], capsys)
    assert code == 0, err
    check_report(tmp_path / 'r', 12)
    assert json.loads((tmp_path / 'r' / 'seed42' / 'teacher' / 'config.json').read_text())['spec']['classes'] == ['cat', 'dog', 'owl']
    assert 'top5' not in json.loads((tmp_path / 'r' / 'report.json').read_text())[0]     # 3 classes: top-5 is meaningless


def test_run_refuses_unlabelled_and_non_empty(tmp_path, capsys):
    loose = tmp_path / 'loose'
    make_folder(tmp_path / 'x', classes=('a',), n=3)
    loose.mkdir()
    for p in (tmp_path / 'x' / 'a').iterdir(): p.rename(loose / p.name)
    code, _, err = run_main(['run', '--data', loose, '--out', tmp_path / 'o'], capsys)
    assert_one_line_error(code, err, 'needs labelled images')
    (tmp_path / 'full').mkdir(); (tmp_path / 'full' / 'x').write_text('x')
    code, _, err = run_main(['run', '--out', tmp_path / 'full'], capsys)
    assert_one_line_error(code, err, 'not empty')


def test_equal_budgets_and_tuning_off_the_heldout_images(tmp_path, capsys):
    "Rows of one architecture take the same steps; tuning runs and int8 calibration never read held-out images."
    import torch
    from maekd import evaluate
    from maekd.data import load_images, split_idxs
    seen = []
    real = evaluate.quantize_int8
    def spy(onnx_path, out_path, calib): seen.append(calib.clone()); return real(onnx_path, out_path, calib)
    evaluate.quantize_int8 = spy
    try: code, out, err = run_main(['run', '--preset', 'quick', '--tune-seeds', '1', '--out', tmp_path / 't', '--quiet'], capsys)
    finally: evaluate.quantize_int8 = real
    assert code == 0, err
    rows = pd.read_csv(tmp_path / 't' / 'seed42' / 'report.csv').set_index('model')
    vit, cnn = ['teacher', 'teacher_scratch'], [n for n in rows.index if n.startswith('student')]
    assert rows.loc[vit, 'steps'].nunique() == 1 and rows.loc[cnn, 'steps'].nunique() == 1
    tuned = json.loads((tmp_path / 't' / 'tune.json').read_text())
    assert set(tuned) == set(STAGES[1:]) and all(3 <= len(t['accuracy']) <= 5 for t in tuned.values())
    ims = load_images('digits', 32)
    tr, va = split_idxs(ims, 0.2, 42)
    tries = list((tmp_path / 't' / 'tune').glob('*/seed42/*/config.json'))
    assert len(tries) >= 3 * len(tuned)
    for cfg in tries:                                                # tuning: trained without its split, scored on it
        c = json.loads(cfg.read_text())
        assert c['valid'] == 'tune' and c['n_valid'] == len(split_idxs(ims, 0.2, 42, tune=True)[1])
    for cfg in (tmp_path / 't' / 'seed42').glob('*/config.json'):    # final models: no held-out image before the report
        c = json.loads(cfg.read_text())
        assert c['valid'] == 'none' and c['n_valid'] == 0, cfg
        assert 'valid_loss' not in pd.read_csv(cfg.parent / 'history.csv')
    held = {bytes(x.numpy()) for x in ims.x[va]}
    train = {bytes(x.numpy()) for x in ims.x[tr]}
    assert seen, 'int8 was not calibrated'
    stats = json.loads((tmp_path / 't' / 'seed42' / 'student_kd' / 'config.json').read_text())['spec']['stats']
    calib = (seen[0] * torch.tensor(stats[1])[:, None, None] + torch.tensor(stats[0])[:, None, None]) * 255
    calib = calib.round().clamp(0, 255).to(torch.uint8)
    assert all(bytes(x.numpy()) in train for x in calib)             # calibration images come from training
    assert sum(bytes(x.numpy()) in held - train for x in calib) == 0


def test_verdict_follows_report_json(tmp_path, capsys):
    "The verdict lines in report.md agree with the numbers in report.json."
    code, out, err = run_main(['run', '--preset', 'quick', '--n-seeds', '2', '--out', tmp_path / 's', '--quiet'], capsys)
    assert code == 0, err
    rows = {r['model']: r for r in json.loads((tmp_path / 's' / 'report.json').read_text())}
    assert all(r['seeds'] == 2 for r in rows.values())
    assert any(l.startswith('verdict: the MAE teacher over self-distillation') for l in (tmp_path / 's' / 'report.md').read_text().splitlines())
    per = pd.concat([pd.read_csv(tmp_path / 's' / f'seed{s}' / 'report.csv') for s in (42, 43)])
    d = (per[per.model == 'student_kd'].top1.values - per[per.model == 'student_scratch'].top1.values) * 100
    line = next(l for l in (tmp_path / 's' / 'report.md').read_text().splitlines() if l.startswith('verdict: distillation'))
    half = 12.706 * d.std(ddof=1) / 2 ** 0.5                     # t(0.975, 1): two seeds give a wide interval
    if d.mean() - half > 0: assert 'paid' in line and 'did not' not in line, line
    elif d.mean() + half < 0: assert 'did not pay' in line, line
    else: assert 'not established with 2 seeds' in line and f'95% CI {d.mean() - half:+.1f} to {d.mean() + half:+.1f}' in line, line
    seeds = pd.read_csv(tmp_path / 's' / 'report_seeds.csv')
    assert sorted(seeds['seed'].unique()) == [42, 43] and len(seeds) == 2 * len(STAGES[1:])
    import shutil
    from maekd.study.verdicts import run_report
    shutil.copytree(tmp_path / 's' / 'seed42', tmp_path / 's' / 'seed7')          # a folder an earlier run left behind
    assert run_report(tmp_path / 's', quiet=True)['seeds'].tolist() == [2] * len(STAGES[1:])   # only run.json's seeds count
    assert abs(rows['student_kd']['top1'] - per[per.model == 'student_kd'].top1.mean()) < 1e-9


def test_resume_after_a_kill_before_the_first_checkpoint(tmp_path, capsys, quick_run):
    "A stage killed before it wrote last.pth (config.json and history.csv only) starts again under --resume, with the same result."
    code, err, out = quick_run                                # `maekd run --preset quick --quiet`, this test's copy
    assert code == 0, err
    before = json.loads((out / 'report.json').read_text())
    kd = out / 'seed42' / 'student_kd'
    weights = load_file(kd / 'student.safetensors')
    for f in kd.iterdir():
        if f.name not in ('config.json', 'history.csv'): f.unlink()
    code, _, err = run_main(['run', '--preset', 'quick', '--out', out, '--resume', '--quiet'], capsys)
    assert code == 0, err
    after = {r['model']: r for r in json.loads((out / 'report.json').read_text())}
    assert all(after[r['model']]['top1'] == r['top1'] for r in before)   # finished stages kept, the restarted one equal
    again = load_file(kd / 'student.safetensors')
    assert all(torch.equal(weights[k], again[k]) for k in weights)   # the same weights as the uninterrupted run
    assert (kd / 'student.safetensors').is_file() and (kd / 'last.pth').is_file()
    h = pd.read_csv(kd / 'history.csv')
    assert h['epoch'].tolist() == list(range(len(h)))          # each epoch once


def test_sweep_from_the_command_line(tmp_path, capsys):
    "`maekd sweep`: a bad fraction is one line; the quick preset writes the label curve and names it at the end."
    code, _, err = run_main(['sweep', '--label-fracs', '0.1,1.5', '--out', tmp_path / 'bad'], capsys)
    assert_one_line_error(code, err, 'label fractions must be in (0, 1]', '--label-fracs')
    code, out, err = run_main(['sweep', '--preset', 'quick', '--label-fracs', '0.1', '--out', tmp_path / 'sw', '--quiet'], capsys)
    assert code == 0, err
    df = pd.read_csv(tmp_path / 'sw' / 'label_curve.csv')
    assert list(df.columns[:4]) == ['label_frac', 'model', 'top1', 'top1_std'] and df['model'].tolist() == ['teacher', 'student_kd', 'student_scratch', 'student_self_kd']
    assert str(tmp_path / 'sw' / 'label_curve.png') in out
