/* SPDX-License-Identifier: MIT */
/* Copyright 2026 The mod_secure_headers authors */
/*
 * mod_secure_headers: key files (include/sh_keyfile.h).
 */
#include "httpd.h"
#include "http_config.h"
#include "apr_strings.h"
#include "apr_file_io.h"

#include "sh_keyfile.h"

/* The octal mode for a message, from APR's portable permission bits. */
static unsigned sh_keyfile_mode_bits(apr_fileperms_t prot)
{
    static const struct {
        apr_fileperms_t apr;
        unsigned mode;
    } bits[] = {
        { APR_FPROT_UREAD, 0400 }, { APR_FPROT_UWRITE, 0200 },
        { APR_FPROT_UEXECUTE, 0100 }, { APR_FPROT_GREAD, 040 },
        { APR_FPROT_GWRITE, 020 }, { APR_FPROT_GEXECUTE, 010 },
        { APR_FPROT_WREAD, 04 }, { APR_FPROT_WWRITE, 02 },
        { APR_FPROT_WEXECUTE, 01 },
    };
    unsigned mode = 0;
    apr_size_t i;

    for (i = 0; i < sizeof(bits) / sizeof(bits[0]); i++) {
        if (prot & bits[i].apr) {
            mode |= bits[i].mode;
        }
    }
    return mode;
}

const char *sh_keyfile_read(cmd_parms *cmd, const char *file,
                            const char *what, apr_off_t max_size,
                            sh_keyfile *out)
{
    const char *path = ap_server_root_relative(cmd->temp_pool, file);
    apr_finfo_t fi;
    apr_file_t *f;
    apr_status_t rv;
    apr_size_t got = 0;
    char errbuf[120];

    if (path == NULL) {
        return apr_psprintf(cmd->pool, "%s: invalid file path '%s'",
                            cmd->cmd->name, file);
    }
    rv = apr_stat(&fi, path, APR_FINFO_SIZE | APR_FINFO_PROT | APR_FINFO_TYPE,
                  cmd->temp_pool);
    if (rv == APR_SUCCESS && fi.filetype != APR_REG) {
        return apr_psprintf(cmd->pool, "%s: %s %s is not a regular file",
                            cmd->cmd->name, what, path);
    }
    if (rv == APR_SUCCESS && fi.size > max_size) {
        return apr_psprintf(cmd->pool, "%s: %s %s is larger than %" APR_OFF_T_FMT
                            " KiB", cmd->cmd->name, what, path,
                            max_size / 1024);
    }
    if (rv != APR_SUCCESS
        || (rv = apr_file_open(&f, path, APR_FOPEN_READ | APR_FOPEN_BINARY,
                               APR_OS_DEFAULT, cmd->temp_pool))
           != APR_SUCCESS) {
        return apr_psprintf(cmd->pool, "%s: cannot read %s %s: %s",
                            cmd->cmd->name, what, path,
                            apr_strerror(rv, errbuf, sizeof(errbuf)));
    }
    out->bytes = apr_palloc(cmd->temp_pool, (apr_size_t)fi.size + 1);
    rv = apr_file_read_full(f, out->bytes, (apr_size_t)fi.size, &got);
    apr_file_close(f);
    if (rv != APR_SUCCESS && rv != APR_EOF) {
        memset(out->bytes, 0, (apr_size_t)fi.size);
        return apr_psprintf(cmd->pool, "%s: cannot read %s %s: %s",
                            cmd->cmd->name, what, path,
                            apr_strerror(rv, errbuf, sizeof(errbuf)));
    }
    out->path = path;
    out->len = got;
    out->protection = fi.protection;
    return NULL;
}

const char *sh_keyfile_owner_only(cmd_parms *cmd, const sh_keyfile *kf,
                                  const char *what)
{
    if (kf->protection & (APR_FPROT_GREAD | APR_FPROT_WREAD)) {
        return apr_psprintf(cmd->pool, "%s: %s %s is readable by group or "
                            "others (mode %04o): make it readable by its "
                            "owner only (chmod 600)", cmd->cmd->name, what,
                            kf->path, sh_keyfile_mode_bits(kf->protection));
    }
    return NULL;
}

void sh_keyfile_wipe(sh_keyfile *kf)
{
    if (kf->bytes) {
        memset(kf->bytes, 0, kf->len);
    }
}
