"""Check the docs site that `nbdev-docs` built into `_docs/`: `python .ci/check_site.py [_docs]` exits 1 on a problem.

A reader of the site must not meet a missing picture, a link to a page or an anchor that does not exist, or a home
page without the results it promises. Each page's HTML is read with the standard library's parser: every `<img>`
must name a file of the site (or a data URI), every link inside the site must name an existing page and, after `#`,
an element of that page with that `id`; the home page must hold the result tables and the Pareto picture that the
README shows. External links (http, https, mailto) are not followed: this machine has no internet.
"""
import sys
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import unquote, urlsplit


class Page(HTMLParser):
    "The ids, image sources, link targets and table texts of one HTML page."
    def __init__(self, text):
        super().__init__(); self.ids, self.imgs, self.links, self.tables, self._t = set(), [], [], [], None
        self.feed(text)
    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if a.get('id'): self.ids.add(a['id'])
        if tag == 'img' and a.get('src'): self.imgs.append(a['src'])
        if tag == 'a' and a.get('href'): self.links.append(a['href'])
        if tag == 'table': self._t = []
    def handle_data(self, data):
        if self._t is not None: self._t.append(data)
    def handle_endtag(self, tag):
        if tag == 'table' and self._t is not None: self.tables.append(' '.join(''.join(self._t).split())); self._t = None


def local(url: str) -> bool:
    "A link or source inside the site (not another site, a mail address, a data URI or a search box)."
    return not urlsplit(url).scheme and not url.startswith(('//', 'data:'))


def problems(site: Path) -> list:
    "Every missing picture, missing page, missing anchor, and what the home page lacks, as one line each."
    site = site.resolve()
    pages = {p: Page(p.read_text(errors='replace')) for p in site.rglob('*.html')}
    out = []
    for p, pg in pages.items():
        name = p.relative_to(site)
        for src in filter(local, pg.imgs):
            if not (p.parent / unquote(urlsplit(src).path)).exists(): out.append(f'{name}: missing picture {src}')
        for href in filter(local, pg.links):
            u = urlsplit(href); target = (p.parent / unquote(u.path)).resolve() if u.path else p.resolve()
            if u.path and not target.exists(): out.append(f'{name}: link to a missing page {href}'); continue
            if u.fragment and target in pages and unquote(u.fragment) not in pages[target].ids:
                out.append(f'{name}: link to a missing anchor {href}')
    home = pages.get(site / 'index.html')
    if home is None: return out + ['no home page (index.html)']
    if not any('gain of' in t and 'teacher - teacher_scratch' in t and 'paid' in t for t in home.tables):
        out.append('index.html: the verdict table is missing')
    if not any('top-1 %' in t and 'student_kd' in t for t in home.tables): out.append('index.html: the results table is missing')
    if not any(s.endswith('pareto.png') for s in home.imgs): out.append('index.html: the Pareto picture is missing')
    return out


if __name__ == '__main__':
    site = Path(sys.argv[1] if len(sys.argv) > 1 else '_docs')
    found = problems(site)
    n = len(list(site.rglob('*.html')))
    for line in found: print(line)
    print(f'{n} pages checked: {len(found)} problems')
    sys.exit(1 if found or n == 0 else 0)
