"""Options as users of the MAE reference code and timm read them: `--blr` a base rate and `--lr` an absolute one, epochs the
one budget unit of a command (steps derived and printed), a seed count that is not a seed, old spellings kept with a note."""
import json, re
from helpers import run_main, assert_one_line_error

Q = ['--img-size', '16', '--quiet']


def config(path): return json.loads((path / 'config.json').read_text())


def test_blr_is_scaled_and_lr_is_not(tmp_path, capsys):
    "--blr is a rate for 256 images (x bs / 256); --lr is the rate the optimizer uses, as given."
    code, _, err = run_main(['finetune', '--student', 'cnn_tiny', '--bs', '64', '--blr', '8e-3', '--epochs', '0.1', '--out', tmp_path / 'b', *Q], capsys)
    assert code == 0, err
    code, _, err = run_main(['finetune', '--student', 'cnn_tiny', '--bs', '64', '--lr', '1e-3', '--epochs', '0.1', '--out', tmp_path / 'a', *Q], capsys)
    assert code == 0, err
    b, a = config(tmp_path / 'b'), config(tmp_path / 'a')
    assert (b['blr'], b['lr'], b['lr_used']) == (8e-3, None, 8e-3 * 64 / 256)
    assert (a['lr'], a['lr_used']) == (1e-3, 1e-3)


def test_a_fraction_of_an_epoch_and_the_printed_budget(tmp_path, capsys):
    "--epochs 0.5 trains half the steps of an epoch; the stage prints the budget in both units and how it chose its rate."
    code, _, err = run_main(['pretrain', '--epochs', '1', '--out', tmp_path / 'mae', *Q], capsys)
    code, _, err = run_main(['finetune', '--mae', tmp_path / 'mae', '--out', tmp_path / 't', '--epochs', '1', *Q], capsys)
    assert code == 0, err
    code, out, err = run_main(['distill', '--teacher', tmp_path / 't', '--epochs', '0.5', '--bs', '64', '--out', tmp_path / 'h',
                               '--img-size', '16'], capsys)
    assert code == 0, err
    c, line = config(tmp_path / 'h'), next(l for l in out.splitlines() if l.startswith('distill: '))
    m = re.match(r'distill: (\d+) steps = ([\d.]+) epochs of (\d+) batches, lr 0.002 = blr 0.008 x bs 64 / 256; on cpu in fp32$', line)
    assert m, line
    assert c['steps'] == int(m[1]) == round(0.5 * int(m[3])) and c['epochs'] == 0.5


def test_old_spellings_run_with_a_note(tmp_path, capsys):
    "maekd 0.0's --seeds, --tune-lr and --steps still work for one release, each with a one-line note naming the new way."
    code, _, err = run_main(['run', '--seeds', '0', '--out', tmp_path / 'r'], capsys)
    assert err.splitlines() == ['maekd: note: --seeds is now --n-seeds, and maekd 0.2 drops --seeds',
                                'maekd: error: --n-seeds must be at least 1, got 0'] and code == 2
    code, _, err = run_main(['run', '--tune-lr', '3', '--out', tmp_path / 'r'], capsys)
    assert err.splitlines()[0] == 'maekd: note: --tune-lr is now --tune-seeds, and maekd 0.2 drops --tune-lr' and code == 2
    assert 'give 0 to 1, or more --n-seeds' in err
    code, _, err = run_main(['finetune', '--student', 'cnn_tiny', '--steps', '2', '--out', tmp_path / 'f', *Q], capsys)
    assert code == 0 and err.splitlines() == ['maekd: note: --steps goes in maekd 0.2: give --epochs (the stage prints the steps they make)']
    assert config(tmp_path / 'f')['steps'] == 2


def test_seed_count_is_not_a_seed(capsys):
    "run and sweep take --seed (where seeds start) and --n-seeds (how many); neither lists --seeds any more."
    from maekd.cli import command_parser, load_commands
    for c in ('run', 'sweep'):
        acts = command_parser(load_commands()[c], c)._option_string_actions
        assert {'--seed', '--n-seeds', '--teacher-epochs', '--student-epochs'} <= set(acts), c
        assert not {'--seeds', '--teacher-steps', '--student-steps', '--teacher-passes'} & set(acts), c
    code, _, err = run_main(['run', '--teacher-steps', '5'], capsys)
    assert_one_line_error(code, err, 'unrecognized arguments: --teacher-steps 5')
