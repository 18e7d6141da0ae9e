/**
 * serverless-esbuild plugins (custom.esbuild.plugins).
 *
 * separateSecretsModule: lib/secrets/aws-providers.ts (Powertools Parameters and two AWS SDK
 * clients, ~600 KB minified) is imported dynamically, only when a secret is configured. Inlined
 * into each bundle it would still be compiled at every cold start (about 45 ms measured on the
 * proxy), so it is kept external as ./secrets-aws.mjs next to the handlers and built once per
 * output directory with the same options.
 */
const path = require('node:path');

const SPECIFIER = /\/aws-providers$/;
const OUTPUT = 'secrets-aws.mjs';
const built = new Map();

const separateSecretsModule = {
  name: 'separate-secrets-module',
  setup(build) {
    let source;
    build.onResolve({ filter: SPECIFIER }, (args) => {
      source = path.resolve(args.resolveDir, `${args.path}.ts`);
      return { path: `./${OUTPUT}`, external: true };
    });
    build.onEnd(async (result) => {
      if (result.errors.length > 0 || !source) return;
      const outdir = build.initialOptions.outdir;
      if (!built.has(outdir)) {
        const { entryPoints, outdir: _o, outExtension: _e, plugins: _p, metafile: _m, ...options } = build.initialOptions;
        built.set(outdir, build.esbuild.build({ ...options, entryPoints: [source], outfile: path.join(outdir, OUTPUT) }));
      }
      await built.get(outdir);
    });
  },
};

module.exports = [separateSecretsModule];
