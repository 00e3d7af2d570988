/**
 * `npm run build` step: bundles the compiled CLI (dist/cli/main.js and everything it imports from
 * this project, plus commander) into one CommonJS file, dist/cli/tac.cjs, which bin/tac loads.
 *
 * Why: a command paid ~35 ms to resolve, read and link ~55 ES modules before doing anything; one
 * CommonJS file is read and compiled once (and bin/tac caches its compiled code). Packages other
 * than commander stay external: they are imported lazily by the commands that need them (fastify
 * only by `serve`, undici only for a remote backend), and a bundle would load them all up front.
 * CommonJS, not ESM, because esbuild hoists an ESM bundle's imports of external packages to the top
 * of the file, which would load them eagerly; in CommonJS they stay lazy `require()` calls.
 */
import { readFileSync } from 'node:fs';
import { build, type Plugin } from 'esbuild';

/** Packages compiled into the bundle: small, and needed by every command. */
const INLINE = new Set(['commander']);

const root = new URL('../../', import.meta.url);
const pkg = JSON.parse(readFileSync(new URL('package.json', root), 'utf8')) as {
  dependencies?: Record<string, string>;
  optionalDependencies?: Record<string, string>;
};
const external = Object.keys({ ...pkg.dependencies, ...pkg.optionalDependencies }).filter((d) => !INLINE.has(d));

/**
 * commander requires node:child_process at load time, for executable subcommands, which tac does
 * not use; loading it (with net, dgram and their bindings) costs every command ~3 ms. Here it is
 * required on first use instead. The build fails if commander's source no longer matches, so an
 * upgrade cannot silently drop this.
 */
const lazyChildProcess: Plugin = {
  name: 'commander-lazy-child-process',
  setup(b) {
    b.onLoad({ filter: /[\\/]commander[\\/]lib[\\/]command\.js$/ }, (args) => {
      const eager = "const childProcess = require('node:child_process');";
      const source = readFileSync(args.path, 'utf8');
      if (!source.includes(eager) || (source.match(/childProcess\.(\w+)/g) ?? []).some((m) => m !== 'childProcess.spawn')) {
        throw new Error(`${args.path}: commander changed how it uses child_process; update src/build/bundle.ts`);
      }
      const lazy = "const childProcess = { spawn: (...a) => require('node:child_process').spawn(...a) };";
      return { contents: source.replace(eager, lazy), loader: 'js' };
    });
  },
};

/**
 * node's public `module` builtin loads the ES module loader and source-map support when first
 * required (~1–2 ms), and the bundle needs only `createRequire(import.meta.url)` from it, which in
 * the bundle is always the bundle's own URL: answer that with the bundle's `require` (the one
 * bin/tac gives it), and anything else from the real builtin. commander's `require('node:process')`
 * is the global `process`. The module shim is an ES module, so a named import it lacks fails the build.
 */
const builtinShims: Plugin = {
  name: 'tac-builtin-shims',
  setup(b) {
    b.onResolve({ filter: /^(node:)?(module|process)$/ }, (args) =>
      // The shim's own require of the real builtin stays a require.
      args.namespace === 'tac-shim' ? { path: args.path, external: true } : { path: args.path.replace(/^node:/, ''), namespace: 'tac-shim' });
    b.onLoad({ filter: /.*/, namespace: 'tac-shim' }, (args) =>
      args.path === 'process'
        ? { loader: 'js', contents: 'module.exports = process;' }
        : { loader: 'js', contents: "export function createRequire(from) { return String(from) === __tacBundleUrl ? require : require('node:module').createRequire(from); }" });
  },
};

await build({
  absWorkingDir: new URL('.', root).pathname,
  entryPoints: ['dist/cli/main.js'],
  outfile: 'dist/cli/tac.cjs',
  bundle: true,
  platform: 'node',
  format: 'cjs',
  target: 'node20',
  external,
  plugins: [lazyChildProcess, builtinShims],
  // Whitespace and syntax only: half the bytes to read and compile; names stay for stack traces.
  minifyWhitespace: true,
  minifySyntax: true,
  // The bundle sits in dist/cli/, as main.js did, so paths relative to a module's URL
  // ('../../package.json') still resolve; import.meta.url becomes the bundle's own URL.
  define: { 'import.meta.url': '__tacBundleUrl' },
  banner: { js: "const __tacBundleUrl = require('node:url').pathToFileURL(__filename).href;" },
  logLevel: 'warning',
});
