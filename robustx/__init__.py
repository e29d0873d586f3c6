"""robustx: robustness of zero-shot cross-lingual transfer."""

__version__ = "0.1.0"
