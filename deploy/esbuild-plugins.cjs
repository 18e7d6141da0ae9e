/**
 * serverless-esbuild plugins (custom.esbuild.plugins).
 *
 * separateModules: modules imported dynamically and only when a setting asks for them are kept
 * out of each handler bundle and built once per output directory as a module of their own, next
 * to the handlers. Inlined, they would be compiled at every cold start even when never used
 * (about 45 ms measured on the proxy for the secrets reader):
 *   - lib/secrets/aws-providers.ts (Powertools Parameters and two AWS SDK clients) → secrets-aws.mjs
 *   - lib/report/s3-store.ts (the S3 client, for the fleet report) → report-s3.mjs
 * serverless.yml's package patterns say which functions carry which.
 *
 * inlineChartJs: lib/report/chart-source.ts reads Chart.js's UMD build from node_modules, which a
 * bundle does not have; in the bundle it returns the file's text instead.
 */
const fs = require('node:fs');
const path = require('node:path');

const MODULES = [
  { specifier: /\/aws-providers$/, output: 'secrets-aws.mjs' },
  { specifier: /\/s3-store$/, output: 'report-s3.mjs' },
];
const built = new Map();

const separateModules = {
  name: 'separate-modules',
  setup(build) {
    const sources = new Map();
    for (const m of MODULES) {
      build.onResolve({ filter: m.specifier }, (args) => {
        sources.set(m.output, path.resolve(args.resolveDir, `${args.path}.ts`));
        return { path: `./${m.output}`, external: true };
      });
    }
    build.onEnd(async (result) => {
      if (result.errors.length > 0) return;
      const outdir = build.initialOptions.outdir ?? path.dirname(build.initialOptions.outfile);
      for (const [output, source] of sources) {
        const key = `${outdir}\0${output}`;
        if (!built.has(key)) {
          const { entryPoints, outdir: _o, outfile: _f, outExtension: _e, plugins: _p, metafile: _m, ...options } = build.initialOptions;
          built.set(key, build.esbuild.build({ ...options, entryPoints: [source], outfile: path.join(outdir, output) }));
        }
        await built.get(key);
      }
    });
  },
};

const inlineChartJs = {
  name: 'inline-chart-js',
  setup(build) {
    build.onLoad({ filter: /[\\/]lib[\\/]report[\\/]chart-source\.ts$/ }, () => {
      const file = path.join(path.dirname(require.resolve('chart.js')), 'chart.umd.min.js');
      const text = fs.readFileSync(file, 'utf8');
      return { contents: `export function chartJsSource() { return ${JSON.stringify(text)}; }`, loader: 'js' };
    });
  },
};

module.exports = [separateModules, inlineChartJs];
