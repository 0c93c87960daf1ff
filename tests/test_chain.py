"The stages chain with their defaults, `maekd report` scores any models, and every option name means one thing."
import argparse, json, re
from collections import defaultdict
import pandas as pd
import torch
from maekd.cli import load_commands, command_parser
from maekd.classifiers import create_student
from helpers import run_main, assert_one_line_error


def parsers():
    "command -> its argparse parser, as `maekd COMMAND -h` shows it."
    return {c: command_parser(f, f'maekd {c}') for c, f in load_commands().items()}


def options(p):
    "The visible options of a parser."
    return [a for a in p._actions if a.option_strings and a.help != argparse.SUPPRESS and a.dest != 'help']


def task(command:str) -> str:
    "The task a command belongs to: `seg-*` commands segment, `det-*` ones detect, the others classify (`--data`, `--method` mean each task's own)."
    return {'seg': 'segmentation', 'det': 'detection'}.get(command.split('-')[0], 'classification')


def test_every_option_name_means_one_thing():
    "Across the commands of a task an option has one help text (defaults aside), one type, one set of choices, and one kind."
    seen = defaultdict(dict)
    for c, p in parsers().items():
        for a in options(p):
            seen[task(c), a.option_strings[-1]][c] = (re.sub(r' \(default: [^)]*\)$', '', a.help), a.metavar, a.choices, type(a).__name__)
    shared = {o: d for o, d in seen.items() if len(d) > 1}
    assert len(shared) >= 10                                                  # the walk found the shared options
    for o, d in shared.items(): assert len(set(map(str, d.values()))) == 1, (o, d)


def declared_help(f) -> dict:
    "option -> the help text its command declares on its type (`Annotated[..., shared_help.NAME]`), None where a comment gives it."
    import inspect, typing
    hints = typing.get_type_hints(f, include_extras=True)
    return {n: (typing.get_args(hints[n])[1] if typing.get_origin(hints.get(n)) is typing.Annotated else None)
            for n in inspect.signature(f).parameters}


def test_shared_help_declared_once():
    "An option that several commands of a task take reads its one help text from `shared_help` (segmentation: `seg_help` first; detection: `det_help`) in every command."
    from maekd.stage import shared_help
    from maekd.segment import seg_help
    from maekd.detect import det_help
    decl = {c: declared_help(f) for c, f in load_commands().items()}
    table = {'classification': shared_help, 'segmentation': {**shared_help, **seg_help}, 'detection': {**shared_help, **det_help}}
    takers = defaultdict(list)
    for c, d in decl.items():
        for n in d: takers[task(c), n].append(c)
    shared = {k for k, cs in takers.items() if len(cs) > 1 and k[1] not in ('models', 'kwargs')}
    assert len(shared) >= 15
    copies = [(c, n) for t, n in shared for c in takers[t, n] if decl[c][n] != table[t].get(n)]
    assert copies == [], copies


def test_help_reads_right():
    "Metavars are type names, negated switches say what they turn off, and no option is left without help."
    for c, p in parsers().items():
        for a in options(p):
            assert a.help, (c, a.dest)
            assert not (a.metavar or '').startswith('('), (c, a.dest, a.metavar)      # PATH, INT, FLOAT, NAME: not '(str)'
            if isinstance(a, argparse._StoreFalseAction): assert a.help.startswith('Turn off:') and 'default: True' not in a.help, (c, a.help)
    assert 'run' in parsers() and '--tune-seeds' in parsers()['run']._option_string_actions and '--tune-lr' not in parsers()['run']._option_string_actions


def test_three_commands_chain_with_defaults(tmp_path, monkeypatch, capsys):
    "`maekd pretrain`, `maekd finetune`, `maekd distill` with no options: the MAE teacher, then its distilled student."
    monkeypatch.chdir(tmp_path)
    code, _, err = run_main(['finetune', '--epochs', '0.1'], capsys)
    assert_one_line_error(code, err, 'runs/mae: make it with maekd pretrain, or pass --scratch')
    code, _, err = run_main(['distill', '--epochs', '0.1'], capsys)
    assert_one_line_error(code, err, 'runs/teacher: make it with maekd finetune')
    for cmd in (['pretrain', '--epochs', '1'], ['finetune', '--epochs', '0.2'], ['distill', '--epochs', '0.2']):
        code, _, err = run_main([*cmd, '--quiet'], capsys)
        assert code == 0, (cmd, err)
    teacher, student = (json.loads((tmp_path / 'runs' / n / 'config.json').read_text()) for n in ('teacher', 'student'))
    assert teacher['mae'] == 'runs/mae' and teacher['layer_decay'] == 0.75 and teacher['img_size'] == 32
    assert student['teacher'] == 'runs/teacher' and student['stage'] == 'distill' and not student['use_labels']
    assert (tmp_path / 'runs' / 'student' / 'student.safetensors').is_file()


def test_student_from_local_weights(tmp_path, capsys):
    "A student starts from a state dict saved on disk; a head for other classes is re-initialised, in one line."
    torch.save(create_student('cnn_tiny', num_classes=4, in_chans=1).state_dict(), tmp_path / 'w.pth')
    code, out, err = run_main(['finetune', '--student', 'cnn_tiny', '--student-weights', tmp_path / 'w.pth', '--out', tmp_path / 's',
                               '--epochs', '0.1', '--img-size', '16'], capsys)
    assert code == 0, err
    assert [l for l in out.splitlines() if 'head re-initialised' in l] == [f'{tmp_path / "w.pth"}: classifier head re-initialised (4 classes in the file, 10 here)']
    code, _, err = run_main(['finetune', '--student-weights', tmp_path / 'w.pth', '--out', tmp_path / 'x'], capsys)
    assert_one_line_error(code, err, '--student-weights needs --student')


def test_report_reproduces_a_run(tmp_path, capsys, quick_run):
    "`maekd report` on a run's seed folder gives the run's top-1, parameters and FLOPs for every model."
    code, err, _ = quick_run                                  # `maekd run --preset quick --out demo --quiet`, this test's copy
    assert code == 0, err
    code, out, err = run_main(['report', tmp_path / 'demo' / 'seed42', '--out', tmp_path / 'rep', '--runs', '5', '--no-onnx'], capsys)
    assert code == 0, err
    run_df = pd.read_csv(tmp_path / 'demo' / 'seed42' / 'report.csv').set_index('model')
    rep = pd.read_csv(tmp_path / 'rep' / 'report.csv').set_index('model')
    assert sorted(rep.index) == sorted(run_df.index)                   # the MAE folder is not a classifier: left out
    cols = ['top1', 'agreement', 'params', 'flops']
    pd.testing.assert_frame_equal(rep.loc[run_df.index, cols], run_df[cols])
    assert '| student_kd |' in (tmp_path / 'rep' / 'report.md').read_text() and (tmp_path / 'rep' / 'pareto.png').is_file()
    code, _, err = run_main(['report', tmp_path / 'demo' / 'seed42', '--out', tmp_path / 'rep'], capsys)
    assert_one_line_error(code, err, 'is not empty')
