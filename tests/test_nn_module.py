"""Module semantics: registration, traversal, state_dict loading, dtype, modes, repr and
the containers (Sequential, ModuleList, ModuleDict, ParameterList)."""

from __future__ import annotations

import numpy as np
import pytest

import glassnet as gn
from conftest import assert_close
from glassnet import nn


class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc1 = nn.Linear(3, 4)
        self.scale = nn.Parameter(np.ones(4, np.float32))
        self.act = nn.Tanh()
        self.fc2 = nn.Linear(4, 2)
        self.register_buffer("steps", np.zeros((), np.int64))
        self.register_buffer("cache", np.zeros(2, np.float32), persistent=False)

    def forward(self, x):
        return self.fc2(self.act(self.fc1(x)) * self.scale)


def test_registration_order_and_names():
    net = Net()
    assert [n for n, _ in net.named_parameters()] == [
        "scale", "fc1.weight", "fc1.bias", "fc2.weight", "fc2.bias"]
    assert [n for n, _ in net.named_children()] == ["fc1", "act", "fc2"]
    assert [type(m).__name__ for m in net.modules()] == ["Net", "Linear", "Tanh", "Linear"]
    assert list(net.state_dict()) == [
        "scale", "steps", "fc1.weight", "fc1.bias", "fc2.weight", "fc2.bias"]
    assert [n for n, _ in net.named_buffers()] == ["steps", "cache"]
    assert net.get_submodule("fc2") is net.fc2


def test_tied_weights_counted_once():
    a, b = nn.Linear(5, 5), nn.Linear(5, 5)
    b.weight = a.weight
    model = nn.Sequential(a, nn.ReLU(), b)
    assert len(list(model.parameters())) == 3
    assert model.num_parameters() == 25 + 5 + 5
    assert "35 parameters" in repr(model)


def test_unknown_attribute_raises():
    net = Net()
    with pytest.raises(AttributeError, match="'Net' object has no attribute 'fc3'"):
        _ = net.fc3


def test_assignment_before_init_is_explained():
    class Bad(nn.Module):
        def __init__(self):
            self.fc = nn.Linear(1, 1)

    with pytest.raises(AttributeError, match="super"):
        Bad()


def test_strict_load_lists_every_problem():
    net = Net()
    sd = {k: v.data.copy() for k, v in net.state_dict().items()}
    del sd["fc1.bias"]
    sd["fc9.weight"] = np.zeros(3)
    sd["fc2.weight"] = np.zeros((3, 3))
    with pytest.raises(nn.StateDictError) as e:
        net.load_state_dict(sd)
    msg = str(e.value)
    assert "missing keys: fc1.bias" in msg
    assert "unexpected keys: fc9.weight" in msg
    assert "fc2.weight: expected (2, 4), got (3, 3)" in msg


def test_non_strict_load_reports_and_copies():
    src, dst = Net(), Net()
    sd = {k: v.data for k, v in src.state_dict().items() if k != "scale"}
    sd["extra"] = np.zeros(1)
    missing, unexpected = dst.load_state_dict(sd, strict=False)
    assert missing == ["scale"] and unexpected == ["extra"]
    assert_close(dst.fc1.weight, src.fc1.weight, "copied")
    assert dst.fc1.weight.data is not src.fc1.weight.data


def test_load_numpy_arrays_exported_from_torch(torch):
    tm = torch.nn.Sequential(torch.nn.Linear(4, 8), torch.nn.ReLU(), torch.nn.Linear(8, 3))
    exported = {k: v.detach().numpy() for k, v in tm.state_dict().items()}
    gm = nn.Sequential(nn.Linear(4, 8), nn.ReLU(), nn.Linear(8, 3))
    gm.load_state_dict(exported)
    x = np.random.default_rng(0).standard_normal((5, 4)).astype(np.float32)
    # float32 sums in another order: relative 1e-5, and absolute 1e-6 for outputs near 0
    assert_close(gm(gn.tensor(x)), tm(torch.tensor(x)), "same model, same output", rtol=1e-5,
                 atol=1e-6)
    gm2 = nn.Sequential(nn.Linear(4, 8), nn.ReLU(), nn.Linear(8, 3))
    gm2.load_state_dict(tm.state_dict())  # torch tensors directly
    assert_close(gm2(gn.tensor(x)), gm(gn.tensor(x)), "from torch tensors")


