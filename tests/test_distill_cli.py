"`maekd finetune` and `maekd distill` from the command line, and the errors users meet."
import json, os
import pytest, torch
from helpers import run_main, make_folder, assert_one_line_error
from maekd.classifiers import load_classifier
from maekd.mae_model import mae_vit_micro_patch4, save_mae_checkpoint

FAST = ['--img-size', '16', '--epochs', '1']


@pytest.fixture(scope='module')
def runs(tmp_path_factory):
    "A pretrained MAE and a fine-tuned teacher (one epoch each), shared by the tests."
    d = tmp_path_factory.mktemp('runs')
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
    code, _, err = run_main(['finetune', '--scratch', '--data', loose, '--out', tmp_path / 'f', *FAST], capsys)
    assert_one_line_error(code, err, 'needs labelled images')


def test_dmae_command_and_method_dmae_refused(runs, tmp_path, capsys):
    "DMAE is its own command (`maekd dmae --mae`); `distill --method dmae` is refused in one line naming the choices."
    code, out, err = run_main(['dmae', '--mae', runs / 'mae', '--out', tmp_path / 'dm', *FAST], capsys)
    assert code == 0, err
    cfg = json.loads((tmp_path / 'dm' / 'config.json').read_text())
    assert cfg['stage'] == 'dmae' and cfg['arch'] == 'mae_vit_nano_patch4' and cfg['mae'] == str(runs / 'mae')   # the argument's own name (stage_args)
    code, _, err = run_main(['finetune', '--mae', tmp_path / 'dm', '--out', tmp_path / 'dmft', *FAST], capsys)
    assert code == 0, err
    code, _, err = run_main(['distill', '--method', 'dmae', '--teacher', runs / 'teacher', '--out', tmp_path / 'x', *FAST], capsys)
    assert_one_line_error(code, err, "--method: unknown value 'dmae': choose one of soft, hard, feature")


# --- options that compose, or refuse in one line ---

def test_cache_refuses_feature_and_teacher_mask(runs, tmp_path, capsys):
    base = ['distill', '--teacher', runs / 'teacher', '--cache-views', '2', *FAST]
    code, _, err = run_main([*base, '--method', 'feature', '--out', tmp_path / 'f'], capsys)
    assert_one_line_error(code, err, '--cache-views stores teacher logits, not features')
    code, _, err = run_main([*base, '--teacher-mask', '0.5', '--out', tmp_path / 'm'], capsys)
    assert_one_line_error(code, err, '--teacher-mask', '--cache-views')
    code, _, err = run_main(['distill', '--teacher', runs / 'teacher', '--cache-topk', '3', '--out', tmp_path / 't', *FAST], capsys)
    assert_one_line_error(code, err, '--cache-topk', 'add --cache-views 8')
    for d in 'fmt': assert not (tmp_path / d).exists()                              # refused before anything is written


def test_cache_carries_the_labels(runs, tmp_path):
    from maekd.distill import distill
    from maekd.kd import KDCallback
    learn = distill(str(runs / 'teacher'), out=str(tmp_path / 'c'), cache_views=2, label_frac=0.1,
                    img_size=16, steps=3, quiet=True)
    x, y, t = learn.dls.train.one_batch()
    assert t.shape == (len(x), 10) and y.shape == (len(x),)
    ds = learn.dls.train.dataset
    ys = ds.y[ds.rows]                                  # the labels of the training rows (-1: unlabelled)
    assert (ys >= 0).sum() == json.loads((tmp_path / 'c' / 'config.json').read_text())['n_labelled'] > 0 and (ys == -1).any()
    assert learn.cbs.filter(lambda c: isinstance(c, KDCallback))[0].use_labels


def test_cache_built_otherwise_is_refused(runs, tmp_path, capsys):
    base = ['distill', '--teacher', runs / 'teacher', '--out', tmp_path / 'c', *FAST]
    code, _, err = run_main([*base, '--cache-views', '2', '--quiet'], capsys)
    assert code == 0, err
    code, _, err = run_main([*base, '--cache-views', '3', '--resume', '--quiet'], capsys)
    assert_one_line_error(code, err, 'other settings', 'views: 2 -> 3', '--force')
    code, _, err = run_main([*base, '--cache-views', '2', '--crop-scale', '0.5', '--resume', '--quiet'], capsys)
    assert_one_line_error(code, err, 'crop_scale')


def test_cached_topk_end_to_end(runs, tmp_path):
    import pandas as pd
    from safetensors import safe_open
    from maekd.distill import distill
    distill(str(runs / 'teacher'), out=str(tmp_path / 'k'), cache_views=2, cache_topk=3, img_size=16, steps=6, quiet=True)
    with safe_open(str(tmp_path / 'k' / 'teacher_cache.safetensors'), 'pt') as f:
        assert set(f.keys()) == {'idx', 'theta', 'topk_val', 'topk_idx'} and f.get_tensor('topk_idx').shape[-1] == 3
    h = pd.read_csv(tmp_path / 'k' / 'history.csv')
    assert h['train_loss'].notna().all() and (h['train_loss'] < 1e3).all() and h['valid_loss'].notna().all()


