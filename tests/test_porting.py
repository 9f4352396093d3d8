"""Porting a typical PyTorch training script by changing only its imports.

The script below is ordinary PyTorch: a DataLoader with worker processes, BatchNorm, Adam
with weight decay, StepLR, ``torch.device``, ``.to(device)``, ``.cpu()``, ``Tensor.all()``,
``torch.save`` of a state_dict and ``torch.load(map_location=..., weights_only=True)``.
It is run as written with PyTorch, and again with its import lines rewritten to glassnet;
from the same initial weights both must train to the same losses, accuracies, learning
rates, logits and final weights.
"""

from __future__ import annotations

import numpy as np
import pytest

SCRIPT = '''
import torch
import torch.nn as nn
import torch.nn.functional as F
from torch.utils.data import DataLoader, TensorDataset

device = torch.device("cuda" if torch.cuda.is_available() else "cpu")


class MLP(nn.Module):
    def __init__(self, n_in, n_hidden, n_out):
        super().__init__()
        self.fc1 = nn.Linear(n_in, n_hidden)
        self.bn1 = nn.BatchNorm1d(n_hidden)
        self.fc2 = nn.Linear(n_hidden, n_out)

    def forward(self, x):
        x = F.relu(self.bn1(self.fc1(x)))
        return self.fc2(x)


def make_loaders(X, Y):
    x = torch.tensor(X, dtype=torch.float32)
    y = torch.tensor(Y, dtype=torch.long)
    train = TensorDataset(x[:96], y[:96])
    test = TensorDataset(x[96:], y[96:])
    train_loader = DataLoader(train, batch_size=16, shuffle=False, num_workers=2,
                              persistent_workers=True, pin_memory=True)
    test_loader = DataLoader(test, batch_size=32, num_workers=0)
    return train_loader, test_loader


def train_epoch(model, loader, optimizer):
    model.train()
    total = 0.0
    for xb, yb in loader:
        xb, yb = xb.to(device), yb.to(device)
        optimizer.zero_grad()
        loss = F.cross_entropy(model(xb), yb)
        loss.backward()
        optimizer.step()
        total += loss.item() * xb.size(0)
    return total / len(loader.dataset)


@torch.no_grad()
def evaluate(model, loader):
    model.eval()
    correct, n = 0, 0
    for xb, yb in loader:
        pred = model(xb.to(device)).argmax(dim=1)
        correct += (pred.cpu() == yb).sum().item()
        n += yb.numel()
    return correct / n


def main(X, Y, init, path):
    torch.manual_seed(0)
    train_loader, test_loader = make_loaders(X, Y)
    model = MLP(X.shape[1], 32, 3).to(device)
    model.load_state_dict({k: torch.tensor(v) for k, v in init.items()})
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-2, weight_decay=1e-4)
    scheduler = torch.optim.lr_scheduler.StepLR(optimizer, step_size=2, gamma=0.5)
    history = []
    for epoch in range(5):
        loss = train_epoch(model, train_loader, optimizer)
        scheduler.step()
        acc = evaluate(model, test_loader)
        history.append((loss, acc, scheduler.get_last_lr()[0]))
        print(f"epoch {epoch}: loss {loss:.4f} acc {acc:.3f}")
    torch.save(model.state_dict(), path)
    state = torch.load(path, map_location="cpu", weights_only=True)
    restored = MLP(X.shape[1], 32, 3).to(device)
    restored.load_state_dict(state)
    restored.eval()
    model.eval()
    with torch.no_grad():
        x = torch.tensor(X[96:], dtype=torch.float32, device=device)
        assert (restored(x) == model(x)).all()
        logits = model(x).cpu().numpy()
    weights = {k: v.detach().cpu().numpy() for k, v in model.state_dict().items()}
    return history, logits, weights
'''

IMPORTS = {
    "import torch\n": "import glassnet as torch\n",
    "import torch.nn as nn\n": "import glassnet.nn as nn\n",
    "import torch.nn.functional as F\n": "import glassnet.nn.functional as F\n",
    "from torch.utils.data import": "from glassnet.utils.data import",
}


