"`maekd run --preset quick`: every stage and the report, on the digits and on an image folder."
import json
import pandas as pd
import pytest
from helpers import run_main, make_folder, assert_one_line_error

STAGES = ['mae', 'teacher', 'teacher_scratch', 'student_kd', 'student_kd_scratch_teacher', 'student_scratch', 'student_all_labels']


def check_report(out, n_valid):
    rows = json.loads((out / 'report.json').read_text())
    assert [r['model'] for r in rows] == STAGES[1:]
    for r in rows:
        assert {'model', 'top1', 'params', 'flops', 'size_mb', 'latency_ms'} <= set(r)
        assert 0 <= r['top1'] <= 1 and r['params'] > 0 and r['flops'] > 0 and r['latency_ms'] > 0
    assert (out / 'pareto.png').stat().st_size > 10_000
    md = (out / 'report.md').read_text()
    assert all(f'[{s}]({s}/)' in md for s in STAGES[1:]) and f'({n_valid} held-out images)' in md
    for s in STAGES: assert (out / s / 'history.csv').is_file() and (out / s / 'loss.png').is_file()
    kd = next(r for r in rows if r['model'] == 'student_kd')
    assert kd['onnx_max_diff'] <= 1e-4 and kd['int8_mb'] < kd['onnx_mb']
    return rows


def test_quick_run_on_digits(tmp_path, capsys):
    code, out, err = run_main(['run', '--preset', 'quick', '--out', tmp_path / 'demo', '--quiet'], capsys)
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
    assert json.loads((tmp_path / 'r' / 'teacher' / 'config.json').read_text())['spec']['classes'] == ['cat', 'dog', 'owl']


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
