"""Meta-learning learns to learn (slow): the point of Finn et al. 2017 in small, with fixed seeds."""
import pytest

from nbdl.core.meta import meta

SINE = "input 1\ndense 40 relu\ndense 40 relu\ndense 1"
DIGITS = "input 64\ndense 64 relu\ndense 64 relu\ndense 5"
pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def pretrained():
    run = meta(SINE, method="pretrain", iterations=2000, every=500)
    return run, run.evaluate_tasks(n=100, shots=10, steps=(0, 1, 10), seed=0)


def test_maml_adapts_in_one_step_where_pretraining_cannot(pretrained):
    run = meta(SINE, method="maml", shots=10, inner_steps=1, inner_lr=0.01, iterations=2000, every=500)
    maml, joint = run.evaluate_tasks(n=100, shots=10, steps=(0, 1, 10), seed=0), pretrained[1]
    print(f"\nsinusoid MSE on 100 new tasks after 0/1/10 steps: maml {maml} ({run.seconds:.1f} s), "
          f"pretrain {joint} ({pretrained[0].seconds:.1f} s)")
    assert maml[1] < 1.5 and maml[1] < 0.5 * joint[1]  # measured 0.99 against 2.91
    assert maml[10] < maml[1] < maml[0]
    assert run.history["loss"][-1] < run.history["loss"][0]


def test_reptile_beats_pretraining_after_ten_steps(pretrained):
    run = meta(SINE, method="reptile", iterations=2000, every=500)
    reptile, joint = run.evaluate_tasks(n=100, shots=10, steps=(0, 1, 10), seed=0), pretrained[1]
    print(f"\nsinusoid MSE after 0/1/10 steps: reptile {reptile} ({run.seconds:.1f} s), pretrain {joint}")
    assert reptile[10] < 0.7 * joint[10]  # measured 0.99 against 1.85


def test_meta_learned_digits_beat_training_from_scratch_on_the_same_shots():
    run = meta(DIGITS, tasks="digits", method="reptile", shots=5, meta_batch=10, iterations=1000, every=250)
    found = run.evaluate_tasks(n=200, shots=5, steps=(0, 1, 10), seed=0)
    scratch = found["scratch"]
    print(f"\n5-way 5-shot accuracy on held-out digit classes after 0/1/10 steps: reptile "
          f"{[round(found[s], 3) for s in (0, 1, 10)]} ({run.seconds:.1f} s); from scratch "
          f"{[round(scratch[s], 3) for s in (0, 1, 10, 100)]} after 0/1/10/100 steps")
    assert found[1] > scratch[1] + 0.3 and found[10] > scratch[10] + 0.08  # measured 0.85/0.93 against 0.27/0.76
    assert 0.1 < found[0] < 0.3 and 0.1 < scratch[0] < 0.3  # before adapting: chance (0.2)


def test_maml_digits_beat_scratch_at_the_same_steps():
    run = meta(DIGITS, tasks="digits", method="maml", shots=5, meta_batch=10, iterations=1500, every=500)
    found = run.evaluate_tasks(n=200, shots=5, steps=(1, 10), seed=0)
    scratch = found["scratch"]
    print(f"\n5-way 5-shot accuracy after 1/10 steps: maml {found[1]:.3f}/{found[10]:.3f} ({run.seconds:.1f} s), "
          f"from scratch {scratch[1]:.3f}/{scratch[10]:.3f} (100 steps: {scratch[100]:.3f})")
    assert found[1] > scratch[1] + 0.3 and found[10] > scratch[10]  # measured 0.71/0.85 against 0.27/0.76
