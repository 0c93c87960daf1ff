"A run killed with SIGKILL in the middle of writing a checkpoint still resumes to the uninterrupted result."
import subprocess, sys, textwrap
import pandas as pd
import torch
from helpers import run_cli

ARGS = ['pretrain', '--epochs', '3', '--seed', '5', '--quiet', '--img-size', '16', '--bs', '32', '--save-every', '0']

# torch.save is replaced by one that writes half a file and kills the process on its 3rd call: saving every
# epoch (--save-every 0), the calls per epoch are last.pth then mae.pth, so the kill lands inside the second epoch's last.pth.
KILLER = textwrap.dedent('''
    import os, signal, sys, torch
    real, calls = torch.save, [0]
    def dying_save(obj, f, *a, **k):
        calls[0] += 1
        if calls[0] == 3:
            with open(f, 'wb') as fh: fh.write(b'half a checkpoint'); fh.flush(); os.fsync(fh.fileno())
            os.kill(os.getpid(), signal.SIGKILL)
        return real(obj, f, *a, **k)
    torch.save = dying_save
    from maekd.cli import main
    sys.exit(main(sys.argv[1:]))
''')


def test_kill_during_checkpoint_write(tmp_path):
    straight = run_cli(*ARGS, '--out', tmp_path / 'straight')
    assert straight.returncode == 0, straight.stderr
    out = tmp_path / 'crashed'
    p = subprocess.run([sys.executable, '-c', KILLER, *ARGS, '--out', str(out)], capture_output=True, text=True)
    assert p.returncode == -9                                       # killed, mid-write
    assert any(f.name.startswith('.last.pth.tmp') for f in out.iterdir())   # the half-written file...
    st = torch.load(out / 'last.pth', weights_only=True)            # ...never replaced the last good checkpoint
    assert st['epoch'] == 0
    resumed = run_cli(*ARGS, '--out', out, '--resume')
    assert resumed.returncode == 0, resumed.stderr
    assert not any('.tmp' in f.name for f in out.iterdir())
    a, b = pd.read_csv(tmp_path / 'straight' / 'history.csv'), pd.read_csv(out / 'history.csv')
    assert b['epoch'].tolist() == [0, 1, 2]
    assert a['valid_loss'].iloc[-1] == b['valid_loss'].iloc[-1]


def test_disk_full_stops_in_one_line_and_resumes_elsewhere(tmp_path, capsys, monkeypatch):
    "A full disk while writing the 2nd epoch's last.pth: one line naming the file and the intact epoch, exit 2; --resume elsewhere."
    import shutil
    from helpers import run_main
    real, calls = torch.save, [0]
    def full_disk_save(obj, f, *a, **k):
        calls[0] += 1
        if calls[0] == 3:      # last.pth of the second epoch, as torch's zip writer reports it
            raise RuntimeError('[enforce fail at inline_container.cc:664] . unexpected pos 4544 vs 4438')
        return real(obj, f, *a, **k)
    monkeypatch.setattr(torch, 'save', full_disk_save)
    out = tmp_path / 'full'
    code, _, err = run_main([*ARGS, '--out', out], capsys)
    assert code == 2 and 'Traceback' not in err, err
    lines = [l for l in err.strip().splitlines() if l.strip()]
    assert len(lines) == 1 and lines[0].startswith('maekd: error: disk full: could not write'), err
    assert 'last.pth' in lines[0] and '(epoch 0 in history.csv) is intact' in lines[0] and '--resume' in lines[0]
    assert torch.load(out / 'last.pth', weights_only=True)['epoch'] == 0          # the last complete checkpoint
    monkeypatch.setattr(torch, 'save', real)
    moved = tmp_path / 'bigger_disk'
    shutil.copytree(out, moved)
    code, _, err = run_main([*ARGS, '--out', moved, '--resume'], capsys)
    assert code == 0, err
    assert pd.read_csv(moved / 'history.csv')['epoch'].tolist() == [0, 1, 2]      # each epoch once


def test_disk_full_names_the_epoch_last_saved(tmp_path, capsys, monkeypatch):
    "With the default clock a 3-epoch run saves epochs 0 and 2: a full disk at epoch 2 names epoch 0 as the intact one, not 1."
    from helpers import run_main
    real, calls = torch.save, [0]
    def full_disk_save(obj, f, *a, **k):
        calls[0] += 1
        if calls[0] == 3: raise OSError(28, 'No space left on device')    # the last epoch's last.pth (epoch 1 was not due)
        return real(obj, f, *a, **k)
    monkeypatch.setattr(torch, 'save', full_disk_save)
    code, _, err = run_main([*ARGS[:-2], '--out', tmp_path / 'full'], capsys)
    assert code == 2 and '(epoch 0 in history.csv) is intact' in err, err
    assert pd.read_csv(tmp_path / 'full' / 'history.csv')['epoch'].tolist() == [0, 1, 2]   # every epoch's line, saved or not


# the same, but the process sends itself SIGTERM (what `kill` and schedulers send) on its 3rd checkpoint write
TERMINATOR = KILLER.replace('signal.SIGKILL', 'signal.SIGTERM').replace(
    "with open(f, 'wb') as fh: fh.write(b'half a checkpoint'); fh.flush(); os.fsync(fh.fileno())", 'pass')


def test_sigterm_stops_like_ctrl_c_and_keeps_the_seconds(tmp_path):
    "SIGTERM mid-run: exit 130 with the resume command, and the stage it stopped has recorded the seconds it trained."
    out = tmp_path / 'run'
    p = subprocess.run([sys.executable, '-c', TERMINATOR, 'run', '--preset', 'quick', '--quiet', '--out', str(out)],
                       capture_output=True, text=True)
    assert p.returncode == 130, p.stderr
    assert p.stderr.strip().splitlines()[-1].endswith(f'--out {out} --resume'), p.stderr
    stopped = [f.parent for f in out.rglob('last.pth')]
    assert stopped and all((f / 'timing.json').exists() for f in stopped), stopped
