// SPDX-License-Identifier: MIT
// A small NestJS application (Express or Fastify platform), compiled by
// tests/runtimes.test.js with tsc --strict and run behind Apache. It answers
// with what Nest's request object says (req.ip, protocol, host, ...) after
// passenger-secure-headers' middleware.
//
// Environment: PSH_FRAMEWORK (nest-express, nest-fastify), PSH_OPTIONS (the
// package's options; keys as { id: { alg, keyFile } }), PSH_PORT. Prints
// {"port": N} once listening, then {"reject": code} per rejection.
import 'reflect-metadata';
import * as fs from 'node:fs';
import type { AddressInfo } from 'node:net';
import { Controller, Get, Module, Req } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { ExpressAdapter, type NestExpressApplication } from '@nestjs/platform-express';
import { FastifyAdapter, type NestFastifyApplication } from '@nestjs/platform-fastify';
import secureHeaders, { type Options, type SecureInfo } from 'passenger-secure-headers';

const framework = process.env.PSH_FRAMEWORK ?? '';
const g = globalThis as { Bun?: { version: string }; Deno?: { version: { deno: string } } };
const runtime = g.Bun ? `bun ${g.Bun.version}` : g.Deno ? `deno ${g.Deno.version.deno}` : `node ${process.version}`;

interface NestReq {
  ip: string | undefined;
  protocol: string;
  host: string;
  hostname: string;
  originalUrl?: string;
  url: string;
  secureHeaders: SecureInfo;
}

@Controller()
class WhoAmIController {
  @Get('whoami')
  whoami(@Req() req: NestReq): object {
    const info = req.secureHeaders;
    return {
      framework, runtime, url: req.originalUrl ?? req.url,
      ip: req.ip, protocol: req.protocol, host: req.host, hostname: req.hostname,
      env: { ...info.env }, signed: info.signed, keyid: info.keyid, trusted: info.trusted,
    };
  }
}

@Module({ controllers: [WhoAmIController] })
class AppModule {}

function options(): Options {
  const o = JSON.parse(process.env.PSH_OPTIONS ?? '{}') as { keys?: Record<string, { alg: 'hmac-sha256' | 'ed25519' | 'ecdsa-p256-sha256'; keyFile: string }>; authority?: string };
  const keys: Options['keys'] = {};
  for (const [id, k] of Object.entries(o.keys ?? {})) {
    const bytes = fs.readFileSync(k.keyFile);
    keys[id] = { alg: k.alg, key: k.alg === 'hmac-sha256' ? bytes : bytes.toString('utf8') };
  }
  return {
    ...(o.keys ? { keys } : {}),
    ...(o.authority ? { authority: o.authority } : {}),
    onReject(err) { process.stdout.write(JSON.stringify({ reject: err.code }) + '\n'); },
  };
}

const port = Number(process.env.PSH_PORT ?? 0);
if (framework === 'nest-express') {
  const app = await NestFactory.create<NestExpressApplication>(AppModule, new ExpressAdapter(), { logger: false });
  app.use(secureHeaders.express(options()));
  await app.listen(port, '127.0.0.1');
  process.stdout.write(JSON.stringify({ port: (app.getHttpServer().address() as AddressInfo).port }) + '\n');
} else if (framework === 'nest-fastify') {
  const app = await NestFactory.create<NestFastifyApplication>(AppModule, new FastifyAdapter(), { logger: false });
  await app.register(secureHeaders.fastify, options());
  await app.listen(port, '127.0.0.1');
  process.stdout.write(JSON.stringify({ port: (app.getHttpServer().address() as AddressInfo).port }) + '\n');
} else {
  throw new Error(`PSH_FRAMEWORK: ${framework}`);
}
process.on('SIGTERM', () => process.exit(0));
