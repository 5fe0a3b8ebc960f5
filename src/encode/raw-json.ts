// A value already serialized to JSON, spliced into an event's JSON as it is (enrichment: the
// parts of `eventMetadata` that do not change between a DID's events are serialized once).

export class RawJson {
  readonly json: string
  constructor(json: string) {
    this.json = json
  }
}
