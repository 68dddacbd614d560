/* SPDX-License-Identifier: MIT */
/* Copyright 2026 The mod_secure_headers authors */
/*
 * Nonces for the signatures this module makes, and random bytes, from
 * OpenSSL's generator. APR and libcrypto only.
 */
#ifndef SH_NONCE_H
#define SH_NONCE_H

#include "apr.h"

/* 16 random bytes as unpadded base64url. */
#define SH_NONCE_BYTES 16
#define SH_NONCE_LEN   22

/* Fills buf with n bytes from OpenSSL's generator; 0 when it fails. */
int sh_nonce_random_bytes(unsigned char *buf, apr_size_t n);

/* A new nonce: SH_NONCE_LEN characters of base64url and a NUL. Drawn from
 * OpenSSL's generator in batches (one call per 64 nonces per thread).
 * Returns 0 when the generator fails. */
int sh_nonce_new(char out[SH_NONCE_LEN + 1]);

/* Throws away every thread's unused nonces; a freshly forked process
 * calls it so that no two processes can hand out the same ones. */
void sh_nonce_forget(void);

#endif /* SH_NONCE_H */
