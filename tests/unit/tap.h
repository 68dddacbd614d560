/* SPDX-License-Identifier: MIT */
/* Copyright 2026 The mod_secure_headers authors */
/*
 * The unit tests' one primitive: a TAP line per check, and the plan at the
 * end (tests/unit.test.js turns each line into a test).
 */
#ifndef SH_TEST_TAP_H
#define SH_TEST_TAP_H

#include <stdio.h>

static int checks, failures;

static void check(int ok, const char *what)
{
    checks++;
    if (!ok) {
        failures++;
    }
    printf("%s %d - %s\n", ok ? "ok" : "not ok", checks, what);
}

/* Prints the plan and returns the exit status. */
static int tap_done(void)
{
    printf("1..%d\n# %d passed, %d failed\n", checks, checks - failures,
           failures);
    return failures ? 1 : 0;
}

#endif /* SH_TEST_TAP_H */
