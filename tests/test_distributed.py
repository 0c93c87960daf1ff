"Two CPU processes (gloo) under `accelerate launch`: every stage trains, ranks end identical, rank 0 alone writes."
import os, shutil, socket, subprocess
from pathlib import Path
import pandas as pd
import pytest

HERE = Path(__file__).parent


def free_port() -> int:
    "A TCP port nothing listens on now."
    with socket.socket() as s: s.bind(('127.0.0.1', 0)); return s.getsockname()[1]


def test_two_cpu_processes(tmp_path):
    launcher = shutil.which('accelerate') or pytest.fail('accelerate is not installed')
    env = {**os.environ, 'OMP_NUM_THREADS': '1', 'PYTHONWARNINGS': 'ignore'}
    cmd = [launcher, 'launch', '--multi_gpu', '--num_processes', '2', '--num_machines', '1', '--mixed_precision', 'no',
           '--dynamo_backend', 'no', '--main_process_port', str(free_port()), str(HERE / 'ddp_check.py'), str(tmp_path)]
    r = subprocess.run(cmd, capture_output=True, text=True, timeout=600, env=env)
    assert r.returncode == 0, r.stdout[-3000:] + r.stderr[-3000:]
    for stage in ('mae', 'teacher', 'student'):
        shas = [(tmp_path / f'{stage}.rank{i}.of2.sha').read_text() for i in range(2)]   # both ranks ran, as 2 processes
        assert shas[0] == shas[1], stage                                                # identical parameters
    h = pd.read_csv(tmp_path / 'mae' / 'history.csv')
    assert h['epoch'].tolist() == [0]                                                   # one writer: one row
    for f in ('mae/mae.safetensors', 'teacher/teacher.safetensors', 'student/student.safetensors'):
        assert (tmp_path / f).is_file()
