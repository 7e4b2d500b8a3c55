// identity.zoneFile: the zone an init step asked of the Kubernetes API (`tunnelwatch node-zone`), read once at start.
// A zone given directly wins; a file that is missing, empty or not a label value leaves the zone unset, with a
// warning saying why, since the init step itself exits 0 rather than keep the connector from starting.
import { readTextOrUndefined, whyUnreadable } from '../base/index.js';
import { ZONE_VALUE } from '../collectors/index.js';
import type { Settings } from '../config/index.js';

export interface ZoneFromFile {
  readonly settings: Settings;
  /** Why the file gave no zone, with the fix; logged once the logger runs. */
  readonly warning?: string;
}

export function withZoneFile(settings: Settings): ZoneFromFile {
  const { zone, zoneFile } = settings.identity;
  if (zoneFile === undefined || (zone !== undefined && zone !== '')) return { settings };
  const text = readTextOrUndefined(zoneFile);
  const unset = (why: string): ZoneFromFile => ({ settings, warning: `identity.zoneFile ${why}; the zone label stays empty (TunnelReplicasSameZone cannot see this replica's zone)` });
  if (text === undefined) return unset(`${whyUnreadable(zoneFile)}; the node-zone init container writes it to a volume both containers mount`);
  const read = text.trim();
  if (read === '') return unset(`${zoneFile} is empty: the node-zone init step could not read the node's zone, and its log says why (kubectl logs POD -c node-zone)`);
  if (!ZONE_VALUE.test(read)) return unset(`${zoneFile} holds ${JSON.stringify(read.slice(0, 80))}, not a zone label value`);
  return { settings: { ...settings, identity: { ...settings.identity, zone: read } } };
}
