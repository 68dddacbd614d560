# SPDX-License-Identifier: MIT
# The httpd-free units of mod_secure_headers, and the one line that builds a
# program from them with APR, APR-util and libcrypto. The unit tests
# (tests/unit.test.js, through Makefile.apxs), the fuzzers (fuzz/Makefile),
# bench/sign_bench.c and the Debian package's test step (debian/rules) all
# build with it:
#
#   $(call sh_unit_build,OUTPUT,MAIN.c)
#
# Set before or on the command line: SH_TOP, the top of the checkout seen
# from the including Makefile; UNIT_CC, the compiler; UNIT_CFLAGS, what
# follows the warnings (optimisation, sanitizers, defines); UNIT_LDFLAGS;
# UNIT_WERROR, -Werror unless set empty (debian/rules does: a
# distribution's newer compiler must not fail the package on a new
# warning; the tests, CI and the fuzzers keep it, as gates).

SH_TOP      ?= .
UNIT_SOURCES = sh_base64.c sh_derive.c sh_env.c sh_headers.c sh_keys.c \
	sh_memcache.c sh_nonce.c sh_replay.c sh_sf.c sh_sigbase.c
UNIT_HEADERS = include/sh_base64.h include/sh_derive.h include/sh_env.h \
	include/sh_headers.h include/sh_keys.h include/sh_memcache.h \
	include/sh_nonce.h include/sh_replay.h include/sh_sf.h \
	include/sh_sigbase.h
UNIT_PKGS    = apr-1 apr-util-1 libcrypto
UNIT_CC     ?= $(CC)
UNIT_CFLAGS ?= -O2 -g
UNIT_LDFLAGS ?=
UNIT_WERROR ?= -Werror

sh_unit_build = $(UNIT_CC) -Wall -Wextra $(UNIT_WERROR) $(UNIT_CFLAGS) \
	-I$(SH_TOP)/include $$(pkg-config --cflags $(UNIT_PKGS)) -o $(1) $(2) \
	$(addprefix $(SH_TOP)/,$(UNIT_SOURCES)) \
	$$(pkg-config --libs $(UNIT_PKGS)) $(UNIT_LDFLAGS)
