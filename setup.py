"""The optional C extension robustx._fast._charnoise; everything else is configured in pyproject.toml.

``optional=True``: where no C compiler is present the build warns and goes on, and robustx runs the
pure-Python path (the reference; robustx._fast.status() says which path runs and why).
"""

import sys

from setuptools import Extension, setup

SOURCES = ["module.c", "rng.c", "text.c", "ops.c"]
FLAGS = [] if sys.platform == "win32" else ["-O3", "-std=gnu11", "-fvisibility=hidden"]

setup(
    ext_modules=[
        Extension(
            "robustx._fast._charnoise",
            sources=[f"robustx/_fast/{name}" for name in SOURCES],
            depends=["robustx/_fast/fast.h", "robustx/_fast/tables.h"],
            extra_compile_args=FLAGS,
            optional=True,
        )
    ]
)
