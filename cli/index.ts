// `recs <command> …`: one file per subcommand, loaded on demand.
import { cliLog } from './log';
const COMMANDS: Record<string, { file: string; help: string }> = {
  generate: { file: './generate', help: 'generate --preset tiny|demo|large --seed N [--users N] [--titles N] [--out DIR]   synthetic world' },
  import: { file: './import', help: 'import DIR [--out OUT]                                  MovieLens files → world directory' },
  retrain: { file: './retrain', help: 'retrain [--world DIR] [--params JSON] [--wait]          start the retrain workflow' },
  status: { file: './status', help: 'status [--json]                                         live version, kept versions, last runs' },
  sql: { file: './sql', help: 'sql "SELECT …" [--json] | --tables                      read-only SQL over the analysts\' views' },
  'add-title': { file: './add-title', help: 'add-title --id ID --title T [--genres A,B] [--year Y] [--wait]   a new title, live in seconds' },
  eval: { file: './eval', help: 'eval [--version V] [--json] | --variants                 offline metrics of the live version; A/B outcomes' },
  report: { file: './report', help: 'report [--version V] --out report.html                  self-contained HTML evaluation report' },
  rollback: { file: './rollback', help: 'rollback [--to VERSION]                                 flip live back' },
  schedule: { file: './schedule', help: 'schedule create|pause|unpause|trigger|describe|delete  Temporal Schedules (--workflow retrain|drain-events)' },
};

function usage(): string {
  return ['usage: recs <command> [options]', '', ...Object.values(COMMANDS).map((c) => `  recs ${c.help}`)].join('\n');
}

async function main(argv: string[]): Promise<number> {
  const [cmd, ...rest] = argv;
  if (!cmd || cmd === '--help' || cmd === '-h' || cmd === 'help') {
    console.log(usage());
    return cmd ? 0 : 2;
  }
  const c = COMMANDS[cmd];
  if (!c) {
    console.error(`recs: unknown command "${cmd}"\n\n${usage()}`);
    return 2;
  }
  const mod = (await import(c.file)) as { default: (argv: string[]) => Promise<number> };
  return mod.default(rest);
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (e) => {
    cliLog().error(`recs: ${e instanceof Error ? e.message : String(e)}`);
    process.exit(1);
  },
);
