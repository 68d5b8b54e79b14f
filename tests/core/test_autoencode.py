"""Autoencoders: the samples as targets, output shapes checked, decoders' layers, denoising, figures."""
import numpy as np
import pytest
import torch

import nbdl
from nbdl.core import autoencode
from nbdl.core.errors import NbdlError
from nbdl.core.tasks import AUTOENCODE

AE = {"task": "autoencode"}
DENSE = "input 64\ndense 32 relu\ndense 8\ndense 32 relu\ndense 64"
CONV = ("input 1x8x8\nconv 16 3 relu padding=same\nmaxpool 2\nconv 8 3 relu padding=same\nmaxpool 2\n"
        "upsample 2\nconv 16 3 relu padding=same\nconvtranspose 16 2 relu stride=2\nconv 1 3 padding=same")


def test_conv_autoencoder_reconstructs_far_better_than_the_mean():
    run = nbdl.train(CONV, "digits_images", data_options=AE, epochs=20, seed=0)
    assert run.dataset.task == AUTOENCODE and run.loss.name == "mse"
    assert torch.equal(run.data.train.X, run.data.train.y)  # targets scaled exactly as the inputs
    originals, made = autoencode.reconstructions(run, "test")
    mse = run.evaluate("test")["mse"]
    assert mse == pytest.approx(float(np.mean((originals - made) ** 2)), rel=1e-4)  # in the data's own units
    baseline = autoencode.mean_mse(run, "test")
    assert originals.max() == 16 and 10 < baseline < 30  # pixel intensities 0..16
    assert mse < 0.5 * baseline, (mse, baseline)


def test_dense_autoencoder_and_its_code():
    run = nbdl.train(DENSE, "digits", data_options=AE, epochs=40, seed=0)
    assert run.evaluate("test")["mse"] < 0.5 * autoencode.mean_mse(run, "test")
    assert "val_acc" not in run.history and "val_mse" in run.history
    assert autoencode.bottleneck(run.model) == 2  # the 'dense 8' line
    codes = autoencode.codes(run, "test")
    assert codes.shape == (len(run.data.test), 8)
    # The code is the bottleneck block's output: the first two blocks applied by hand.
    blocks = list(run.model.layers)
    with torch.no_grad():
        by_hand = blocks[1](blocks[0](run.data.test.X)).cpu().numpy()
    np.testing.assert_allclose(codes, by_hand, rtol=1e-5, atol=1e-6)
    np.testing.assert_array_equal(autoencode.labels(run, "test"), nbdl.load_data("digits").y[run.data.indices["test"]])


def test_denoising_rebuilds_clean_inputs_better_than_the_noisy_ones():
    run = nbdl.Run(nbdl.Config(network="input 64\ndense 64 relu\ndense 64", data="digits", data_options=AE,
                               epochs=30, seed=0, noise_input=1.0))
    xb, yb = run.data.train.X[:256], run.data.train.y[:256]
    noisy, target = run.batch_changes[0](xb, yb)
    assert torch.equal(target, yb) and 0.9 < float((noisy - xb).std()) < 1.1  # noisy inputs, clean targets
    run.fit()
    clean = run.data.raw("test")[0]
    X = run.data.test.X
    noisy = X + torch.randn(X.shape, generator=torch.Generator().manual_seed(1)).to(X.device)
    rebuilt = run.data.untransform_target(run.outputs(noisy))
    noisy_error = float(np.mean((noisy.cpu().numpy() * run.data.std + run.data.mean - clean) ** 2))
    rebuilt_error = float(np.mean((rebuilt - clean) ** 2))
    assert rebuilt_error < 0.5 * noisy_error, (rebuilt_error, noisy_error)


def test_noise_is_seeded_and_off_by_default():
    config = nbdl.Config(network=DENSE, data="digits", data_options=AE, noise_input=0.5, seed=3)
    first, second = nbdl.Run(config), nbdl.Run(config)
    x, y = first.data.train.X[:8], first.data.train.y[:8]
    assert torch.equal(first.batch_changes[0](x, y)[0], second.batch_changes[0](x, y)[0])
    assert nbdl.Run(config.replace(noise_input=0.0)).batch_changes == []


def test_output_shape_must_be_the_input_shape():
    with pytest.raises(NbdlError, match=r"samples are 64 but the network gives 10; end it with 'dense 64'"):
        nbdl.Run(nbdl.Config(network="input 64\ndense 8 relu\ndense 10", data="digits", data_options=AE))
    with pytest.raises(NbdlError, match=r"samples are 1x8x8 but the network gives 1x4x4"):
        nbdl.Run(nbdl.Config(network="input 1x8x8\nconv 4 3 padding=same\nmaxpool 2\nconv 1 3 padding=same",
                             data="digits_images", data_options=AE))
    with pytest.raises(NbdlError, match="for classes; an autoencoder reproduces"):
        nbdl.Run(nbdl.Config(network=DENSE, data="digits", data_options=AE, loss="cross_entropy"))


