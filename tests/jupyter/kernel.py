"""A real IPython kernel for tests, started from this environment's Python, and its outputs."""
from __future__ import annotations

import json
import sys
from dataclasses import dataclass, field
from typing import Any

from jupyter_client import KernelManager
from jupyter_client.kernelspec import KernelSpecManager


@dataclass
class Result:
    status: str
    text: str = ""
    data: list[dict[str, Any]] = field(default_factory=list)  # display_data, update_display_data, execute_result
    error: dict[str, Any] | None = None

    def mimes(self, mime: str) -> list[Any]:
        return [d[mime] for d in self.data if mime in d]


class Kernel:
    @staticmethod
    def write_spec(directory) -> None:
        """A kernel spec named nbdl-test in ``directory`` that runs this very Python."""
        spec = directory / "nbdl-test"
        spec.mkdir(parents=True, exist_ok=True)
        (spec / "kernel.json").write_text(json.dumps({
            "argv": [sys.executable, "-m", "ipykernel_launcher", "-f", "{connection_file}"],
            "display_name": "nbdl test", "language": "python",
        }))

    def __init__(self, directory):
        self.write_spec(directory)
        self.manager = KernelManager(kernel_name="nbdl-test",
                                     kernel_spec_manager=KernelSpecManager(kernel_dirs=[str(directory)]))
        self.manager.start_kernel()
        self.client = self.manager.client()
        self.client.start_channels()
        self.client.wait_for_ready(timeout=120)

    def run(self, code: str, timeout: float = 300) -> Result:
        result = Result(status="")

        def collect(message):
            kind, content = message["header"]["msg_type"], message["content"]
            if kind == "stream":
                result.text += content["text"]
            elif kind in ("display_data", "update_display_data", "execute_result"):
                result.data.append(content["data"])
            elif kind == "error":
                result.error = content

        reply = self.client.execute_interactive(code, output_hook=collect, timeout=timeout)
        result.status = reply["content"]["status"]
        return result

    def value(self, expression: str) -> Any:
        """The value of a Python expression in the kernel (through its repr)."""
        result = self.run(f"print(repr({expression}))")
        assert result.status == "ok", result.error
        return eval(result.text.strip())  # noqa: S307 - our own test values

    def close(self) -> None:
        self.client.stop_channels()
        self.manager.shutdown_kernel(now=True)
