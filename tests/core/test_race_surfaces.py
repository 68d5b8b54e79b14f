"""The race surfaces against closed forms, and races with nbdl's real optimizers: Adam reaches
Rosenbrock's minimum, plain SGD stalls in the valley, momentum leaves the saddle sooner than SGD,
and a diverging optimizer is marked and stopped without ending the race."""
import math

import numpy as np
import pytest
import torch

from nbdl.core import NbdlError, surfaces

# Closed-form gradients, written out by hand.
GRADIENTS = {
    "rosenbrock": lambda x, y: (-2 * (1 - x) - 400 * x * (y - x ** 2), 200 * (y - x ** 2)),
    "beale": lambda x, y: (
        2 * (1.5 - x + x * y) * (y - 1) + 2 * (2.25 - x + x * y ** 2) * (y ** 2 - 1)
        + 2 * (2.625 - x + x * y ** 3) * (y ** 3 - 1),
        2 * (1.5 - x + x * y) * x + 2 * (2.25 - x + x * y ** 2) * 2 * x * y + 2 * (2.625 - x + x * y ** 3) * 3 * x * y ** 2),
    "saddle": lambda x, y: (2 * x, y ** 3 - y),
    "himmelblau": lambda x, y: (4 * x * (x ** 2 + y - 11) + 2 * (x + y ** 2 - 7), 2 * (x ** 2 + y - 11) + 4 * y * (x + y ** 2 - 7)),
    "ravine": lambda x, y: (x, 20 * y),
}
LOWEST = {"rosenbrock": 0.0, "beale": 0.0, "saddle": -0.25, "himmelblau": 0.0, "ravine": 0.0}


@pytest.mark.parametrize("name", surfaces.names())
def test_gradients_match_the_closed_form(name):
    surface = surfaces.get(name)
    rng = np.random.default_rng(0)
    x0, x1, y0, y1 = surface.window
    for x, y in zip(rng.uniform(x0, x1, 5), rng.uniform(y0, y1, 5)):
        point = torch.tensor([x, y], dtype=torch.float64, requires_grad=True)
        surface(point[0], point[1]).backward()
        assert point.grad.numpy() == pytest.approx(GRADIENTS[name](x, y), rel=1e-9, abs=1e-9)


@pytest.mark.parametrize("name", surfaces.names())
def test_minima_are_minima(name):
    surface = surfaces.get(name)
    assert surface.lowest() == pytest.approx(LOWEST[name], abs=1e-9)
    for x, y in surface.minima:
        assert GRADIENTS[name](x, y) == pytest.approx((0, 0), abs=1e-4)
        for dx, dy in ((1e-3, 0), (0, 1e-3), (-1e-3, 0), (0, -1e-3)):  # every neighbour is higher
            assert float(surface(torch.tensor(x + dx), torch.tensor(y + dy))) > surface.lowest() - 1e-9
    x0, x1, y0, y1 = surface.window
    assert all(x0 < x < x1 and y0 < y < y1 for x, y in (*surface.minima, surface.start))
    _, _, values = surface.grid(101)
    assert values.min() >= surface.lowest() - 1e-9


def test_adam_reaches_the_rosenbrock_minimum_and_sgd_stalls_in_the_valley():
    race = surfaces.race("rosenbrock", "sgd,adam")  # each at the surface's race rate, 2000 steps
    assert race.paths["adam"].lr == 0.05 and race.paths["sgd"].lr == 0.001
    # Measured: Adam stays within 0.01 of (1, 1) from step 1200 on and ends 3e-6 away; SGD ends
    # 0.82 away, at about (0.56, 0.31), half-way along the valley (loss 0.195).
    assert race.reached("adam", 1e-2) is not None and race.reached("adam", 1e-2) <= 1300
    assert race.distance("adam") < 1e-4
    assert np.allclose(race.paths["adam"].points[-1], (1, 1), atol=1e-4)
    assert race.reached("sgd", 1e-2) is None and race.distance("sgd") > 0.5
    x, y = race.paths["sgd"].points[-1]
    assert abs(y - x ** 2) < 0.05  # in the valley's floor, not lost on a wall
    assert race.paths["sgd"].final_loss > 1e4 * race.paths["adam"].final_loss
    assert all(p.status == "finished" and p.steps == 2000 for p in race.paths.values())


