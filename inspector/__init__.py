"""Inspector: the field app for 创文/创城/创卫 site inspections."""

__version__ = "0.1.0"
