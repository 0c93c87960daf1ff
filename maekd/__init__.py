"""Pretrain a ViT teacher as a Masked Autoencoder, distill it into small students, and measure what was gained."""
__version__ = "0.1.0"

import warnings
# fastai 2.8 compiles a few layers with torch.jit.script at import, which current PyTorch flags as deprecated
warnings.filterwarnings('ignore', message='`torch.jit.script` is deprecated', category=FutureWarning)
