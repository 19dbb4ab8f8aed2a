import { createHash } from 'node:crypto';
import { gzipSync } from 'node:zlib';
import { build } from 'esbuild';
import type { Request, Response } from 'express';

/** A bundled browser script, kept with its gzip form and a strong ETag. */
export interface BrowserScript {
  text: string;
  gzip: Buffer;
  etag: string;
}

/**
 * A browser script bundled from TypeScript source on first use and kept (the widget, the agent
 * workspace, the merchant admin); a failed build is not cached, so the next request tries again.
 */
export function browserBundle(entryPoint: string): () => Promise<BrowserScript> {
  let bundle: Promise<BrowserScript> | undefined;
  return () => {
    bundle ??= build({
      entryPoints: [entryPoint],
      bundle: true,
      write: false,
      minify: true,
      format: 'iife',
      target: 'es2019',
      charset: 'utf8',
      legalComments: 'none',
      logLevel: 'silent',
    }).then(
      (result) => {
        const out = result.outputFiles[0];
        if (!out) throw new Error('esbuild produced no output');
        const text = out.text;
        const etag = `"${createHash('sha256').update(text).digest('base64url').slice(0, 27)}"`;
        return { text, gzip: gzipSync(text, { level: 9 }), etag };
      },
      (err: unknown) => {
        bundle = undefined;
        throw err;
      },
    );
    return bundle;
  };
}

/**
 * Sends a bundled script: gzip when the browser takes it (the admin's charts make it ~600 KB, ~200 KB
 * gzipped), and 304 when the browser's copy is current (the ETag changes with the content).
 */
export function sendScript(
  req: Request,
  res: Response,
  script: BrowserScript,
  headers: Record<string, string>,
): void {
  res.set({ 'Content-Type': 'application/javascript; charset=utf-8', ...headers, ETag: script.etag });
  res.vary('Accept-Encoding');
  if (req.acceptsEncodings('gzip', 'identity') === 'gzip') {
    res.set('Content-Encoding', 'gzip').send(script.gzip);
  } else {
    res.send(script.text);
  }
}
