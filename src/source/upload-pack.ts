/**
 * The fetch half of git's smart-HTTP protocol (v1, stateless): one `git-upload-pack` POST with
 * our wants and haves, the packfile out of the (side-band) answer.
 *
 * isomorphic-git's own `fetch` cannot be used as is: it fails with "Could not find HEAD" when the
 * remote's HEAD names a missing branch even if another ref was asked for
 * (isomorphic-git/isomorphic-git#1654), and it moves refs before the pack has arrived. So the
 * source discovers refs with isomorphic-git (`getRemoteInfo2`), asks for the pack here, writes it
 * whole, has isomorphic-git index it (`indexPack`), and only then moves its refs.
 */
import { createHash } from 'node:crypto';
import type { HttpClient } from 'isomorphic-git';

/** UploadPackError is a protocol-level failure (an `ERR` line, a malformed or truncated answer). */
export class UploadPackError extends Error {
  readonly code = 'UploadPackError';
}

function pkt(line: string): Buffer {
  const body = Buffer.from(line, 'utf8');
  return Buffer.concat([Buffer.from((body.length + 4).toString(16).padStart(4, '0'), 'ascii'), body]);
}

const FLUSH = Buffer.from('0000', 'ascii');

/** uploadPackRequest builds the request body: wants (capabilities on the first), flush, haves, done. */
export function uploadPackRequest(wants: string[], haves: string[], capabilities: string[]): Buffer {
  const parts: Buffer[] = [];
  [...new Set(wants)].forEach((oid, i) => parts.push(pkt(i === 0 ? `want ${oid} ${capabilities.join(' ')}\n` : `want ${oid}\n`)));
  parts.push(FLUSH);
  for (const oid of new Set(haves)) parts.push(pkt(`have ${oid}\n`));
  parts.push(pkt('done\n'));
  return Buffer.concat(parts);
}

/** chooseCapabilities picks what we ask for from what the server advertised. */
export function chooseCapabilities(advertised: Record<string, string | true>): { caps: string[]; sideband: boolean } {
  const caps: string[] = [];
  let sideband = false;
  if (advertised['side-band-64k']) {
    caps.push('side-band-64k');
    sideband = true;
  } else if (advertised['side-band']) {
    caps.push('side-band');
    sideband = true;
  }
  if (advertised['ofs-delta']) caps.push('ofs-delta');
  if (advertised['no-progress']) caps.push('no-progress');
  caps.push('agent=mini-flux');
  return { caps, sideband };
}

/**
 * parseUploadPackResponse reads the negotiation lines (NAK / ACK / shallow) and then the pack,
 * demultiplexed from side-band band 1 when side-band was asked for. Band 3 and `ERR` lines throw.
 */
export function parseUploadPackResponse(body: Buffer, sideband: boolean): Buffer {
  let pos = 0;
  const readLen = (): number | 'PACK' | undefined => {
    if (pos + 4 > body.length) return undefined;
    const head = body.subarray(pos, pos + 4).toString('latin1');
    if (head === 'PACK') return 'PACK';
    if (!/^[0-9a-f]{4}$/i.test(head)) throw new UploadPackError(`malformed upload-pack answer (${JSON.stringify(head)})`);
    return parseInt(head, 16);
  };
  // Negotiation lines.
  for (;;) {
    const len = readLen();
    if (len === undefined) throw new UploadPackError('upload-pack answer ended before the pack');
    if (len === 'PACK') {
      if (sideband) throw new UploadPackError('raw pack in a side-band answer');
      return body.subarray(pos);
    }
    if (len === 0) {
      pos += 4;
      continue;
    }
    if (len < 4 || pos + len > body.length) throw new UploadPackError('truncated upload-pack answer');
    const payload = body.subarray(pos + 4, pos + len);
    if (sideband && payload.length && payload[0]! <= 3) break;
    const text = payload.toString('utf8').trim();
    if (text.startsWith('ERR ')) throw new UploadPackError(text.slice(4));
    if (!/^(NAK|ACK|shallow|unshallow)\b/.test(text)) throw new UploadPackError(`unexpected upload-pack line ${JSON.stringify(text.slice(0, 80))}`);
    pos += len;
  }
  // Side-band packets until the flush.
  const pack: Buffer[] = [];
  for (;;) {
    const len = readLen();
    if (len === undefined) throw new UploadPackError('upload-pack answer ended before its final flush');
    if (len === 'PACK') throw new UploadPackError('raw pack in a side-band answer');
    if (len === 0) break;
    if (len < 5 || pos + len > body.length) throw new UploadPackError('truncated upload-pack answer');
    const band = body[pos + 4]!;
    const data = body.subarray(pos + 5, pos + len);
    if (band === 1) pack.push(data);
    else if (band === 3) throw new UploadPackError(`remote error: ${data.toString('utf8').trim()}`);
    else if (band !== 2) {
      const text = body.subarray(pos + 4, pos + len).toString('utf8').trim();
      if (text.startsWith('ERR ')) throw new UploadPackError(text.slice(4));
      throw new UploadPackError(`unexpected side-band ${band}`);
    }
    pos += len;
  }
  return Buffer.concat(pack);
}

/** checkPack verifies a pack's header and SHA-1 trailer; returns its name (the trailer) and object count. */
export function checkPack(pack: Buffer): { name: string; objects: number } {
  if (pack.length < 32 || pack.subarray(0, 4).toString('latin1') !== 'PACK') throw new UploadPackError('the answer holds no packfile');
  const trailer = pack.subarray(pack.length - 20).toString('hex');
  const sum = createHash('sha1').update(pack.subarray(0, pack.length - 20)).digest('hex');
  if (sum !== trailer) throw new UploadPackError('packfile checksum mismatch (truncated transfer?)');
  return { name: trailer, objects: pack.readUInt32BE(8) };
}

/** fetchPack POSTs one upload-pack request and returns the packfile bytes. */
export async function fetchPack(o: {
  http: HttpClient;
  url: string;
  headers: Record<string, string>;
  wants: string[];
  haves: string[];
  advertised: Record<string, string | true>;
}): Promise<Buffer> {
  const { caps, sideband } = chooseCapabilities(o.advertised);
  const body = uploadPackRequest(o.wants, o.haves, caps);
  const res = await o.http.request({
    url: `${o.url.replace(/\/+$/, '')}/git-upload-pack`,
    method: 'POST',
    headers: {
      ...o.headers,
      'content-type': 'application/x-git-upload-pack-request',
      accept: 'application/x-git-upload-pack-result',
    },
    body: [body][Symbol.iterator]() as unknown as AsyncIterableIterator<Uint8Array>,
  });
  const chunks: Buffer[] = [];
  if (res.body) for await (const c of res.body) chunks.push(Buffer.from(c));
  if (res.statusCode !== 200) {
    const err = new Error(`HTTP Error: ${res.statusCode} ${res.statusMessage}`) as Error & { code: string; data: unknown };
    err.code = 'HttpError';
    err.data = { statusCode: res.statusCode, statusMessage: res.statusMessage };
    throw err;
  }
  return parseUploadPackResponse(Buffer.concat(chunks), sideband);
}
