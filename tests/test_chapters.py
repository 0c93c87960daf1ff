"""The chapters read in order: none imports from a later one, and the README lists them in the order of their files.

A chapter's module is named by its `#| default_exp` cell; a chapter may import (in any cell, tests included) only the
modules of the chapters before it. The order is the files' names: the numbered chapters are the method as it runs,
a lettered one an aside placed before the first chapter that needs it.
"""
import json, re
from pathlib import Path

NBS = Path(__file__).resolve().parents[1] / 'nbs'
IMPORT = re.compile(r'^\s*(?:from maekd\.(\w+) import|import maekd\.(\w+))', re.M)


def chapters() -> dict:
    "module -> (notebook stem, the maekd modules its cells import), in the order of the files."
    out = {}
    for nb in sorted(NBS.glob('[0-9]*.ipynb')):
        src = '\n'.join(''.join(c['source']) for c in json.loads(nb.read_text())['cells'] if c['cell_type'] == 'code')
        mod = re.search(r'#\| default_exp (\w+)', src).group(1)
        out[mod] = nb.stem, {a or b for a, b in IMPORT.findall(src)} - {mod}
    return out


def later_imports(chs: dict) -> list:
    "(chapter, module) for every import of a module whose chapter comes later, or that no chapter defines."
    order = list(chs)
    return [(stem, m) for i, (stem, mods) in enumerate(chs.values()) for m in sorted(mods)
            if m not in chs or order.index(m) > i]


def test_no_chapter_imports_a_later_one():
    chs = chapters()
    assert len(chs) == len(list(NBS.glob('[0-9]*.ipynb'))), 'two chapters export the same module'
    assert later_imports(chs) == []


def test_a_later_import_is_seen():
    chs = chapters()
    chs['masking'] = (chs['masking'][0], chs['masking'][1] | {'pipeline'})
    assert later_imports(chs) == [(chs['masking'][0], 'pipeline')]


def test_readme_lists_chapters_in_order():
    readme = (NBS.parent / 'README.md').read_text()
    listed = re.findall(r'^\| `(\d\d[a-z]?_\w+)` \|', readme, re.M)
    assert listed == [stem for stem, _ in chapters().values()]


def test_readme_first_screen():
    "The README stays under 200 lines, with the result tables and the install before line 60."
    lines = (NBS.parent / 'README.md').read_text().splitlines()
    assert len(lines) < 200, len(lines)
    first = '\n'.join(lines[:60])
    assert '## Install' in first and first.count('\n| ') >= 4, 'the first screen lost its result table or install'


def commented_commands(block: str) -> list:
    "Lines of a shell block whose comment holds a command (`&&`, `|` or `;` after the `#`): a reader's copy would not run it."
    return [ln for ln in block.splitlines() if '#' in ln and re.search(r'&&|\||;', ln.split('#', 1)[1])]


def test_readme_commands_run_as_shown():
    "No shell line of the README hides part of its command in a comment."
    blocks = re.findall(r'^```(?:sh|bash)\n(.*?)^```', (NBS.parent / 'README.md').read_text(), re.M | re.S)
    assert blocks and not [ln for b in blocks for ln in commented_commands(b)]
    assert commented_commands('python3 -m venv .venv   # Python 3.10 && source .venv/bin/activate')   # the slip it catches
