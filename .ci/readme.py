"""Render nbs/index.ipynb into README.md without Quarto (which cannot be installed offline).

Markdown cells are copied, code cells become python blocks followed by their text output; cells marked
`#| hide` are left out. `python .ci/readme.py --check` exits 1 when README.md is out of date.
"""
import json, sys
from pathlib import Path

root = Path(__file__).resolve().parents[1]


def render(nb):
    out = []
    for c in nb['cells']:
        src = ''.join(c['source'])
        if c['cell_type'] == 'markdown': out.append(src.replace('](images/', '](nbs/images/')); continue
        if '#| hide' in src: continue
        out.append('```python\n' + '\n'.join(l for l in src.splitlines() if not l.startswith('#|')) + '\n```')
        for o in c.get('outputs', []):
            txt = ''.join(o.get('text', '') or o.get('data', {}).get('text/plain', ''))
            if txt.strip(): out.append('    ' + txt.rstrip().replace('\n', '\n    '))
    return '\n\n'.join(out) + '\n'


if __name__ == '__main__':
    nb = json.loads((root / 'nbs' / 'index.ipynb').read_text())
    md = '<!-- generated from nbs/index.ipynb by .ci/readme.py: do not edit -->\n\n' + render(nb)
    readme = root / 'README.md'
    if '--check' in sys.argv:
        ok = readme.exists() and readme.read_text() == md
        if not ok: print('README.md is out of date: run `python .ci/readme.py`')
        sys.exit(0 if ok else 1)
    readme.write_text(md)
