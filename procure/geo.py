"""Great-circle distance on a spherical Earth: the one implementation every module uses."""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

EARTH_RADIUS_KM = 6371.0088  # mean radius (IUGG)


def great_circle_km(lat1: npt.ArrayLike, lon1: npt.ArrayLike, lat2: npt.ArrayLike,
                    lon2: npt.ArrayLike) -> npt.NDArray[np.float64]:
    """Distance in km between points given in degrees, elementwise (numpy broadcasting):
    2 R asin(chord / 2), the haversine formula written with the chord between unit
    vectors (no cancellation for nearby points)."""
    p1, l1 = np.radians(np.asarray(lat1, dtype=np.float64)), np.radians(
        np.asarray(lon1, dtype=np.float64))
    p2, l2 = np.radians(np.asarray(lat2, dtype=np.float64)), np.radians(
        np.asarray(lon2, dtype=np.float64))
    dx = np.cos(p1) * np.cos(l1) - np.cos(p2) * np.cos(l2)
    dy = np.cos(p1) * np.sin(l1) - np.cos(p2) * np.sin(l2)
    dz = np.sin(p1) - np.sin(p2)
    chord = np.sqrt(dx * dx + dy * dy + dz * dz)
    out: npt.NDArray[np.float64] = 2 * EARTH_RADIUS_KM * np.arcsin(np.minimum(1.0, chord / 2))
    return out