def test_to_double_float_convert_parameters_buffers_and_grads():
    net = Net()
    net(gn.randn(2, 3)).sum().backward()
    net.double()
    assert all(p.dtype == np.float64 for p in net.parameters())
    assert all(p.grad.dtype == np.float64 for p in net.parameters())
    assert net.cache.dtype == np.float64 and net.steps.dtype == np.int64
    assert net(gn.randn(2, 3, dtype=np.float64)).dtype == np.float64
    net.float()
    assert all(p.dtype == np.float32 for p in net.parameters())
    assert net.to("cpu") is net and net.to(np.float64).fc1.weight.dtype == np.float64


def test_train_eval_propagate():
    model = nn.Sequential(nn.Linear(2, 2), nn.Dropout(0.5), nn.Sequential(nn.Dropout(0.3)))
    assert all(m.training for m in model.modules())
    model.eval()
    assert not any(m.training for m in model.modules())
    x = gn.randn(4, 2)
    assert_close(model(x), model[0](x), "dropout is the identity in eval mode")
    model.train()
    assert all(m.training for m in model.modules())


def test_zero_grad_and_requires_grad():
    net = Net()
    net(gn.randn(2, 3)).sum().backward()
    net.zero_grad(set_to_none=False)
    assert all(np.all(p.grad.data == 0) for p in net.parameters())
    net.zero_grad()
    assert all(p.grad is None for p in net.parameters())
    net.requires_grad_(False)
    assert net.num_parameters(only_trainable=True) == 0
    assert "frozen" in repr(net)


def test_repr_shows_layers_and_counts():
    model = nn.Sequential(nn.Linear(4, 16), nn.ReLU(), nn.Linear(16, 3))
    text = repr(model)
    assert "(0): Linear(in_features=4, out_features=16, bias=True)  # 80 params" in text
    assert "(1): ReLU()\n" in text
    assert text.endswith(")  # 131 parameters")
    big = nn.Sequential(nn.Linear(784, 1024))
    assert "803,840" in repr(big)


def test_sequential_list_behaviour():
    layers = [nn.Linear(2, 3), nn.ReLU(), nn.Linear(3, 1)]
    s = nn.Sequential(*layers)
    assert len(s) == 3 and s[0] is layers[0] and s[-1] is layers[2]
    assert list(s) == layers
    sub = s[1:]
    assert isinstance(sub, nn.Sequential) and len(sub) == 2 and sub[0] is layers[1]
    s.append(nn.Sigmoid())
    assert len(s) == 4 and list(s.state_dict())[-1] == "2.bias"
    del s[1]
    assert [type(m).__name__ for m in s] == ["Linear", "Linear", "Sigmoid"]
    assert list(s.state_dict()) == ["0.weight", "0.bias", "1.weight", "1.bias"]
    s.insert(1, nn.Tanh())
    assert type(s[1]).__name__ == "Tanh" and s(gn.randn(5, 2)).shape == (5, 1)
    with pytest.raises(IndexError, match="out of range"):
        s[7]
    with pytest.raises(TypeError, match="expected a Module"):
        nn.Sequential(nn.ReLU(), lambda x: x)
    from collections import OrderedDict

    named = nn.Sequential(OrderedDict([("hidden", nn.Linear(2, 2)), ("out", nn.Linear(2, 1))]))
    assert list(named.state_dict())[0] == "hidden.weight"


def test_module_list_and_dict():
    blocks = nn.ModuleList([nn.Linear(2, 2) for _ in range(3)])
    assert len(blocks) == 3 and len(list(blocks.parameters())) == 6
    blocks.append(nn.Linear(2, 1))
    assert "3.weight" in blocks.state_dict()
    assert isinstance(blocks[:2], nn.ModuleList)
    heads = nn.ModuleDict({"a": nn.Linear(2, 1), "b": nn.Linear(2, 3)})
    heads["c"] = nn.Identity()
    assert list(heads) == ["a", "b", "c"] and "b" in heads
    assert list(heads.state_dict()) == ["a.weight", "a.bias", "b.weight", "b.bias"]
    with pytest.raises(KeyError, match="no key 'z'"):
        heads["z"]

    class Holder(nn.Module):
        def __init__(self):
            super().__init__()
            self.blocks = blocks
            self.ws = nn.ParameterList([np.ones(2, np.float32), np.zeros(3, np.float32)])

    names = [n for n, _ in Holder().named_parameters()]
    assert names[0] == "blocks.0.weight" and names[-1] == "ws.1"


def test_buffer_and_parameter_assignment_rules():
    net = Net()
    net.steps = np.ones((), np.int64)
    assert isinstance(net.steps, gn.Tensor) and int(net.steps.item()) == 1
    with pytest.raises(TypeError, match="expected a Parameter"):
        net.scale = np.zeros(4)
    net.plain = 3
    assert net.plain == 3 and "plain" not in net.state_dict()
