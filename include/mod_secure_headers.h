/* SPDX-License-Identifier: MIT */
/* Copyright 2026 The mod_secure_headers authors */
/*
 * mod_secure_headers: Passenger-compatible secure HTTP headers for
 * applications behind mod_proxy.
 *
 * Names and constants that other modules, tools and tests may rely on.
 */
#ifndef MOD_SECURE_HEADERS_H
#define MOD_SECURE_HEADERS_H

#define SECURE_HEADERS_VERSION "1.1.0"

/* Every header whose name starts with this prefix belongs to the web
 * server: clients may not send one, and only this module forwards one. */
#define SECURE_HEADERS_PREFIX          "!~"

#define SECURE_HEADERS_PROTO           "!~Passenger-Proto"
#define SECURE_HEADERS_CLIENT_ADDRESS  "!~Passenger-Client-Address"
#define SECURE_HEADERS_ENVVARS         "!~Passenger-Envvars"

/* The server's proof, on a request it sends to one of its own ports, that
 * the request is its own (see SecureHeadersUpstream). */
#define SECURE_HEADERS_SELF            "!~Secure-Headers-Self"

/* A request environment variable that, when set to anything, keeps the
 * module from adding secure headers to that request (like no-gzip for
 * mod_deflate). Client headers are still checked. */
#define SECURE_HEADERS_OFF_ENV         "secure-headers-off"

/* Default ceiling for the !~Passenger-Envvars header value, in bytes as
 * sent (base64). Node.js refuses requests whose headers pass 16 KiB in all;
 * half of that leaves room for cookies and the rest. */
#define SECURE_HEADERS_DEFAULT_ENV_MAX 8192

#endif /* MOD_SECURE_HEADERS_H */
