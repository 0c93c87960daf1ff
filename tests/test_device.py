"""Where CUDA is available every stage reaches for it by default; `--device cpu` keeps it on the CPU.

This machine has no GPU: `simulated_cuda` makes torch report one, and the first use of its memory (any
tensor or module moved to CUDA) raises `CUDAReached`. A stage that trained to the end on the CPU while
CUDA was "available" would pass no test here."""
import json
import pytest
from maekd.test_utils import simulated_cuda, CUDAReached
from helpers import run_main

Q = ['--quiet']


def config(out): return json.loads((out / 'config.json').read_text())


def reaches_cuda(argv, capsys, **sim):
    "Run `maekd ARGV` on a simulated GPU: it must reach for CUDA memory."
    with simulated_cuda(**sim), pytest.raises(CUDAReached): run_main(argv, capsys)


def stays_on_cpu(argv, capsys):
    "Run `maekd ARGV --device cpu` on a simulated GPU: it must train to the end without touching CUDA."
    with simulated_cuda(): code, _, err = run_main([*argv, '--device', 'cpu'], capsys)
    assert code == 0, err


@pytest.fixture(scope='module')
def teacher(tmp_path_factory):
    "A tiny teacher trained on the CPU (no simulation)."
    out = tmp_path_factory.mktemp('t') / 'teacher'
    from maekd.finetune import finetune
    finetune(scratch=True, out=out, steps=2, quiet=True, device='cpu')
    return out


@pytest.mark.parametrize('extra,precision', [([], 'bf16'), (['--device', 'cuda', '--precision', 'auto'], 'bf16'),
                                             (['--device', 'cuda:0', '--precision', 'fp16'], 'fp16')])
def test_pretrain_reaches_for_cuda(tmp_path, capsys, extra, precision):
    out = tmp_path / 'mae'
    reaches_cuda(['pretrain', '--out', out, '--epochs', '1', *Q, *extra], capsys)
    c = config(out)                                            # written before the model moved
    assert (c['device'], c['precision']) == ('cuda:0', precision)


def test_auto_is_fp16_on_a_gpu_without_bf16(tmp_path, capsys):
    reaches_cuda(['pretrain', '--out', tmp_path / 'm', '--epochs', '1', *Q], capsys, bf16=False)
    assert config(tmp_path / 'm')['precision'] == 'fp16'


def test_images_go_to_the_gpu_once_when_they_fit(tmp_path, capsys):
    "With room on the GPU, the stage moves the images there before training (and reaches CUDA doing so)."
    import traceback
    with simulated_cuda(free_memory=2**34):
        with pytest.raises(CUDAReached) as e: run_main(['pretrain', '--out', tmp_path / 'm', '--epochs', '1', *Q], capsys)
    assert any(f.name == 'on_device' for f in traceback.extract_tb(e.value.__traceback__))


def test_pretrain_cpu(tmp_path, capsys):
    stays_on_cpu(['pretrain', '--out', tmp_path / 'mae', '--epochs', '1', *Q], capsys)
    c = config(tmp_path / 'mae')
    assert (c['device'], c['precision']) == ('cpu', 'fp32')


@pytest.mark.parametrize('args', [['--scratch', '--epochs', '0.1'], ['--student', 'cnn_tiny', '--epochs', '0.1']])
def test_finetune(tmp_path, capsys, args):
    reaches_cuda(['finetune', '--out', tmp_path / 'g', *args, *Q], capsys)
    assert config(tmp_path / 'g')['device'] == 'cuda:0'
    stays_on_cpu(['finetune', '--out', tmp_path / 'c', *args, *Q], capsys)
    assert config(tmp_path / 'c')['device'] == 'cpu'


@pytest.mark.parametrize('args', [[], ['--cache-views', '2'], ['--student', 'vit_nano', '--teacher-mask', '0.5'],
                                  ['--label-frac', '0.1']])
def test_distill(tmp_path, capsys, teacher, args):
    "Online, cached and masked teachers: the teacher, the cache and the student all reach for the GPU."
    reaches_cuda(['distill', '--teacher', teacher, '--out', tmp_path / 'g', '--epochs', '0.1', *args, *Q], capsys)
    stays_on_cpu(['distill', '--teacher', teacher, '--out', tmp_path / 'c', '--epochs', '0.1', *args, *Q], capsys)
    assert (tmp_path / 'c' / 'student.safetensors').is_file() and config(tmp_path / 'c')['device'] == 'cpu'


def test_quick_run(tmp_path, capsys):
    "`maekd run --preset quick`: its first stage reaches for the GPU; with --device cpu the whole run and its report finish."
    reaches_cuda(['run', '--preset', 'quick', '--out', tmp_path / 'g', *Q], capsys)
    assert json.loads((tmp_path / 'g' / 'run.json').read_text())['device'] == 'cuda:0'
    stays_on_cpu(['run', '--preset', 'quick', '--out', tmp_path / 'c', *Q], capsys)
    run = json.loads((tmp_path / 'c' / 'run.json').read_text())
    assert (run['device'], run['precision']) == ('cpu', 'fp32') and (tmp_path / 'c' / 'report.md').is_file()


def test_cuda_refused_without_a_gpu(tmp_path, capsys):
    from helpers import assert_one_line_error
    code, _, err = run_main(['pretrain', '--out', tmp_path / 'x', '--device', 'cuda', *Q], capsys)
    assert_one_line_error(code, err, 'no CUDA GPU is available here', '--device cpu')
    assert not (tmp_path / 'x').exists()                       # refused before anything was written


def test_gpu_check_runs_its_code_path_on_the_cpu():
    "bench/gpu_check.py on a GPU is run by hand when one is lent; its code path, tiny and fp32, runs here."
    import subprocess, sys
    from conftest import ROOT
    p = subprocess.run([sys.executable, str(ROOT / 'bench' / 'gpu_check.py'), '--smoke', '--device', 'cpu', '--no-tests'],
                       capture_output=True, text=True, timeout=300)
    assert p.returncode == 0, p.stderr[-2000:]
    rows = [l for l in p.stdout.splitlines() if l.startswith('| MAE pretraining') or l.startswith('| online KD')]
    assert len(rows) == 4 and all(float(r.split('|')[3]) > 0 for r in rows[:2])
