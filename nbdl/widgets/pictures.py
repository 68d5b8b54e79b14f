"""The panel's pictures: one image per live view that applies to the run (``nbdl.plots.views``),
each hidden until its first picture comes and shown at the size it was drawn for."""
from __future__ import annotations

from typing import Any

import ipywidgets as W

from ..plots import views
from ..plots.render import shown_width


class Pictures:
    """``widget`` holds the images; ``shown`` pairs each view record with its callback and image."""

    def __init__(self) -> None:
        self.widget = W.VBox([])
        self.shown: list[tuple[views.View, views.LiveView, W.Image]] = []

    def make(self, run: Any) -> None:
        """New images and live views for ``run`` (the training curves alone before there is a run)."""
        for _, _, image in self.shown:
            image.close()
        records = views.for_run(run) if run is not None else [views.registry.get("training")]
        self.shown = []
        for view in records:
            # No broken-image icon before the first picture: hidden until it comes. Its width is
            # set to the picture's own (shown_width): not stretched to the column (blurry).
            image = W.Image(format="png", layout=W.Layout(max_width="100%", display="none", align_self="flex-start"))
            image.add_class("nbdl-picture" if view.name == "training" else f"nbdl-{view.name}")
            self.shown.append((view, view.make(lambda png, image=image: self.show(image, png)), image))
        views.shown_together([(view, live) for view, live, _ in self.shown])
        self.widget.children = [image for _, _, image in self.shown]

    def stale(self, run: Any) -> bool:
        """Whether other views apply to ``run`` now (a setting switched on since, such as diagnostics)."""
        return [view.name for view in views.for_run(run)] != [view.name for view, _, _ in self.shown]

    @property
    def live(self) -> list[views.LiveView]:
        """The view callbacks, for a fit."""
        return [live for _, live, _ in self.shown]

    def failures(self) -> list[str]:
        """What stopped a view, in words, one per stopped view."""
        return [f"the {view.title} stopped ({type(live.error).__name__}: {live.error}); training went on"
                for view, live, _ in self.shown if live.error is not None]

    @staticmethod
    def show(image: W.Image, png: bytes) -> None:
        """The picture at the size it was drawn for (a 2x PNG at half its pixel width: sharp)."""
        image.width = str(shown_width(png))
        image.value = png
        image.layout.display = None

    def close(self) -> None:
        for _, _, image in self.shown:
            image.close()
        self.widget.close()
