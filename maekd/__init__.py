"""Pretrain a ViT teacher as a Masked Autoencoder, distill it into small students, and measure what was gained."""
__version__ = "0.0.1"
