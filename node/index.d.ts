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

  // Framework shapes, structural so that no framework types are needed.
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
  /** Always 403: what the middleware answers. */
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
  /** Express 4 and 5 middleware. */
  express(options?: secureHeaders.Options): secureHeaders.ExpressMiddleware;
  /** Fastify plugin: fastify.register(fastify, options). Applies to the registering instance. */
  fastify: secureHeaders.FastifyPlugin;
  /** Koa middleware. */
  koa(options?: secureHeaders.Options): secureHeaders.KoaMiddleware;
  /** RFC 9421 verification of one labelled signature, with no policy beyond the RFC. */
  verifySignature(message: secureHeaders.SignatureMessage, options: { label: string; keys: Record<string, secureHeaders.KeySpec> }): secureHeaders.VerifiedSignature;
  decodeEnvvars(b64: string): Record<string, string>;
  decodeEnvvarsList(b64: string): Array<[string, string]>;
  createMemoryReplayCache(options?: secureHeaders.MemoryReplayCacheOptions): secureHeaders.MemoryReplayCache;
  parseDictionary(input: string): { dict: Map<string, secureHeaders.SfMember>; duplicates: string[] };
  parseList(input: string): secureHeaders.SfMember[];
  parseItem(input: string): secureHeaders.SfItem;
  SecureHeadersError: typeof SecureHeadersError;
  codes: { readonly [K in secureHeaders.ErrorCode]: K };
};

export = secureHeaders;
