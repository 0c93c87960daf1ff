"""Store the outputs a reader sees: `python .ci/store_outputs.py nbs/02b_finetune.ipynb ...` (no argument: every chapter).

Each notebook runs as `nbdev-test` runs it (in `nbs/`, `IN_TEST=1`, the slow cells left out) and the outputs of the cells
it ran are stored as a reader would want them: a stream is shown as a terminal ends up showing it (a line a carriage
return redrew keeps only its last part, so fastprogress's console bars leave the epoch table they draw around), and
warnings on stderr are left out. Cells that did not run (the slow ones) keep what they had, cleaned the same way.
`tests/test_outputs.py::test_no_noise` fails when a stored output still holds a bar or a warning.
"""
import json, os, sys, time
from pathlib import Path
from nbdev.process import NBProcessor
from nbdev.test import _skip_cell
from nbdev.config import get_config
from execnb.shell import CaptureShell

NBS = Path(__file__).resolve().parents[1] / 'nbs'


def as_terminal(txt: str) -> str:
    "What a terminal shows at the end: a line a carriage return redrew keeps its last part, or goes when that is blank or a bar."
    redrawn = lambda ln: ln.rsplit('\r', 1)[-1].rstrip()
    return '\n'.join(redrawn(ln) if '\r' in ln else ln for ln in txt.split('\n') if '\r' not in ln or redrawn(ln).strip(' █'))


def is_warning(o: dict) -> bool:
    "A warning on stderr."
    txt = ''.join(o.get('text', ''))
    return o.get('name') == 'stderr' and ('Warning' in txt or 'warnings.warn' in txt)


def cleaned(outs: list) -> list:
    "The outputs a reader should see: streams as a terminal shows them, no warnings, no empty streams."
    res = []
    for o in map(dict, outs):
        if o.get('output_type') == 'stream':
            if is_warning(o): continue
            o['text'] = as_terminal(''.join(o['text']))
            if not o['text'].strip(): continue
        res.append(o)
    return res


def store(fn: Path) -> int:
    "Run one notebook as nbdev-test does and store its cleaned outputs; the number of cells run."
    nb = NBProcessor(fn, rm_directives=False, process=True).nb
    cwd = os.getcwd(); os.chdir(fn.parent)
    try: CaptureShell(fn).run_all(nb, exc_stop=True, preproc=_skip_cell(nb, list(get_config().tst_flags)))
    finally: os.chdir(cwd)
    ran = {c.id: cleaned(c.get('outputs', [])) for c in nb.cells if c.cell_type == 'code' and 'execution' in c.get('metadata', {})}
    d = json.loads(fn.read_text())
    for c in d['cells']:
        if c['cell_type'] == 'code': c['outputs'] = ran.get(c.get('id'), cleaned(c.get('outputs', [])))   # a slow cell: its old outputs, cleaned
    fn.write_text(json.dumps(d, indent=1, ensure_ascii=False) + '\n')
    return len(ran)


if __name__ == '__main__':
    os.environ['IN_TEST'] = '1'
    for f in [Path(a).resolve() for a in sys.argv[1:]] or sorted(NBS.rglob('[0-9]*.ipynb')):
        t0 = time.time(); n = store(f)
        print(f'{f.name}: {n} cells run and stored, {time.time() - t0:.0f} s', flush=True)
