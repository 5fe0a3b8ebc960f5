// Why an identity lookup failed (its FailureReason), as every lookup's client rejects.
import { IdentityLookupError } from '../errors.ts'
import type { FailureReason } from './identity-types.ts'

export class LookupError extends IdentityLookupError {
  readonly reason: FailureReason
  constructor(reason: FailureReason, message: string, options?: ErrorOptions) {
    super(message, options)
    this.reason = reason
  }
}
