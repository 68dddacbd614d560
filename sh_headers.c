/* SPDX-License-Identifier: MIT */
/* Copyright 2026 The mod_secure_headers authors */
/*
 * mod_secure_headers: the server-only "!~" header names in a header table
 * (APR only; no httpd). The scan runs for every request, so one compare of
 * a name's first letter settles almost every header.
 */
#include <string.h>
#include <arpa/inet.h>

#include "apr_strings.h"

#include "sh_headers.h"

int sh_headers_list_names_secure(const char *list)
{
    const char *s = list;

    while (*s) {
        while (*s == ',' || *s == ' ' || *s == '\t') {
            s++;
        }
        if (sh_headers_is_secure(s)) {
            return 1;
        }
        while (*s && *s != ',' && *s != ' ' && *s != '\t') {
            s++;
        }
    }
    return 0;
}

int sh_headers_scan(const apr_table_t *headers, sh_headers_found *out)
{
    const apr_array_header_t *arr = apr_table_elts(headers);
    const apr_table_entry_t *e = (const apr_table_entry_t *)arr->elts;
    int i;

    out->secure = NULL;
    out->connection = NULL;
    out->signature = 0;
    for (i = 0; i < arr->nelts; i++) {
        const char *key = e[i].key;

        if (key == NULL) {
            continue;
        }
        /* One compare of the first letter settles almost every header. */
        switch (key[0]) {
        case '!':
            if (key[1] == '~' && out->secure == NULL) {
                out->secure = key;
            }
            break;
        /* Only the Connection header can make a proxy drop other headers. */
        case 'C':
        case 'c':
            /* The fourth letter tells Connection from Cookie, Content-*,
             * Cache-Control... without a call. */
            if (out->connection == NULL && e[i].val
                && (key[1] | 0x20) == 'o' && (key[3] | 0x20) == 'n'
                && strcasecmp(key, "Connection") == 0
                && sh_headers_list_names_secure(e[i].val)) {
                out->connection = key;
            }
            break;
        case 'S':
        case 's':
            if ((key[1] | 0x20) == 'i' && strncasecmp(key, "Signature", 9) == 0
                && (key[9] == '\0' || strcasecmp(key + 9, "-Input") == 0)) {
                out->signature = 1;
            }
            break;
        }
    }
    return out->secure || out->connection || out->signature;
}

const char *sh_headers_find_forbidden(const apr_table_t *headers)
{
    sh_headers_found scan;

    sh_headers_scan(headers, &scan);
    /* In table order: the earlier of the two. */
    if (scan.secure && scan.connection) {
        const apr_array_header_t *arr = apr_table_elts(headers);
        const apr_table_entry_t *e = (const apr_table_entry_t *)arr->elts;
        int i;

        for (i = 0; i < arr->nelts; i++) {
            if (e[i].key == scan.secure || e[i].key == scan.connection) {
                return e[i].key;
            }
        }
    }
    return scan.secure ? scan.secure : scan.connection;
}

int sh_headers_strip_secure(apr_table_t *headers)
{
    int removed = 0;
    int found;

    /* Unsetting compacts the table, so start over after each removal;
     * this path is taken only when a module added a "!~" header itself. */
    do {
        const apr_array_header_t *arr = apr_table_elts(headers);
        const apr_table_entry_t *e = (const apr_table_entry_t *)arr->elts;
        int i;

        found = 0;
        for (i = 0; i < arr->nelts; i++) {
            if (e[i].key && sh_headers_is_secure(e[i].key)) {
                int before = arr->nelts;

                apr_table_unset(headers, e[i].key);
                removed += before - apr_table_elts(headers)->nelts;
                found = 1;
                break;
            }
        }
    } while (found);
    return removed;
}

const char *sh_headers_field_value(apr_pool_t *p, const apr_table_t *headers,
                           const char *name)
{
    const apr_array_header_t *arr = apr_table_elts(headers);
    const apr_table_entry_t *e = (const apr_table_entry_t *)arr->elts;
    const char *value = NULL;
    int i;

    for (i = 0; i < arr->nelts; i++) {
        if (e[i].key && !strcasecmp(e[i].key, name)) {
            value = value ? apr_pstrcat(p, value, ", ", e[i].val, NULL)
                          : e[i].val;
        }
    }
    return value;
}

int sh_headers_is_ip_literal(const char *s)
{
    unsigned char buf[16];

    return inet_pton(AF_INET, s, buf) == 1 || inet_pton(AF_INET6, s, buf) == 1;
}
