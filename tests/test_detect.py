"""Detection from the command line: the stages chain, on VOC and COCO folders; bad folders are one line and exit 2 with nothing written, the
GPU path is reached (simulated) and left alone with `--device cpu`, and an interrupted stage resumes to the same weights."""
import json
import pytest
import torch
from safetensors.torch import load_file
from maekd.det_data import toy_det
from maekd.test_utils import simulated_cuda, CUDAReached
from helpers import run_main, assert_one_line_error, first_epoch_only, assert_force_starts_over

Q = ['--quiet', '--valid', 'none']


@pytest.fixture(autouse=True)
def cache(tmp_path, monkeypatch): monkeypatch.setenv('MAEKD_CACHE', str(tmp_path / 'cache'))


@pytest.fixture
def folder(tmp_path): return toy_det(tmp_path / 'toy', n=(8, 2, 2), size=(64, 96))


def train(folder, out, capsys, *extra):
    "`maekd det-train` of a label-only student on the toy folder."
    return run_main(['det-train', '--data', folder, '--student', 'mobilenetv3_small_050', '--photo-size', '64,96', '--bs', '4',
                     '--out', out, *Q, *extra], capsys)


def test_chain_mae_teacher_student(tmp_path, capsys, folder):
    "pretrain on the photos, det-train the MAE ViT on 1/4 of the boxes, det-distill a student on the class scores: each reads the last."
    code, _, err = run_main(['pretrain', '--data', folder / 'JPEGImages', '--arch', 'mae_vit_micro_patch16', '--img-size', '64',
                             '--epochs', '1', '--bs', '4', '--out', tmp_path / 'mae', *Q], capsys)
    assert code == 0, err
    code, _, err = run_main(['det-train', '--data', folder, '--mae', tmp_path / 'mae', '--photo-size', '64,96', '--label-frac', '0.25',
                             '--epochs', '1', '--bs', '4', '--out', tmp_path / 't', *Q], capsys)
    assert code == 0, err
    code, _, err = run_main(['det-distill', '--teacher', tmp_path / 't', '--data', folder, '--student', 'mobilenetv3_small_050',
                             '--method', 'logit', '--temperature', '2', '--label-frac', '0.25', '--label-share', '0.5', '--epochs', '1', '--bs', '4',
                             '--out', tmp_path / 's', *Q], capsys)
    assert code == 0, err
    t, s = (json.loads((tmp_path / n / 'config.json').read_text()) for n in ('t', 's'))
    assert (t['n_labelled'], t['steps'], t['img_size']) == (2, 1, [64, 96])     # 2 of 8 photos with boxes: one batch of 4
    assert (s['n_images'], s['n_labelled'], s['method'], s['steps']) == (8, 2, 'logit', 3)     # the 2 photos with boxes thrice: 12 a pass


def _voc_box(folder, box, name='cell'):
    "Replace the first training photo's boxes by one box `box` of class `name`."
    a, b, c, d = box
    (folder / 'Annotations' / 'p0.xml').write_text(f'<annotation><filename>p0.jpg</filename><object><name>{name}</name><bndbox><xmin>{a}'
                                                    f'</xmin><ymin>{b}</ymin><xmax>{c}</xmax><ymax>{d}</ymax></bndbox></object></annotation>')


@pytest.mark.parametrize('breaks,needle', [
    (lambda r: _voc_box(r, (50, 10, 120, 30)), 'p0.xml: the cell box (50.0, 10.0, 120.0, 30.0) lies outside its 96x64 photo'),
    (lambda r: _voc_box(r, (10, 10, 10, 30)), 'box (10.0, 10.0, 10.0, 30.0) is empty: fix it, or pass --bad-boxes drop'),
    (lambda r: _voc_box(r, (40, 10, 20, 30)), 'is inverted (max below min)'),
    (lambda r: (r / 'Annotations' / 'p9.xml').write_text('<annotation><filename>p9.jpg</filename><object><name>nucleus</name><bndbox>'
                                                          '<xmin>1</xmin><ymin>1</ymin><xmax>9</xmax><ymax>9</ymax></bndbox></object></annotation>'),
     "p9.xml: unknown class 'nucleus'; the classes are ['bar', 'cell']"),
    (lambda r: (r / 'JPEGImages' / 'p1.jpg').unlink(), 'p1.xml annotates p1.jpg, which is not in'),
    (lambda r: (r / 'ImageSets' / 'Main' / 'train.txt').unlink(), 'is neither a PASCAL VOC folder (JPEGImages/, Annotations/, ImageSets/Main/train.txt) or a COCO one'),
])
def test_bad_folders_are_one_line(tmp_path, capsys, folder, breaks, needle):
    "A box outside its photo, an empty or inverted box, an unknown class, an annotation without its photo, no split: exit 2, one line, nothing written."
    breaks(folder)
    code, _, err = train(folder, tmp_path / 'out', capsys, '--epochs', '0.5')
    assert_one_line_error(code, err, needle)
    assert not (tmp_path / 'out').exists()



