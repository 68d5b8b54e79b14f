"""GANs: a generator and a discriminator, two text-form networks trained in turns.

``nbdl.gan(G, D, data="ring")`` returns a ``GanRun`` trained for ``steps`` generator steps. The
latent size is the generator's input line; its output width must be the data's sample width, which
is also the discriminator's input; the discriminator gives one score. Every ``every`` generator steps
the run logs a history row (``d_loss``, ``g_loss``, and for ``ring`` and ``grid`` the modes covered
and the share of high-quality samples, see ``gan_losses``) and calls its callbacks' ``on_epoch_end``.
Samples are standardised for training (one scale for all features); ``sample(n)`` gives them back in
the data's units. Ctrl-C, ``stop()`` or ``pause()`` (from another thread) act between two steps."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import torch

from . import datasets, optimizers, randomness
from .data import Dataset
from .errors import NbdlError, raise_all, spell
from .looping import Looping, checked, filled, refuse_unknown
from .gan_losses import Coverage, centres, coverage, gradient_penalty, registry as losses
from .network import text_form
from .options import CHOICE, FLOAT, INT, OBJECT, PAIR, declared, option

MEASURED = 2000  # generated samples the coverage is measured on, from one fixed latent batch


@dataclass
class GanConfig:
    """One GAN experiment; the optimizer settings left at None take the loss's own defaults."""

    generator: Any = option(None, "the generator: text form ('input 8' for an 8-number latent, ..., 'dense 2')",
                            kind=OBJECT)
    discriminator: Any = option(None, "the discriminator: text form, taking a sample and giving 1 score",
                                kind=OBJECT)
    data: Any = option("ring", "the real samples: ring, grid, digits_images, any data set or (X, y)", kind=OBJECT)
    data_options: dict = field(default_factory=dict)
    loss: str = option("gan", "the loss: gan (non-saturating) or wgan-gp", kind=CHOICE, choices=losses)
    steps: int = option(4000, "generator steps to train", kind=INT, low=1)
    every: int = option(200, "generator steps between two rows of the history (and pictures)", kind=INT, low=1)
    lr_g: float | None = option(None, "the generator's Adam learning rate (default: the loss's, gan 1e-3, "
                                "wgan-gp 1e-4)", kind=FLOAT, low=0, low_open=True, optional=True)
    lr_d: float | None = option(None, "the discriminator's Adam learning rate (default: the loss's, as lr_g)", kind=FLOAT,
                                low=0, low_open=True, optional=True)
    betas: tuple | None = option(None, "Adam's betas for both (default: gan 0.5 0.999, wgan-gp 0.5 0.9)", kind=PAIR,
                                 low=0, high=1, high_open=True, optional=True, metavar="B1 B2")
    critic_steps: int | None = option(None, "discriminator steps per generator step (default: gan 1, wgan-gp 5)",
                                      kind=INT, low=1, high=100, optional=True)
    gp_weight: float | None = option(None, "the gradient penalty's weight (default: gan 0, wgan-gp 10)", kind=FLOAT,
                                     low=0, optional=True)
    batch_size: int = option(256, "samples per batch, real and generated", kind=INT, low=1)
    seed: int = option(0, "the seed of the weights, batches and latents", kind=INT, low=0, high=2**32 - 1)


OPTIONS = declared(GanConfig)
SETTINGS = tuple(o for o in OPTIONS if o.kind != OBJECT)  # what a flag or keyword sets


def settled(config: GanConfig) -> dict[str, Any]:
    """Every setting checked, the optimizer ones filled from the loss's defaults."""
    values = checked(config, SETTINGS, "GAN settings")
    loss = losses.get(values["loss"])
    values["loss"] = loss.name  # 'WGAN-GP' or 'wgan_gp' as the user wrote it -> 'wgan-gp'
    return filled(values, loss.defaults)


