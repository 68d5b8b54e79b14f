"""nbdl.gan: the ring and grid data, the losses against their formulas, width errors, sample units,
stopping, and mode coverage with the defaults, in the collapse setting and with its cure."""
import threading

import numpy as np
import pytest
import torch
import torch.nn.functional as F

import nbdl
from nbdl.core.errors import NbdlError
from nbdl.core.gan import GanConfig, GanRun, gan
from nbdl.core.gan_losses import COVERED_SHARE, coverage, gradient_penalty, registry as losses
from nbdl.core.toy import grid_centres, ring_centres

G = "input {latent}\ndense 128 relu\ndense 128 relu\ndense 2"
D = "input 2\ndense 128 relu\ndense 128 relu\ndense 1"


def test_ring_and_grid_hold_their_modes():
    ring = nbdl.load_data("ring", n=800)
    assert ring.n_classes == 8 and ring.sample_shape == (2,)
    gaps = ring.X - ring_centres()[ring.y]
    assert abs(gaps.std() - 0.05) < 0.005  # the default noise
    grid = nbdl.load_data("grid", noise=0.1)
    assert grid.n_classes == 25 and len(grid) == 2500
    assert np.abs(grid.X - grid_centres()[grid.y]).std() == pytest.approx(0.1 * np.sqrt(1 - 2 / np.pi), rel=0.1)
    assert sorted(set(grid_centres()[:, 0])) == [-4, -2, 0, 2, 4]


def test_losses_match_their_formulas():
    real, fake = torch.randn(6, 1), torch.randn(6, 1)
    gan_loss = losses.get("gan")
    expected = -(torch.log(torch.sigmoid(real)).mean() + torch.log(1 - torch.sigmoid(fake)).mean())
    assert torch.allclose(gan_loss.critic(real, fake), expected, atol=1e-6)
    assert torch.allclose(gan_loss.generator(fake), -torch.log(torch.sigmoid(fake)).mean(), atol=1e-6)
    wgan = losses.get("wgan-gp")
    assert torch.allclose(wgan.critic(real, fake), fake.mean() - real.mean())
    # A linear critic w.x has gradient w everywhere: the penalty is (|w| - 1)^2.
    w = torch.tensor([[3.0], [4.0]])
    penalty = gradient_penalty(lambda x: x @ w, torch.randn(5, 2), torch.randn(5, 2), torch.Generator().manual_seed(0))
    assert penalty.item() == pytest.approx(16.0)
    assert F.softplus(torch.tensor(0.0)).item() == pytest.approx(np.log(2))


def test_coverage_counts_modes_within_three_stds():
    centres = ring_centres()
    near = np.repeat(centres[:3], [500, 400, 40], axis=0) + 0.01  # 40 of 1000: 4% > 3.1% (a quarter of 1/8)
    far = np.zeros((60, 2))                                        # the centre of the ring: near no mode
    found = coverage(np.concatenate([near, far]), centres, std=0.05)
    assert found.covered == 3 and found.counts.tolist()[:4] == [500, 400, 40, 0]
    assert found.quality == pytest.approx(0.94)
    thin = coverage(np.concatenate([near[:-20], far]), centres, std=0.05)  # 20 of 980: 2% < 3.1%
    assert thin.covered == 2 and COVERED_SHARE / 8 > 20 / 980


def test_widths_that_do_not_fit_are_named():
    with pytest.raises(NbdlError, match=r"generator gives 3 values.*have 2.*'dense 2'"):
        GanRun(GanConfig("input 4\ndense 8 relu\ndense 3", D))
    with pytest.raises(NbdlError, match=r"discriminator's input line takes 3.*'input 2'"):
        GanRun(GanConfig(G.format(latent=4), "input 3\ndense 8 relu\ndense 1"))
    with pytest.raises(NbdlError, match=r"discriminator gives 2 outputs.*'dense 1'"):
        GanRun(GanConfig(G.format(latent=4), "input 2\ndense 8 relu\ndense 2"))
    with pytest.raises(NbdlError, match=r"generator's first line must be 'input K'"):
        GanRun(GanConfig("dense 8 relu\ndense 2", D))
    with pytest.raises(NbdlError, match=r"digits samples have 64"):
        GanRun(GanConfig(G.format(latent=4), "input 64\ndense 1", data="digits"))
    with pytest.raises(NbdlError, match=r"gives 52x1 outputs, one per time step.*'flatten'"):  # sequence samples
        GanRun(GanConfig("input 4\ndense 52", "dense 1", data="co2"))
    with pytest.raises(NbdlError, match="takes no lr"):
        gan(G.format(latent=2), D, lr=0.1)
    with pytest.raises(NbdlError, match="loss"):
        gan(G.format(latent=2), D, loss="hinge")


