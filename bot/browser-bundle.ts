import { build } from 'esbuild';

/**
 * A browser script bundled from TypeScript source on first use and kept (the widget, the agent
 * workspace); a failed build is not cached, so the next request tries again.
 */
export function browserBundle(entryPoint: string): () => Promise<string> {
  let bundle: Promise<string> | undefined;
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
        return out.text;
      },
      (err: unknown) => {
        bundle = undefined;
        throw err;
      },
    );
    return bundle;
  };
}
