"""Every demo runs in quick mode (seconds); in full mode each reaches its stated result."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from micrograd_plus.cli import main as cli_main
from micrograd_plus.demos import (
    DEMOS,
    common,
    binary3d,
    demand,
    housing,
    moons,
    multilabel,
    optimizers,
    regularization,
    run_demo,
)

ROOT = Path(__file__).resolve().parent.parent
MODULES = {"moons": moons, "binary3d": binary3d, "housing": housing,
           "optimizers": optimizers, "regularization": regularization,
           "multilabel": multilabel, "demand": demand}


def test_registry_matches_modules():
    assert set(DEMOS) == set(MODULES)
    for name, module in MODULES.items():
        assert module.SUMMARY == DEMOS[name]
        assert (ROOT / "demos" / f"{name}.py").is_file()


@pytest.mark.parametrize("name", sorted(MODULES))
def test_quick_mode_runs_and_plots(name, tmp_path):
    result = MODULES[name].run(quick=True, out_dir=str(tmp_path), verbose=False)
    plot = Path(result["plot"])
    assert plot.parent == tmp_path and plot.stat().st_size > 5000
    assert plot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_demo_without_matplotlib_still_prints(monkeypatch, tmp_path, capsys):
    monkeypatch.setattr(common, "pyplot", lambda: None)
    result = binary3d.run(quick=True, out_dir=str(tmp_path), verbose=True)
    out = capsys.readouterr().out
    assert "plot" not in result and not list(tmp_path.iterdir())
    assert "test accuracy" in out and "matplotlib is not installed" in out


def test_moons_follows_micrograds_learning_rate_schedule(monkeypatch, tmp_path):
    monkeypatch.setattr(common, "pyplot", lambda: None)  # the numbers only
    hist = moons.run(quick=True, out_dir=str(tmp_path), verbose=False)["history"]
    # micrograd's demo.ipynb: step k uses lr = 1.0 - 0.9 * k / 100; History.lr is the lr
    # after each epoch's scheduler step, i.e. the one step k + 1 uses
    assert hist.lr == pytest.approx([1.0 - 0.9 * k / 100 for k in range(1, 9)], rel=1e-12)


def test_cli_lists_and_runs(tmp_path, capsys):
    assert cli_main(["demo"]) == 0
    listing = capsys.readouterr().out
    for name in DEMOS:
        assert name in listing
    assert run_demo("regularization", quick=True, out_dir=str(tmp_path)) == 0
    out = capsys.readouterr().out
    assert "train MSE" in out and (tmp_path / "regularization.png").is_file()
    with pytest.raises(SystemExit, match="unknown demo 'nope'"):
        run_demo("nope")


def test_script_runs(tmp_path):
    proc = subprocess.run([sys.executable, str(ROOT / "demos" / "multilabel.py"), "--quick",
                           "-o", str(tmp_path)], capture_output=True, text=True, timeout=120,
                          check=False)
    assert proc.returncode == 0, proc.stderr
    assert "hamming_loss" in proc.stdout and (tmp_path / "multilabel.png").is_file()


def test_demand_data_follows_its_stated_rule_and_the_books_table():
    X, units = demand.make_demand(400, seed=1, noise=0.0)
    prev, discount, weeks = X.T
    assert X.shape == (400, 3) and units.shape == (400,)
    assert prev.min() >= 20_000 and prev.max() <= 80_000 and discount.max() <= 80
    assert weeks.min() >= 0 and weeks.max() <= 12
    # without noise: the docstring's formula, rounded to whole phones
    expected = prev * (1.03 + 0.25 * discount / 100) * (1 + 0.1 * np.exp(-weeks / 4))
    assert np.array_equal(units, np.round(expected))
    table = demand.TABLE_8_1
    assert table[0].tolist() == [76_440, 63, 2, 94_182]  # the book's first row
    ratio = demand.expected_units(*table[:, :3].T) / table[:, 3]
    assert np.all(np.abs(ratio - 1) < 0.06)  # "within 6 %"
    with pytest.raises(ValueError, match="n_weeks must be an int"):
        demand.make_demand(1)


def torch_listing_8_4(state, X, y, iterations):
    """The book's listing 8.4 in PyTorch (float64), from the demo's initial weights."""
    import torch

    net = torch.nn.Sequential(torch.nn.Linear(3, 10), torch.nn.Sigmoid(),
                              torch.nn.Linear(10, 5), torch.nn.Sigmoid(),
                              torch.nn.Linear(5, 1)).double()
    net.load_state_dict({k: torch.from_numpy(v) for k, v in state.items()})
    loss = torch.nn.MSELoss()
    optimizer = torch.optim.SGD(net.parameters(), lr=0.2, momentum=0.9)
    X, y = torch.from_numpy(X), torch.from_numpy(y)
    out = []
    for _ in range(iterations):
        mse_loss = loss(net(X), y)
        optimizer.zero_grad()
        mse_loss.backward()
        optimizer.step()
        out.append(mse_loss.item())
    return out


def test_demand_quick_has_the_same_loss_trajectory_as_pytorch(monkeypatch, tmp_path):
    monkeypatch.setattr(common, "pyplot", lambda: None)
    r = demand.run(quick=True, out_dir=str(tmp_path), verbose=False)
    assert r["iterations"] == len(r["loss"]) == demand.QUICK_ITERATIONS
    assert r["X"].min() == 0.0 and r["X"].max() == 1.0  # min-max normalised columns
    assert r["X"].shape == (500, 3) and r["y"].shape == (500, 1)
    theirs = torch_listing_8_4(r["initial_state"], r["X"], r["y"], r["iterations"])
    assert np.max(np.abs(np.array(r["loss"]) - theirs)) < 1e-9
    assert r["torch_max_diff"] < 1e-9  # the demo's own comparison (via interop.to_torch)
    assert r["loss"][-1] < r["loss"][0]


# -- full mode: the stated results ---------------------------------------------------------------
@pytest.mark.slow
def test_moons_full(tmp_path):
    r = moons.run(out_dir=str(tmp_path), verbose=False)
    assert r["train_accuracy"] >= 0.97  # micrograd's demo reaches 100 %
    assert r["test_accuracy"] >= 0.9


@pytest.mark.slow
def test_binary3d_full(tmp_path):
    r = binary3d.run(out_dir=str(tmp_path), verbose=False)
    assert r["test_accuracy"] >= 0.99  # the book: 100 % on 612 test samples
    assert r["iterations"] == 1500 and r["final_lr"] == pytest.approx(0.0008)


@pytest.mark.slow
def test_housing_full(tmp_path):
    r = housing.run(out_dir=str(tmp_path), verbose=False)
    assert r["test"]["r2"] >= 0.75
    assert r["test"]["rmse"] < 4.5


@pytest.mark.slow
def test_optimizers_full(tmp_path):
    r = optimizers.run(out_dir=str(tmp_path), verbose=False)
    adam = r["loss"]["Adam"]
    assert adam[-1] < 1e-2 * adam[0] and r["test_accuracy"]["Adam"] >= 0.95
    # the chapter's picture: Adam ends lower than RMSprop (with its weight decay 0.1)
    assert adam[-1] < r["loss"]["RMSprop"][-1]


@pytest.mark.slow
def test_regularization_full(tmp_path):
    r = regularization.run(out_dir=str(tmp_path), verbose=False)
    test, train = r["test_loss"], r["train_loss"]
    assert train["none"] < 0.01 < test["none"]  # overfitting
    for name in test:
        if name.startswith(("L1", "L2")):
            assert test[name] < 0.6 * test["none"]
    assert test["MLP + dropout 0.5"] < test["MLP"]
    l1 = next(k for k in r["near_zero_weights"] if k.startswith("L1"))
    assert r["near_zero_weights"][l1] > r["near_zero_weights"]["none"] + 0.3  # sparser


@pytest.mark.slow
def test_multilabel_full(tmp_path):
    r = multilabel.run(out_dir=str(tmp_path), verbose=False)
    assert r["test"]["exact_match"] >= 0.9
    assert r["test"]["hamming_loss"] <= 0.03
    assert r["test"]["accuracy"] >= r["test"]["exact_match"]


@pytest.mark.slow
def test_demand_full(tmp_path):
    r = demand.run(out_dir=str(tmp_path), verbose=False)
    loss = r["loss"]
    assert r["iterations"] == len(loss) == 1000
    assert loss[-1] < 0.01 * loss[0] and r["mape"] < 0.05
    # Table 8.1's weeks predicted within 8 % of the book's numbers
    assert np.all(np.abs(r["table_predictions"] / demand.TABLE_8_1[:, 3] - 1) < 0.08)
    theirs = torch_listing_8_4(r["initial_state"], r["X"], r["y"], 1000)
    assert np.max(np.abs(np.array(loss) - theirs)) < 1e-9
