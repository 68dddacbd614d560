/* SPDX-License-Identifier: MIT */
/* Copyright 2026 The mod_secure_headers authors */
/*
 * mod_secure_headers: the inbound side (sh_inbound.c), what arrives at
 * this server: client requests with forged "!~" headers refused with 400,
 * requests from trusted upstream servers and this server's own requests
 * to itself recognised, and their secure headers kept with the request.
 */
#ifndef SH_INBOUND_H
#define SH_INBOUND_H

#include "httpd.h"

#include "sh_keys.h"

/* What a trusted upstream server sent, as this server received it: taken
 * off the request when it arrived and kept with the initial request
 * (internal redirects and subrequests find it there). Values are NULL when
 * the upstream did not send them. */
typedef struct {
    const char *how;                /* "address", "key", "self": for logs */
    const char *proto;
    const char *client_address;
    const char *envvars;
    const char *xf_proto, *xf_host, *xf_for;
} sh_received;

/* What a trusted upstream sent with this request, or NULL. */
const sh_received *sh_inbound_received_of(const request_rec *r);

/* This server's own key, an instance secret kept for the server's whole
 * life (a graceful restart must not break its requests to itself in
 * flight), with which the outbound side makes the self proof that the
 * inbound side checks. */
const sh_key *sh_inbound_self_key(void);

void sh_inbound_register_hooks(apr_pool_t *p);

#endif /* SH_INBOUND_H */