class GanRun(Looping):
    """A GAN being trained: ``generator``, ``discriminator``, ``history``, ``sample(n)``, ``fit()``."""

    def __init__(self, config: GanConfig):
        super().__init__()
        self.config = config
        self.settings = settled(config)
        self.dataset = data = datasets.as_dataset(config.data, seed=self.settings["seed"], **config.data_options)
        if not isinstance(data, Dataset) or data.tokens or len(data) < 2:
            raise NbdlError("a GAN learns from samples of numbers; token data and fewer than 2 samples cannot be used")
        self.width = int(np.prod(data.sample_shape))
        flat = data.X.reshape(len(data), self.width).astype(np.float32)
        self.mean, self.scale = flat.mean(axis=0), float(flat.std()) or 1.0  # one scale: modes keep their shape
        self.real = torch.from_numpy((flat - self.mean) / self.scale)
        g_spec = text_form(config.generator, "the generator", "input 8\\ndense 64 relu\\ndense 2")
        d_spec = text_form(config.discriminator, "the discriminator", "input 2\\ndense 64 relu\\ndense 1")
        self.latent = self._check(g_spec, d_spec)
        seed = self.settings["seed"]
        with randomness.seeded(seed):
            self.generator = g_spec.build()
        with randomness.seeded(seed + 1):
            self.discriminator = d_spec.build(self._d_shape(d_spec))
        self.loss = losses.get(self.settings["loss"])
        betas = tuple(self.settings["betas"])
        self.g_optimizer = optimizers.make("adam", self.generator.parameters(), lr=self.settings["lr_g"], betas=betas)
        self.d_optimizer = optimizers.make("adam", self.discriminator.parameters(), lr=self.settings["lr_d"],
                                           betas=betas)
        self.random = torch.Generator().manual_seed(seed)
        self.fixed_latent = torch.randn(MEASURED, self.latent, generator=torch.Generator().manual_seed(seed + 2))
        self.centres = centres(data.name) if self.width == 2 else None
        self.history: dict[str, list[float]] = {}
        self.step = 0

    # -- checks ----------------------------------------------------------------------------------
    def _d_shape(self, d_spec) -> tuple[int, ...]:
        own = d_spec.input_shape
        return tuple(own) if own is not None and tuple(own) in ((self.width,), self.dataset.sample_shape) \
            else self.dataset.sample_shape

    def _check(self, g_spec, d_spec) -> int:
        """The latent size; every width that does not fit, named in one error."""
        data, problems = self.dataset, []
        sample = "x".join(map(str, data.sample_shape))
        latent = g_spec.input_shape
        if latent is None or len(latent) != 1:
            raise NbdlError(f"the generator's first line must be 'input K', K the size of its latent (random) input, "
                            f"such as 'input 8'; got {g_spec.layers[0].to_text()!r}")
        out = g_spec.shapes()[-1]
        if int(np.prod(out)) != self.width:
            problems.append(f"the generator gives {'x'.join(map(str, out))} values per sample but the {data.name} "
                            f"samples have {self.width} ({sample}); make its last line 'dense {self.width}'")
        own = d_spec.input_shape
        if own is not None and tuple(own) not in ((self.width,), data.sample_shape):
            problems.append(f"the discriminator's input line takes {'x'.join(map(str, own))} values but the "
                            f"{data.name} samples have {self.width} ({sample}); make it 'input {self.width}'")
        else:
            d_out = d_spec.shapes(self._d_shape(d_spec))[-1]
            if len(d_out) > 1 and d_out[-1] == 1:  # 'dense 1' on a sequence scores each time step
                problems.append(f"the discriminator gives {'x'.join(map(str, d_out))} outputs, one per time step of "
                                f"the {sample} samples; it must give 1: add a 'flatten' layer before its last line")
            elif tuple(d_out) != (1,):
                problems.append(f"the discriminator gives {'x'.join(map(str, d_out))} outputs; it must give 1 (a score "
                                "of how real a sample looks): make its last line 'dense 1'")
        raise_all(problems, "GAN networks")
        return int(latent[0])

    # -- training --------------------------------------------------------------------------------
    def _score(self, flat: torch.Tensor) -> torch.Tensor:
        shape = self.discriminator.input_shape
        return self.discriminator.logits(flat.reshape(len(flat), *shape))  # (batch, 1)

    def _fake(self, n: int, latent: torch.Tensor | None = None) -> torch.Tensor:
        z = torch.randn(n, self.latent, generator=self.random) if latent is None else latent
        return self.generator.logits(z).reshape(len(z), self.width)

    def _critic_step(self) -> float:
        batch = self.settings["batch_size"]
        real = self.real[torch.randint(len(self.real), (batch,), generator=self.random)]
        with torch.no_grad():
            fake = self._fake(batch)
        loss = self.loss.critic(self._score(real), self._score(fake))
        if self.loss.penalty and self.settings["gp_weight"]:
            loss = loss + self.settings["gp_weight"] * gradient_penalty(self._score, real, fake, self.random)
        self.d_optimizer.zero_grad(set_to_none=True)
        loss.backward()
        self.d_optimizer.step()
        return float(loss.detach())

    def _generator_step(self) -> float:
        loss = self.loss.generator(self._score(self._fake(self.settings["batch_size"])))
        self.g_optimizer.zero_grad(set_to_none=True)
        loss.backward()
        self.g_optimizer.step()  # the discriminator's gradients from this loss are cleared before its next step
        return float(loss.detach())

    def fit(self, steps: int | None = None, callbacks: Any = None) -> "GanRun":
        """Train ``steps`` more generator steps (default: the config's); Ctrl-C stops between steps."""
        steps = self.settings["steps"] if steps is None else INT_STEPS.check(steps, subject=spell("steps"))
        d_losses, g_losses = [], []

        def step(listeners) -> None:
            d_losses.extend(self._critic_step() for _ in range(self.settings["critic_steps"]))
            g_losses.append(self._generator_step())
            self.step += 1
            self.diverged(g_losses[-1] + d_losses[-1], "a loss", "try a lower lr_g or lr_d")
            if self.step % self.settings["every"] == 0:
                self._log(d_losses, g_losses, listeners)
                d_losses.clear()
                g_losses.clear()

        def end(listeners) -> None:
            if g_losses:  # the steps since the last row
                self._log(d_losses, g_losses, listeners)
        self.loop(steps, step, callbacks, end=end)
        return self

    def _log(self, d_losses, g_losses, listeners) -> None:
        """One history row: the mean losses since the last, the coverage, the fit's wall time so far."""
        self.seconds = seconds = self.elapsed()
        row = {"step": float(self.step), "d_loss": float(np.mean(d_losses)) if d_losses else float("nan"),
               "g_loss": float(np.mean(g_losses))}
        found = self.coverage()
        if found is not None:
            row.update(modes=float(found.covered), quality=found.quality)
        row["seconds"] = seconds
        for key, value in row.items():
            self.history.setdefault(key, []).append(value)
        for c in listeners:
            c.on_epoch_end(self, row)

    # -- results ---------------------------------------------------------------------------------
    def generated(self, latent: torch.Tensor | None = None, n: int = MEASURED) -> np.ndarray:
        """Generated samples in the data's units, flat (n, width): from ``latent`` or fresh latents."""
        with torch.no_grad():
            if latent is None:
                latent = torch.randn(n, self.latent, generator=self.random)
            flat = self.generator.logits(latent).reshape(len(latent), self.width).numpy()
        return flat * self.scale + self.mean

    def sample(self, n: int = 1000) -> np.ndarray:
        """``n`` generated samples in the data's units and shape: (n, *sample_shape)."""
        n = INT_STEPS.check(n, subject="n")
        return self.generated(n=n).reshape(n, *self.dataset.sample_shape).astype(np.float32)

    def critic(self, points: np.ndarray) -> np.ndarray:
        """The discriminator's output on ``points`` given in the data's units, flat (n, width): the
        probability of real for the gan loss, the critic's score for wgan-gp."""
        flat = torch.from_numpy(((np.asarray(points, np.float32).reshape(len(points), -1) - self.mean) / self.scale)
                                .astype(np.float32))
        with torch.no_grad():
            score = self._score(flat)[:, 0]
        return (torch.sigmoid(score) if not self.loss.penalty else score).numpy()

    def coverage(self) -> Coverage | None:
        """The fixed latent batch's spread over the modes (ring and grid; None for other data)."""
        if self.centres is None:
            return None
        return coverage(self.generated(self.fixed_latent), self.centres, self.dataset.options["noise"])

    def summary(self) -> str:
        h = self.history
        parts = [f"{self.step} generator steps in {self.seconds:.1f} s"]
        if h.get("d_loss"):
            parts.append(f"d_loss {h['d_loss'][-1]:.3f}, g_loss {h['g_loss'][-1]:.3f}")
        if h.get("modes"):
            parts.append(f"{int(h['modes'][-1])} of {len(self.centres)} modes covered, "
                         f"{h['quality'][-1]:.0%} of samples near a mode")
        return "; ".join(parts)

    def __repr__(self) -> str:
        return f"GanRun({self.settings['loss']} on {self.dataset.name!r}: {self.summary()})"


INT_STEPS = next(o for o in OPTIONS if o.name == "steps")


def gan(generator: Any, discriminator: Any, data: Any = "ring", callbacks: Any = None, fit: bool = True,
        data_options: dict | None = None, **settings: Any) -> GanRun:
    """Train a GAN: ``nbdl.gan("input 8\\ndense 128 relu\\ndense 2", "input 2\\ndense 128 relu\\ndense 1")``.
    Settings: loss, steps, every, lr_g, lr_d, betas, critic_steps, gp_weight, batch_size, seed;
    ``fit=False`` makes the run without training it."""
    refuse_unknown("nbdl.gan", settings, SETTINGS)
    run = GanRun(GanConfig(generator, discriminator, data, dict(data_options or {}), **settings))
    return run.fit(callbacks=callbacks) if fit else run
