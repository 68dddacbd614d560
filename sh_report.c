/* SPDX-License-Identifier: MIT */
/* Copyright 2026 The mod_secure_headers authors */
/*
 * mod_secure_headers: the request note, the refusal bookkeeping and the
 * counters each refusal adds to (sh_report.h, docs/operations.md).
 */
#include "httpd.h"
#include "http_log.h"
#include "apr_strings.h"
#include "apr_time.h"

#include "sh_inbound.h"
#include "sh_report.h"

static const char *const sh_refusal_tokens[SH_REFUSED_KINDS] = {
    "refused:forged-header",
    "refused:client-signature",
    "refused:env-oversize",
    "refused:upstream-signature",
    "refused:upstream-expired",
    "refused:upstream-authority",
    "refused:upstream-values",
    "refused:self-proof",
    "refused:replay",
    "refused:store",
};

const char *sh_refusal_token(sh_refusal why)
{
    return sh_refusal_tokens[why];
}

void sh_note_set(request_rec *r, const char *value)
{
    request_rec *p;

    apr_table_setn(r->notes, SH_NOTE, value);
    /* mod_log_config reads the final request of an internal redirect
     * chain, and its "expr=" conditions the first. */
    for (p = r->prev; p; p = p->prev) {
        apr_table_setn(p->notes, SH_NOTE, value);
    }
}

void sh_note_add(request_rec *r, const char *token)
{
    const char *old = apr_table_get(r->notes, SH_NOTE);

    sh_note_set(r, old ? apr_pstrcat(r->pool, old, ",", token, NULL) : token);
}

void sh_note_inherit(request_rec *r)
{
    const char *old = r->prev ? apr_table_get(r->prev->notes, SH_NOTE) : NULL;

    if (old) {
        apr_table_setn(r->notes, SH_NOTE, old);
    }
}

void sh_report_refused(request_rec *r, sh_refusal why)
{
    sh_count((sh_counter)(SH_COUNT_REFUSED_FIRST + why));
    sh_note_add(r, sh_refusal_tokens[why]);
}

/* "trusted:address" and so on, when the request came from an upstream
 * server this one believes; NULL otherwise. */
static const char *sh_trusted_token(request_rec *r)
{
    const sh_received *up = sh_inbound_received_of(r);

    if (up == NULL) {
        return NULL;
    }
    return !strcmp(up->how, "address") ? "trusted:address"
           : !strcmp(up->how, "key") ? "trusted:key" : "trusted:self";
}

void sh_report_trusted(request_rec *r, const char *how)
{
    sh_count(!strcmp(how, "address") ? SH_COUNT_UPSTREAM_ADDRESS
             : !strcmp(how, "key") ? SH_COUNT_UPSTREAM_KEY
             : SH_COUNT_UPSTREAM_SELF);
    sh_note_add(r, !strcmp(how, "address") ? "trusted:address"
                : !strcmp(how, "key") ? "trusted:key" : "trusted:self");
}

void sh_report_off(request_rec *r)
{
    const char *trusted = sh_trusted_token(r);

    sh_count(SH_COUNT_OFF);
    sh_note_set(r, trusted ? apr_pstrcat(r->pool, trusted, ",off", NULL)
                           : "off");
}

/*
 * The common case, this server's headers and nothing else to say, sets a
 * constant: no allocation on the path of every proxied request. The key
 * id goes last, since it may hold commas.
 */
void sh_report_sent(request_rec *r, int passed, const sh_key *key,
                    int omitted)
{
    const char *trusted = sh_trusted_token(r);
    const char *note = passed ? "passed" : "added";

    sh_count(passed ? SH_COUNT_PASSED : SH_COUNT_ADDED);
    if (omitted) {
        sh_count(SH_COUNT_ENV_OMITTED);
    }
    if (key) {
        sh_count((sh_counter)(SH_COUNT_SIGNED_HMAC_SHA256
                              + (key->alg - SH_ALG_HMAC_SHA256)));
    }
    if (trusted == NULL && !omitted && key == NULL) {
        /* Nothing set a note before (no upstream, no redirect): an add
         * skips apr_table_setn's search of the table. A retried attempt
         * adds an equal one, and the log reads the first. */
        if (r->prev == NULL) {
            apr_table_addn(r->notes, SH_NOTE, note);
        }
        else {
            sh_note_set(r, note);
        }
        return;
    }
    sh_note_set(r, apr_pstrcat(r->pool, trusted ? trusted : "",
                               trusted ? "," : "", note,
                               omitted ? ",env-omitted:" : "",
                               omitted ? apr_itoa(r->pool, omitted) : "",
                               key ? ",signed:" : "", key ? key->keyid : "",
                               NULL));
}
