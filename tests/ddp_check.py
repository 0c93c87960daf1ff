"""Run by tests/test_distributed.py under `accelerate launch`: pretrain, fine-tune and distill for one
short epoch each, then every rank writes a checksum of its final parameters next to the outputs."""
import hashlib, sys, warnings
from pathlib import Path
warnings.filterwarnings('ignore')
from fastai.torch_core import rank_distrib, num_distrib
from maekd.pretrain import pretrain
from maekd.core import student_of
from maekd.finetune import finetune
from maekd.distill import distill

out = Path(sys.argv[1])
kw = dict(img_size=16, epochs=1, quiet=True)
runs = {'mae': pretrain(out=out/'mae', **kw),
        'teacher': finetune(str(out/'mae'), out=out/'teacher', bs=16, **kw),
        'student': distill(str(out/'teacher'), out=out/'student', **kw)}
for name, learn in runs.items():
    h = hashlib.sha1()
    for n, p in student_of(learn.model).named_parameters(): h.update(n.encode()); h.update(p.detach().cpu().numpy().tobytes())
    (out/f'{name}.rank{rank_distrib()}.of{num_distrib()}.sha').write_text(h.hexdigest())
