/* SPDX-License-Identifier: MIT */
/* Copyright 2026 The mod_secure_headers authors */
/*
 * mod_secure_headers: reading the key files directives name
 * (SecureHeadersSignKey, SecureHeadersUpstreamKey, a derived key's master),
 * in one place: resolved against ServerRoot, a regular file of bounded
 * size, read once at start-up while the server still runs as root (like
 * mod_ssl's SSLCertificateKeyFile), and, when it holds a secret, readable
 * by its owner only. Messages name the directive and the file.
 */
#ifndef SH_KEYFILE_H
#define SH_KEYFILE_H

#include "httpd.h"
#include "http_config.h"
#include "apr_file_info.h"

typedef struct {
    const char *path;           /* as resolved against ServerRoot */
    unsigned char *bytes;       /* in cmd->temp_pool; sh_keyfile_wipe() */
    apr_size_t len;
    apr_fileperms_t protection;
} sh_keyfile;

/* Reads `file`; `what` names it in messages ("key file", "master key
 * file"). NULL, or the error for the directive. */
const char *sh_keyfile_read(cmd_parms *cmd, const char *file,
                            const char *what, apr_off_t max_size,
                            sh_keyfile *out);

/* The error when a file holding a secret is readable by group or others. */
const char *sh_keyfile_owner_only(cmd_parms *cmd, const sh_keyfile *kf,
                                  const char *what);

/* Zeroes the bytes read, once they are parsed. */
void sh_keyfile_wipe(sh_keyfile *kf);

#endif