def test_enumerated_options_list_their_choices_and_fail_at_once(capsys):
    from maekd.cli import main
    with pytest.raises(SystemExit): main(['distill', '-h'])
    out = capsys.readouterr().out
    assert '{soft,hard,feature}' in out and '{random,attention}' in out and '{auto,fp32,fp16,bf16}' in out
    with pytest.raises(SystemExit): main(['run', '-h'])
    out = capsys.readouterr().out
    assert '{default,quick}' in out and 'mae_vit_micro_patch4,mae_vit_nano_patch4' in out
    assert '--augment {none,trivial,rand}' in out                   # an optional choice (default: the preset's) lists them too
    with pytest.raises(SystemExit) as e: main(['run', '--augment', 'auto'])
    assert e.value.code == 2 and "--augment: unknown value 'auto': choose one of none, trivial, rand" in capsys.readouterr().err
    with pytest.raises(SystemExit) as e: main(['distill', '--method', 'sotf'])
    assert e.value.code == 2 and "--method: unknown value 'sotf': choose one of soft, hard, feature" in capsys.readouterr().err


def test_linear_probe_trains_the_head_only(runs, tmp_path):
    from maekd.finetune import finetune
    from maekd.mae_model import load_mae_source
    learn = finetune(str(runs / 'mae'), out=str(tmp_path / 'lp'), linear_probe=True, img_size=16, steps=4, quiet=True)
    model, _ = load_classifier(tmp_path / 'lp')
    mae, _ = load_mae_source(runs / 'mae')
    enc = mae.state_dict()
    for k, v in model.state_dict().items():
        if k.startswith('blocks.') or k.startswith('patch_embed.'): assert torch.equal(v, enc[k]), k   # the encoder is frozen
    assert model.head[1].weight.abs().max() > 0 and not learn.model.blocks[0].attn.qkv.weight.requires_grad


def test_hard_and_label_blending_losses(runs, tmp_path):
    "method='hard' is cross-entropy against the teacher's top class; label_frac > 0 blends CE on the labels in, -1 left out."
    import torch.nn.functional as F
    from maekd.distill import distill
    from maekd.kd import KDCallback
    from maekd.kd_loss import soft_target
    for method, label_frac in (('hard', 0.), ('soft', 0.5)):
        learn = distill(str(runs / 'teacher'), out=str(tmp_path / f'{method}'), method=method, label_frac=label_frac,
                        img_size=16, steps=2, quiet=True)
        kd = learn.cbs.filter(lambda c: isinstance(c, KDCallback))[0]
        kd.learn.training = True
        pred, t = torch.randn(6, 10), torch.randn(6, 10)
        if method == 'hard':
            torch.testing.assert_close(kd.student_loss(pred, t), F.cross_entropy(pred, t.argmax(-1)))
            continue
        y = torch.tensor([3, -1, 5, -1, 0, 2])
        want = 0.5 * F.cross_entropy(pred, y, ignore_index=-1) + 0.5 * soft_target(pred, t, temperature=4.)
        torch.testing.assert_close(kd.student_loss(pred, y, t), want)
        assert not torch.allclose(kd.student_loss(pred, y, t), soft_target(pred, t, temperature=4.))


def test_validation_passes_leave_the_weights(tmp_path):
    "A stage validated on 2 of its 6 epochs trains the same weights as one validated on each, and logs only those 2."
    import pandas as pd
    from safetensors.torch import load_file
    from maekd.finetune import finetune
    kw = dict(student='cnn_tiny', label_frac=0.1, epochs=6, img_size=16, augment='trivial', mixup=0.8, quiet=True)
    for passes in (0, 2): finetune(out=str(tmp_path / f'p{passes}'), valid_passes=passes, **kw)
    a, b = (load_file(tmp_path / f'p{p}' / 'student.safetensors') for p in (0, 2))
    assert a.keys() == b.keys() and all(torch.equal(a[k], b[k]) for k in a)
    every, spread = (pd.read_csv(tmp_path / f'p{p}' / 'history.csv') for p in (0, 2))
    assert spread['accuracy'].notna().tolist() == [False, False, True, False, False, True] and every['accuracy'].notna().all()
    assert spread['accuracy'].dropna().tolist() == every['accuracy'].iloc[[2, 5]].tolist()
    assert spread['train_loss'].tolist() == every['train_loss'].tolist()


def test_semi_supervised_options_refused_before_anything_is_written(runs, tmp_path, capsys):
    base = ['distill', '--teacher', runs / 'teacher', *FAST]
    code, _, err = run_main([*base, '--threshold', '0.7', '--out', tmp_path / 't'], capsys)
    assert_one_line_error(code, err, '--threshold', 'give --method hard')
    code, _, err = run_main([*base, '--teacher-ema', '0.99', '--out', tmp_path / 'e'], capsys)
    assert_one_line_error(code, err, 'distill with --student teacher')
    code, _, err = run_main([*base, '--student', 'teacher', '--teacher-ema', '0.99', '--cache-views', '2', '--out', tmp_path / 'c'], capsys)
    assert_one_line_error(code, err, 'drop --cache-views')
    code, _, err = run_main([*base, '--student', 'teacher', '--teacher-ema', '1', '--out', tmp_path / 'd'], capsys)
    assert_one_line_error(code, err, '--teacher-ema is a decay below 1')
    for d in 'tecd': assert not (tmp_path / d).exists()                              # refused before anything is written
