/* SPDX-License-Identifier: MIT */
/* Copyright 2026 The mod_secure_headers authors */
/*
 * mod_secure_headers: logging shared by the inbound and outbound sides.
 */
#include "httpd.h"
#include "http_log.h"
#include "apr_time.h"

#include "sh_log.h"

/* At most one warning a second per process for what an attacker can
 * provoke (an environment grown through SetEnvIf, a request that looks like
 * another server's): the log must not be floodable; the rest go to
 * "fallback". */
int sh_log_warn_level(void)
{
    static apr_time_t last_second;
    apr_time_t now = apr_time_sec(apr_time_now());

    if (now != last_second) {
        last_second = now;
        return APLOG_WARNING;
    }
    return APLOG_DEBUG;
}
