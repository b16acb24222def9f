"""procure: joint procurement planning for multinational alliances."""

__version__ = "0.1.0"
