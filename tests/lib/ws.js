// SPDX-License-Identifier: MIT
'use strict';
// WebSocket framing (RFC 6455), shared by the echo backend and the client.

const WS_GUID = '258EAFA5-E914-47DA-95CA-C5AB0DC85B11';

function wsFrame(payload, opcode = 0x1) {
  const data = Buffer.isBuffer(payload) ? payload : Buffer.from(payload, 'utf8');
  let hdr;
  if (data.length < 126) {
    hdr = Buffer.from([0x80 | opcode, data.length]);
  } else if (data.length < 65536) {
    hdr = Buffer.alloc(4);
    hdr[0] = 0x80 | opcode; hdr[1] = 126; hdr.writeUInt16BE(data.length, 2);
  } else {
    hdr = Buffer.alloc(10);
    hdr[0] = 0x80 | opcode; hdr[1] = 127; hdr.writeBigUInt64BE(BigInt(data.length), 2);
  }
  return Buffer.concat([hdr, data]);
}

function parseFrames(buf) {
  const frames = [];
  let pos = 0;
  while (pos + 2 <= buf.length) {
    const b0 = buf[pos]; const b1 = buf[pos + 1];
    let len = b1 & 0x7f; let p = pos + 2;
    if (len === 126) { if (p + 2 > buf.length) break; len = buf.readUInt16BE(p); p += 2; } else if (len === 127) { if (p + 8 > buf.length) break; len = Number(buf.readBigUInt64BE(p)); p += 8; }
    const masked = (b1 & 0x80) !== 0;
    let mask = null;
    if (masked) { if (p + 4 > buf.length) break; mask = buf.slice(p, p + 4); p += 4; }
    if (p + len > buf.length) break;
    let payload = Buffer.from(buf.slice(p, p + len));
    if (mask) for (let i = 0; i < payload.length; i++) payload[i] ^= mask[i & 3];
    frames.push({ fin: (b0 & 0x80) !== 0, opcode: b0 & 0x0f, payload });
    pos = p + len;
  }
  return { frames, consumed: pos };
}

module.exports = { WS_GUID, wsFrame, parseFrames };
