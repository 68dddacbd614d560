// SPDX-License-Identifier: MIT
'use strict';
// passenger-secure-headers: the request facts that Apache with
// mod_secure_headers (or Phusion Passenger) vouches for, verified, and made
// true in Express, Fastify, Koa, Hono and node:http; readRequest() for
// Fetch API Requests (Bun, Deno, Next.js). See README.md.

const { SecureHeadersError, CODES } = require('./lib/errors');
const { read, readAsync } = require('./lib/read');
const { verifySignature } = require('./lib/signature');
const { decodeEnvvars, decodeEnvvarsList } = require('./lib/envvars');
const { createMemoryReplayCache } = require('./lib/replay');
const { redisReplayCache } = require('./lib/redis');
const { parseDictionary, parseList, parseItem } = require('./lib/sf');
const { express, fastify, koa } = require('./lib/frameworks');
const { deriveKey, backendIdentity } = require('./lib/derive');
const { readRequest, hono, nextProxy, nextFacts } = require('./lib/web');

module.exports = {
  read,
  readAsync,
  readRequest,
  express,
  fastify,
  koa,
  hono,
  nextProxy,
  nextFacts,
  verifySignature,
  decodeEnvvars,
  decodeEnvvarsList,
  createMemoryReplayCache,
  redisReplayCache,
  parseDictionary,
  parseList,
  parseItem,
  deriveKey,
  backendIdentity,
  SecureHeadersError,
  codes: CODES,
};
