// SPDX-License-Identifier: MIT
// Type declarations for passenger-secure-headers (CommonJS entry point).
/// <reference types="node" />
import type { IncomingMessage } from 'node:http';
import type { KeyObject } from 'node:crypto';

declare namespace secureHeaders {
  type Algorithm = 'hmac-sha256' | 'ed25519' | 'ecdsa-p256-sha256';

  interface KeySpec {
    /** The algorithm this key verifies; a signature naming another one is refused. */
    alg: Algorithm;
    /** hmac-sha256: the secret (>= 32 bytes). ed25519 / ecdsa-p256-sha256: the public key (KeyObject or PEM). */
    key: Buffer | Uint8Array | string | KeyObject;
  }

  /** Where accepted nonces are remembered; see README "Replay cache". */
  interface ReplayStore {
    /**
     * Remember (keyid, nonce) until `retainUntil` (Unix seconds). Return true
     * when it was not known (accept), false when it was (a replay). May
     * return a Promise (then use readAsync() or the middleware). `now` is
     * the verifier's clock, Unix seconds.
     */
    remember(keyid: string, nonce: string, retainUntil: number, now: number): boolean | Promise<boolean>;
  }

  interface MemoryReplayCache extends ReplayStore {
    remember(keyid: string, nonce: string, retainUntil: number, now?: number): boolean;
    readonly size: number;
    /** The latest retain-until evicted so far; signatures expiring by then are refused. */
    readonly floor: number;
    /** When the cache started, Unix seconds: signatures created in an earlier second are refused (CREATED_BEFORE_CACHE). */
    readonly startedAt: number;
  }

  interface MemoryReplayCacheOptions {
    /** Nonces kept at most. Default 100,000. */
    maxEntries?: number;
    /**
     * true: this process's own cache even where several processes serve the
     * port (node:cluster, PM2 cluster mode), which the options otherwise
     * refuse. Unsafe there: a captured request is accepted once by each
     * process. Default false.
     */
    perProcess?: boolean;
  }

  interface RedisReplayCacheOptions {
    /** Key prefix: keys are `${prefix}:${keyid}:${nonce}`. Default 'secure-headers:replay'. */
    prefix?: string;
    /** Milliseconds to wait for Redis before failing closed (503 STORE_FAILED). Default 250. */
    timeout?: number;
  }

  /** A replay store on Redis or Valkey (>= 6.2): one SET key 1 NX EXAT retainUntil per signed request. */
  interface RedisReplayCache extends ReplayStore {
    remember(keyid: string, nonce: string, retainUntil: number, now?: number): Promise<boolean>;
    readonly prefix: string;
    readonly timeout: number;
    /** Which client was recognised. */
    readonly dialect: 'node-redis' | 'ioredis';
  }

  interface Options {
    /** Verification keys by keyid. With keys, every request must carry a valid signature (unless strict: false). */
    keys?: Record<string, KeySpec>;
    /** Refuse (403) requests that are not proven. Default: true with keys, false without. */
    strict?: boolean;
    /** Seconds of clock difference allowed on created / expires. Default 5. */
    clockSkew?: number;
    /** Longest accepted signature lifetime (expires - created), seconds. Default 3600. */
    maxLifetime?: number;
    /** Default: the process's in-memory cache of 100,000 nonces (refused in cluster workers). false: none. Or a shared store. */
    replayCache?: boolean | ReplayStore;
    /**
     * host[:port] (or a list) of the ProxyPass / BalancerMember URL this backend is reached at; a
     * signature for another is refused. Required with keys; false: no pin (one backend, on loopback).
     */
    authority?: string | string[] | false;
    /** Apache runs with SecureHeadersXForwarded On: host from X-Forwarded-Host (and, signed, X-Forwarded-* must be covered). */
    xForwarded?: boolean;
    /** Called with every rejection (before the 403), e.g. to log it. */
    onReject?: (err: SecureHeadersError, req: IncomingMessage) => void;
    /** The clock, in milliseconds. Default Date.now. */
    now?: () => number;
  }

