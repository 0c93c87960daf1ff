"""CUDA tests: each stage for 2 steps in fp32, bf16 and fp16 with finite losses, and fp32 on CUDA equal to the CPU.
They run where a GPU is present (`bench/gpu_check.py` runs them there) and are skipped on CPU-only machines."""
import json, math
import pandas as pd
import pytest
import torch

pytestmark = pytest.mark.skipif(not torch.cuda.is_available(), reason='needs a CUDA GPU (bench/gpu_check.py runs these on one)')


def finite(out):
    h = pd.read_csv(out / 'history.csv')
    return bool(h[['train_loss', 'valid_loss']].map(math.isfinite).all().all())


@pytest.mark.parametrize('precision', ['fp32', 'bf16', 'fp16'])
def test_stages_on_cuda(tmp_path, precision):
    from maekd.pretrain import pretrain
    from maekd.finetune import finetune
    from maekd.distill import distill
    if precision == 'bf16' and not torch.cuda.is_bf16_supported(): pytest.skip('this GPU has no bf16')
    kw = dict(device='cuda', precision=precision, quiet=True)
    pretrain(out=tmp_path / 'mae', epochs=1, **kw)
    finetune(mae=tmp_path / 'mae', out=tmp_path / 'teacher', steps=2, **kw)
    distill(teacher=tmp_path / 'teacher', out=tmp_path / 'online', steps=2, **kw)
    distill(teacher=tmp_path / 'teacher', out=tmp_path / 'cached', steps=2, cache_views=2, **kw)
    distill(teacher=tmp_path / 'teacher', out=tmp_path / 'masked', student='vit_nano', teacher_mask=0.5, keep_by='attention', steps=2, **kw)
    distill(teacher=tmp_path / 'teacher', out=tmp_path / 'labels', steps=2, label_frac=0.1, **kw)
    for s in ('mae', 'teacher', 'online', 'cached', 'masked', 'labels'):
        cfg = json.loads((tmp_path / s / 'config.json').read_text())
        assert cfg['device'].startswith('cuda') and cfg['precision'] == precision, (s, cfg['device'], cfg['precision'])
        assert finite(tmp_path / s), s


def test_fp32_cuda_matches_cpu():
    "The same weights, images and mask give the same MAE loss and classifier logits on CUDA (TF32 off) as on the CPU."
    from maekd.mae_model import create_mae
    from maekd.classifiers import create_student
    torch.manual_seed(0)
    mae, cnn = create_mae('mae_vit_micro_patch4', img_size=32, in_chans=3).eval(), create_student('cnn_tiny', 10, 3).eval()
    x, noise = torch.randn(8, 3, 32, 32), torch.rand(8, 64)
    tf32 = torch.backends.cuda.matmul.allow_tf32
    torch.backends.cuda.matmul.allow_tf32 = torch.backends.cudnn.allow_tf32 = False
    try:
        with torch.no_grad():
            cpu_loss, cpu_logits = mae(x, 0.75, noise)[0], cnn(x)
            gpu_loss, gpu_logits = mae.cuda()(x.cuda(), 0.75, noise.cuda())[0].cpu(), cnn.cuda()(x.cuda()).cpu()
    finally: torch.backends.cuda.matmul.allow_tf32 = torch.backends.cudnn.allow_tf32 = tf32
    assert abs(float(gpu_loss - cpu_loss)) <= 1e-3 * abs(float(cpu_loss))
    assert float((gpu_logits - cpu_logits).abs().max()) <= 1e-3 * float(cpu_logits.abs().max())
