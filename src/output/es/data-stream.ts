/**
 * The data stream a target name spells (`logs-iochunt.hits-default`: type
 * `logs`, dataset `iochunt.hits`, namespace `default`), and the
 * `data_stream.*` fields a document written there carries.
 */

/** ECS `data_stream.*`. */
export interface DataStreamFields {
  readonly type: string;
  readonly dataset: string;
  readonly namespace: string;
}

const NAME = /^(logs|metrics|traces|synthetics|profiling)-([^-]+)-([^-]+)$/;

/** The `data_stream.*` of a target in the `type-dataset-namespace` scheme, else undefined. */
export function dataStreamOf(index: string): DataStreamFields | undefined {
  const m = NAME.exec(index);
  return m ? { type: m[1] as string, dataset: m[2] as string, namespace: m[3] as string } : undefined;
}

/**
 * The document as written to data stream `ds`: `data_stream.*` set and
 * `event.dataset` equal to `data_stream.dataset` (as ECS asks); the log
 * format's dataset stays in `iochunt.dataset`.
 */
export function inDataStream<T extends { event: Record<string, unknown> }>(doc: T, ds: DataStreamFields): T {
  return { ...doc, event: { ...doc.event, dataset: ds.dataset }, data_stream: { type: ds.type, dataset: ds.dataset, namespace: ds.namespace } };
}
