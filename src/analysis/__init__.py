"""Routes & Rights: trafficking routes from Southeast Asia and victim-protection law."""

__version__ = "0.1.0"