  interface SecureInfo {
    /** !~Passenger-Client-Address when believed, else the socket's address. */
    readonly clientAddress: string | undefined;
    /** 'https' exactly when !~Passenger-Proto: https is believed (else the socket's). */
    readonly protocol: 'http' | 'https';
    /** The host[:port] the client asked for (see README), undefined without a Host header. */
    readonly host: string | undefined;
    /** host without the port; IPv6 literals keep their brackets. */
    readonly hostname: string | undefined;
    /** !~Passenger-Envvars; the first value of a repeated name. */
    readonly env: Readonly<Record<string, string>>;
    /** Every environment entry in order, duplicates kept. */
    readonly envList: ReadonlyArray<readonly [string, string]>;
    /** A valid signature covered the secure headers. */
    readonly signed: boolean;
    /** The keyid of that signature, or null. */
    readonly keyid: string | null;
    /** The secure headers were believed (signed, or unsigned mode with !~ headers present). */
    readonly trusted: boolean;
    /** strict: false only: why the secure headers were not believed. */
    readonly error: SecureHeadersError | null;
  }

  type ErrorCode =
    | 'NO_SECURE_HEADERS' | 'HEADER_MALFORMED' | 'SIGNATURE_MISSING' | 'SIGNATURE_MALFORMED'
    | 'UNKNOWN_KEY' | 'ALG_MISMATCH' | 'TAG_MISMATCH' | 'SIGNATURE_NOT_YET_VALID' | 'SIGNATURE_EXPIRED'
    | 'LIFETIME_TOO_LONG' | 'COMPONENT_NOT_COVERED' | 'UNCOVERED_HEADER' | 'COMPONENT_MISSING'
    | 'AUTHORITY_MISMATCH' | 'SIGNATURE_INVALID' | 'REPLAYED' | 'REPLAY_CACHE_FULL'
    | 'CREATED_BEFORE_CACHE' | 'STORE_FAILED' | 'STORE_ASYNC';

  interface SignatureMessage {
    method?: string;
    authority?: string;
    path?: string;
    query?: string;
    scheme?: string;
    targetUri?: string;
    requestTarget?: string;
    /** Field lines: [name, value] pairs, node's flat rawHeaders, or { name: value | values }. */
    headers: ReadonlyArray<readonly [string, string]> | ReadonlyArray<string> | Record<string, string | string[] | undefined>;
  }

  interface VerifiedSignature {
    label: string;
    keyid: string;
    alg: Algorithm;
    /** Covered component names, in order. */
    components: string[];
    /** Signature parameters (created, expires, nonce, keyid, alg, tag, ...). */
    params: Record<string, string | number | boolean>;
    /** The signature base that was verified. */
    base: string;
  }

  type BareItem =
    | { type: 'integer' | 'decimal'; value: number }
    | { type: 'string' | 'token'; value: string }
    | { type: 'binary'; value: Buffer }
    | { type: 'boolean'; value: boolean };
  interface SfItem { item: BareItem; params: Map<string, BareItem>; dupParams: boolean; raw?: string | null }
  interface SfInnerList { list: SfItem[]; params: Map<string, BareItem>; dupParams: boolean; raw?: string | null }
  type SfMember = SfItem | SfInnerList;

  /** What a Fetch API Request does not carry: the connection it came on. */
  interface Connection {
    /** The client address the socket saw: server.requestIP(request)?.address on Bun, info.remoteAddr.hostname on Deno. */
    remoteAddress?: string | null;
    /** The connection is TLS. Default false (Request.url's scheme is not taken for it). */
    encrypted?: boolean;
    /** node's IncomingMessage under the Request (Hono on @hono/node-server: c.env.incoming): read instead, as received. */
    incoming?: IncomingMessage;
  }

  /** hono()'s options: read()'s, with onReject given the Fetch API Request. */
  interface HonoOptions extends Omit<Options, 'onReject'> {
    onReject?: (err: SecureHeadersError, request: Request) => void;
  }

  /** Hono's Variables with hono(): new Hono<{ Variables: secureHeaders.HonoVariables }>(), then c.get('secureHeaders'). */
  interface HonoVariables {
    secureHeaders: SecureInfo;
  }

  /** nextProxy()'s options: read()'s, with onReject given the Fetch API Request. */
  type NextOptions = HonoOptions;

  /** What nextProxy() needs of next/server's NextResponse. */
  interface NextResponseLike {
    next(init?: { request?: { headers?: Headers } }): Response;
  }

  // Framework shapes, structural so that no framework types are needed.
  /** Hono middleware: refuses with a Response (403; 503 when the replay store failed), else sets c.get('secureHeaders'). */
  type HonoMiddleware = (c: any, next: () => Promise<void>) => Promise<Response | undefined>;
  type ExpressMiddleware = (req: any, res: any, next: (err?: unknown) => void) => void;
  type KoaMiddleware = (ctx: any, next: () => Promise<unknown>) => Promise<void>;
  interface FastifyPlugin {
    (instance: any, options: Options, done: (err?: Error) => void): void;
  }
}

