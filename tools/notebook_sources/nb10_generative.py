"""Notebook 10: autoencoders and GANs."""
from nbformat.v4 import new_code_cell, new_markdown_cell

NAME = "10_generative.ipynb"

CELLS = [
    new_markdown_cell("""# Generative networks: autoencoders and GANs

Most networks in these notebooks map an input to a label. A **generative** network learns the data
itself. An **autoencoder** squeezes each sample through a narrow layer (the *code*) and rebuilds
it: to rebuild well from a few numbers it has to find what the samples have in common. A
**generative adversarial network** (GAN) pits two networks against each other: a *generator* turns
random numbers into samples, a *discriminator* scores samples as real or generated, and each trains
against the other until the generated samples look like the real ones.

Everything here runs on a CPU in a few seconds per cell, with fixed seeds."""),
    new_code_cell("""%load_ext nbdl
import numpy as np
import torch
import matplotlib.pyplot as plt
import nbdl"""),
    new_markdown_cell("""## An autoencoder with a 2-number code

The `digits` images are 8x8 pixels (64 numbers, intensities 0 to 16). This network squeezes them
through **2** units and rebuilds all 64. `--task autoencode` makes the input its own target; the
cell shows test images above their reconstructions and the 2-number codes of the test set,
coloured by the digit they came from (the network never saw the labels)."""),
    new_code_cell("""%%nbdl net ae
input 64
dense 32 relu
dense 2
dense 32 relu
dense 64"""),
    new_code_cell("%nbdl train ae --data digits --task autoencode --epochs 30 --seed 0"),
    new_markdown_cell("""Is that any good? The simplest "reconstruction" ignores its input and always answers the
average training image. The reconstruction error (mean squared error per pixel, in intensity
units squared) must beat that baseline by a wide margin. `%nbdl train` stored its run as `run`
(`--as NAME` picks another name)."""),
    new_code_cell("""# NBVAL_CHECK_OUTPUT
train_images, _ = run.data.raw("train")
test_images, _ = run.data.raw("test")
baseline = float(np.mean((train_images.mean(axis=0) - test_images) ** 2))
two_code = run.evaluate("test")["mse"]
print(f"the average image:           test MSE {baseline:.1f}")
print(f"a 2-number code, 30 epochs:  test MSE {two_code:.1f}")
assert two_code < 0.7 * baseline"""),
    new_markdown_cell("""## A convolutional autoencoder

Images keep their 2-D shape in a convolutional one: convolutions and pooling go down to 8 maps of
2x2 (32 numbers), `upsample` and a transposed convolution go back up to 1x8x8. A wider code
rebuilds much better."""),
    new_code_cell("""%%nbdl net conv_ae
input 1x8x8
conv 16 3 relu padding=same
maxpool 2
conv 8 3 relu padding=same
maxpool 2
upsample 2
conv 16 3 relu padding=same
convtranspose 16 2 relu stride=2
conv 1 3 padding=same"""),
    new_code_cell("%nbdl train conv_ae --data digits_images --task autoencode --epochs 20 --seed 0 --as conv_run"),
    new_code_cell("""# NBVAL_CHECK_OUTPUT
conv_mse = conv_run.evaluate("test")["mse"]
print(f"convolutional, 32-number code: test MSE {conv_mse:.1f} (average image {baseline:.1f}, 2-number code {two_code:.1f})")
assert conv_mse < 0.4 * baseline and conv_mse < two_code"""),
    new_markdown_cell("""## A denoising autoencoder

`noise_input` adds Gaussian noise to every training input (on the standardized pixels, so each
pixel's noise scales with how much that pixel varies) while the target stays the clean image. The
network learns to remove noise. Two networks with a 16-number code, one trained on clean inputs
and one on noisy ones, both get the same noisy test images."""),
    new_code_cell("""ae16 = "input 64\\ndense 32 relu\\ndense 16\\ndense 32 relu\\ndense 64"
noise = 1.0
plain = nbdl.train(ae16, data="digits", data_options={"task": "autoencode"}, epochs=30, seed=0)
denoising = nbdl.train(ae16, data="digits", data_options={"task": "autoencode"}, epochs=30, seed=0,
                       noise_input=noise)

clean = plain.data.test.X                                   # standardized test images
noisy = clean + noise * torch.randn(clean.shape, generator=torch.Generator().manual_seed(1))
truth = plain.data.untransform_target(clean)                # back to intensities 0..16
pictures = {"noisy input": plain.data.untransform_target(noisy),
            "trained on clean": plain.data.untransform_target(plain.outputs(noisy)),
            "trained on noisy": denoising.data.untransform_target(denoising.outputs(noisy))}
errors = {name: float(np.mean((images - truth) ** 2)) for name, images in pictures.items()}

fig, axes = plt.subplots(4, 8, figsize=(8, 4.6), layout="constrained")
for row, (name, images) in zip(axes, [("clean", truth), *pictures.items()]):
    for ax, image in zip(row, images):
        ax.imshow(image.reshape(8, 8), cmap="gray_r", vmin=0, vmax=16)
        ax.set_xticks([]); ax.set_yticks([])
    label = name if name == "clean" else f"{name}\\nMSE {errors[name]:.1f}"
    row[0].set_ylabel(label, rotation=0, ha="right", va="center", fontsize=11)
plt.show()"""),
    new_code_cell("""# NBVAL_CHECK_OUTPUT
for name, error in errors.items():
    print(f"{name:17s} test MSE against the clean images {error:5.1f}")
print(f"on clean inputs: trained on clean {plain.evaluate('test')['mse']:.1f}, trained on noisy {denoising.evaluate('test')['mse']:.1f}")
assert errors["trained on noisy"] < 0.85 * errors["trained on clean"] < errors["noisy input"]"""),
    new_markdown_cell("""The denoising network cleans noisy images better; on clean images the plain one is a little
better. Each is best at what it was trained for.

## A variational autoencoder

A `vae N` layer makes the code a *distribution*: while training it samples the code around a
predicted mean (the reparameterisation trick) and adds a KL term that pulls the codes toward a
standard normal. The code plane is then filled without gaps, so any point of it decodes to
something digit-like: the picture adds digits decoded over a grid of the latent plane."""),
    new_code_cell("""%%nbdl net vae_net
input 64
dense 64 relu
vae 2
dense 64 relu
dense 64"""),
    new_code_cell("%nbdl train vae_net --data digits --task autoencode --epochs 30 --seed 0 --as vae_run"),
    new_code_cell("""# NBVAL_CHECK_OUTPUT
vae_mse = vae_run.evaluate("test")["mse"]
kl = vae_run.history["train_kl"]
print(f"VAE, 2-number code: test MSE {vae_mse:.1f} (average image {baseline:.1f}); KL per sample {kl[0]:.2f} -> {kl[-1]:.2f}")
assert vae_mse < 0.75 * baseline"""),
    new_markdown_cell("""## A GAN on eight clouds

The `ring` data is 8 Gaussian clouds on a circle. The generator takes 2 random numbers and gives a
2-D point; the discriminator takes a point and gives one score. They train in turns for 1,500
steps. The picture draws the generated points (over the real ones) on the discriminator's map, both
losses, and how many of the 8 clouds (*modes*) the generator covers: a mode counts when it holds at
least a quarter of its fair share of 2,000 generated samples within 3 standard deviations of its
centre."""),
    new_code_cell("""g = "input 2\\ndense 128 relu\\ndense 128 relu\\ndense 2"     # 2 random numbers -> a point
d = "input 2\\ndense 128 relu\\ndense 128 relu\\ndense 1"     # a point -> one score"""),
    new_code_cell("%nbdl gan g d --data ring --steps 1500 --seed 2"),
    new_code_cell("""# NBVAL_CHECK_OUTPUT
print(f"latent 2: {gan.history['modes'][-1]:.0f} of 8 modes covered")
assert gan.history["modes"][-1] == 8"""),
    new_markdown_cell("""## Fewer modes covered: a larger latent input

A GAN's best-known failure is *mode collapse*: the generator finds a few outputs the discriminator
accepts and puts everything there. Give the same generator an **8-number** latent input and, at
1,500 steps, it covers only 2 or 3 of the 8 clouds by the measure above, where the 2-number one
covered all eight. (The usual story has it the other way round.)

Look at its picture before calling it collapse: the samples are not piled on two clouds. They trace
the whole ring and fall *between* the clouds, so most clouds do not get their share (the "samples
near a mode" curve is still rising at the end). The measure counts modes missed; here that means a
generator that has not yet concentrated its samples, not the textbook collapse onto a few points."""),
    new_code_cell("""g8 = g.replace("input 2", "input 8")"""),
    new_code_cell("%nbdl gan g8 d --data ring --steps 1500 --seed 2 --as collapsed"),
    new_code_cell("""# NBVAL_CHECK_OUTPUT
covered = {2: collapsed.history["modes"][-1]}
near = {"latent 2": gan.history["quality"][-1], "latent 8": collapsed.history["quality"][-1]}
for seed in (0, 1):
    covered[seed] = nbdl.gan(g8, d, data="ring", steps=1500, seed=seed).history["modes"][-1]
for seed in sorted(covered):
    print(f"latent 8, seed {seed}: {covered[seed]:.0f} of 8 modes covered")
print(", ".join(f"{name}: {share:.0%} of samples near a mode" for name, share in near.items()), "(seed 2)")
assert all(modes <= 4 for modes in covered.values())
assert near["latent 8"] < near["latent 2"] - 0.2"""),
    new_markdown_cell("""Things to try: `--loss wgan-gp` (the Wasserstein loss with a gradient penalty, often steadier),
more steps for the 8-number latent, `--data grid` (25 clouds), or a 1-number latent."""),
]
