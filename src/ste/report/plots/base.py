"""What every report plot shares: the palette, the matplotlib style, the `@plot` decorator that
turns a drawn Figure into a PNG data URI, and small axis helpers."""

from __future__ import annotations

import base64
import io
from collections.abc import Callable
from functools import wraps
from typing import Any, ParamSpec

import matplotlib

matplotlib.use("Agg")

from matplotlib.backends.backend_agg import FigureCanvasAgg  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402
from matplotlib.ticker import FuncFormatter, MaxNLocator  # noqa: E402

GREEN = "#2e8b57"
RED = "#d1495b"
BLUE = "#3a6ea5"
ORANGE = "#edae49"
PURPLE = "#7b5ea7"
TEAL = "#00798c"
GREY = "#9aa5b1"
DARK = "#30343b"
SERIES = (BLUE, ORANGE, PURPLE, TEAL, RED, GREEN, "#8c564b", "#e377c2")

METRIC_LABELS = {
    "well_formed": "well-formed",
    "api_match": "API match",
    "correct": "correct",
    "lenient_correct": "lenient correct",
    "exec_equivalent": "exec-equivalent",
    "answer_correct": "answer correct",
}
STYLE = {
    "font.size": 10,
    "text.parse_math": False,  # a "$" in a name is a dollar sign
    "axes.titlesize": 11,
    "axes.titleweight": "bold",
    "axes.titlelocation": "left",
    "axes.labelcolor": DARK,
    "axes.edgecolor": "#c5cad1",
    "axes.spines.top": False,
    "axes.spines.right": False,
    "axes.grid": True,
    "axes.axisbelow": True,
    "grid.color": "#e6e9ed",
    "grid.linewidth": 0.8,
    "xtick.color": DARK,
    "ytick.color": DARK,
    "legend.frameon": False,
    "figure.dpi": 100,
    "savefig.dpi": 160,
}
DPI = 160
WIDTH = 10.0  # inches; the page shows figures at up to WIDTH * 100 CSS pixels

P = ParamSpec("P")


def _png(figure: Figure) -> str:
    FigureCanvasAgg(figure)
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=DPI, bbox_inches="tight", facecolor="white")
    return "data:image/png;base64," + base64.b64encode(buffer.getvalue()).decode("ascii")


def plot(function: Callable[P, Figure | None]) -> Callable[P, str | None]:
    """Run a function that draws a Figure in the report's style; return its PNG data URI."""

    @wraps(function)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> str | None:
        with matplotlib.rc_context(STYLE):
            figure = function(*args, **kwargs)
            return None if figure is None else _png(figure)

    return wrapper


def token_count(value: float, _position: Any = None) -> str:
    """A token count in short (1.2k, 3.4M); also a tick formatter."""
    for size, suffix in ((1e9, "G"), (1e6, "M"), (1e3, "k")):
        if abs(value) >= size:
            return f"{value / size:.3g}{suffix}"
    return f"{value:.0f}"


def percent_axis(axis: Any, which: str = "y", top: float = 104) -> None:
    """Show `which` axis (x or y) as percentages, from 0 to `top`."""
    limits = axis.set_ylim if which == "y" else axis.set_xlim
    limits(0, top)
    ticks = axis.yaxis if which == "y" else axis.xaxis
    ticks.set_major_formatter(FuncFormatter(lambda v, _: f"{v:.0f}%"))


def hbar_grid(axis: Any) -> None:
    """Horizontal bars: no horizontal grid lines, no ticks beside the labels."""
    axis.grid(axis="y", visible=False)
    axis.tick_params(axis="y", length=0)


def count_bars(
    axis: Any, labels: list[str], counts: list[int], colour: Any, right: float, title: str
) -> None:
    """Horizontal bars of counts, the first on top, each labelled with its count."""
    bars = axis.barh(labels, counts, color=colour, height=0.62)
    axis.bar_label(bars, padding=4, fontsize=9, color=DARK)
    axis.invert_yaxis()
    axis.set_xlim(0, right)
    axis.xaxis.set_major_locator(MaxNLocator(integer=True))
    hbar_grid(axis)
    axis.set_title(title)


def intervals(stats: list[dict[str, Any] | None]) -> list[list[float]]:
    """Error bars (below, above) of rates with 95% intervals; zero where there is no rate."""
    low = [max(0.0, s["rate"] - s["ci_low"]) if s else 0.0 for s in stats]
    high = [max(0.0, s["ci_high"] - s["rate"]) if s else 0.0 for s in stats]
    return [low, high]


def shorten(label: str, width: int = 34) -> str:
    return label if len(label) <= width else label[: width - 1] + "…"
