/**
 * import() of an npm package that is an ES module only (chalk, conf, @inquirer/prompts) or optional
 * (keytar). bin/tac runs the bundled CLI through vm.Script, to use V8's code cache, and there
 * import() has no module loader on node 20 (only behind an experimental option); so bin/tac lends
 * its own import() under this symbol. Elsewhere (tests, the unbundled dist) it is the plain import().
 */
const LOADER = Symbol.for('tac.importModule');

type Loader = (specifier: string) => Promise<unknown>;

export function importModule<T>(specifier: string): Promise<T> {
  const lent = (globalThis as { [LOADER]?: Loader })[LOADER];
  return (lent ? lent(specifier) : import(specifier)) as Promise<T>;
}
