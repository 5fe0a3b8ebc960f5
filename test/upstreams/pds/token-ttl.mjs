// Preloaded into the local PDS (node --import) by test/helpers/local-pds.ts when a test asks
// for short-lived sessions: @atproto/pds signs access tokens for 120 min and refresh tokens
// for 90 days, with no setting to change either. This load hook rewrites those two defaults
// in its auth helper (account-manager/helpers/auth.js) to ATKAFKA_TEST_PDS_ACCESS_TTL and
// ATKAFKA_TEST_PDS_REFRESH_TTL (jose durations such as '6s'), so that a test can watch real
// tokens expire: the PDS's own verification then answers `ExpiredToken` as it would after
// two hours. Nothing else of the PDS changes.
import { register } from 'node:module'

const access = process.env.ATKAFKA_TEST_PDS_ACCESS_TTL
const refresh = process.env.ATKAFKA_TEST_PDS_REFRESH_TTL
if (access || refresh) {
  register(
    `data:text/javascript,${encodeURIComponent(`
      const access = ${JSON.stringify(access ?? '')}
      const refresh = ${JSON.stringify(refresh ?? '')}
      export async function load(url, context, next) {
        const result = await next(url, context)
        if (!url.endsWith('/@atproto/pds/dist/account-manager/helpers/auth.js')) return result
        let source = String(result.source)
        const before = source
        if (access) source = source.replace("expiresIn = '120mins'", 'expiresIn = ' + JSON.stringify(access))
        if (refresh) source = source.replace("expiresIn = '90days'", 'expiresIn = ' + JSON.stringify(refresh))
        if (source === before) throw new Error('token-ttl: the PDS auth helper changed; update token-ttl.mjs')
        return { ...result, source }
      }
    `)}`,
  )
}
