"""ONNX and int8 for the segmenters of a stored `maekd seg-run`: test mIoU (at the label maps' full resolution) and batch-1
latency on one thread of the PyTorch model, its ONNX export and its static int8 quantisation (7-bit weights, calibrated
on training frames), for each seed.

    python bench/seg_onnx.py runs/camvid      # writes bench/results/seg_onnx.{md,json}
"""
import json, sys
from pathlib import Path
import pandas as pd
import torch
from maekd.core import md_table, write_json
from maekd.evaluate import export_onnx, onnx_predict, onnx_latency, quantize_int8, latency, machine_info, machine_line
from maekd.seg_data import load_seg
from maekd.segment import load_segmenter, confusion, iou_scores

OUT = Path(__file__).parent / 'results'


def normalised(seg, rows, stats) -> torch.Tensor:
    "The frames `rows` as the segmenter reads them."
    mean, std = (torch.tensor(s)[:, None, None] for s in stats)
    return (seg.x[rows].float() / 255 - mean) / std


def miou(logits_of, seg, x, rows, bs=16) -> float:
    "Test mIoU of a function from normalised frames to logits."
    cm = sum(confusion(logits_of(x[i:i + bs]), seg.full[rows[i:i + bs]], len(seg.classes), seg.void) for i in range(0, len(x), bs))
    return iou_scores(cm, seg.classes)['miou']


def one(folder: Path, seg) -> dict:
    "PyTorch, ONNX and int8 mIoU and latency of the segmenter in `folder`."
    model, spec = load_segmenter(folder)
    model.eval()
    test = seg.parts['test']
    x, calib = normalised(seg, test, spec['stats']), normalised(seg, seg.parts['train'][:64], spec['stats'])
    d = folder / 'onnx'; d.mkdir(exist_ok=True)
    check = export_onnx(model, x, d / 'model.onnx')
    quantize_int8(d / 'model.onnx', d / 'int8.onnx', calib)
    with torch.no_grad(): fp = miou(model, seg, x, test)
    lat = lambda f: round(f['p50'], 2)
    return dict(miou=round(fp * 100, 1), onnx_miou=round(miou(lambda b: onnx_predict(d / 'model.onnx', b), seg, x, test) * 100, 1),
                int8_miou=round(miou(lambda b: onnx_predict(d / 'int8.onnx', b), seg, x, test) * 100, 1),
                ms=lat(latency(model, x[:1], runs=50, threads=1)), onnx_ms=lat(onnx_latency(d / 'model.onnx', x[:1], runs=50)),
                int8_ms=lat(onnx_latency(d / 'int8.onnx', x[:1], runs=50)), onnx_matches=bool(check['ok']),
                int8_kb=round((d / 'int8.onnx').stat().st_size / 1024), fp32_kb=round((d / 'model.onnx').stat().st_size / 1024))


def main(run, rows=('teacher', 'student_kd', 'student_scratch')):
    run = Path(run)
    cfg = json.loads((run / 'seg_run.json').read_text())
    seg = load_seg(cfg['data'], tuple(cfg['frame_size']), cfg['void'])
    recs = [dict(seed=s, model=r, **one(run / f'seed{s}' / r, seg)) for s in cfg['seeds'] for r in rows]
    df = pd.DataFrame(recs)
    mean = df.drop(columns='seed').groupby('model', sort=False).mean(numeric_only=True).round(2).reset_index()
    m = machine_info()
    md = (f"# ONNX and int8 segmenters\n\nFrom `python bench/seg_onnx.py {run}` ({machine_line(m)[:-1]}): the segmenters of "
          f"`maekd seg-run` ({len(cfg['seeds'])} seeds), test mIoU % at the label maps' full resolution, latency p50 in ms at batch 1 "
          f"on one thread ({cfg['frame_size'][0]}x{cfg['frame_size'][1]} frames), int8: static QDQ, 7-bit weights, calibrated on 64 "
          f"training frames. Mean over seeds:\n\n{md_table(mean)}\n\nPer seed:\n\n{md_table(df)}\n")
    OUT.mkdir(exist_ok=True)
    (OUT / 'seg_onnx.md').write_text(md)
    write_json(dict(run=str(run), machine=m, rows=recs), OUT / 'seg_onnx.json')
    print(md)


if __name__ == '__main__': main(*sys.argv[1:])
