/**
 * Arguments and `--help` for the example scripts, on `node:util`'s parseArgs. Each script declares its
 * options once, with a description; `--help` (or `-h`) prints the script's one-line description from the
 * catalog, its usage and its options, and exits. An unknown option prints the error and the help, and exits 2.
 *
 * @example
 * const args = parseExampleArgs('example:hosted', {
 *   port: { type: 'string', default: '8080', description: 'HTTP port (0: any free port)' },
 * });
 * const port = Number(args.port);
 */
import { parseArgs, type ParseArgsConfig } from 'node:util';
import { EXAMPLES, type ExampleScript } from './catalog.ts';

type OptionSpec = NonNullable<ParseArgsConfig['options']>[string] & { readonly description: string };
type OptionSpecs = Readonly<Record<string, OptionSpec>>;

/** The parsed values: strings and booleans as declared; those with a default are always set. */
export type ExampleArgs<O extends OptionSpecs> = {
  -readonly [K in keyof O]: O[K] extends { type: 'boolean' }
    ? O[K] extends { default: boolean }
      ? boolean
      : boolean | undefined
    : O[K] extends { default: string }
      ? string
      : string | undefined;
};

/** The help text of a script: its description, its usage, one line per option. */
export function exampleHelp(script: ExampleScript, options: OptionSpecs): string {
  const lines = Object.entries(options).map(([name, spec]) => {
    const flag = `${spec.short === undefined ? '    ' : `-${spec.short}, `}--${name}${spec.type === 'string' ? ' VALUE' : ''}`;
    const fallback = spec.default === undefined || spec.default === false ? '' : ` (default: ${String(spec.default)})`;
    return `  ${flag.padEnd(28)} ${spec.description}${fallback}`;
  });
  return [
    EXAMPLES[script],
    '',
    `Usage: pnpm --filter @superstep/examples run ${script}${lines.length > 0 ? ' [-- options]' : ''}`,
    '',
    'Options:',
    ...lines,
    `  ${'-h, --help'.padEnd(28)} show this help`,
  ].join('\n');
}

/** Parses `argv` (default: this process's arguments) for `script`; prints the help and exits on `--help`. */
export function parseExampleArgs<const O extends OptionSpecs>(
  script: ExampleScript,
  options: O,
  argv: readonly string[] = process.argv.slice(2),
): ExampleArgs<O> {
  // `pnpm run x -- --flag` passes the `--` through; nothing here is positional, so drop it.
  const args = argv.filter((arg) => arg !== '--');
  if (args.includes('--help') || args.includes('-h')) {
    console.log(exampleHelp(script, options));
    process.exit(0);
  }
  const config: NonNullable<ParseArgsConfig['options']> = {};
  for (const [name, { description: _description, ...spec }] of Object.entries(options)) config[name] = spec;
  try {
    return parseArgs({ args, options: config, strict: true, allowPositionals: false }).values as ExampleArgs<O>;
  } catch (error) {
    console.error(`${(error as Error).message}\n\n${exampleHelp(script, options)}`);
    process.exit(2);
  }
}
