/* SPDX-License-Identifier: MIT */
/* Copyright 2026 The mod_secure_headers authors */
/*
 * mod_secure_headers: Passenger-compatible secure HTTP headers for
 * applications behind mod_proxy.
 *
 * Headers whose names start with "!~" belong to the web server. Clients
 * that send one are refused with 400 before any other module sees the
 * request; every request that mod_proxy forwards to a backend gets
 * !~Passenger-Proto, !~Passenger-Client-Address and !~Passenger-Envvars
 * exactly as Phusion Passenger 6 sends them to its applications, and,
 * with SecureHeadersSignKey, an RFC 9421 signature over them and the
 * request line that backends on other hosts can verify.
 *
 * This file holds the module record only. The rest, by concern:
 *
 *   sh_config.c    both configurations, every directive, key files
 *   sh_inbound.c   what arrives: forged headers refused, trusted upstream
 *                  servers and this server's own requests recognised
 *   sh_outbound.c  what mod_proxy sends: the secure headers,
 *                  X-Forwarded-*, the signature, the self proof
 *   sh_log.c       the rate limit of warnings both sides share
 *
 * and the httpd-free units they build on (units.mk): sh_headers.c,
 * sh_env.c, sh_base64.c, sh_keys.c, sh_nonce.c, sh_sf.c, sh_sigbase.c,
 * sh_replay.c. Each subsystem registers its own hooks, with the reasons
 * for their order beside them.
 */
#include "httpd.h"
#include "http_config.h"

#include "sh_config.h"
#include "sh_inbound.h"
#include "sh_outbound.h"
#include "sh_derive_httpd.h"
#include "sh_replay_store.h"

static void sh_register_hooks(apr_pool_t *p)
{
    sh_config_register_hooks(p);
    sh_inbound_register_hooks(p);
    sh_outbound_register_hooks(p);
    sh_derive_register_hooks(p);
    sh_replay_store_register_hooks(p);
}

AP_DECLARE_MODULE(secure_headers) = {
    STANDARD20_MODULE_STUFF,
    sh_config_create_dir,
    sh_config_merge_dir,
    sh_config_create_srv,
    sh_config_merge_srv,
    sh_config_cmds,
    sh_register_hooks,
#ifdef AP_MODULE_FLAG_NONE
    AP_MODULE_FLAG_NONE
#endif
};
