// What a diagnosis shows as proof, and how sure it is.

export type EvidenceSource = 'log' | 'reason' | 'probe' | 'edge' | 'process' | 'reach' | 'metric';

export interface Evidence {
  readonly source: EvidenceSource;
  /** Unix ms of the line or the measurement, when it has one. */
  readonly at?: number;
  readonly text: string;
}

/** `high`: cloudflared's own words or a measurement name the cause; `medium`: inferred from what surrounds it. */
export type Confidence = 'high' | 'medium';
