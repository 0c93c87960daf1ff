"""The chapters read in order: none imports from a later one, the library never reads the study, and the README lists
the chapters in the order of their files.

A chapter's module is named by its `#| default_exp` cell; a chapter may import (in any cell, tests included) only the
modules of the chapters before it. The order is the files' names: the numbered chapters are the method as it runs,
a lettered one an aside placed before the first chapter that needs it; the study's chapters (`nbs/study/`, modules
`maekd.study.*`) come after the library's, and no library chapter or module imports them.
"""
import json, re
from pathlib import Path

NBS = Path(__file__).resolve().parents[1] / 'nbs'
IMPORT = re.compile(r'^\s*(?:from maekd\.([\w.]+) import|import maekd\.([\w.]+))', re.M)
PKG = NBS.parent / 'maekd'


def notebooks() -> list:
    "The chapters' notebooks in reading order: the library's (`nbs/`), then the study's (`nbs/study/`), each by name."
    return sorted(NBS.glob('[0-9]*.ipynb')) + sorted((NBS / 'study').glob('[0-9]*.ipynb'))


def stem(nb: Path) -> str:
    "A chapter's name as the README lists it: `04_distill`, `study/13_pipeline`."
    return nb.relative_to(NBS).with_suffix('').as_posix()


def chapters() -> dict:
    "module -> (notebook stem, the maekd modules its cells import), in the order of the files."
    out = {}
    for nb in notebooks():
        src = '\n'.join(''.join(c['source']) for c in json.loads(nb.read_text())['cells'] if c['cell_type'] == 'code')
        mod = re.search(r'#\| default_exp ([\w.]+)', src).group(1)
        out[mod] = stem(nb), {a or b for a, b in IMPORT.findall(src)} - {mod}
    return out


def later_imports(chs: dict) -> list:
    "(chapter, module) for every import of a module whose chapter comes later, or that no chapter defines."
    order = list(chs)
    return [(stem, m) for i, (stem, mods) in enumerate(chs.values()) for m in sorted(mods)
            if m not in chs or order.index(m) > i]


def test_no_chapter_imports_a_later_one():
    chs = chapters()
    assert len(chs) == len(notebooks()), 'two chapters export the same module'
    assert later_imports(chs) == []


def test_a_later_import_is_seen():
    chs = chapters()
    chs['masking'] = (chs['masking'][0], chs['masking'][1] | {'pipeline'})
    assert later_imports(chs) == [(chs['masking'][0], 'pipeline')]


def test_library_never_reads_the_study():
    "No library chapter (any cell) and no library module imports `maekd.study`; every study chapter exports into it."
    chs = chapters()
    lib = {m: (st, mods) for m, (st, mods) in chs.items() if not st.startswith('study/')}
    assert [st for st, mods in lib.values() if any(m.startswith('study') for m in mods)] == []
    assert all(m.startswith('study.') for m, (st, _) in chs.items() if st.startswith('study/'))
    reads = re.compile(r'^\s*(?:from \.study\b|from \. import study\b|from maekd\.study\b|import maekd\.study\b)', re.M)
    assert [p.name for p in PKG.glob('*.py') if reads.search(p.read_text())] == []


def test_readme_lists_chapters_in_order():
    readme = (NBS.parent / 'README.md').read_text()
    listed = re.findall(r'^\| `((?:study/)?\d\d[a-z]?_\w+)` \|', readme, re.M)
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
