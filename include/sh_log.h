/* SPDX-License-Identifier: MIT */
/* Copyright 2026 The mod_secure_headers authors */
/*
 * mod_secure_headers: logging shared by the inbound and outbound sides.
 */
#ifndef SH_LOG_H
#define SH_LOG_H

/* Rate limit shared by the warnings an attacker could provoke: at most
 * one a second per process gets APLOG_WARNING, the rest APLOG_DEBUG. */
int sh_log_warn_level(void);

#endif /* SH_LOG_H */
