/* SPDX-License-Identifier: MIT */
/* Copyright 2026 The mod_secure_headers authors */
/*
 * Unit tests for sh_memcache.c, the httpd-free memcached replay store of
 * mod_secure_headers: the server list, keys, the reply parser, and the
 * client's failure against a port nobody listens on. (Against a real
 * memcached: tests/replay-store-apache.test.js.)
 * Prints one TAP line per check; tests/unit.test.js builds and runs it.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "apr_general.h"
#include "apr_strings.h"
#include "apr_network_io.h"

#include "sh_memcache.h"
#include "tap.h"

static void test_servers(apr_pool_t *p)
{
    apr_array_header_t *a = NULL;
    const sh_mc_server *s;
    static const char *const bad[] = {
        "", ",", "10.0.0.5", "10.0.0.5:", "10.0.0.5:0", "10.0.0.5:65536",
        "10.0.0.5:11211x", ":11211", "::1:11211", "[::1]", "[::1]11211",
        "a b:11211", "10.0.0.5:11211,", ",10.0.0.5:11211", "h/x:1", NULL
    };
    int i;

    check(sh_mc_parse_servers(p, "10.0.0.5:11211,[fd00::1]:11212,cache-1.example:1",
                              &a) == NULL && a->nelts == 3,
          "three servers: IPv4, [IPv6], a name");
    s = (const sh_mc_server *)a->elts;
    check(!strcmp(s[0].host, "10.0.0.5") && s[0].port == 11211
          && !strcmp(s[0].text, "10.0.0.5:11211"), "IPv4 host and port");
    check(!strcmp(s[1].host, "fd00::1") && s[1].port == 11212,
          "IPv6 without its brackets");
    check(!strcmp(s[2].host, "cache-1.example") && s[2].port == 1,
          "a host name");
    for (i = 0; bad[i]; i++) {
        check(sh_mc_parse_servers(p, bad[i], &a) != NULL,
              apr_psprintf(p, "refused: \"%s\"", bad[i]));
    }
}

static void test_keys(void)
{
    char key[SH_MC_KEY_MAX];
    char longp[SH_MC_PREFIX_MAX + 2];

    sh_mc_nonce_key("p:", "edge-key", "AAAAAAAAAAAAAAAAAAAAAA", key);
    check(!strcmp(key, "p:f4c7bf299121f7a89c64492d55125d786254d025fb3f6cb3"
                  "99c3f920380a0d70"),
          "key: prefix + SHA-256(keyid NUL nonce), hex");
    sh_mc_nonce_key("", "edge key", "x", key);
    check(!strcmp(key, "2ebe5a8da48267bf11cb5c34d594b35807de1abcd39fa4af84"
                  "cdf4fa385d2a35"), "a key id with a space hashes away");
    check(sh_mc_prefix_check("mod_secure_headers:") == NULL, "default prefix");
    check(sh_mc_prefix_check("") != NULL, "empty prefix refused");
    check(sh_mc_prefix_check("a b") != NULL, "a space refused");
    check(sh_mc_prefix_check("a\tb") != NULL, "a control character refused");
    check(sh_mc_prefix_check("caf\xc3\xa9") != NULL, "non-ASCII refused");
    memset(longp, 'x', sizeof(longp) - 1);
    longp[sizeof(longp) - 1] = '\0';
    check(sh_mc_prefix_check(longp) != NULL, "65 characters refused");
    longp[SH_MC_PREFIX_MAX] = '\0';
    check(sh_mc_prefix_check(longp) == NULL, "64 characters pass");
    sh_mc_nonce_key(longp, "k", "n", key);
    check(strlen(key) == SH_MC_PREFIX_MAX + 64 && strlen(key) <= 250,
          "the longest key fits memcached's 250 bytes");
}

static void test_replies(void)
{
    sh_mc_reply r;
    const char *v = "VALUE mod_secure_headers:epoch 0 10\r\n1764600000\r\nEND\r\n";
    apr_size_t i;
    int partial_ok = 1;

    check(sh_mc_reply_parse("STORED\r\n", 8, 0, &r) == 8
          && r.kind == SH_MC_STORED, "STORED");
    check(sh_mc_reply_parse("NOT_STORED\r\nEND\r\n", 17, 0, &r) == 12
          && r.kind == SH_MC_NOT_STORED, "NOT_STORED, and where it ends");
    check(sh_mc_reply_parse("SERVER_ERROR out of memory storing object\r\n",
                            43, 0, &r) == 43 && r.kind == SH_MC_ERROR
          && r.data_len == 41, "SERVER_ERROR, with its line");
    check(sh_mc_reply_parse("ERROR\r\n", 7, 1, &r) == 7
          && r.kind == SH_MC_ERROR, "ERROR to a get");
    check(sh_mc_reply_parse("CLIENT_ERROR bad data chunk\r\n", 29, 0, &r) == 29
          && r.kind == SH_MC_ERROR, "CLIENT_ERROR");
    check(sh_mc_reply_parse("EXISTS\r\n", 8, 0, &r) == -1,
          "EXISTS is no answer to add");
    check(sh_mc_reply_parse("STORED\r\n", 8, 1, &r) == -1,
          "STORED is no answer to get");
    check(sh_mc_reply_parse("END\r\n", 5, 1, &r) == 5 && r.kind == SH_MC_MISS,
          "END: absent");
    check(sh_mc_reply_parse(v, strlen(v), 1, &r) == (long)strlen(v)
          && r.kind == SH_MC_VALUE && r.data_len == 10
          && !memcmp(r.data, "1764600000", 10), "VALUE ... END");
    for (i = 0; i < strlen(v); i++) {
        if (sh_mc_reply_parse(v, i, 1, &r) != 0) {
            partial_ok = 0;
        }
    }
    check(partial_ok, "every prefix of a VALUE reply: more to read");
    check(sh_mc_reply_parse("STORED", 6, 0, &r) == 0, "no CRLF yet");
    check(sh_mc_reply_parse("VALUE k 0 2\r\nabcd\r\nEND\r\n", 24, 1, &r) == -1,
          "a value longer than it says");
    check(sh_mc_reply_parse("VALUE k 0 99\r\n", 14, 1, &r) == -1,
          "a value longer than any epoch");
    check(sh_mc_reply_parse("VALUE k 0 x\r\n", 13, 1, &r) == -1,
          "a byte count that is no number");
    check(sh_mc_reply_parse("VALUE k 0 1\r\n1\r\nEMD\r\n", 21, 1, &r) == -1,
          "no END after the value");
    check(sh_mc_reply_parse("HTTP/1.1 400 Bad Request\r\n", 26, 0, &r) == -1,
          "not memcached");
}

/* A port that was free a moment ago: connect is refused at once. */
static void test_refused(apr_pool_t *p)
{
    apr_socket_t *s;
    apr_sockaddr_t *sa;
    apr_array_header_t *servers;
    const sh_mc_server *srv = NULL;
    const char *why = NULL;
    sh_mc *mc;
    apr_time_t t0;
    sh_mc_verdict v;
    apr_int64_t now = apr_time_sec(apr_time_now());

    apr_sockaddr_info_get(&sa, "127.0.0.1", APR_INET, 0, 0, p);
    apr_socket_create(&s, APR_INET, SOCK_STREAM, APR_PROTO_TCP, p);
    apr_socket_bind(s, sa);
    apr_socket_addr_get(&sa, APR_LOCAL, s);
    apr_socket_close(s);
    check(sh_mc_parse_servers(p, apr_psprintf(p, "127.0.0.1:%d", sa->port),
                              &servers) == NULL, "a closed port parses");
    check(sh_mc_create(p, servers, apr_time_from_msec(300),
                       apr_time_from_sec(1), 4, &mc) == APR_SUCCESS,
          "client made");
    t0 = apr_time_now();
    v = sh_mc_add_nonce(mc, p, "t:", "k", "nonce-nonce-nonce-nonce", now,
                        now + 65, now, 5, &why, &srv);
    check(v == SH_MC_FAILED && why && !strncmp(why, "connect: ", 9)
          && srv == (const sh_mc_server *)servers->elts,
          apr_psprintf(p, "nobody listening: failed, %s", why));
    check(apr_time_now() - t0 < apr_time_from_msec(300),
          "refused at once, no wait for the timeout");
    why = NULL;
    v = sh_mc_add_nonce(mc, p, "t:", "k", "other-nonce-other-nonce", now,
                        now + 65, now, 5, &why, &srv);
    check(v == SH_MC_FAILED && why && strstr(why, "less than a second ago"),
          "asked again within a second: failed without trying");
}

int main(void)
{
    apr_pool_t *p;
    int status;

    apr_initialize();
    apr_pool_create(&p, NULL);
    test_servers(p);
    test_keys();
    test_replies();
    test_refused(p);
    status = tap_done();
    apr_pool_destroy(p);
    apr_terminate();
    return status;
}