declare class SecureHeadersError extends Error {
  constructor(code: secureHeaders.ErrorCode, message: string, props?: object);
  readonly name: 'SecureHeadersError';
  readonly code: secureHeaders.ErrorCode;
  /** 403; the middleware answers 503 instead for STORE_FAILED (the replay store failed). */
  readonly statusCode: 403;
  /** The header concerned, for HEADER_MALFORMED / UNCOVERED_HEADER. */
  readonly header?: string;
  /** The keyid of the signature concerned, when known. */
  readonly keyid?: string;
  readonly component?: string;
}

declare const secureHeaders: {
  /** The facts Apache vouches for; throws SecureHeadersError when the request is not to be trusted. */
  read(req: IncomingMessage, options?: secureHeaders.Options): secureHeaders.SecureInfo;
  /** read() for asynchronous replay stores. */
  readAsync(req: IncomingMessage, options?: secureHeaders.Options): Promise<secureHeaders.SecureInfo>;
  /**
   * read() for a Fetch API Request (Bun.serve, Deno.serve, Hono, Next.js).
   * Resolves to the same facts, or rejects with the same SecureHeadersError.
   */
  readRequest(request: Request, options?: secureHeaders.Options, conn?: secureHeaders.Connection): Promise<secureHeaders.SecureInfo>;
  /** Express 4 and 5 middleware. */
  express(options?: secureHeaders.Options): secureHeaders.ExpressMiddleware;
  /** Fastify plugin: fastify.register(fastify, options). Applies to the registering instance. */
  fastify: secureHeaders.FastifyPlugin;
  /** Koa middleware. */
  koa(options?: secureHeaders.Options): secureHeaders.KoaMiddleware;
  /** Hono middleware (@hono/node-server, Bun, Deno); the facts at c.get('secureHeaders'). */
  hono(options?: secureHeaders.HonoOptions): secureHeaders.HonoMiddleware;
  /**
   * Next.js proxy (middleware): `export const proxy = nextProxy(NextResponse, options)`.
   * Refuses (403; 503 when the replay store failed) before any route runs.
   */
  nextProxy(NextResponse: secureHeaders.NextResponseLike, options?: secureHeaders.NextOptions): (request: Request) => Promise<Response>;
  /**
   * The facts the proxy verified, in a route handler, server component or
   * server action: `nextFacts(await headers())`. Throws SecureHeadersError
   * (NO_SECURE_HEADERS) when the proxy did not run for this request.
   */
  nextFacts(headers: { get(name: string): string | null }): secureHeaders.SecureInfo;
  /** RFC 9421 verification of one labelled signature, with no policy beyond the RFC. */
  verifySignature(message: secureHeaders.SignatureMessage, options: { label: string; keys: Record<string, secureHeaders.KeySpec> }): secureHeaders.VerifiedSignature;
  decodeEnvvars(b64: string): Record<string, string>;
  decodeEnvvarsList(b64: string): Array<[string, string]>;
  createMemoryReplayCache(options?: secureHeaders.MemoryReplayCacheOptions): secureHeaders.MemoryReplayCache;
  /** A shared replay store: pass a connected node-redis (redis 4/5) or ioredis client. See docs/replay.md. */
  redisReplayCache(client: object, options?: secureHeaders.RedisReplayCacheOptions): secureHeaders.RedisReplayCache;
  parseDictionary(input: string): { dict: Map<string, secureHeaders.SfMember>; duplicates: string[] };
  parseList(input: string): secureHeaders.SfMember[];
  parseItem(input: string): secureHeaders.SfItem;
  /** The hmac-sha256 key Apache signs with for this backend under "SecureHeadersSignKey ID hkdf-sha256 MASTER": HKDF-SHA256 of the master (>= 32 bytes) for the backend's identity (docs/derived-keys.md). TypeError for a URL that names no backend. */
  deriveKey(master: Uint8Array, backendUrl: string): Buffer;
  /** "scheme://host:port" (or "unix:/path") of a backend URL: the HKDF info of deriveKey. */
  backendIdentity(backendUrl: string): string;
  SecureHeadersError: typeof SecureHeadersError;
  codes: { readonly [K in secureHeaders.ErrorCode]: K };
};

export = secureHeaders;
