"""Export a playground session: a runnable glassnet script and the weights as safetensors.

The script rebuilds the same data (the generator's own source is copied in, seeded the
same way, with the points added by clicking), the same input features, network, loss and
optimizer, optionally loads the exported weights, trains and prints the losses. Run with
``--epochs 0`` and the weights, it prints the losses the page showed.
"""

from __future__ import annotations

import inspect
import os
import tempfile
import textwrap

import numpy as np

import glassnet as gn

from . import datasets as D
from .config import to_query

__all__ = ["script", "weights_bytes", "SCRIPT_NAME", "WEIGHTS_NAME"]

SCRIPT_NAME = "playground_model.py"
WEIGHTS_NAME = "playground_weights.safetensors"

_ACT = {"relu": "nn.ReLU()", "softplus": "nn.Softplus()", "tanh": "nn.Tanh()",
        "sigmoid": "nn.Sigmoid()", "linear": "nn.Identity()"}
_FEATURE_CODE = {"x1": "x1", "x2": "x2", "x1sq": "x1 * x1", "x2sq": "x2 * x2",
                 "x1x2": "x1 * x2", "sinx1": "np.sin(x1)", "sinx2": "np.sin(x2)"}


def _model_code(cfg: dict, n_out: int) -> str:
    lines = []
    fan_in = len(cfg["features"])
    for units in cfg["layers"]:
        lines.append(f"nn.Linear({fan_in}, {units}),")
        lines.append(f"{_ACT[cfg['activation']]},")
        if cfg["dropout"] > 0:
            lines.append(f"nn.Dropout({cfg['dropout']!r}),")
        fan_in = units
    lines.append(f"nn.Linear({fan_in}, {n_out}),")
    body = "\n".join("        " + ln for ln in lines)
    return f"    model = nn.Sequential(\n{body}\n    ).double()\n    return model\n"


def _loss_code(task: str) -> str:
    if task == "binary":
        return ("def targets(y):\n    \"\"\"Class +1 -> 1.0, class -1 -> 0.0, shape (N, 1).\"\"\"\n"
                "    return gn.tensor((y > 0).astype(np.float64).reshape(-1, 1))\n\n\n"
                "def data_loss(out, t):\n"
                "    return F.binary_cross_entropy_with_logits(out, t)\n")
    if task == "multiclass":
        return ("def targets(y):\n    \"\"\"Class indices 0, 1, 2.\"\"\"\n"
                "    return gn.tensor(y.astype(np.int64))\n\n\n"
                "def data_loss(out, t):\n    return F.cross_entropy(out, t)\n")
    return ("def targets(y):\n    return gn.tensor(y.astype(np.float64).reshape(-1, 1))\n\n\n"
            "def data_loss(out, t):\n    return F.mse_loss(out, t)\n")


def _optimizer_code(cfg: dict) -> str:
    groups = (f"[{{\"params\": weights, \"weight_decay\": {cfg['l2']!r}}},\n"
              f"              {{\"params\": biases, \"weight_decay\": 0.0}}]")
    if cfg["optimizer"] == "adam":
        make = f"gn.optim.Adam(groups, lr={cfg['lr']!r})"
    elif cfg["optimizer"] == "momentum":
        make = f"gn.optim.SGD(groups, lr={cfg['lr']!r}, momentum=0.9)"
    else:
        make = f"gn.optim.SGD(groups, lr={cfg['lr']!r})"
    return (
        "def make_optimizer(model):\n"
        "    \"\"\"L2 weight decay on the weights only (not the biases), as in the "
        "playground.\"\"\"\n"
        "    weights = [p for n, p in model.named_parameters() if n.endswith(\"weight\")]\n"
        "    biases = [p for n, p in model.named_parameters() if n.endswith(\"bias\")]\n"
        f"    groups = {groups}\n"
        f"    return {make}\n"
    )


