"""The lines the lever benches print: an arm's per-seed values as mean +- std, and paired gains with their 95% interval."""
import argparse, json
from pathlib import Path
import numpy as np
from maekd.study.gains import paired_gain, ci_verdict, gains_text

GAIN_HEAD = ['| lever | gain (points) | 95% CI | says | per seed |', '|---|---|---|---|---|']


def spread(v) -> str:
    "Per-seed values as `mean +- std` (std 0 for one value), one decimal."
    return f"{np.mean(v):.1f} +- {np.std(v, ddof=1) if len(v) > 1 else 0.:.1f}"


def per_seed(v) -> str:
    "Per-seed values as text, one decimal."
    return ' '.join(f'{x:.1f}' for x in v)


def gain_line(what:str, a, b) -> str:
    "A table line: the paired gain of `a` over `b` (per-seed values, same order), its interval and what it says."
    g = paired_gain(a, b)
    return f"| {what} | {g['mean']:+.1f} | {g['lo']:+.1f} to {g['hi']:+.1f} | {ci_verdict(g['lo'], g['hi'])} | {gains_text(g['gains'])} |"


def gain_lines(acc:dict, pairs) -> list:
    "The gain table of each `(a, b, what)` of `pairs` whose arms are both in `acc` (arm -> per-seed values)."
    return GAIN_HEAD + [gain_line(f'{what} ({a} vs {b})', acc[a], acc[b]) for a, b, what in pairs if a in acc and b in acc]


def store(res, text:str, data:dict):
    "Write a bench's page `res`.md and its numbers `res`.json, and print the page."
    res = Path(res)
    res.with_suffix('.md').write_text(text)
    res.with_suffix('.json').write_text(json.dumps(data, indent=1))
    print(text)


def photo_parser(doc:str) -> argparse.ArgumentParser:
    "A bench's options, described by the first line of `doc`, starting with the photo folder --data (the bench adds its own)."
    ap = argparse.ArgumentParser(description=doc.splitlines()[0])
    ap.add_argument('--data', required=True, help='a folder of class folders (e.g. ../shared/data/cifar10_sub)')
    return ap


def lever_parser(doc:str, out:str, mae_help:str, seeds:int=3) -> argparse.ArgumentParser:
    "The options of a bench of teacher arms: --data, --mae, --seeds and --out (the bench adds its own)."
    ap = photo_parser(doc)
    ap.add_argument('--mae', required=True, help=mae_help)
    ap.add_argument('--seeds', type=int, default=seeds)
    ap.add_argument('--out', default=out)
    return ap