def test_own_samples_need_no_targets():
    X = np.random.default_rng(0).normal(size=(200, 6)).astype(np.float32)
    run = nbdl.Run(nbdl.Config(network="input 6\ndense 3\ndense 6", data=X, data_options=AE, epochs=2))
    assert run.dataset.task == AUTOENCODE and run.dataset.labels is None
    assert run.evaluate("test")["mse"] > 0


def test_a_dataframe_or_x_with_none_needs_no_targets_either():
    pd = pytest.importorskip("pandas")
    X = np.random.default_rng(0).normal(size=(120, 3)).astype(np.float32)
    frame = pd.DataFrame(X, columns=["a", "b", "c"])
    for data in (frame, (X, None)):
        dataset = nbdl.data.as_dataset(data, task=AUTOENCODE)
        assert dataset.task == AUTOENCODE and dataset.X.shape == (120, 3)
        np.testing.assert_allclose(dataset.y, dataset.X)


def test_decoder_layers_check_shapes_at_build_time():
    net = nbdl.build("input 2x3x3\nupsample 2\nconvtranspose 4 2 relu stride=2\nconvtranspose 1 3 padding=1")
    assert net.spec.shapes() == [(2, 3, 3), (2, 6, 6), (4, 12, 12), (1, 12, 12)]
    assert net(torch.zeros(5, 2, 3, 3)).shape == (5, 1, 12, 12)
    assert nbdl.build(net.spec.to_text()).spec == net.spec  # the text form round-trips
    with pytest.raises(NbdlError, match="works on images"):
        nbdl.build("input 4\nupsample 2")
    with pytest.raises(NbdlError, match="use less padding"):
        nbdl.build("input 1x1x1\nconvtranspose 1 1 padding=1")
    with pytest.raises(NbdlError, match="mode"):
        nbdl.build("input 1x2x2\nupsample 2 mode=cubic")


def test_decoding_the_codes_gives_the_reconstructions():
    run = nbdl.train(DENSE, "digits", data_options=AE, epochs=2, seed=0)
    np.testing.assert_allclose(autoencode.decode(run, autoencode.codes(run, "test")),
                               autoencode.reconstructions(run, "test")[1], rtol=1e-4, atol=1e-4)


def test_vae_gradients_are_those_of_the_loss_plus_beta_times_kl():
    from nbdl.core.layers.latent import Sampler

    torch.manual_seed(0)
    sampler, decoder = Sampler(5, 2, beta=0.3), torch.nn.Linear(2, 5)
    sampler.generator = torch.Generator().manual_seed(7)
    x = torch.randn(16, 5)
    torch.nn.functional.mse_loss(decoder(sampler(x)), x).backward()
    ours = [p.grad.clone() for p in sampler.parameters()]
    # By hand: the same noise, the KL of N(mean, exp(log_var)) from N(0, 1) added to the loss.
    for p in sampler.parameters():
        p.grad = None
    mean, log_var = sampler.mean(x), sampler.log_var(x)
    noise = torch.randn(mean.shape, generator=torch.Generator().manual_seed(7))
    z = mean + torch.exp(log_var / 2) * noise
    kl = (0.5 * (mean ** 2 + log_var.exp() - 1 - log_var).sum(dim=1)).mean()
    (torch.nn.functional.mse_loss(decoder(z), x) + 0.3 * kl).backward()
    for mine, theirs in zip(ours, (p.grad for p in sampler.parameters())):
        torch.testing.assert_close(mine, theirs)
    assert sampler.take_kl() == pytest.approx(kl.item(), rel=1e-5) and sampler.take_kl() is None


def test_vae_logs_its_kl_samples_in_training_and_decodes_a_latent_grid():
    run = nbdl.train("input 64\ndense 64 relu\nvae 2\ndense 64 relu\ndense 64", "digits", data_options=AE,
                     epochs=15, seed=0)
    kl = run.history["train_kl"]
    assert len(kl) == 15 and all(np.isfinite(kl)) and kl[-1] > 1  # the codes carry information
    assert run.evaluate("test")["mse"] < 0.75 * autoencode.mean_mse(run, "test")
    X = run.data.test.X[:4]
    run.model.train()
    with torch.no_grad():
        assert not torch.equal(run.model(X), run.model(X))  # sampled codes while training
    assert torch.equal(run.outputs(X), run.outputs(X))  # the mean in eval
    codes, made = autoencode.latent_grid(run, steps=5)
    assert codes.shape == (5, 5, 2) and made.shape == (5, 5, 64)
    assert codes[0, 0].tolist() == [-2.0, 2.0] and np.ptp(made.reshape(25, 64), axis=0).max() > 4  # they differ
    again = nbdl.train("input 64\ndense 64 relu\nvae 2\ndense 64 relu\ndense 64", "digits", data_options=AE,
                       epochs=2, seed=0)
    assert again.history["train_kl"] == kl[:2]  # the sampling noise comes from the run's seed
