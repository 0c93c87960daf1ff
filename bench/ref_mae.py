"""A plain PyTorch Masked Autoencoder written the way the reference code (facebookresearch/mae) computes it.

Independent of maekd on purpose: its own attention (explicit softmax), MLP, numpy sin-cos tables and
masking. Same parameter names as the reference, so a maekd state dict loads into it with strict=True.
Used by `bench/bench_mae.py` (speed) and `tests/test_reference.py` (same numbers).
"""
import numpy as np
import torch, torch.nn as nn


def sincos_table(dim, n):
    "Reference-style 2-D sin-cos table for an n x n grid, with a zero class row (numpy, float64)."
    gw, gh = np.meshgrid(np.arange(n, dtype=np.float64), np.arange(n, dtype=np.float64))
    def one(d, pos):
        omega = 1. / 10000 ** (np.arange(d // 2, dtype=np.float64) / (d / 2.))
        out = np.einsum('m,d->md', pos.reshape(-1), omega)
        return np.concatenate([np.sin(out), np.cos(out)], axis=1)
    emb = np.concatenate([one(dim // 2, gw), one(dim // 2, gh)], axis=1)
    return np.concatenate([np.zeros([1, dim]), emb], axis=0)


class Attn(nn.Module):
    def __init__(self, dim, heads):
        super().__init__()
        self.heads, self.scale = heads, (dim // heads) ** -0.5
        self.qkv, self.proj = nn.Linear(dim, dim * 3), nn.Linear(dim, dim)

    def forward(self, x):
        B, N, C = x.shape
        q, k, v = self.qkv(x).reshape(B, N, 3, self.heads, C // self.heads).permute(2, 0, 3, 1, 4)
        a = ((q @ k.transpose(-2, -1)) * self.scale).softmax(dim=-1)
        return self.proj((a @ v).transpose(1, 2).reshape(B, N, C))


class Mlp(nn.Module):
    def __init__(self, dim, hidden):
        super().__init__()
        self.fc1, self.act, self.fc2 = nn.Linear(dim, hidden), nn.GELU(), nn.Linear(hidden, dim)

    def forward(self, x): return self.fc2(self.act(self.fc1(x)))


class Blk(nn.Module):
    def __init__(self, dim, heads, mlp_ratio):
        super().__init__()
        self.norm1, self.attn = nn.LayerNorm(dim, eps=1e-6), Attn(dim, heads)
        self.norm2, self.mlp = nn.LayerNorm(dim, eps=1e-6), Mlp(dim, int(dim * mlp_ratio))

    def forward(self, x):
        x = x + self.attn(self.norm1(x))
        return x + self.mlp(self.norm2(x))


class PE(nn.Module):
    def __init__(self, p, c, d):
        super().__init__()
        self.proj = nn.Conv2d(c, d, p, p)

    def forward(self, x): return self.proj(x).flatten(2).transpose(1, 2)


class RefMAE(nn.Module):
    def __init__(self, img_size=32, patch_size=4, in_chans=3, embed_dim=192, depth=12, num_heads=3,
                 decoder_embed_dim=128, decoder_depth=2, decoder_num_heads=4, mlp_ratio=4., norm_pix_loss=False):
        super().__init__()
        self.p, self.norm_pix_loss = patch_size, norm_pix_loss
        n = img_size // patch_size
        self.patch_embed = PE(patch_size, in_chans, embed_dim)
        self.cls_token = nn.Parameter(torch.zeros(1, 1, embed_dim))
        self.pos_embed = nn.Parameter(torch.from_numpy(sincos_table(embed_dim, n)).float()[None], requires_grad=False)
        self.blocks = nn.ModuleList([Blk(embed_dim, num_heads, mlp_ratio) for _ in range(depth)])
        self.norm = nn.LayerNorm(embed_dim, eps=1e-6)
        self.decoder_embed = nn.Linear(embed_dim, decoder_embed_dim)
        self.mask_token = nn.Parameter(torch.zeros(1, 1, decoder_embed_dim))
        self.decoder_pos_embed = nn.Parameter(torch.from_numpy(sincos_table(decoder_embed_dim, n)).float()[None],
                                              requires_grad=False)
        self.decoder_blocks = nn.ModuleList([Blk(decoder_embed_dim, decoder_num_heads, mlp_ratio)
                                             for _ in range(decoder_depth)])
        self.decoder_norm = nn.LayerNorm(decoder_embed_dim, eps=1e-6)
        self.decoder_pred = nn.Linear(decoder_embed_dim, patch_size ** 2 * in_chans)
        for m in self.modules():
            if isinstance(m, nn.Linear): nn.init.xavier_uniform_(m.weight); nn.init.zeros_(m.bias)
        nn.init.normal_(self.cls_token, std=.02); nn.init.normal_(self.mask_token, std=.02)

    def patchify(self, imgs):
        p = self.p
        N, C, H, W = imgs.shape
        x = imgs.reshape(N, C, H // p, p, W // p, p)
        return torch.einsum('nchpwq->nhwpqc', x).reshape(N, (H // p) * (W // p), p * p * C)

    def forward(self, imgs, mask_ratio=0.75, noise=None):
        x = self.patch_embed(imgs) + self.pos_embed[:, 1:, :]
        N, L, D = x.shape
        keep = int(L * (1 - mask_ratio))
        if noise is None: noise = torch.rand(N, L, device=x.device)
        ids_shuffle = torch.argsort(noise, dim=1)
        ids_restore = torch.argsort(ids_shuffle, dim=1)
        x = torch.gather(x, 1, ids_shuffle[:, :keep].unsqueeze(-1).repeat(1, 1, D))
        mask = torch.ones(N, L, device=x.device)
        mask[:, :keep] = 0
        mask = torch.gather(mask, 1, ids_restore)
        cls = (self.cls_token + self.pos_embed[:, :1, :]).expand(N, -1, -1)
        x = torch.cat((cls, x), dim=1)
        for b in self.blocks: x = b(x)
        x = self.decoder_embed(self.norm(x))
        toks = self.mask_token.repeat(N, L + 1 - x.shape[1], 1)
        x_ = torch.cat([x[:, 1:, :], toks], dim=1)
        x_ = torch.gather(x_, 1, ids_restore.unsqueeze(-1).repeat(1, 1, x.shape[2]))
        x = torch.cat([x[:, :1, :], x_], dim=1) + self.decoder_pos_embed
        for b in self.decoder_blocks: x = b(x)
        pred = self.decoder_pred(self.decoder_norm(x))[:, 1:, :]
        target = self.patchify(imgs)
        if self.norm_pix_loss:
            mean, var = target.mean(dim=-1, keepdim=True), target.var(dim=-1, keepdim=True)
            target = (target - mean) / (var + 1.e-6) ** .5
        loss = ((pred - target) ** 2).mean(dim=-1)
        return (loss * mask).sum() / mask.sum(), pred, mask
