"`maekd pretrain` from the command line: outputs, the folder rule, resume after a kill, bad input."
import json, os, signal, subprocess, sys, time
import pandas as pd
import pytest, torch
from helpers import run_main, run_cli, make_folder, assert_one_line_error
from maekd.mae_model import mae_from_checkpoint

FAST = ['--img-size', '16', '--bs', '32']   # 16 patches per image: a fast run


def test_pretrain_writes_a_complete_run(tmp_path, capsys):
    out = tmp_path / 'mae'
    code, stdout, _ = run_main(['pretrain', '--out', out, '--epochs', '2', *FAST], capsys)
    assert code == 0
    for f in ('mae.safetensors', 'mae.pth', 'last.pth', 'history.csv', 'loss.png', 'config.json'): assert (out / f).is_file()
    tail = stdout[stdout.index('wrote 6 files to'):].splitlines()          # the end names the count and the file that matters
    assert tail[1:] == [f'  {out / "mae.safetensors"}'], tail
    h = pd.read_csv(out / 'history.csv')
    assert h['epoch'].tolist() == [0, 1] and h['valid_loss'].notna().all()
    cfg = json.loads((out / 'config.json').read_text())
    assert cfg['img_size'] == 16 and cfg['n_chans'] == 1
    m = mae_from_checkpoint(out / 'mae.safetensors')
    assert m.img_size == (16, 16)


def test_non_empty_out_is_refused_and_kept(tmp_path, capsys):
    out = tmp_path / 'mae'; out.mkdir(); (out / 'notes.txt').write_text('keep me')
    code, _, err = run_main(['pretrain', '--out', out, '--epochs', '1', *FAST], capsys)
    assert_one_line_error(code, err, 'not empty', '--resume', '--force')
    assert (out / 'notes.txt').read_text() == 'keep me' and len(os.listdir(out)) == 1


def _rows(csv):
    try: return len(pd.read_csv(csv))
    except Exception: return 0


def test_resume_after_kill_matches_uninterrupted_run(tmp_path):
    args = ['pretrain', '--epochs', '4', '--seed', '3', '--quiet', *FAST]
    straight = run_cli(*args, '--out', tmp_path / 'straight')
    assert straight.returncode == 0, straight.stderr
    out = tmp_path / 'killed'
    p = subprocess.Popen([sys.executable, '-m', 'maekd.cli', *map(str, args), '--out', str(out)],
                         stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    t0 = time.time()
    while _rows(out / 'history.csv') < 2 and time.time() - t0 < 300: time.sleep(0.05)
    time.sleep(0.3)                                    # into the third epoch
    p.send_signal(signal.SIGKILL); p.wait()
    done = _rows(out / 'history.csv')
    assert 2 <= done < 4, done                         # killed mid-run, not at the end
    st = torch.load(out / 'last.pth', weights_only=True)
    assert st['epoch'] == done - 1 or st['epoch'] == done - 2
    resumed = run_cli(*args, '--out', out, '--resume')
    assert resumed.returncode == 0, resumed.stderr
    a, b = pd.read_csv(tmp_path / 'straight' / 'history.csv'), pd.read_csv(out / 'history.csv')
    assert b['epoch'].tolist() == [0, 1, 2, 3]
    assert abs(a['valid_loss'].iloc[-1] - b['valid_loss'].iloc[-1]) <= 1e-6 * abs(a['valid_loss'].iloc[-1])
    wa = torch.load(tmp_path / 'straight' / 'mae.pth', weights_only=True)['model']
    wb = torch.load(out / 'mae.pth', weights_only=True)['model']
    assert all(torch.equal(wa[k], wb[k]) for k in wa)  # exactly the same weights on CPU


@pytest.mark.parametrize('args,needles', [
    (['--data', '/no/such/dir'], ['data path not found']),
    (['--mask-ratio', '1.0'], ['mask ratio must be in [0, 1)']),
    (['--mask-ratio', '-0.5'], ['mask ratio']),
    (['--epochs', '0'], ['epochs must be positive']),
    (['--bs', '-4'], ['bs must be positive']),
    (['--img-size', '30'], ['not divisible by patch size 4']),
    (['--arch', 'mae_vit_gigantic'], ["--arch: unknown value 'mae_vit_gigantic': choose one of", 'mae_vit_micro_patch4']),
    (['--precision', 'fp16'], ['fp16 needs a CUDA GPU']),
    (['--precision', 'fp8'], ["--precision: unknown value 'fp8': choose one of auto, fp32, fp16, bf16"]),
])
def test_bad_arguments(tmp_path, capsys, args, needles):
    code, _, err = run_main(['pretrain', '--out', tmp_path / 'o', '--epochs', '1', *FAST, *args], capsys)
    assert_one_line_error(code, err, *needles)


def test_bad_folders(tmp_path, capsys):
    (tmp_path / 'empty').mkdir()
    code, _, err = run_main(['pretrain', '--data', tmp_path / 'empty', '--out', tmp_path / 'o1'], capsys)
    assert_one_line_error(code, err, 'no readable images')
    bad = tmp_path / 'bad'; bad.mkdir()
    for i in range(3): (bad / f'{i}.png').write_bytes(os.urandom(100))
    code, _, err = run_main(['pretrain', '--data', bad, '--out', tmp_path / 'o2'], capsys)
    assert_one_line_error(code, err, '3 image files could not be read')
    code, _, err = run_main(['pretrain', '--out', '/proc/maekd-out', '--epochs', '1', *FAST], capsys)
    assert_one_line_error(code, err, 'cannot write to output folder')
    code, _, err = run_main(['pretrain', '--out', tmp_path / 'o3', '--resume'], capsys)
    assert_one_line_error(code, err, 'nothing to resume')


def test_folder_with_corrupt_images_trains(tmp_path, capsys):
    data = make_folder(tmp_path / 'imgs', n=8, corrupt=2)
    code, _, err = run_main(['pretrain', '--data', data, '--out', tmp_path / 'o', '--epochs', '1', *FAST], capsys)
    assert code == 0, err
    assert [l for l in err.splitlines() if 'skipped' in l] == [                               # one plain line, no Python warning
        f'maekd: skipped 2 unreadable image file(s) in {data}; using the 16 readable ones']
    assert json.loads((tmp_path / 'o' / 'config.json').read_text())['n_chans'] == 3


def test_unknown_command(capsys):
    code, _, err = run_main(['pretrian'], capsys)
    assert_one_line_error(code, err, "unknown command 'pretrian'")


def test_bf16_on_cpu(tmp_path, capsys):
    "bf16 trains where the CPU has native bf16; elsewhere it is refused in one line (it would run many times slower)."
    from maekd.runs import cpu_bf16_native
    code, _, err = run_main(['pretrain', '--out', tmp_path / 'bf', '--epochs', '1', '--precision', 'bf16', *FAST], capsys)
    if not cpu_bf16_native():
        assert_one_line_error(code, err, 'no native bf16', '--precision fp32'); return
    assert code == 0, err
    h = pd.read_csv(tmp_path / 'bf' / 'history.csv')
    assert h['train_loss'].notna().all() and h['valid_loss'].between(0, 5).all()
