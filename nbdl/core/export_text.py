"""The fixed parts of an exported script (``export``): each reproduces one piece of nbdl as plain
torch and numpy, step for step, so the numbers come out the same."""
from __future__ import annotations


def imports(sklearn: bool, npz: bool, early_stopping: bool) -> str:
    lines = [*(["import math"] if early_stopping else []), *(["from pathlib import Path"] if npz else []), "",
             "import numpy as np", "import torch", "import torch.nn.functional as F",
             *(["from sklearn import datasets"] if sklearn else []), "from torch import nn", ""]
    return "\n".join(lines if lines[0] else lines[1:])


def split(classify: bool) -> str:
    groups = ("[np.flatnonzero(y == c) for c in np.unique(y)]  # each class keeps its share of each part"
              if classify else "[np.arange(len(y))]")
    return f'''def split(y, val_share, test_share, seed):
    """Shuffled row numbers of the training, validation and test parts."""
    rng = np.random.default_rng(seed)
    groups = {groups}
    sizes = np.array([len(g) for g in groups])
    tests = shares(sizes, test_share, room=sizes - 1)
    vals = shares(sizes, val_share, room=sizes - tests - 1)
    parts = [[], [], []]
    for group, n_test, n_val in zip(groups, tests, vals):
        group = rng.permutation(group)
        parts[2].append(group[:n_test])
        parts[1].append(group[n_test:n_test + n_val])
        parts[0].append(group[n_test + n_val:])
    return [rng.permutation(np.concatenate(p)).astype(np.int64) for p in parts]


def shares(sizes, fraction, room):
    """How many of each group go to a part holding ``fraction`` of all samples: each group's share
    rounded down, then one more for the groups with the largest remainders."""
    exact = sizes * fraction
    counts = np.minimum(np.floor(exact + 1e-9).astype(int), np.maximum(room, 0))
    missing = int(round(fraction * sizes.sum())) - int(counts.sum())
    for i in np.argsort(-(exact - counts), kind="stable"):
        if missing <= 0:
            break
        if counts[i] < room[i]:
            counts[i] += 1
            missing -= 1
    return counts
'''


# What nbdl's 2-D generators (``toy``, whose source the script copies) call.
TOY_HELPERS = """def _rng(seed):
    return np.random.default_rng(seed)


def _shuffled(X, y, rng):
    order = rng.permutation(len(X))
    return X[order].astype(np.float32), y[order].astype(np.int64)
"""

STANDARDIZE = """
# Each feature scaled to mean 0 and spread 1 on the training part (statistics in float64).
mean = X[train].mean(axis=0, dtype=np.float64).astype(np.float32)
std = X[train].std(axis=0, dtype=np.float64)
X = ((X - mean) / np.where(std > 0, std, 1.0).astype(np.float32)).astype(np.float32)"""

STANDARDIZE_TARGETS = """# The targets too: the losses are on standardized targets.
y_mean, y_std = y[train].astype(np.float64).mean(axis=0), y[train].astype(np.float64).std(axis=0)
y = ((y - y_mean) / np.where(y_std > 0, y_std, 1.0)).astype(np.float32)"""

DROPOUT = '''class Dropout(nn.Module):
    """Zeroes each value with probability p while training; the masks come from ``generator``."""

    def __init__(self, p, generator):
        super().__init__()
        self.p, self.generator = p, generator

    def forward(self, x):
        if not self.training or self.p == 0:
            return x
        keep = torch.empty(x.shape, dtype=x.dtype).bernoulli_(1 - self.p, generator=self.generator)
        return x * keep / (1 - self.p)
'''


def loop(penalty: bool, schedule: str, patience: int | None, monitor: str, restore_best: bool,
         merge_single: bool) -> str:
    """The training loop: batches in a seeded order, a step each, the epoch's figures, the schedule
    and early stopping, in the order nbdl runs them."""
    step = "(loss + penalty()).backward()" if penalty else "loss.backward()"
    merge = ("\nif len(batches) > 1 and batches[-1][1] - batches[-1][0] == 1:  # batch norm needs 2 samples a batch"
             "\n    batches[-2:] = [(batches[-2][0], n)]") if merge_single else ""
    scheduled = {"none": "", "plateau": "\n    schedule.step(val_loss)"}.get(schedule, "\n    schedule.step()")
    stopping = restore = start = ""
    if patience:
        start = "\nbest, best_epoch, wait = math.inf, None, 0"
        keep_best = ("\n        best_state = {k: v.detach().clone() for k, v in model.state_dict().items()}"
                     if restore_best else "")
        stopping = f"""
    if {monitor} < best:
        best, best_epoch, wait = {monitor}, epoch, 0{keep_best}
    else:
        wait += 1
        if wait >= {patience}:
            print(f"early stopping: {monitor} has not improved for {patience} epochs (best at epoch {{best_epoch}})")
            break"""
        if restore_best:
            restore = "\nmodel.load_state_dict(best_state)  # the best epoch's weights"
    return f'''def validation_loss():
    model.eval()
    with torch.inference_mode():
        loss = loss_of(model(X_val), y_val).item()
    model.train()
    return loss


n = len(X_train)
batches = [(start, min(start + BATCH_SIZE, n)) for start in range(0, n, BATCH_SIZE)]{merge}
sizes = torch.tensor([stop - start for start, stop in batches])
batch_order = torch.Generator().manual_seed(SEED){start}
train_loss = val_loss = float("nan")  # until an epoch is trained (EPOCHS may be 0)
for epoch in range(1, EPOCHS + 1):
    order = torch.randperm(n, generator=batch_order)
    X_shuffled, y_shuffled = X_train[order], y_train[order]
    losses = []
    for start, stop in batches:
        loss = loss_of(model(X_shuffled[start:stop]), y_shuffled[start:stop])
        optimizer.zero_grad()
        {step}
        optimizer.step()
        losses.append(loss.detach())
    train_loss = (torch.stack(losses) * sizes).sum().item() / n  # each batch's mean, weighted by its size
    val_loss = validation_loss()
    print(f"epoch {{epoch}}: train_loss {{train_loss:.6f}}, val_loss {{val_loss:.6f}}"){scheduled}{stopping}
{restore}
print(f"final train_loss {{train_loss!r}}")
print(f"final val_loss {{val_loss!r}}")'''