def ported() -> str:
    src = SCRIPT
    for old, new in IMPORTS.items():
        assert src.count(old) == 1
        src = src.replace(old, new)
    # only the import lines changed
    changed = [a for a, b in zip(SCRIPT.splitlines(), src.splitlines()) if a != b]
    assert changed and all(line.startswith(("import ", "from ")) for line in changed)
    return src


def _run(source: str, X, Y, init, path):
    ns: dict = {"__name__": "ported_script"}
    exec(compile(source, "<script>", "exec"), ns)  # noqa: S102 - our own script
    return ns["main"](X, Y, init, path)


def _data():
    rng = np.random.default_rng(0)
    centers = rng.normal(0, 2.0, (3, 8))
    Y = rng.integers(0, 3, 128)
    X = (centers[Y] + rng.normal(0, 1.5, (128, 8))).astype(np.float32)
    return X, Y


def test_ported_script_matches_pytorch(tmp_path):
    torch = pytest.importorskip("torch")
    X, Y = _data()
    ns: dict = {}
    exec(compile(SCRIPT, "<script>", "exec"), ns)  # noqa: S102
    torch.manual_seed(1)
    init = {k: v.detach().numpy().copy() for k, v in ns["MLP"](8, 32, 3).state_dict().items()}

    h_t, logits_t, w_t = _run(SCRIPT, X, Y, init, str(tmp_path / "torch.pt"))
    h_g, logits_g, w_g = _run(ported(), X, Y, init, str(tmp_path / "glassnet.safetensors"))

    assert len(h_t) == len(h_g) == 5
    for (lt, at, rt), (lg, ag, rg) in zip(h_t, h_g):
        assert lg == pytest.approx(lt, rel=1e-4)
        assert ag == at
        assert rg == pytest.approx(rt, rel=1e-12)
    assert h_g[-1][0] < h_g[0][0]  # it learned
    np.testing.assert_allclose(logits_g, logits_t, rtol=1e-3, atol=1e-4)
    assert sorted(w_g) == sorted(w_t)
    for k in w_t:
        np.testing.assert_allclose(w_g[k], w_t[k], rtol=1e-3, atol=1e-4, err_msg=k)


def test_save_and_load_accept_pytorch_arguments(tmp_path):
    import io

    import glassnet as gn

    model = gn.nn.Sequential(gn.nn.Linear(3, 2), gn.nn.BatchNorm1d(2))
    path = tmp_path / "model.safetensors"
    gn.save(model.state_dict(), path)
    for kwargs in ({}, {"map_location": "cpu"}, {"map_location": gn.device("cpu")},
                   {"map_location": {"cuda:0": "cpu"}}, {"map_location": lambda s, loc: s},
                   {"weights_only": True}, {"weights_only": False},
                   {"map_location": "cpu", "weights_only": True}):
        state = gn.load(path, **kwargs)
        assert sorted(state) == sorted(model.state_dict())
        model.load_state_dict(state)
    buf = io.BytesIO()  # file objects work too
    gn.save({"epoch": 3, "weights": model.state_dict()}, buf)
    buf.seek(0)
    back = gn.load(buf, map_location="cpu", weights_only=True)
    assert back["epoch"] == 3
    np.testing.assert_array_equal(back["weights"]["0.weight"].detach().numpy(),
                                  model.state_dict()["0.weight"].detach().numpy())
    with pytest.raises(RuntimeError, match="CPU only"):
        gn.load(path, map_location="cuda:0")
    with pytest.raises(TypeError, match=r"whole model .*model\.state_dict\(\)"):
        gn.save(model, tmp_path / "whole.safetensors")
    opt = gn.optim.SGD(model.parameters(), lr=0.1)
    with pytest.raises(TypeError, match=r"optimizer\.state_dict\(\)"):
        gn.save({"opt": opt}, tmp_path / "opt.safetensors")
    assert not (tmp_path / "whole.safetensors").exists()
