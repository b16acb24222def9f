"""The benchmark suite (``procure bench``) and the reference models it measures against."""
