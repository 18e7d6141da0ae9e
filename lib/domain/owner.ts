/**
 * Who owns a snapshot, for routing notifications and for the report's tables: a metadata key on
 * the snapshot (default `owner`), else the owner the targets file gives its project, else nobody.
 * Metadata is written by anyone with access to the project: the value is trimmed, stripped of
 * control characters and capped, but stays untrusted text for every format that shows it.
 */
export const DEFAULT_OWNER_KEY = 'owner';
/** What the report and digests call snapshots nobody owns. */
export const UNOWNED = 'unowned';
const MAX_OWNER_LENGTH = 128;
// biome-ignore lint/suspicious/noControlCharactersInRegex: stripping them is the point
const CONTROLS = /[\u0000-\u001f\u007f-\u009f\u2028\u2029]/g;

export interface OwnerSource {
  /** The metadata key that names the owner; default `owner`. */
  metadataKey?: string;
  /** The project's owner from the targets file, if it names one. */
  projectOwner?: string | null;
}

/** The owner of one snapshot, or null when neither the snapshot nor its project names one. */
export function ownerOf(metadata: Record<string, string> | null | undefined, source: OwnerSource = {}): string | null {
  const raw = metadata?.[source.metadataKey ?? DEFAULT_OWNER_KEY];
  const fromMetadata = typeof raw === 'string' ? clean(raw) : '';
  if (fromMetadata) return fromMetadata;
  const fromProject = source.projectOwner ? clean(source.projectOwner) : '';
  return fromProject || null;
}

function clean(value: string): string {
  return value.replace(CONTROLS, '').trim().slice(0, MAX_OWNER_LENGTH);
}
