"""The one compiled module of botfleet; everything else is in pyproject.toml.

The Mod Bot's word filter asks its table of clean words in C (issue 13). It is optional: where
no C compiler is installed the install goes on, the same table runs in Python
(``botfleet/bots/mod/services/text_scan.py``) and ``botfleet doctor`` says so.
"""

from setuptools import Extension, setup

setup(
    ext_modules=[
        Extension(
            "botfleet.bots.mod.services._text_scan",
            sources=["src/botfleet/bots/mod/services/_text_scan.c"],
            optional=True,
        )
    ]
)
