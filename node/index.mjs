// ES module entry point: the CommonJS implementation, re-exported.
import cjs from './index.js';

export const {
  read,
  readAsync,
  express,
  fastify,
  koa,
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
