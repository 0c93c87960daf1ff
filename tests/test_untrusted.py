"Loading never runs code from a file: a pickle that would create a file when unpickled is refused everywhere."
import os
import pytest, torch
from helpers import run_main, assert_one_line_error
from maekd.mae_model import load_mae_checkpoint, read_state_dict, mae_vit_micro_patch4
from maekd.runs import load_run_state


class Planted:
    "Unpickling this calls os.system, which would create the marker file."
    def __init__(self, marker): self.marker = marker
    def __reduce__(self): return (os.system, (f'touch {self.marker}',))


@pytest.fixture
def planted(tmp_path):
    marker = tmp_path / 'PWNED'
    path = tmp_path / 'evil.pth'
    torch.save({'model': {'cls_token': torch.zeros(1)}, 'payload': Planted(marker)}, path)
    return path, marker


def test_library_refuses(planted, tmp_path):
    path, marker = planted
    with pytest.raises(ValueError, match='not a readable checkpoint'): read_state_dict(path)
    with pytest.raises(ValueError, match='not a readable checkpoint'): load_mae_checkpoint(mae_vit_micro_patch4(), path)
    (tmp_path / 'run').mkdir(); os.replace(path, tmp_path / 'run' / 'last.pth')
    with pytest.raises(ValueError, match='cannot load .* safely'): load_run_state(tmp_path / 'run')
    assert not marker.exists()


def test_cli_refuses(planted, tmp_path, capsys):
    path, marker = planted
    code, _, err = run_main(['finetune', '--mae', path, '--out', tmp_path / 'ft', '--epochs', '1'], capsys)
    assert_one_line_error(code, err, 'not a readable checkpoint')
    code, _, err = run_main(['distill', '--teacher', path, '--out', tmp_path / 'd', '--epochs', '1'], capsys)
    assert_one_line_error(code, err, 'not a maekd checkpoint')
    run = tmp_path / 'run'; run.mkdir(); os.replace(path, run / 'last.pth')
    code, _, err = run_main(['pretrain', '--out', run, '--resume', '--epochs', '1', '--img-size', '16'], capsys)
    assert_one_line_error(code, err, 'cannot load', 'safely')
    assert not marker.exists()
