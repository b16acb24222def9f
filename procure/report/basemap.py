"""The report's offline base map: Natural Earth's 1:110m countries (public domain),
bundled as ``procure/data/land_110m.json`` (source and licence in
``procure/data/land_110m.md``). Nothing is downloaded.

Maps are drawn in an equirectangular projection (longitude, latitude in degrees) whose
aspect is corrected at the map's middle latitude: faithful enough for a theatre the
size of Europe, and needing no projection library.
"""

from __future__ import annotations

import functools
import json
import math
from importlib import resources

import numpy as np
from matplotlib.axes import Axes
from matplotlib.collections import PolyCollection

from procure.lp.model import FloatArray

LAND_FILE = "land_110m.json"
CREDIT = "Base map: Natural Earth 1:110m countries (public domain)"


@functools.cache
def land_rings() -> tuple[FloatArray, ...]:
    """Every country ring of the bundled base map as an (n, 2) array of (lon, lat)."""
    text = (resources.files("procure") / "data" / LAND_FILE).read_text(encoding="utf-8")
    doc = json.loads(text)
    rings: list[FloatArray] = []
    for feature in doc["features"]:
        geom = feature["geometry"]
        polygons = geom["coordinates"] if geom["type"] == "MultiPolygon" else [
            geom["coordinates"]]
        for polygon in polygons:
            rings += [np.asarray(ring, dtype=np.float64) for ring in polygon]
    return tuple(rings)


def extent(lon: FloatArray, lat: FloatArray, margin: float = 0.12,
           min_span: float = 6.0) -> tuple[float, float, float, float]:
    """(west, east, south, north) around the points, with ``margin`` of the span on each
    side and at least ``min_span`` degrees across, kept within the globe."""
    west, east = float(np.min(lon)), float(np.max(lon))
    south, north = float(np.min(lat)), float(np.max(lat))
    dx, dy = max(east - west, min_span), max(north - south, min_span)
    cx, cy = (west + east) / 2, (south + north) / 2
    half_x, half_y = dx * (0.5 + margin), dy * (0.5 + margin)
    return (max(cx - half_x, -180.0), min(cx + half_x, 180.0),
            max(cy - half_y, -90.0), min(cy + half_y, 90.0))


def draw_land(ax: Axes, box: tuple[float, float, float, float]) -> None:
    """Draw the land inside ``box`` (west, east, south, north) on ``ax`` and set the
    axes' limits, aspect and sea colour."""
    west, east, south, north = box
    near = [r for r in land_rings()
            if r[:, 0].max() >= west and r[:, 0].min() <= east
            and r[:, 1].max() >= south and r[:, 1].min() <= north]
    ax.set_facecolor("#dbe9f4")
    ax.add_collection(PolyCollection(near, facecolors="#f2efe6", edgecolors="#b8b2a3",
                                     linewidths=0.5, zorder=0))
    ax.set_xlim(west, east)
    ax.set_ylim(south, north)
    mid = math.radians((south + north) / 2)
    ax.set_aspect(1.0 / max(math.cos(mid), 0.2))
