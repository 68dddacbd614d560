// Type declarations for passenger-secure-headers (ES module entry point).
import secureHeaders = require('./index.js');

export type Algorithm = secureHeaders.Algorithm;
export type KeySpec = secureHeaders.KeySpec;
export type ReplayStore = secureHeaders.ReplayStore;
export type MemoryReplayCache = secureHeaders.MemoryReplayCache;
export type RedisReplayCache = secureHeaders.RedisReplayCache;
export type RedisReplayCacheOptions = secureHeaders.RedisReplayCacheOptions;
export type Options = secureHeaders.Options;
export type SecureInfo = secureHeaders.SecureInfo;
export type ErrorCode = secureHeaders.ErrorCode;
export type SignatureMessage = secureHeaders.SignatureMessage;
export type VerifiedSignature = secureHeaders.VerifiedSignature;

export declare const read: typeof secureHeaders.read;
export declare const readAsync: typeof secureHeaders.readAsync;
export declare const express: typeof secureHeaders.express;
export declare const fastify: typeof secureHeaders.fastify;
export declare const koa: typeof secureHeaders.koa;
export declare const verifySignature: typeof secureHeaders.verifySignature;
export declare const decodeEnvvars: typeof secureHeaders.decodeEnvvars;
export declare const decodeEnvvarsList: typeof secureHeaders.decodeEnvvarsList;
export declare const createMemoryReplayCache: typeof secureHeaders.createMemoryReplayCache;
export declare const redisReplayCache: typeof secureHeaders.redisReplayCache;
export declare const parseDictionary: typeof secureHeaders.parseDictionary;
export declare const parseList: typeof secureHeaders.parseList;
export declare const parseItem: typeof secureHeaders.parseItem;
export declare const deriveKey: typeof secureHeaders.deriveKey;
export declare const backendIdentity: typeof secureHeaders.backendIdentity;
export declare const SecureHeadersError: typeof secureHeaders.SecureHeadersError;
export type SecureHeadersError = InstanceType<typeof secureHeaders.SecureHeadersError>;
export declare const codes: typeof secureHeaders.codes;
declare const _default: typeof secureHeaders;
export default _default;
