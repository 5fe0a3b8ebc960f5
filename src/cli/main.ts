// atkafka's entry point: parse the command line, run the command, set the exit code.
import { readFileSync } from 'node:fs'

const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string }

const HELP = `atkafka ${pkg.version}: stream the AT Protocol network into Apache Kafka

Usage:
  atkafka firehose relay [options]   relay firehose (com.atproto.sync.subscribeRepos) → Kafka
  atkafka firehose tap [options]     Tap /channel (backfill + live, acked) → Kafka
  atkafka --help | --version
`

const args = process.argv.slice(2)
if (args.includes('--version')) {
  process.stdout.write(`${pkg.version}\n`)
} else if (args.length === 0 || args.includes('--help') || args.includes('-h')) {
  process.stdout.write(HELP)
} else {
  process.stderr.write(`atkafka: unknown command "${args.join(' ')}"\n\n${HELP}`)
  process.exitCode = 2
}
