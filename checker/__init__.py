"""clinimg: a policy-as-code compliance checker for clinical images (AMA/MIIAA guide)."""

__version__ = "0.1.0"
