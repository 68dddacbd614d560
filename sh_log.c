/* SPDX-License-Identifier: MIT */
/* Copyright 2026 The mod_secure_headers authors */
/*
 * mod_secure_headers: the rate limit of what a client can make the module
 * log, shared by the inbound and outbound sides (docs/operations.md).
 */
#include "httpd.h"
#include "http_log.h"
#include "apr_atomic.h"
#include "apr_time.h"

#include "sh_log.h"

/* The second (since the epoch, truncated to 32 bits) each kind last
 * logged at its own level, in this process. A compare-and-swap hands the
 * slot to one thread only, so mpm_event's threads do not each take it. */
static apr_uint32_t sh_last_logged[SH_LOG_KINDS_MAX];

int sh_log_level(int kind, int level)
{
    apr_uint32_t now = (apr_uint32_t)apr_time_sec(apr_time_now());
    apr_uint32_t last = apr_atomic_read32(&sh_last_logged[kind]);

    if (last != now
        && apr_atomic_cas32(&sh_last_logged[kind], now, last) == last) {
        return level;
    }
    return APLOG_INFO;
}
