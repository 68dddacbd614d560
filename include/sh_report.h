/* SPDX-License-Identifier: MIT */
/* Copyright 2026 The mod_secure_headers authors */
/*
 * mod_secure_headers: what the module tells the operator about a request:
 * the request note "secure-headers" (LogFormat %{secure-headers}n), the
 * counters (sh_status.h), and the kinds of line the rate limit of
 * sh_log.h keeps apart. The vocabulary is in docs/operations.md.
 */
#ifndef SH_REPORT_H
#define SH_REPORT_H

#include "httpd.h"
#include "sh_keys.h"
#include "sh_log.h"
#include "sh_status.h"

/* The note's name in r->notes. */
#define SH_NOTE "secure-headers"

/* Why a request was refused: a note token, a counter and a log class each.
 * Keep in step with sh_report.c's table and docs/operations.md. */
typedef enum {
    SH_REFUSED_FORGED = 0,          /* a client's "!~" header: 400 */
    SH_REFUSED_CLIENT_SIGNATURE,    /* a client's secure-headers member: 400 */
    SH_REFUSED_ENV_OVERSIZE,        /* SecureHeadersEnvOversize Reject: 500 */
    SH_REFUSED_UPSTREAM_SIGNATURE,  /* an upstream's signature is bad: 400 */
    SH_REFUSED_UPSTREAM_EXPIRED,    /* ... expired, or from the future */
    SH_REFUSED_UPSTREAM_AUTHORITY,  /* ... made for another server */
    SH_REFUSED_UPSTREAM_VALUES,     /* ... its secure headers are malformed */
    SH_REFUSED_SELF_PROOF,          /* a self proof that is not ours */
    SH_REFUSED_REPLAY,              /* seen before, or older than the cache */
    SH_REFUSED_STORE,               /* the replay cache cannot vouch */
    SH_REFUSED_KINDS
} sh_refusal;

/* Log classes apart from the refusals, each rate-limited on its own so
 * that a flood of one kind cannot hide another. */
#define SH_LOG_ENV_OMITTED  (SH_REFUSED_KINDS)
#define SH_LOG_FAIL_CLOSED  (SH_REFUSED_KINDS + 1)
#define SH_LOG_CLASSES      (SH_REFUSED_KINDS + 2)
_Static_assert(SH_LOG_CLASSES <= SH_LOG_KINDS_MAX,
               "more kinds of log line than sh_log.c keeps apart");

/* Appends a token to the note (joined with ","), on r and on the requests
 * it was internally redirected from, which the access log may read. */
void sh_note_add(request_rec *r, const char *token);

/* Sets the whole note of a proxied request (a retried attempt sets it
 * again rather than adding to it). */
void sh_note_set(request_rec *r, const char *value);

/* post_read_request of an internal redirect: the new request starts with
 * the note of the one it replaces (an ErrorDocument of a refusal). */
void sh_note_inherit(request_rec *r);

/* A refusal: its counter and its note token. */
void sh_report_refused(request_rec *r, sh_refusal why);

/* A request from a trusted upstream server ("address", "key", "self"). */
void sh_report_trusted(request_rec *r, const char *how);

/* A proxied request in a scope where the module is off. */
void sh_report_off(request_rec *r);

/* A proxied request sent with secure headers: this server's ("added") or
 * a trusted upstream's ("passed"), signed with key (or NULL), with
 * "omitted" environment variables left out. */
void sh_report_sent(request_rec *r, int passed, const sh_key *key,
                    int omitted);

/* The note token of a refusal, "refused:forged-header" and so on. */
const char *sh_refusal_token(sh_refusal why);

#endif /* SH_REPORT_H */
