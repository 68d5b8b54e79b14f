"""What a panel shows where its widgets cannot run (GitHub, nbviewer, a notebook opened before it is
run): beside the live widget's view, its last picture (``image/png``) and a short summary
(``text/html``, ``text/plain``). JupyterLab, Notebook 7, VS Code and Colab still show the live
widget: their widget renderer ranks the widget view above HTML and PNG."""
from __future__ import annotations

import base64
from html import escape
from typing import Any

import ipywidgets as W

from ..plots.render import shown_width

WIDGET_VIEW = "application/vnd.jupyter.widget-view+json"
VIEW_VERSION = (2, 0)  # what ipywidgets 8 writes in its own bundle (a test checks they agree)


def mimebundle(widget: W.Widget, title: str, lines: list[str], pictures: list[bytes]) -> dict[str, Any]:
    """``widget``'s view (for live front ends) with a static fallback: ``title``
    and ``lines`` as text and HTML, ``pictures`` (PNG bytes) in the HTML, the first as ``image/png``."""
    bundle: dict[str, Any] = {"text/plain": "\n".join([title, *lines])}
    if widget.comm is not None:  # a live widget (not closed): the front end draws it from this
        bundle[WIDGET_VIEW] = {"version_major": VIEW_VERSION[0], "version_minor": VIEW_VERSION[1],
                               "model_id": widget.comm.comm_id}
    images = "".join(f'<img src="data:image/png;base64,{base64.b64encode(png).decode()}" '
                     f'width="{shown_width(png)}" style="max-width: 100%; display: block">' for png in pictures)
    text = f"<pre style='margin: 4px 0'>{escape(chr(10).join(lines))}</pre>" if lines else ""
    bundle["text/html"] = f"<div class='nbdl-static'><b>{escape(title)}</b>{text}{images}</div>"
    if pictures:
        bundle["image/png"] = base64.b64encode(pictures[0]).decode()
    return bundle


class Static:
    """A panel whose displays can keep up with it: ``panel.keep(display(panel, display_id=True))``
    and ``redisplay()`` sends every kept display a fresh bundle (``_repr_mimebundle_``), so the
    notebook saved afterwards holds the panel's picture as it is now. It may be called from a training
    thread: the update reaches the cell that displayed the panel (the front end routes it by its
    display id; nbclient too, while a cell runs)."""

    def keep(self, handle: Any) -> None:
        """Keep ``handle`` (an IPython ``DisplayHandle``; None outside IPython) for ``redisplay``."""
        if handle is not None:
            self.__dict__.setdefault("displays", []).append(handle)

    def bundle(self) -> dict[str, Any]:
        """What a display of the panel holds: its widget's view and the static fallback."""
        return self._repr_mimebundle_()

    def redisplay(self) -> None:
        """Send every display of the panel its bundle as it is now."""
        handles = self.__dict__.get("displays", [])
        bundle = self.bundle() if handles else {}
        for handle in handles:
            handle.update(bundle, raw=True)