def script(session) -> str:
    """The Python source of a script that rebuilds and trains ``session``'s network."""
    with session.lock:
        cfg = dict(session.cfg)
        data = session.data
        added = session._added_points()
        n_out = session.n_out
        done = f"{session.steps} steps ({session.epoch} epochs)"
    gen = D.GENERATORS[cfg["dataset"]]
    gen_src = inspect.getsource(gen)
    if cfg["dataset"] == "iris":
        call = (f"{gen.__name__}(N_POINTS, NOISE, rng, features=({cfg['iris_x']}, "
                f"{cfg['iris_y']}))")
    else:
        call = f"{gen.__name__}(N_POINTS, NOISE, rng)"
    if cfg["dataset"] == "dosage":
        split_code = ("    train, test = np.arange(len(X)), np.arange(0)  "
                      "# three points: all train\n")
    else:
        split_code = ("    perm = rng.permutation(len(X))\n"
                      "    n_train = int(round(TRAIN_RATIO * len(X)))\n"
                      "    train, test = perm[:n_train], perm[n_train:]\n")
    feats = ", ".join(_FEATURE_CODE[f] for f in cfg["features"])
    unpack = "".join(f"    x{k + 1} = X[:, {k}]\n" for k in (0, 1)
                     if any(f"x{k + 1}" in f for f in cfg["features"]))
    added_code = repr([list(map(float, p)) for p in added])
    l1_code = ""
    if cfg["l1"] > 0:
        l1_code = (
            "    # L1 regularisation: L1 * sum of |w| over every weight matrix\n"
            "    weights = [p for n, p in model.named_parameters() if n.endswith(\"weight\")]\n"
            "    penalty = gn.abs(weights[0]).sum()\n"
            "    for w in weights[1:]:\n"
            "        penalty = penalty + gn.abs(w).sum()\n"
            "    loss = loss + L1 * penalty\n")
    names = ", ".join(cfg["features"])
    header = textwrap.dedent(f'''\
        """A network built in the glassnet playground, as a script.

        Playground setup: ?{to_query(cfg)}
        Data: {cfg["dataset"]} ({data.task}), inputs: {names},
        hidden layers: {cfg["layers"] or "none"} ({cfg["activation"]}),
        optimizer: {cfg["optimizer"]}.
        The page had trained it for {done}.

        Run:  python {SCRIPT_NAME} [--weights {WEIGHTS_NAME}] [--epochs N]
        With --weights the exported weights are loaded first; --epochs 0 then prints the
        losses the playground showed.
        """
        ''')
    parts = [
        header,
        "import argparse\n\nimport glassnet as gn\nimport numpy as np\n"
        "from glassnet import nn\nfrom glassnet.nn import functional as F\n\n",
        f"SEED = {cfg['seed']}\nN_POINTS = {cfg['n']}\nNOISE = {cfg['noise'] / 100!r}\n"
        f"TRAIN_RATIO = {cfg['ratio'] / 100!r}\nBATCH_SIZE = {cfg['batch']}\n"
        f"L1 = {cfg['l1']!r}\n"
        f"ADDED_POINTS = {added_code}  # (x1, x2, target) added by clicking: training points\n\n\n",
        gen_src, "\n\n",
        "def make_data():\n"
        "    \"\"\"The playground's data and its train/test split, from the same seed.\"\"\"\n"
        "    rng = np.random.default_rng(SEED)\n"
        f"    X, y = {call}\n" + split_code +
        "    X_train, y_train, X_test, y_test = X[train], y[train], X[test], y[test]\n"
        "    if ADDED_POINTS:\n"
        "        extra = np.array(ADDED_POINTS, dtype=np.float64)\n"
        "        X_train = np.concatenate([X_train, extra[:, :2]])\n"
        "        y_train = np.concatenate([y_train, extra[:, 2]])\n"
        "    return X_train, y_train, X_test, y_test\n\n\n",
        "def features(X):\n"
        f"    \"\"\"Input features ({names}) of points (N, 2).\"\"\"\n"
        + unpack +
        f"    return gn.tensor(np.stack([{feats}], axis=1).reshape(len(X), "
        f"{len(cfg['features'])}))\n\n\n",
        _loss_code(data.task), "\n\n",
        "def build_model():\n" + _model_code(cfg, n_out), "\n\n",
        _optimizer_code(cfg), "\n\n",
        "def objective(model, x, t):\n"
        "    loss = data_loss(model(x), t)\n" + l1_code + "    return loss\n\n\n",
        "def evaluate(model, x, t):\n"
        "    if len(x) == 0:\n        return float(\"nan\")\n"
        "    model.eval()\n    with gn.no_grad():\n        loss = data_loss(model(x), t).item()\n"
        "    model.train()\n    return loss\n\n\n",
        "def report(epoch, model, x_train, t_train, x_test, t_test):\n"
        "    print(f\"epoch {epoch}: train loss {evaluate(model, x_train, t_train):.6f}, \"\n"
        "          f\"test loss {evaluate(model, x_test, t_test):.6f}\")\n\n\n",
        textwrap.dedent("""\
            def main(argv=None):
                parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
                parser.add_argument("--weights", help="safetensors weights from the playground")
                parser.add_argument("--epochs", type=int, default=100)
                args = parser.parse_args(argv)
                gn.manual_seed(SEED)
                X_train, y_train, X_test, y_test = make_data()
                x_train, t_train = features(X_train), targets(y_train)
                x_test, t_test = features(X_test), targets(y_test)
                model = build_model()
                if args.weights:
                    model.load_state_dict(gn.load(args.weights))
                optimizer = make_optimizer(model)
                shuffle = np.random.default_rng(SEED + 1)
                n = len(X_train)
                report(0, model, x_train, t_train, x_test, t_test)
                for epoch in range(1, args.epochs + 1):
                    order = shuffle.permutation(n)
                    for start in range(0, n, BATCH_SIZE):
                        idx = order[start:start + BATCH_SIZE]
                        optimizer.zero_grad()
                        loss = objective(model, x_train[idx], t_train[idx])
                        loss.backward()
                        optimizer.step()
                    if epoch % max(1, args.epochs // 10) == 0 or epoch == args.epochs:
                        report(epoch, model, x_train, t_train, x_test, t_test)
                return model


            if __name__ == "__main__":
                main()
            """),
    ]
    return "".join(parts)


def weights_bytes(session) -> bytes:
    """The model's ``state_dict`` as a safetensors file (``gn.save``), as bytes."""
    with session.lock:
        state = {k: np.array(v.detach().numpy()) for k, v in session.model.state_dict().items()}
    with tempfile.TemporaryDirectory() as tmp:
        path = os.path.join(tmp, WEIGHTS_NAME)
        gn.save(state, path)
        with open(path, "rb") as f:
            return f.read()
