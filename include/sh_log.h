/* SPDX-License-Identifier: MIT */
/* Copyright 2026 The mod_secure_headers authors */
/*
 * mod_secure_headers: logging shared by the inbound and outbound sides.
 */
#ifndef SH_LOG_H
#define SH_LOG_H

/* How many kinds of line sh_log_level keeps apart (sh_report.h numbers
 * them: one per refusal, and a few more). */
#define SH_LOG_KINDS_MAX 16

/*
 * The level to log a line of kind "kind" at: "level" for the first line of
 * that kind in a second in this process, APLOG_INFO for the rest, so the
 * default LogLevel (warn) shows each kind at most once a second per child
 * and "LogLevel secure_headers:info" shows all. Kinds are limited apart, so
 * a flood of one cannot hide another. Call it once, into a local: httpd's
 * ap_log_rerror macro evaluates its level argument twice, and a second
 * call would find the slot taken.
 */
int sh_log_level(int kind, int level);

#endif /* SH_LOG_H */
