"""Build script: compiles airsrt/_core.pyx (the per-message hot path).

Environment toggles:
    AIRSRT_DEBUG=1     line tracing, -O0 -g, Cython runtime checks on.
    AIRSRT_ANNOTATE=1  write Cython's annotation HTML next to the sources.
"""

import os
import sys

from setuptools import Extension, setup
from setuptools.command.build_ext import build_ext

try:
    from Cython.Build import cythonize
except ImportError:  # pragma: no cover - build-requires installs Cython
    sys.exit("airsrt needs Cython>=3.1 to build its compiled core: pip install 'Cython>=3.1'")

debug = os.environ.get("AIRSRT_DEBUG") == "1"
annotate = os.environ.get("AIRSRT_ANNOTATE") == "1"

directives = {
    "language_level": 3,
    "boundscheck": debug,
    "wraparound": debug,
    "initializedcheck": debug,
    "cdivision": True,
    "embedsignature": True,
    # Plain method descriptors: a call like ref.tell(msg) skips the cyfunction wrapper.
    "binding": False,
    "linetrace": debug,
    "profile": debug,
}
macros = [("CYTHON_TRACE", "1"), ("CYTHON_TRACE_NOGIL", "1")] if debug else []
compile_args = ["-O0", "-g", "-UNDEBUG"] if debug else ["-O2"]

extensions = [
    Extension(
        "airsrt._core",
        ["airsrt/_core.pyx"],
        define_macros=macros,
        extra_compile_args=compile_args,
    )
]


class BuildCore(build_ext):
    """Builds the extension, and says plainly what to do when there is no C compiler."""

    def run(self) -> None:
        try:
            super().run()
        except Exception as error:  # setuptools raises several compiler/platform error types
            if type(error).__name__ not in _COMPILER_ERRORS:
                raise
            sys.exit(
                f"airsrt could not compile its core ({type(error).__name__}: {error}).\n"
                "It needs a C compiler and the Python headers: on Debian/Ubuntu "
                "'apt install build-essential python3-dev', on Fedora 'dnf install gcc "
                "python3-devel', on macOS 'xcode-select --install'. Or install a prebuilt "
                "wheel where one exists for your platform."
            )


_COMPILER_ERRORS = {
    "CCompilerError", "CompileError", "DistutilsExecError", "DistutilsPlatformError",
    "PlatformError", "ExecError", "LinkError",
}

setup(
    cmdclass={"build_ext": BuildCore},
    ext_modules=cythonize(
        extensions,
        compiler_directives=directives,
        annotate=annotate,
        force=debug or annotate,
    ),
)
