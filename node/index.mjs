// ES module entry point: the CommonJS implementation, re-exported.
import cjs from './index.js';

export const {
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
  parseDictionary,
  parseList,
  parseItem,
  deriveKey,
  backendIdentity,
  SecureHeadersError,
  codes,
} = cjs;
export default cjs;
