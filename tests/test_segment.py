"""Segmentation from the command line: the stages chain, bad folders are one line and exit 2 with nothing written, the
GPU path is reached (simulated) and left alone with `--device cpu`, and an interrupted stage resumes to the same weights."""
import json
import numpy as np
import pytest
import torch
from PIL import Image
from safetensors.torch import load_file
from maekd.seg_data import toy_seg
from maekd.test_utils import simulated_cuda, CUDAReached
from helpers import run_main, assert_one_line_error, first_epoch_only, assert_force_starts_over

Q = ['--quiet', '--valid', 'none']


@pytest.fixture(autouse=True)
def cache(tmp_path, monkeypatch): monkeypatch.setenv('MAEKD_CACHE', str(tmp_path / 'cache'))


@pytest.fixture
def folder(tmp_path): return toy_seg(tmp_path / 'toy', n=(8, 2, 2), size=(48, 64))


def train(folder, out, capsys, *extra):
    "`maekd seg-train` of a label-only student on the toy folder."
    return run_main(['seg-train', '--data', folder, '--student', 'mobilenetv3_small_050', '--frame-size', '16,24', '--bs', '4',
                     '--out', out, *Q, *extra], capsys)


def test_chain_mae_teacher_student(tmp_path, capsys, folder):
    "pretrain on the frames, seg-train the MAE ViT on 1/4 of the maps, seg-distill a student with CWD: each reads the last."
    code, _, err = run_main(['pretrain', '--data', folder / 'train' / 'images', '--arch', 'mae_vit_micro_patch8', '--img-size', '16',
                             '--epochs', '1', '--bs', '4', '--out', tmp_path / 'mae', *Q], capsys)
    assert code == 0, err
    code, _, err = run_main(['seg-train', '--data', folder, '--mae', tmp_path / 'mae', '--frame-size', '16,24', '--label-frac', '0.25',
                             '--epochs', '1', '--bs', '4', '--out', tmp_path / 't', *Q], capsys)
    assert code == 0, err
    code, _, err = run_main(['seg-distill', '--teacher', tmp_path / 't', '--data', folder, '--student', 'mobilenetv3_small_050',
                             '--method', 'cwd', '--temperature', '4', '--label-frac', '0.25', '--epochs', '1', '--bs', '4',
                             '--out', tmp_path / 's', *Q], capsys)
    assert code == 0, err
    t, s = (json.loads((tmp_path / n / 'config.json').read_text()) for n in ('t', 's'))
    assert (t['n_labelled'], t['steps'], t['img_size']) == (2, 1, [16, 24])     # 2 of 8 frames labelled: one batch of 4
    assert (s['n_images'], s['n_labelled'], s['method'], s['steps']) == (8, 2, 'cwd', 2)


@pytest.mark.parametrize('breaks,needle', [
    (lambda r: (r / 'train' / 'labels' / 'f0.png').unlink(), 'frame f0.jpg has no label map'),
    (lambda r: Image.fromarray(np.zeros((48, 64), np.uint8)).save(r / 'train' / 'labels' / 'extra.png'), 'label map extra.png has no frame'),
    (lambda r: Image.fromarray(np.zeros((48, 65), np.uint8)).save(r / 'train' / 'labels' / 'f1.png'), 'label map 65x48 but its frame is 64x48'),
    (lambda r: Image.fromarray(np.full((48, 64), 7, np.uint8)).save(r / 'train' / 'labels' / 'f1.png'), 'label value(s) [7] are neither a class'),
    (lambda r: Image.fromarray(np.zeros((48, 64), np.uint8)).save(r / 'train' / 'images' / 'f2.jpg'), 'a L frame; frames must be RGB'),
    (lambda r: [p.unlink() for p in (r / 'test' / 'images').glob('*')], 'the split is empty'),
])
def test_bad_folders_are_one_line(tmp_path, capsys, folder, breaks, needle):
    "Unpaired files, a size mismatch, a label outside the classes, a grey frame, an empty split: exit 2, one line, no output folder."
    if 'neither a class' in needle: (folder / 'classes.txt').write_text('road\nsky\n')
    breaks(folder)
    code, _, err = train(folder, tmp_path / 'out', capsys, '--epochs', '0.5')
    assert_one_line_error(code, err, needle)
    assert not (tmp_path / 'out').exists()


def test_nothing_lost_without_force(tmp_path, capsys, folder):
    code, _, err = train(folder, tmp_path / 'o', capsys, '--epochs', '0.5')
    assert code == 0, err
    before = (tmp_path / 'o' / 'segmenter.safetensors').read_bytes()
    code, _, err = train(folder, tmp_path / 'o', capsys, '--epochs', '0.5')
    assert_one_line_error(code, err, 'is not empty')
    assert (tmp_path / 'o' / 'segmenter.safetensors').read_bytes() == before


def test_gpu_by_default_cpu_when_asked(tmp_path, capsys, folder):
    "On a (simulated) GPU both stages reach for CUDA; with --device cpu they train to the end without touching it."
    with simulated_cuda(), pytest.raises(CUDAReached): train(folder, tmp_path / 'g', capsys, '--epochs', '0.5')
    assert json.loads((tmp_path / 'g' / 'config.json').read_text())['precision'] == 'bf16'
    with simulated_cuda(): code, _, err = train(folder, tmp_path / 'c', capsys, '--epochs', '0.5', '--device', 'cpu')
    assert code == 0, err
    with simulated_cuda(), pytest.raises(CUDAReached):
        run_main(['seg-distill', '--teacher', tmp_path / 'c', '--data', folder, '--student', 'mobilenetv3_small_050', '--epochs', '0.5',
                  '--bs', '4', '--out', tmp_path / 'gd', *Q], capsys)


def test_resume_gives_the_same_weights(tmp_path, capsys, folder):
    "A stage stopped after its first epoch and resumed ends with the weights of one that ran straight through."
    code, _, err = train(folder, tmp_path / 'straight', capsys, '--epochs', '3', '--seed', '1')
    assert code == 0, err
    from maekd.segment import seg_train
    first_epoch_only(seg_train, data=str(folder), out=tmp_path / 'resumed', student='mobilenetv3_small_050', frame_size='16,24', bs=4, epochs=3, seed=1, quiet=True, valid='none')
    code, _, err = train(folder, tmp_path / 'resumed', capsys, '--epochs', '3', '--seed', '1', '--resume')
    assert code == 0, err
    a, b = (load_file(tmp_path / n / 'segmenter.safetensors') for n in ('straight', 'resumed'))
    assert all(torch.equal(a[k], b[k]) for k in a)


def test_force_starts_a_run_over(tmp_path, folder):
    "`seg-run --force` over a finished run's folder trains every stage again, instead of keeping the old folders' models."
    from maekd.study.segrun import seg_run
    assert_force_starts_over(seg_run, folder, tmp_path / 'run', frame_size='16,24', preset='quick', n_seeds=1, student='mobilenetv3_small_050', quiet=True)