def test_coco_folder(tmp_path, capsys):
    "A COCO folder trains as a VOC one does; its photo missing is one line, exit 2, nothing written."
    coco = toy_det(tmp_path / 'coco', n=(8, 2, 2), size=(64, 96), layout='coco')
    code, _, err = train(coco, tmp_path / 'o', capsys, '--epochs', '0.5')
    assert code == 0, err
    assert json.loads((tmp_path / 'o' / 'config.json').read_text())['spec']['classes'] == ['bar', 'cell']
    (coco / 'images' / 'p1.jpg').unlink()
    code, _, err = train(coco, tmp_path / 'o2', capsys, '--epochs', '0.5')
    assert_one_line_error(code, err, 'instances_train.json annotates p1.jpg, which is not in')
    assert not (tmp_path / 'o2').exists()


def test_label_share_needs_label_frac(tmp_path, capsys, folder):
    "--label-share without --label-frac (or outside (0, 1)) is one line, exit 2, before any file is read."
    code, _, err = run_main(['det-distill', '--teacher', tmp_path / 'none', '--data', folder, '--label-share', '0.5', '--out', tmp_path / 's', *Q], capsys)
    assert_one_line_error(code, err, '--label-share must be in (0, 1), with --label-frac, got 0.5')
    assert not (tmp_path / 's').exists()

def test_bad_boxes_dropped_when_asked(tmp_path, capsys, folder):
    "--bad-boxes drop trains on the rest, and the config records how many boxes were left out."
    _voc_box(folder, (10, 10, 10, 30))
    code, _, err = train(folder, tmp_path / 'o', capsys, '--epochs', '0.5', '--bad-boxes', 'drop')
    assert code == 0, err
    assert json.loads((tmp_path / 'o' / 'config.json').read_text())['bad_boxes'] == 'drop'


def test_nothing_lost_without_force(tmp_path, capsys, folder):
    code, _, err = train(folder, tmp_path / 'o', capsys, '--epochs', '0.5')
    assert code == 0, err
    before = (tmp_path / 'o' / 'detector.safetensors').read_bytes()
    code, _, err = train(folder, tmp_path / 'o', capsys, '--epochs', '0.5')
    assert_one_line_error(code, err, 'is not empty')
    assert (tmp_path / 'o' / 'detector.safetensors').read_bytes() == before


def test_gpu_by_default_cpu_when_asked(tmp_path, capsys, folder):
    "On a (simulated) GPU both stages reach for CUDA; with --device cpu they train to the end without touching it."
    with simulated_cuda(), pytest.raises(CUDAReached): train(folder, tmp_path / 'g', capsys, '--epochs', '0.5')
    assert json.loads((tmp_path / 'g' / 'config.json').read_text())['precision'] == 'bf16'
    with simulated_cuda(): code, _, err = train(folder, tmp_path / 'c', capsys, '--epochs', '0.5', '--device', 'cpu')
    assert code == 0, err
    with simulated_cuda(), pytest.raises(CUDAReached):
        run_main(['det-distill', '--teacher', tmp_path / 'c', '--data', folder, '--student', 'mobilenetv3_small_050', '--epochs', '0.5',
                  '--bs', '4', '--out', tmp_path / 'gd', *Q], capsys)


def test_resume_gives_the_same_weights(tmp_path, capsys, folder):
    "A stage stopped after its first epoch and resumed ends with the weights of one that ran straight through."
    code, _, err = train(folder, tmp_path / 'straight', capsys, '--epochs', '3', '--seed', '1')
    assert code == 0, err
    from maekd.detect import det_train
    first_epoch_only(det_train, data=str(folder), out=tmp_path / 'resumed', student='mobilenetv3_small_050', photo_size='64,96', bs=4, epochs=3, seed=1, quiet=True, valid='none')
    code, _, err = train(folder, tmp_path / 'resumed', capsys, '--epochs', '3', '--seed', '1', '--resume')
    assert code == 0, err
    a, b = (load_file(tmp_path / n / 'detector.safetensors') for n in ('straight', 'resumed'))
    assert all(torch.equal(a[k], b[k]) for k in a)


def test_force_starts_a_run_over(tmp_path, folder):
    "`det-run --force` over a finished run's folder trains every stage again, instead of keeping the old folders' models."
    from maekd.study.detrun import det_run
    assert_force_starts_over(det_run, folder, tmp_path / 'run', photo_size='64,96', preset='quick', n_seeds=1, student='mobilenetv3_small_050', quiet=True)
