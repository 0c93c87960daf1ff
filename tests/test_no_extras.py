"The README's quick start without the optional extras: no accelerate, no onnx, no onnxruntime, no onnxscript."
import json, subprocess, sys, textwrap

EXTRAS = ('accelerate', 'onnx', 'onnxruntime', 'onnxscript')

SCRIPT = textwrap.dedent('''
    import sys
    for name in {extras!r}: sys.modules[name] = None      # as if never installed: any import of them fails
    from maekd.cli import main
    sys.exit(main(['run', '--preset', 'quick', '--out', sys.argv[1], '--quiet']))
''')


def test_quick_start_without_extras(tmp_path):
    out = tmp_path / 'look'
    p = subprocess.run([sys.executable, '-c', SCRIPT.format(extras=EXTRAS), str(out)], capture_output=True, text=True, timeout=900)
    assert p.returncode == 0, p.stderr[-3000:]
    assert 'Traceback' not in p.stderr
    rows = json.loads((out / 'report.json').read_text())
    assert [r['model'] for r in rows] == ['teacher', 'teacher_scratch', 'student_kd', 'student_kd_labels',
                                          'student_kd_scratch_teacher', 'student_scratch', 'student_self_kd',
                                          'student_all_labels']
    assert all(0 <= r['top1'] <= 1 and r['params'] > 0 for r in rows)
    assert not any('int8_top1' in r or 'onnx_latency_ms' in r for r in rows)          # the ONNX columns were skipped...
    skipped = [l for l in p.stderr.splitlines() if 'ONNX and int8 columns skipped' in l]
    assert len(skipped) == 1 and 'pip install "maekd[onnx]"' in skipped[0]             # ...and one line says so, once
    assert (out / 'report.md').is_file() and (out / 'pareto.png').is_file()


def test_several_processes_without_accelerate_is_one_line(tmp_path):
    "A launch with two processes and no accelerate stops with one line that names the extra."
    script = textwrap.dedent('''
        import os, sys
        sys.modules['accelerate'] = None
        os.environ.update(WORLD_SIZE='2', RANK='0', LOCAL_RANK='0')
        from maekd.cli import main
        sys.exit(main(['pretrain', '--epochs', '1', '--out', sys.argv[1], '--quiet']))
    ''')
    p = subprocess.run([sys.executable, '-c', script, str(tmp_path / 'mae')], capture_output=True, text=True, timeout=600)
    lines = [l for l in p.stderr.splitlines() if l.strip()]
    assert p.returncode == 2 and len(lines) == 1, p.stderr[-3000:]
    assert lines[0].startswith('maekd: error:') and 'pip install "maekd[distributed]"' in lines[0]
