"`maekd run --mae`: every MAE row starts from an MAE the user has, here a file the reference code's own model wrote."
import argparse, contextlib, io, json
import torch
from safetensors.torch import load_file
from ref_mae import RefMAE
from maekd.cli import main
from maekd.mae_model import mae_presets


def reference_checkpoint(path, in_chans=1):
    "A `checkpoint-N.pth` as facebookresearch/mae writes it, from its model definition at the `mae_vit_micro_patch4` size."
    torch.manual_seed(3)
    cfg = {k: v for k, v in mae_presets['mae_vit_micro_patch4'].items() if k != 'mlp_ratio'}
    ref = RefMAE(**cfg, in_chans=in_chans, norm_pix_loss=True)
    torch.save({'model': ref.state_dict(), 'optimizer': {}, 'epoch': 399, 'scaler': {},
                'args': argparse.Namespace(model='mae_vit_micro_patch4', norm_pix_loss=True)}, path)
    return ref.state_dict()


def maekd(*args) -> tuple:
    "(exit code, stderr) of `maekd ARGS`, its stdout swallowed."
    err = io.StringIO()
    with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(err):
        try: code = main([str(a) for a in args])
        except SystemExit as e: code = e.code
    return code or 0, err.getvalue()


def test_run_starts_every_mae_row_from_a_reference_checkpoint(tmp_path):
    ref = reference_checkpoint(tmp_path / 'checkpoint-399.pth')
    out = tmp_path / 'run'
    code, err = maekd('run', '--preset', 'quick', '--mae', tmp_path / 'checkpoint-399.pth', '--pretrain-epochs', 0,
                      '--seed', 0, '--device', 'cpu', '--out', out, '--quiet')
    assert code == 0, err
    mae = load_file(out / 'seed0' / 'mae' / 'mae.safetensors')
    assert all(torch.equal(mae[k], ref[k]) for k in ref)                       # the MAE as given, every tensor
    assert json.loads((out / 'seed0' / 'mae' / 'config.json').read_text())['init'] == str(tmp_path / 'checkpoint-399.pth')
    assert json.loads((out / 'seed0' / 'teacher' / 'config.json').read_text())['mae'] == str(out / 'seed0' / 'mae')
    assert json.loads((out / 'run.json').read_text())['mae'] == str(tmp_path / 'checkpoint-399.pth')
    report = ' '.join((out / 'report.md').read_text().split())
    assert f"The MAE started from `{tmp_path / 'checkpoint-399.pth'}`, used as it is, without pretraining on these images." in report


def test_run_refuses_a_missing_mae_or_zero_epochs_without_one(tmp_path):
    code, err = maekd('run', '--preset', 'quick', '--mae', tmp_path / 'nope.pth', '--out', tmp_path / 'a')
    assert code == 2 and 'checkpoint not found' in err and not (tmp_path / 'a').exists()
    code, err = maekd('run', '--preset', 'quick', '--pretrain-epochs', 0, '--out', tmp_path / 'b')
    assert code == 2 and 'pretrain_epochs must be positive' in err and not (tmp_path / 'b').exists()
