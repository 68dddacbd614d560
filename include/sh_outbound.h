/* SPDX-License-Identifier: MIT */
/* Copyright 2026 The mod_secure_headers authors */
/*
 * mod_secure_headers: the outbound side (sh_outbound.c), what mod_proxy
 * sends to a backend: the secure headers, X-Forwarded-*, the signature and
 * the self proof.
 */
#ifndef SH_OUTBOUND_H
#define SH_OUTBOUND_H

#include "apr_pools.h"

void sh_outbound_register_hooks(apr_pool_t *p);

#endif /* SH_OUTBOUND_H */