def test_the_paths_are_those_of_a_hand_written_loop():
    race = surfaces.race("beale", "momentum", steps=50, lr=0.001)
    p = torch.nn.Parameter(torch.tensor([1.0, 1.5], dtype=torch.float64))
    optimizer = torch.optim.SGD([p], lr=0.001, momentum=0.9)
    for _ in range(50):
        optimizer.zero_grad()
        surfaces.get("beale")(p[0], p[1]).backward()
        optimizer.step()
    assert race.paths["momentum"].points[-1] == pytest.approx(p.detach().numpy(), rel=1e-12)


def test_momentum_leaves_the_saddle_sooner_than_sgd():
    race = surfaces.race("saddle", "sgd,momentum")
    near = {name: int((np.hypot(*path.points.T) < 0.1).sum()) for name, path in race.paths.items()}
    # Measured: SGD spends 69 steps within 0.1 of the saddle point and reaches a minimum at step 179;
    # momentum spends 4 steps there and reaches one at step 107.
    assert near["sgd"] >= 5 * near["momentum"] and near["sgd"] > 30
    assert race.reached("momentum", 1e-2) < race.reached("sgd", 1e-2)


def test_a_diverging_optimizer_is_marked_and_stops_while_the_race_goes_on():
    race = surfaces.race("rosenbrock", "sgd,adam", steps=300, lr="sgd=0.01")
    sgd, adam = race.paths["sgd"], race.paths["adam"]
    assert sgd.status == "diverged" and "step" in sgd.reason and sgd.steps < 10
    assert adam.status == "finished" and adam.steps == 300
    nan = surfaces.race("ravine", "sgd", steps=2000, lr=1e30)
    assert nan.paths["sgd"].status == "diverged" and nan.step < 2000


def test_learning_rates_optimizers_and_start_are_read_and_checked():
    race = surfaces.race("ravine", ["sgd", "adam"], steps=3, lr="adam=0.5", start="1,2")
    assert race.paths["adam"].lr == 0.5 and race.paths["sgd"].lr == surfaces.get("ravine").lrs["sgd"]
    assert tuple(race.paths["sgd"].points[0]) == (1.0, 2.0)
    assert {p.lr for p in surfaces.race("ravine", "sgd,adam", steps=1, lr=0.01).paths.values()} == {0.01}
    with pytest.raises(NbdlError, match="adamm.*choose one of"):
        surfaces.race("ravine", "sgd,adamm")
    with pytest.raises(NbdlError, match="'rmsprop', which is not in the race"):
        surfaces.race("ravine", "sgd", lr="rmsprop=0.1")
    with pytest.raises(NbdlError, match="> 0"):
        surfaces.race("ravine", "sgd", lr="sgd=-1")
    with pytest.raises(NbdlError, match="x,y"):
        surfaces.race("ravine", "sgd", start="1")
    with pytest.raises(NbdlError, match="unknown surface 'rosenbrok'"):
        surfaces.race("rosenbrok")
    with pytest.raises(NbdlError, match="steps"):
        surfaces.race("ravine", steps=0)
    assert math.isfinite(surfaces.race("ravine", steps=1).paths["adam"].final_loss)


@pytest.mark.parametrize("start", ["100,100", (-9, -9), "2.5,0"])
def test_a_start_outside_the_window_is_refused_before_any_step(start):
    # It used to race anyway: every path "diverged" at step 1, off the picture, with nothing drawn.
    with pytest.raises(NbdlError, match=r"outside rosenbrock's window, x from -2 to 2 and y from -1 to 3"):
        surfaces.race("rosenbrock", "sgd,adam", steps=5, start=start)
    assert surfaces.start_point("rosenbrock", "2,3") == (2.0, 3.0)  # the window's corner is inside


@pytest.mark.parametrize("optimizers, start", [(5, None), (None, 5), ({"adam"}, None), (None, 1.5)])
def test_values_of_the_wrong_type_get_the_standard_error(optimizers, start):
    with pytest.raises(NbdlError, match="optimizers are names|the start is two numbers"):
        surfaces.race("ravine", optimizers, steps=1, start=start)


def test_empty_names_between_commas_are_skipped():
    assert surfaces.read_optimizers("sgd,,adam,") == ["sgd", "adam"]
    with pytest.raises(NbdlError, match="at least one optimizer"):
        surfaces.read_optimizers(" , ")