def test_settings_take_the_loss_defaults_and_the_latent_from_the_input_line():
    run = gan(G.format(latent=3), D, loss="wgan-gp", lr_g=2e-4, fit=False)
    assert run.latent == 3
    assert (run.settings["lr_g"], run.settings["lr_d"], run.settings["critic_steps"], run.settings["gp_weight"]) == \
        (2e-4, 1e-4, 5, 10.0)
    assert run.g_optimizer.param_groups[0]["betas"] == (0.5, 0.9)
    assert gan(nbdl.build(G.format(latent=2)), D, fit=False).settings["lr_d"] == 1e-3  # a built network is taken
    for spelled in ("WGAN-GP", "wgan_gp"):  # the registry's spellings settle on the loss's own name
        assert gan(G.format(latent=2), D, loss=spelled, fit=False).settings["loss"] == "wgan-gp"


def test_sample_is_in_the_data_units_and_history_is_logged():
    run = gan(G.format(latent=2), D, steps=30, every=10, seed=1, data_options={"n": 400})
    assert run.history["step"] == [10.0, 20.0, 30.0] and len(run.history["d_loss"]) == 3
    assert {"g_loss", "modes", "quality", "seconds"} <= set(run.history)
    with torch.no_grad():
        z = torch.randn(5, 2)
        standard = run.generator(z).numpy()
    assert np.allclose(run.generated(z), standard * run.scale + run.mean, atol=1e-5)
    assert run.scale == pytest.approx(run.dataset.X.std(), rel=1e-4)
    assert run.sample(7).shape == (7, 2)
    assert 0 <= run.critic(ring_centres()).min() <= run.critic(ring_centres()).max() <= 1


def test_a_fit_stops_between_steps_and_keeps_its_history():
    run = gan(G.format(latent=2), D, steps=10_000, every=5, fit=False)
    stopper = threading.Timer(0.5, run.stop)
    stopper.start()
    run.fit()
    assert run.status == "stopped" and 0 < run.step < 10_000
    assert run.history["step"][-1] == run.step  # the last steps are logged too

    def interrupt(run, logs, said=[]):  # Ctrl-C arrives once
        if run.step >= 10 and not said:
            said.append(True)
            raise KeyboardInterrupt
    run.fit(steps=100, callbacks=[interrupt])
    assert run.status == "interrupted" and run.history["step"][-1] == run.step


def _modes(latent, steps, seed, **settings):
    run = gan(G.format(latent=latent), D, steps=steps, every=250, seed=seed, **settings)
    return int(run.history["modes"][-1])


@pytest.mark.slow
def test_the_defaults_cover_most_of_the_ring():
    # Measured at 1500 steps (~3 s): seeds 2 and 3 covered 8 of 8 from step ~500 on, seed 0 8 (6-8 from
    # step 750), seed 1 3; at 4000 steps seeds 0, 2, 3 covered 8 and seed 1 5.
    assert _modes(latent=2, steps=1500, seed=3) >= 7


@pytest.mark.slow
def test_eight_latent_dimensions_collapse_and_two_cure_it():
    # Measured on ring (noise 0.05) at 1500 steps: latent 8 covered 2-3 modes (seeds 0-2), latent 2
    # covered 8 (seeds 0, 2, 3). Latent 8 stays collapsed up to 4000 steps for seeds 0-2.
    assert _modes(latent=8, steps=1500, seed=2) <= 3
    assert _modes(latent=2, steps=1500, seed=2) >= 7


def test_a_diverging_gan_stops_and_names_the_learning_rates():
    run = gan("input 2\ndense 64 relu\ndense 2", "input 2\ndense 64 relu\ndense 1", steps=300, lr_g=1e8, lr_d=1e8,
              every=50)
    assert run.status == "stopped" and run.step < 300 and run.history["step"][-1] == run.step
    assert run.stop_reason.startswith("diverged: a loss became") and "lr_g or lr_d" in run.stop_reason
