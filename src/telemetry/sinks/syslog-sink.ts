// The syslog sink: records are spooled as they are and formatted as RFC 5424 by the shipper when sent, so
// the spool keeps the record (not one framing of it) and a change of receiver settings, or of logs.format, applies
// to the backlog. The records are redacted before they are spooled; the format only renames.
import { hostname } from 'node:os';
import { join } from 'node:path';
import type { Settings } from '../../config/index.js';
import { type LogRecord, pinoLine, type RecordSerialiser } from '../logs/index.js';
import type { SpoolPlace } from './loki-sink.js';
import { Spool } from './spool.js';
import type { SyslogRecord } from './syslog-format.js';
import { SyslogShipper } from './syslog-shipper.js';
import { SpoolShipperSink } from './spooled-sink.js';

type SyslogSettings = NonNullable<Settings['logs']['syslog']>;

export async function openSyslogSink(syslog: SyslogSettings, place: SpoolPlace, serialise: RecordSerialiser): Promise<SpoolShipperSink<SyslogRecord>> {
  const spool = await Spool.open<SyslogRecord>({ dir: join(place.dir, 'syslog'), maxBytes: place.maxBytes, ...(place.onDrop === undefined ? {} : { onDrop: place.onDrop }) });
  const shipper = new SyslogShipper({
    spool,
    host: syslog.host,
    port: syslog.port,
    protocol: syslog.protocol,
    ...(syslog.caFile === undefined ? {} : { caFile: syslog.caFile }),
    appName: syslog.appName,
    hostname: hostname(),
    facility: syslog.facility,
    // What the pipeline spooled was a LogRecord.
    body: (record) => serialise(record as LogRecord),
  });
  // pino's line is the record's JSON already; other formats renamed its fields, so the record is serialised as it is.
  return new SpoolShipperSink<SyslogRecord>('syslog', spool, shipper, (record, line) => (serialise === pinoLine ? line : JSON.stringify(record)));
}
