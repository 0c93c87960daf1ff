"""The stored outputs of the chapters' cells that render a stored result agree with what the files give now.

A cell that shows a stored file (a run's report, a bench's table) opens with a comment `# renders FILE`. `nbdev-test` runs
such cells but never compares what they show with what the notebook stored, so a file can change under a chapter that
still shows the old numbers. Here each marked cell runs again, alone, with the names of its chapter's module and the
chapter's import cells (a marked cell builds what it shows from files, not from earlier cells), in `nbs/` as the
notebooks run; its printed text and its markdown or text result must equal the stored ones. Pictures are not compared
(a PNG's bytes change with matplotlib's version, not with the numbers).

Why not nbval's lax mode: it runs every cell of a notebook (the training cells too) to reach the marked ones, which
would double the time the notebooks take in CI; these cells need only the files and the package.
"""
import ast, contextlib, importlib, io, json, os, re
from pathlib import Path
import matplotlib
import pytest

matplotlib.use('Agg')
NBS = Path(__file__).resolve().parents[1] / 'nbs'
MARK = re.compile(r'^# renders (\S+)', re.M)


def marked() -> list:
    "(notebook, cell) for every code cell that opens with `# renders FILE`."
    nbs = {nb: json.loads(nb.read_text()) for nb in sorted(NBS.rglob('*.ipynb'))}
    return [pytest.param(nb.parent, d, c, id=f"{nb.stem}:{c['id']}") for nb, d in nbs.items() for c in d['cells']
            if c['cell_type'] == 'code' and MARK.search(''.join(c['source']))]

MARKED = marked()                                             # read once: the count below and the parametrize share it


def namespace(d: dict) -> dict:
    "The chapter's module (private names too) plus the imports its cells make at their top level."
    exp = next(''.join(c['source']) for c in d['cells'] if '#| default_exp' in ''.join(c['source']))    # e.g. `study.verdicts`
    ns = dict(vars(importlib.import_module('maekd.' + exp.split('default_exp')[1].split()[0])))
    for c in d['cells']:
        src = ''.join(c['source'])
        if c['cell_type'] != 'code' or src.lstrip().startswith(('%', '!')): continue
        imports = [n for n in ast.parse(src).body if isinstance(n, (ast.Import, ast.ImportFrom))]
        if imports: exec(compile(ast.Module(imports, type_ignores=[]), 'imports', 'exec'), ns)
    return ns


def rerun(src: str, ns: dict, where: Path = NBS) -> tuple:
    "Run a cell as a notebook would, in its notebook's folder `where`: (what it printed, its last expression's value, None after a trailing `;`)."
    tree = ast.parse(src)
    last = tree.body.pop() if isinstance(tree.body[-1], ast.Expr) and not src.rstrip().endswith(';') else None
    out, cwd = io.StringIO(), os.getcwd()
    os.chdir(where)
    try:
        with contextlib.redirect_stdout(out):
            exec(compile(tree, 'cell', 'exec'), ns)
            val = eval(compile(ast.Expression(last.value), 'cell', 'eval'), ns) if last else None
    finally:
        os.chdir(cwd)
        matplotlib.pyplot.close('all')
    return out.getvalue(), val


def stored(c: dict) -> tuple:
    "(the printed text, the markdown or else plain text of the result) a cell stored."
    text = ''.join(''.join(o['text']) for o in c['outputs'] if o['output_type'] == 'stream')
    res = [o['data'] for o in c['outputs'] if o['output_type'] == 'execute_result']
    shown = res and ''.join(res[0].get('text/markdown') or res[0].get('text/plain', ''))
    return text, shown or None


def test_cells_are_marked():
    "The chapters that render stored results mark those cells (so the test below has something to compare)."
    assert len(MARKED) >= 10


@pytest.mark.parametrize('where,d,c', MARKED)
def test_stored_output_is_current(where, d, c):
    src = ''.join(c['source'])
    assert (where / MARK.search(src)[1]).exists(), f'the file this cell renders is missing: {MARK.search(src)[1]}'
    text, val = rerun(src, namespace(d), where)
    now = None if val is None else getattr(val, 'data', None) or repr(val)
    want_text, want = stored(c)
    assert (want_text, want) != ('', None), 'the cell stores no output: run the notebook and store it'
    assert text == want_text, 'printed text differs from the stored output: run the chapter again and store its outputs'
    assert now == want, 'the result differs from the stored output: run the chapter again and store its outputs'


def noise(c: dict) -> list:
    "What a reader should not have to read in a cell's stored outputs: progress bars, warnings, the same picture twice."
    streams = [''.join(o['text']) for o in c.get('outputs', []) if o['output_type'] == 'stream']
    pngs = [o['data']['image/png'] for o in c.get('outputs', []) if 'image/png' in o.get('data', {})]
    return ([f'a progress bar: {s[:60]!r}' for s in streams if '\r' in s or '█' in s] +
            [f'a warning: {s[:80]!r}' for s in streams if 'Warning' in s or 'warnings.warn' in s] +
            (['the same picture twice'] if len(set(pngs)) < len(pngs) else []))


@pytest.mark.parametrize('nb', sorted(NBS.rglob('*.ipynb')), ids=lambda p: p.stem)
def test_no_noise(nb):
    "Stored outputs hold no progress bar, warning or repeated picture (`python .ci/store_outputs.py NB` stores them clean)."
    found = [f"{c['id']}: {n}" for c in json.loads(nb.read_text())['cells'] if c['cell_type'] == 'code' for n in noise(c)]
    assert not found, f'{nb.name}: ' + '; '.join(found)


def test_noise_is_seen():
    "The check above fails on what the chapters used to store."
    bar = {'outputs': [{'output_type': 'stream', 'name': 'stdout', 'text': ['epoch\n█\r |---| 0.00% [0/6 00:00<?]\r0  1.2\n']}]}
    warn = {'outputs': [{'output_type': 'stream', 'name': 'stderr', 'text': ['x.py:1: FutureWarning: deprecated\n']}]}
    twice = {'outputs': [{'output_type': 'display_data', 'data': {'image/png': 'iVBO'}}] * 2}
    assert [len(noise(c)) for c in (bar, warn, twice)] == [1, 1, 1]
