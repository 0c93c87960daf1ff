"maekd's MAE gives the reference algorithm's numbers for the same weights, images and noise."
import argparse
import pytest, torch
from ref_mae import RefMAE
from maekd.mae_model import create_mae, load_mae_checkpoint, save_mae_checkpoint

CFG = dict(img_size=32, patch_size=4, in_chans=3, embed_dim=64, depth=3, num_heads=4,
           decoder_embed_dim=32, decoder_depth=2, decoder_num_heads=4)


@pytest.mark.parametrize('norm_pix', [False, True])
def test_same_numbers_as_reference(norm_pix):
    torch.manual_seed(0)
    ref = RefMAE(**CFG, norm_pix_loss=norm_pix)
    ours = create_mae('mae_vit_micro_patch4', **CFG, norm_pix_loss=norm_pix)
    # the reference's own (randomly initialised) weights
    ours.load_state_dict(ref.state_dict(), strict=True)   # identical key names and shapes
    imgs, noise = torch.randn(4, 3, 32, 32), torch.rand(4, 64)
    with torch.no_grad():
        l1, p1, m1 = ref(imgs, 0.75, noise)
        l2, p2, m2 = ours(imgs, 0.75, noise)
    assert torch.equal(m1, m2)
    assert torch.allclose(p1, p2, atol=1e-5), (p1 - p2).abs().max()
    assert abs(l1.item() - l2.item()) < 1e-5


def test_reference_file_format_loads(tmp_path):
    torch.manual_seed(1)
    ref = RefMAE(**CFG)
    path = tmp_path / 'checkpoint-7.pth'
    torch.save({'model': ref.state_dict(), 'optimizer': {}, 'epoch': 7, 'scaler': {},
                'args': argparse.Namespace(model='mae_vit_base_patch16', mask_ratio=0.75)}, path)
    ours = create_mae('mae_vit_micro_patch4', **CFG)
    assert load_mae_checkpoint(ours, path) == []            # a full checkpoint: nothing missing
    imgs, noise = torch.randn(2, 3, 32, 32), torch.rand(2, 64)
    with torch.no_grad(): assert abs(ref(imgs, 0.75, noise)[0] - ours(imgs, 0.75, noise)[0]) < 1e-5


def test_our_pth_loads_into_reference(tmp_path):
    ours = create_mae('mae_vit_micro_patch4', **CFG)
    save_mae_checkpoint(ours, tmp_path / 'mae.pth')
    ref = RefMAE(**CFG)
    ref.load_state_dict(torch.load(tmp_path / 'mae.pth', weights_only=True)['model'], strict=True)


def test_sincos_tables_equal_reference():
    ref, ours = RefMAE(**CFG), create_mae('mae_vit_micro_patch4', **CFG)
    assert torch.equal(ref.pos_embed, ours.pos_embed)
    assert torch.equal(ref.decoder_pos_embed, ours.decoder_pos_embed)


def test_timm_mae_encoder_weights_load(capsys):
    "timm's `vit_*.mae` weights are a VisionTransformer without head: same encoder keys, no decoder."
    from functools import partial
    from timm.models.vision_transformer import VisionTransformer
    enc = VisionTransformer(img_size=32, patch_size=4, in_chans=3, num_classes=0, global_pool='', embed_dim=64, depth=3,
                            num_heads=4, qkv_bias=True, norm_layer=partial(torch.nn.LayerNorm, eps=1e-6))
    ours = create_mae('mae_vit_micro_patch4', **CFG)
    missing = load_mae_checkpoint(ours, enc.state_dict())
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith('maekd: checkpoint has no decoder')      # one plain line, no warning
    assert all(k.startswith(('mask_token', 'decoder_')) for k in missing)
    x = torch.randn(2, 3, 32, 32)
    with torch.no_grad(): assert torch.allclose(ours.forward_features(x), enc.forward_features(x), atol=1e-5)
