# SPDX-License-Identifier: MIT
# `make` and `make TARGET` do what `make -f Makefile.apxs [TARGET]` does;
# Makefile.apxs lists the targets.
include Makefile.apxs
