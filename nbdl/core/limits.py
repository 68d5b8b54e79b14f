"""What this machine can hold: sizes are checked against free memory and cores before allocating;
and whether a process on it still runs."""
from __future__ import annotations

import os

from .errors import NbdlError

# Share of the free memory one allocation may plan to take: the rest is left for copies and the notebook.
SHARE = 0.8


def available_memory(device: str = "cpu") -> int:
    """Bytes of memory free now on ``device`` (the machine's RAM for the CPU)."""
    if str(device).startswith("cuda"):
        import torch

        if torch.cuda.is_available():
            return int(torch.cuda.mem_get_info(torch.device(device))[0])
    try:
        with open("/proc/meminfo") as info:
            for line in info:
                if line.startswith("MemAvailable:"):
                    return int(line.split()[1]) * 1024
    except OSError:
        pass
    try:
        return os.sysconf("SC_AVPHYS_PAGES") * os.sysconf("SC_PAGE_SIZE")
    except (ValueError, OSError, AttributeError):
        return 1 << 62  # unknown: do not refuse


def cores() -> int:
    """Cores this process may run on."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:
        return os.cpu_count() or 1


def size_text(nbytes: float) -> str:
    for unit, scale in (("TB", 1e12), ("GB", 1e9), ("MB", 1e6), ("kB", 1e3)):
        if nbytes >= scale:
            return f"{nbytes / scale:.1f} {unit}"
    return f"{nbytes:.0f} bytes"


def check_memory(nbytes: float, what: str, fix: str, device: str = "cpu") -> None:
    """Refuse, naming ``what`` and its size, when ``nbytes`` would not fit in free memory."""
    free = available_memory(device)
    if nbytes > SHARE * free:
        raise NbdlError(f"{what} would need about {size_text(nbytes)} of memory but {size_text(free)} is free "
                        f"on this machine; {fix}")


def alive(pid: int) -> bool:
    """Whether process ``pid`` on this machine still runs (a zombie, dead but not yet reaped, does not)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    try:
        with open(f"/proc/{pid}/stat") as stat:
            return stat.read().rsplit(")", 1)[1].split()[0] != "Z"
    except (OSError, IndexError):
        return True
