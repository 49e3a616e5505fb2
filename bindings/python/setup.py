"""Builds sharedatomic's C extension, sharedatomic._native (the metadata is
in pyproject.toml).

It compiles against an installed libsharedatomic, found (first match):

1. SATOMIC_PREFIX, the prefix it was installed in (P/include, P/lib), or
   SATOMIC_CFLAGS / SATOMIC_LIBS, compiler and linker flags given by hand
   (e.g. SATOMIC_CFLAGS=-I/opt/sa/include SATOMIC_LIBS="-L/opt/sa/lib
   -lsharedatomic");
2. pkg-config sharedatomic (set PKG_CONFIG_PATH=<prefix>/lib/pkgconfig for
   a library installed under a prefix of your own);
3. the libsharedatomic source tree this directory is in, once built
   (include/ and src/.libs/).

Each -L directory is also put in the extension's run path, so the library
is found at run time without LD_LIBRARY_PATH.
"""

import os
import shlex
import subprocess

from setuptools import Extension, setup
from setuptools.command.build_ext import build_ext

HERE = os.path.dirname(os.path.abspath(__file__))
TREE = os.path.normpath(os.path.join(HERE, "..", ".."))


def _flags():
    prefix = os.environ.get("SATOMIC_PREFIX")
    if prefix:
        libdir = next((os.path.join(prefix, d) for d in ("lib", "lib64")
                       if os.path.exists(os.path.join(prefix, d, "libsharedatomic.so"))),
                      os.path.join(prefix, "lib"))
        return (["-I" + os.path.join(prefix, "include")],
                ["-L" + libdir, "-lsharedatomic"], "SATOMIC_PREFIX")
    cflags, libs = os.environ.get("SATOMIC_CFLAGS"), os.environ.get("SATOMIC_LIBS")
    if cflags is not None or libs is not None:
        return shlex.split(cflags or ""), shlex.split(libs or "-lsharedatomic"), "environment"
    try:
        out = [subprocess.run(["pkg-config", opt, "sharedatomic"], check=True,
                              capture_output=True, text=True).stdout
               for opt in ("--cflags", "--libs")]
        return shlex.split(out[0]), shlex.split(out[1]), "pkg-config"
    except (OSError, subprocess.CalledProcessError):
        pass
    libdir = os.path.join(TREE, "src", ".libs")
    if os.path.exists(os.path.join(TREE, "include", "sharedatomic.h")) and \
            os.path.exists(os.path.join(libdir, "libsharedatomic.so")):
        return (["-I" + os.path.join(TREE, "include")],
                ["-L" + libdir, "-lsharedatomic"], "source tree")
    raise SystemExit(
        "sharedatomic: libsharedatomic not found.  Install it (Debian: apt install "
        "libsharedatomic-dev; from source: ./configure --prefix=P && make install), "
        "then set PKG_CONFIG_PATH=P/lib/pkgconfig or SATOMIC_PREFIX=P, or set "
        "SATOMIC_CFLAGS and SATOMIC_LIBS.")


cflags, libs, found_by = _flags()
print(f"sharedatomic: libsharedatomic from {found_by}: {' '.join(cflags + libs)}")
include_dirs = [f[2:] for f in cflags if f.startswith("-I")]
library_dirs = [f[2:] for f in libs if f.startswith("-L")]
libraries = [f[2:] for f in libs if f.startswith("-l")] or ["sharedatomic"]
extra = [f for f in cflags if not f.startswith("-I")]

class BuildAlways(build_ext):
    """Compile every time: pip builds in ./build, and an extension left
    there from an install against another library (other flags, another
    run path) looks up to date by its timestamps alone."""

    def finalize_options(self):
        super().finalize_options()
        self.force = True


setup(cmdclass={"build_ext": BuildAlways}, ext_modules=[Extension(
    "sharedatomic._native",
    sources=["sharedatomic/_native.c"],
    include_dirs=include_dirs,
    library_dirs=library_dirs,
    runtime_library_dirs=[d for d in library_dirs if os.path.isabs(d)],
    libraries=libraries,
    extra_compile_args=extra + ["-fno-strict-aliasing"],
)])
