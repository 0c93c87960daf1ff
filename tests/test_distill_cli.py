"`maekd finetune` and `maekd distill` from the command line, and the errors users meet."
import json, os
import pytest, torch
from helpers import run_main, make_folder, assert_one_line_error
from maekd.distill import load_classifier
from maekd.mae_model import mae_vit_micro_patch4, save_mae_checkpoint

FAST = ['--img-size', '16', '--epochs', '1']


@pytest.fixture(scope='module')
def runs(tmp_path_factory):
    "A pretrained MAE and a fine-tuned teacher (one epoch each), shared by the tests."
    d = tmp_path_factory.mktemp('runs')
    import pytest as _p
    for argv in (['pretrain', '--out', d / 'mae', *FAST, '--quiet'],
                 ['finetune', '--mae', d / 'mae', '--out', d / 'teacher', *FAST, '--quiet']):
        from maekd.cli import main
        assert main([str(a) for a in argv]) == 0
    return d


def test_finetune_and_distill(runs, tmp_path, capsys):
    model, spec = load_classifier(runs / 'teacher')
    assert spec['builder'] == 'vit' and len(spec['classes']) == 10
    cfg = json.loads((runs / 'teacher' / 'config.json').read_text())
    assert cfg['n_labelled'] == 144                           # 10% of the 1438 training digits, class-balanced
    code, out, _ = run_main(['distill', '--teacher', runs / 'teacher', '--out', tmp_path / 's', '--teacher-mask', '0.5', *FAST], capsys)
    assert code == 0 and 'student.safetensors' in out and 'of its FLOPs saved' in out
    s, sspec = load_classifier(tmp_path / 's')
    assert sspec['builder'] == 'cnn_tiny'


def test_unknown_student(runs, tmp_path, capsys):
    code, _, err = run_main(['distill', '--teacher', runs / 'teacher', '--student', 'resnet18x', '--out', tmp_path / 's', *FAST], capsys)
    assert_one_line_error(code, err, "unknown student 'resnet18x'", 'did you mean resnet18')
    assert not (tmp_path / 's').exists()


def test_class_count_mismatch(runs, tmp_path, capsys):
    data = make_folder(tmp_path / 'three', classes=('a', 'b', 'c'), n=4)
    code, _, err = run_main(['distill', '--teacher', runs / 'teacher', '--data', data, '--out', tmp_path / 's', *FAST], capsys)
    assert_one_line_error(code, err, 'teacher predicts 10 classes but the data has 3')


def test_not_a_checkpoint(runs, tmp_path, capsys):
    junk = tmp_path / 'junk.safetensors'; junk.write_bytes(os.urandom(256))
    code, _, err = run_main(['distill', '--teacher', junk, '--out', tmp_path / 's', *FAST], capsys)
    assert_one_line_error(code, err, 'not a maekd checkpoint')
    rnd = tmp_path / 'random.pth'; rnd.write_bytes(os.urandom(256))
    code, _, err = run_main(['finetune', '--mae', rnd, '--out', tmp_path / 'f', *FAST], capsys)
    assert_one_line_error(code, err, 'not a readable checkpoint')
    code, _, err = run_main(['distill', '--teacher', runs / 'mae' / 'mae.safetensors', '--out', tmp_path / 's', *FAST], capsys)
    assert_one_line_error(code, err, 'not a maekd classifier checkpoint')


def test_architecture_mismatch(tmp_path, capsys):
    other = tmp_path / 'other.pth'
    save_mae_checkpoint(mae_vit_micro_patch4(in_chans=1, depth=4), other)        # a 4-block MAE, not the 6-block preset
    code, _, err = run_main(['finetune', '--mae', other, '--out', tmp_path / 'f', *FAST], capsys)
    assert_one_line_error(code, err, 'does not match the model architecture', 'missing: blocks.4')


def test_finetune_needs_labels(tmp_path, capsys):
    loose = tmp_path / 'loose'; loose.mkdir()
    make_folder(tmp_path / 'tmp')
    for p in (tmp_path / 'tmp' / 'a').iterdir(): os.replace(p, loose / p.name)
    code, _, err = run_main(['finetune', '--data', loose, '--out', tmp_path / 'f', *FAST], capsys)
    assert_one_line_error(code, err, 'needs labelled images')


def test_distill_method_dmae(runs, tmp_path, capsys):
    code, out, err = run_main(['distill', '--method', 'dmae', '--teacher', runs / 'mae', '--out', tmp_path / 'dm', *FAST], capsys)
    assert code == 0, err
    cfg = json.loads((tmp_path / 'dm' / 'config.json').read_text())
    assert cfg['stage'] == 'dmae' and cfg['arch'] == 'mae_vit_nano_patch4'
    code, _, err = run_main(['finetune', '--mae', tmp_path / 'dm', '--out', tmp_path / 'dmft', *FAST], capsys)
    assert code == 0, err
